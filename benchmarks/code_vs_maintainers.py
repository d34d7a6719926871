"""Our migrated scripts against the maintainers' own MMEngine-era ones.

For mmdet 2.28.2 -> mmdet 3.3.0, mmcls 0.25.0 -> mmpretrain 1.2.0 and mmseg 0.30.0 ->
mmsegmentation 1.2.2 (PyPI wheels, cached in .cache/): `tools/train.py` and `tools/test.py` of
the old wheel migrated (`migrate_source`, target mmengine) against the new wheel's
`.mim/tools/train.py` / `test.py`; `apis/train.py` migrated against the new package's `apis/`
(the maintainers dropped `train_detector`-style functions). Compared, read with libcst (nothing
is executed): the argparse options, the Runner calls (`Runner.from_cfg`, `RUNNERS.build`,
`runner.train/test/val`, ...), the config fields the script sets (`cfg.x = ...`,
`cfg['x'] = ...`). Prints one table per file and a summary line per code base.

    python benchmarks/code_vs_maintainers.py
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Dict, List, Set

import libcst as cst

from _common import ROOT, real_configs  # noqa: F401

from migrator.code import migrate_source  # noqa: E402
from migrator.code.scripts.argscan import scan  # noqa: E402

PAIRS = [(("mmdet", "2.28.2", "mmdet"), ("mmdet", "3.3.0", "mmdet")),
         (("mmcls", "0.25.0", "mmcls"), ("mmpretrain", "1.2.0", "mmpretrain")),
         (("mmsegmentation", "0.30.0", "mmseg"), ("mmsegmentation", "1.2.2", "mmseg"))]
RUNNER_CALLS = ("Runner.from_cfg", "RUNNERS.build", "Runner", "runner.train", "runner.test",
                "runner.val", "runner.call_hook", "runner.load_checkpoint", "runner.resume")


def _pkg(package: str, version: str, mod: str) -> Path:
    return real_configs(package, version).parent.parent if (ROOT / ".cache").exists() else \
        Path()


def _dotted(node) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr.value}" if head else ""
    return ""


class _Facts(cst.CSTVisitor):
    def __init__(self):
        self.calls: List[str] = []
        self.cfg_fields: Set[str] = set()

    def visit_Call(self, node: cst.Call) -> None:
        name = _dotted(node.func)
        if name in RUNNER_CALLS and name not in self.calls:
            self.calls.append(name)

    def _target(self, t) -> None:
        if isinstance(t, cst.Attribute) and _dotted(t).startswith("cfg."):
            self.cfg_fields.add(_dotted(t)[4:])
        elif isinstance(t, cst.Subscript) and _dotted(t.value).startswith("cfg"):
            idx = t.slice[0].slice
            if isinstance(idx, cst.Index) and isinstance(idx.value, cst.SimpleString):
                base = _dotted(t.value)[4:]
                key = idx.value.evaluated_value
                self.cfg_fields.add(f"{base}.{key}" if base else key)

    def visit_Assign(self, node: cst.Assign) -> None:
        for t in node.targets:
            self._target(t.target)


def facts(text: str) -> Dict[str, object]:
    module = cst.parse_module(text)
    v = _Facts()
    module.visit(v)
    options = [n for a in scan(module).arguments for n in a.names if n.startswith("--")] \
        if "ArgumentParser" in text else []
    return dict(options=options, calls=v.calls, cfg=sorted(v.cfg_fields))


def _row(label: str, ours, theirs) -> List[str]:
    ours_only = [x for x in ours if x not in theirs]
    theirs_only = [x for x in theirs if x not in ours]
    both = [x for x in ours if x in theirs]
    return [f"  {label:<8} both {len(both):>2}: {' '.join(both) or '-'}",
            f"  {'':<8} ours only {len(ours_only):>2}: {' '.join(ours_only) or '-'}",
            f"  {'':<8} theirs only {len(theirs_only):>2}: {' '.join(theirs_only) or '-'}"]


def compare(old, new) -> List[str]:
    old_root, new_root = _pkg(*old), _pkg(*new)
    lines, summary = [], []
    for script in ("train.py", "test.py"):
        src = old_root / ".mim" / "tools" / script
        res = migrate_source(src.read_text(), f"tools/{script}", "mmengine")
        ours = facts(res.new_text)
        theirs = facts((new_root / ".mim" / "tools" / script).read_text())
        lines.append(f"{old[2]} {old[1]} tools/{script} (ours, migrated) vs {new[0]} {new[1]} "
                     f"tools/{script} (theirs)")
        lines += _row("options", ours["options"], theirs["options"])
        lines += _row("runner", ours["calls"], theirs["calls"])
        lines += _row("cfg", ours["cfg"], theirs["cfg"])
        kept = [o for o in ours["options"] if o not in theirs["options"]]
        summary.append(f"{script}: {len(ours['options'])} options vs {len(theirs['options'])} "
                       f"({len(kept)} ours only), runner "
                       f"{'same' if ours['calls'] == theirs['calls'] else 'differs'}")
    apis = old_root / "apis" / "train.py"
    res = migrate_source(apis.read_text(), "apis/train.py", "mmengine")
    ours = facts(res.new_text)
    funcs = [n.name.value for n in cst.parse_module(res.new_text).body
             if isinstance(n, cst.FunctionDef)]
    theirs_init = (new_root / "apis" / "__init__.py").read_text()
    kept = [f for f in funcs if f in theirs_init]
    lines.append(f"{old[2]} {old[1]} apis/train.py (ours, migrated) vs {new[0]} {new[1]} apis/")
    lines.append(f"  functions ours: {' '.join(funcs)}; in their apis/__init__.py: "
                 f"{' '.join(kept) or 'none'} (theirs: no apis/train.py)")
    lines.append(f"  runner calls ours: {' '.join(ours['calls'])}")
    summary.append(f"apis/train.py: {len(funcs)} functions kept, {len(kept)} in theirs; "
                   f"runner {' '.join(ours['calls'])}")
    return lines + [f"SUMMARY {old[2]}: " + "; ".join(summary), ""]


def main() -> int:
    for old, new in PAIRS:
        print("\n".join(compare(old, new)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
