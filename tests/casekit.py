"""Fixture pairs: `fixtures/cases/<concern>/<name>.old.py` (an MMCV 1.x config written by hand) and
`<name>.new.py` (the MMEngine config we expect, written and checked by hand).

Header comments in the old file declare what the report must contain:
    # expect: warning <field>     a warning on that old field (dotted path)
    # expect: todo <field>        the field was not converted (TODO comment in the output)
    # expect: error <field>       conversion fails with a MigrateError naming that field
                                  (such cases have no .new.py)
    # rules: schedule,loops       run only these rules (default: the whole ordered list);
                                  a dotted name is a profile rule: mmseg.pipelines
    # codebase: mmdet             without `rules`: the whole conversion with that codebase's
                                  profile; with `rules`: ctx.codebase for those rules
"""
from __future__ import annotations

import re
import runpy
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "fixtures" / "cases"


@dataclass
class Case:
    old: Path
    new: Optional[Path]
    expects: List[Tuple[str, str]]
    rules: Optional[List[str]]
    codebase: Optional[str] = None

    @property
    def id(self) -> str:
        return f"{self.old.parent.name}/{self.old.name[:-len('.old.py')]}"


def read_plain(path) -> Dict[str, Any]:
    """Execute a plain (single-file, no `_base_`) config and return its public names."""
    ns = runpy.run_path(str(path))
    return {k: v for k, v in ns.items()
            if not k.startswith("__") and not isinstance(v, (types.ModuleType, types.FunctionType, type))}


def parse_case(old: Path) -> Case:
    text = old.read_text()
    expects = re.findall(r"^#\s*expect:\s*(warning|todo|error)\s+(\S+)", text, re.M)
    m = re.search(r"^#\s*rules:\s*(\S+)", text, re.M)
    new = old.with_name(old.name.replace(".old.py", ".new.py"))
    cb = re.search(r"^#\s*codebase:\s*(\S+)", text, re.M)
    return Case(old, new if new.exists() else None, expects,
                m.group(1).split(",") if m else None, cb.group(1) if cb else None)


def all_cases() -> List[Case]:
    return [parse_case(p) for p in sorted(CASES.rglob("*.old.py"))]


def run_rules(cfg: Dict[str, Any], rules: Optional[List[str]] = None, path: str = "<test>",
              codebase: Optional[str] = None):
    """Apply the ordered rule list (or the named subset) to a plain dict. Returns (new, report).
    With `codebase` and no `rules`, the whole conversion runs, that codebase's profile included.
    Dotted names are profile rules (`mmseg.pipelines` -> migrator.profiles.mmseg.pipelines)."""
    import importlib
    if codebase and not rules:
        from migrator.convert import convert_dict
        conv = convert_dict(cfg, path, codebase=codebase)
        return conv.new, conv.report

    from migrator.report import Report
    from migrator.rules import RULE_MODULES, Context, RunInfo

    ctx = Context(report=Report(path), path=path, codebase=codebase)
    ctx.run = RunInfo.from_old(cfg)
    ctx.old = cfg
    for name in (rules or RULE_MODULES):
        pkg = "migrator.profiles" if "." in name else "migrator.rules"
        cfg = importlib.import_module(f"{pkg}.{name}").apply(cfg, ctx)
    return cfg, ctx.report
