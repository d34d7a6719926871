"""The conversion pipeline for one file: load (static) -> rules -> (emission happens in emit/).

No I/O besides reading the config files through `load.py`; no torch.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from .copying import clone as copy_value
from .load import load_config
from .report import Report
from .profiles import detect
from .rules import Context, apply_rules



def detect_codebase(cfg: Dict[str, Any], path: Optional[str] = None, bases=()) -> Optional[str]:
    """The codebase of one file from what it and its bases say (see `profiles.detect`)."""
    return detect(cfg, path, bases)


@dataclass
class Conversion:
    path: str
    old: Dict[str, Any]
    new: Dict[str, Any]
    report: Report
    files: List[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.new != self.old or bool(self.report.findings)


def convert_dict(cfg: Dict[str, Any], path: str = "<config>", sources=None,
                 codebase: Optional[str] = None, bases=()) -> Conversion:
    """`codebase` overrides the per-file decision (`--codebase`); `bases` are the files `cfg`
    was merged from (their names are one of the hints)."""
    report = Report(path)
    ctx = Context(report=report, path=path, sources=dict(sources or {}),
                  codebase=detect(cfg, path, bases, override=codebase), old=cfg)
    new = apply_rules(dict(cfg), ctx)
    conv = Conversion(path, cfg, new, report)
    report.changed = conv.changed
    return conv


_KEPT: Dict[tuple, tuple] = {}


def convert_kept(cfg: Dict[str, Any], path: str, sources=None, codebase: Optional[str] = None,
                 bases=(), keep: bool = False) -> Conversion:
    """`convert_dict`, computed once when a tree run needs it twice (the sibling-collision plan,
    then the file's emission): `keep=True` stores the result, the next call for the same file and
    the same merged config takes it (once: the caller may add warnings to its report)."""
    key = (path, codebase, tuple(bases))
    hit = _KEPT.pop(key, None)
    if hit is not None and not keep and hit[1] == dict(sources or {}) and hit[0].old == cfg:
        return hit[0]
    conv = convert_dict(copy_value(cfg), path, sources, codebase, bases)   # `cfg` may be shared
    if keep:
        _KEPT[key] = (conv, dict(sources or {}))
    return conv


def convert_file(path, allow_exec: bool = False, codebase: Optional[str] = None) -> Conversion:
    """Load `path` with its `_base_` files statically and apply every rule."""
    loaded = load_config(path, allow_exec=allow_exec)
    conv = convert_dict(loaded.cfg, str(path), loaded.sources, codebase, loaded.files)
    conv.files = list(loaded.files)
    return conv
