"""`migrate verify OLD.py NEW.py [more pairs] [--dataset-len N,...] [--html R.html] [--trace-dir D]
[--data] [--model] [--old-python P] [--new-python P]`

Audits a conversion done by anyone (mmmigrate, or by hand): the old config's behaviour under
MMCV 1.7.2 (modelled in mmcv.py) against the new config's behaviour under MMEngine 0.10's Runner
(recorded by `mmrun dry-run` in a subprocess, see run.py). Prints per pair `VERIFIED ...` or the
first difference (`iter 512: lr old=0.0200 new=0.0180`); exit status 1 when anything differs or
could not run, 2 on usage errors.

`--data` and `--model` add data and model verification (deep.py: each config run in its real
codebase, the old one under MMCV 1.7.2 and the new one under mmcv 2.x, in their own envs), one
`DATA ...` / `MODEL ...` line per pair after the schedule's.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

from .run import load_pair, report, verify_configs


def lengths_arg(text: str) -> List[int]:
    try:
        out = [int(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected N[,N2,...], got {text!r}") from None
    if not out or any(n <= 0 for n in out):
        raise argparse.ArgumentTypeError("dataset lengths must be positive")
    return out


def add_verify_options(p: argparse.ArgumentParser) -> None:
    """Options shared by `migrate verify` and `migrate ... --verify`."""
    p.add_argument("--dataset-len", type=lengths_arg, default=None,
                   help="training-set sizes to verify at (default: chosen from the old config)")
    p.add_argument("--world-size", type=int, default=1, help="GPUs the runs are modelled on")
    p.add_argument("--trace-dir", type=Path, help="write both traces of every check as JSON here")
    p.add_argument("--html", type=Path, help="write a self-contained HTML report here")
    p.add_argument("--verify-json", type=Path, metavar="FILE",
                   help="write the verdicts as JSON here (per config and dataset length; "
                        "APPROXIMATE ones with the converter's records, deviation and bound)")
    p.add_argument("--full", action="store_true",
                   help="new side: run the real Runner with stand-ins (slower) instead of the "
                        "schedule-only path")


def _looks_swapped(old_cfg, new_cfg) -> bool:
    from .run import mmengine_style
    old_style = lambda c: "optimizer" in c or "lr_config" in c or "runner" in c   # noqa: E731
    return mmengine_style(old_cfg) and not old_style(old_cfg) and old_style(new_cfg) \
        and not mmengine_style(new_cfg)


def build_parser() -> argparse.ArgumentParser:
    from .deep import add_deep_options
    p = argparse.ArgumentParser(prog="migrate verify", description=__doc__.split("\n\n")[0])
    p.add_argument("configs", nargs="+", type=Path, help="OLD.py NEW.py [OLD2.py NEW2.py ...]")
    add_verify_options(p)
    p.add_argument("--data", action="store_true",
                   help="also verify the data: old pipeline vs new pipeline + data_preprocessor "
                        "on a generated dataset, in the real codebases")
    p.add_argument("--model", action="store_true",
                   help="also verify the model: same weights, same input, same outputs/losses")
    add_deep_options(p)
    return p


def deep_kinds(args) -> List[str]:
    return [k for k in ("data", "model") if getattr(args, k, False)]


def run_deep_cli(pairs, kinds, args, out=None):
    """Data/model verification of `pairs` [(old, new)] for the CLI: (exit status, records by
    pair) or (2, None) with the reason on stderr when it cannot start."""
    from .deep import DeepError, _entry, failed, lines, pythons, run_deep
    out = out or sys.stdout
    try:
        for k in kinds:                 # a missing kind fails before any env is built
            _entry(k)
        old_py, new_py = pythons(args)
        deep = run_deep(pairs, kinds, old_py, new_py, getattr(args, "work_dir", None))
    except DeepError as e:
        print(f"migrate verify: error: {e}", file=sys.stderr)
        return 2, None
    for ln in lines(deep):
        print(ln, file=out)
    return (1 if failed(deep) else 0), deep


def main(argv: Optional[List[str]] = None) -> int:
    p = build_parser()
    args = p.parse_args(argv)
    if len(args.configs) % 2:
        p.print_usage(sys.stderr)
        print("migrate verify: give OLD NEW pairs", file=sys.stderr)
        return 2
    for path in args.configs:
        if not path.is_file():
            print(f"migrate verify: error: no such file: {path}", file=sys.stderr)
            return 2
    it = iter(args.configs)
    pairs = [load_pair(f"{old} -> {new}", old, new) for old, new in zip(it, it)]
    for p in pairs:
        if not p.get("error") and _looks_swapped(p["old_cfg"], p["new_cfg"]):
            print(f"migrate verify: error: {p['old']} looks MMEngine-style and {p['new']} MMCV "
                  f"1.x-style: did you swap them? (usage: migrate verify OLD.py NEW.py)",
                  file=sys.stderr)
            return 2
    results = verify_configs(pairs, args.dataset_len, args.world_size, args.full)
    kinds = deep_kinds(args)
    deep, rc_deep = None, 0
    if kinds:
        rc_deep, deep = run_deep_cli([(p["old"], p["new"]) for p in pairs], kinds, args)
        if deep is None:
            return rc_deep
    rc = report(results, sys.stdout, args.trace_dir, args.html, deep=deep,
                json_path=args.verify_json)
    return max(rc, rc_deep)
