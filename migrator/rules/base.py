"""What every rule shares: the conversion context and a few dict helpers.

A rule is a module with `NAME: str` and `apply(cfg: dict, ctx: Context) -> dict`. It receives the
config produced by the previous rule (plain dicts/lists/tuples/scalars, never mutated in place:
rules copy what they change), removes the old-style keys it owns, adds the new-style keys, and
records what it did in `ctx.report`. Rules never do I/O and never import torch.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field as dc_field
from typing import Any, Dict, Optional

from ..errors import Location, MigrateError
from ..report import MISSING, Report


@dataclass
class RunInfo:
    """The run length of the *old* config, as MMCV's runner saw it.

    `runner=dict(type='EpochBasedRunner', max_epochs=N)` / `total_epochs=N` (mmdet compat:
    `runner` defaults to EpochBasedRunner with max_epochs=total_epochs) / IterBasedRunner max_iters.
    """
    by_epoch: bool = True
    max_epochs: Optional[int] = None
    max_iters: Optional[int] = None
    runner_type: Optional[str] = None

    @classmethod
    def from_old(cls, cfg: Dict[str, Any]) -> "RunInfo":
        runner = cfg.get("runner")
        if isinstance(runner, dict):
            rtype = runner.get("type", "EpochBasedRunner")
            by_epoch = "Iter" not in str(rtype)
            return cls(by_epoch=by_epoch, max_epochs=runner.get("max_epochs"),
                       max_iters=runner.get("max_iters"), runner_type=rtype)
        total = cfg.get("total_epochs")
        if total is not None:
            return cls(by_epoch=True, max_epochs=total, runner_type="EpochBasedRunner")
        return cls()


@dataclass
class Context:
    report: Report
    path: Optional[str] = None
    sources: Dict[str, Location] = dc_field(default_factory=dict)   # top-level old key -> where set
    run: RunInfo = dc_field(default_factory=RunInfo)
    codebase: Optional[str] = None                  # 'mmdet', 'mmpretrain', 'mmseg', ... (per file)
    old: Optional[Dict[str, Any]] = None            # the original old config (read-only)

    def loc(self, field: str) -> Location:
        top = field.split(".")[0].split("[")[0]
        return self.sources.get(top, Location(self.path))

    def error(self, field: str, message: str) -> MigrateError:
        loc = self.loc(field)
        return MigrateError(message, file=loc.file or self.path, line=loc.line, field=field)

    def warn(self, field: str, message: str, original: Any = MISSING,
             anchor: Optional[str] = None, approx: Optional[dict] = None) -> None:
        self.report.warn(field, message, original, anchor, self.loc(field), approx)

    def todo(self, field: str, message: str, original: Any = MISSING,
             anchor: Optional[str] = None) -> None:
        self.report.todo(field, message, original, anchor, self.loc(field))


def deep_merge(dst: Dict[str, Any], src: Dict[str, Any]) -> Dict[str, Any]:
    """Return a copy of `dst` with `src` merged into it recursively (src wins, lists replaced)."""
    out = copy.deepcopy(dst)
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def merge_into(cfg: Dict[str, Any], key: str, value: Dict[str, Any]) -> None:
    """Merge `value` into the dict at top-level `key` of `cfg` (created when absent)."""
    cfg[key] = deep_merge(cfg.get(key) or {}, value)
