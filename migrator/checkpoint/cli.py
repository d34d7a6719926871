"""`migrate checkpoint OLD.pth -o NEW.pth --config NEW.py [--python PY]`

Renames the state-dict keys of an MMCV 1.x-era checkpoint (mmdet 2.x, mmcls 0.x, mmseg 0.x)
where the model's layout changed in the new codebase (`table.py`, selected by the new config's
`default_scope` and model types), and writes a checkpoint the new model loads.

`migrate` never imports torch: the tensors are handled by `convert_script.py` in an interpreter
that has torch: `--python`, else the new-codebase env if it was built (`migrate env create new`
or any model verification built it), else the current interpreter if torch imports in it.

Exit status: 0 written, and every key of the result matches the model the config builds (or the
model could not be built in that interpreter: then it says so); 1 written, but keys could not be
mapped: keys of the checkpoint the new model does not have, keys the model has that the
checkpoint lacks, or shapes that differ (each listed); 2 nothing written: a missing or unreadable
file, a file that is not a checkpoint, a config that cannot be read, no interpreter with torch.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

SCRIPT = Path(__file__).resolve().parent / "convert_script.py"
LIST = 20          # keys printed per category (the rest counted)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="migrate checkpoint",
                                description="Rename an old checkpoint's keys for the new model.")
    p.add_argument("checkpoint", type=Path, help="the old checkpoint (.pth)")
    p.add_argument("-o", "--out", type=Path, required=True, help="where to write the new one")
    p.add_argument("--config", type=Path, required=True, help="the new (converted) config")
    p.add_argument("--python", help="interpreter with torch (default: the new-codebase env)")
    p.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    return p


def _err(msg: str) -> int:
    print(f"migrate checkpoint: error: {msg}", file=sys.stderr)
    return 2


def default_python() -> Optional[str]:
    """The newest built new-codebase env, else this interpreter if torch imports in it."""
    from ..envs.base import cache_root, venv_python
    from ..envs.new import ENV_NAME
    built = sorted((m.parent for m in (cache_root() / "envs").glob(f"{ENV_NAME}*/.mmmigrate-env")),
                   key=lambda d: (d / ".mmmigrate-env").stat().st_mtime, reverse=True)
    if built:
        return str(venv_python(built[0]))
    probe = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True)
    return sys.executable if probe.returncode == 0 else None


def rules_for_config(path: Path):
    """(rules, scope, types) from the new config, read statically (never executed)."""
    from ..load import load_config
    from .table import rules_for, selector_types
    cfg = load_config(path).cfg
    model = cfg.get("model")
    if not isinstance(model, dict):
        raise ValueError(f"{path}: no `model` dict: not a model config")
    scope = cfg.get("default_scope")
    types = selector_types(model)
    return rules_for(scope, types), scope, types


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from ..errors import MigrateError
    for label, path in (("checkpoint", args.checkpoint), ("config", args.config)):
        if not path.is_file():
            return _err(f"{path}: no such {label} file")
    if not args.out.parent.is_dir():
        return _err(f"{args.out}: the output directory {args.out.parent} does not exist")
    try:
        rules, scope, types = rules_for_config(args.config)
    except (MigrateError, ValueError, OSError) as e:
        return _err(str(e))
    python = args.python or default_python()
    if python is None:
        return _err("no interpreter with torch: pass --python PY (or build the new env: "
                    "`migrate env create new`)")
    proc = subprocess.run([python, "-P", str(SCRIPT), str(args.checkpoint), str(args.out),
                           str(args.config)], input=json.dumps(rules), text=True,
                          capture_output=True)
    try:
        res = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return _err(f"{args.checkpoint}: the conversion script failed under {python}: {tail[0]}")
    if "error" in res:
        return _err(res["error"])
    return _report(res, args, scope, types)


def _report(res: dict, args, scope, types) -> int:
    out = sys.stdout
    model = res["model"]
    if not args.quiet:
        print(f"{args.checkpoint} -> {args.out}: {len(res['renamed'])} keys renamed, "
              f"{len(res['dropped'])} dropped, {res['kept']} kept "
              f"(table for {scope}: {', '.join(f'{k}={v}' for k, v in sorted(types.items()))})",
              file=out)
        for old, new in res["renamed"][:LIST]:
            print(f"  renamed {old} -> {new}", file=out)
        if len(res["renamed"]) > LIST:
            print(f"  ... {len(res['renamed']) - LIST} more renamed", file=out)
    if "skipped" in model:
        print(f"  not checked against the model: {model['skipped']}", file=out)
        return 0
    bad = 0
    for label, keys in (("not in the new model (unexpected)", model["unexpected"]),
                        ("missing from the checkpoint", model["missing"])):
        for k in keys[:LIST]:
            print(f"  could not map: {k}: {label}", file=out)
        if len(keys) > LIST:
            print(f"  ... {len(keys) - LIST} more {label}", file=out)
        bad += len(keys)
    for k, old, new in model["shape"][:LIST]:
        print(f"  could not map: {k}: shape {old} in the checkpoint, {new} in the model", file=out)
    bad += len(model["shape"])
    if bad:
        print(f"  {bad} keys could not be mapped (written anyway; load it with strict=False "
              f"only if that is intended)", file=out)
        return 1
    if not args.quiet:
        print("  every key matches the model the config builds", file=out)
    return 0
