"""`migrate env create old|new CODEBASE`: build an environment into the cache, print its python.

  old  MMCV 1.7.2 with mmdet 2.28.2, mmcls 0.25.0 and mmsegmentation 0.30.0 (old_codebases.py)
  new  mmcv 2.1.0, mmengine 0.10.7, mmdet 3.3.0, mmpretrain 1.2.0, mmsegmentation 1.2.2 (new.py)

One venv per side holds all three codebases; CODEBASE (mmdet, mmcls or mmpretrain, mmseg or
mmsegmentation) names the one you need and is checked. The cache is `$MMMIGRATE_CACHE`, else
`~/.cache/mmmigrate`. Exit status 2 on an unknown side or codebase, or a failed build (the
message names the failed pip step and the log file).
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

CODEBASES = {"mmdet": "mmdet", "mmcls": "mmcls", "mmpretrain": "mmcls", "mmseg": "mmseg",
             "mmsegmentation": "mmseg"}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="migrate env", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("create", help="build an environment (cached) and print its interpreter")
    c.add_argument("side", help="old or new")
    c.add_argument("codebase", help="mmdet, mmcls/mmpretrain, mmseg")
    c.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    return p


def create(side: str, codebase: str, log=None):
    """The interpreter of `side`'s env for `codebase` (built first if needed); ValueError on an
    unknown side or codebase, EnvBuildError when a pip step fails."""
    if side not in ("old", "new"):
        raise ValueError(f"unknown side {side!r}: expected old or new")
    if codebase not in CODEBASES:
        raise ValueError(f"unknown codebase {codebase!r}: expected one of "
                         f"{', '.join(sorted(CODEBASES))}")
    if side == "old":
        from .old_codebases import old_codebases_python
        return old_codebases_python(log=log)
    from .new import new_python
    return new_python(log=log)


def main(argv: Optional[List[str]] = None) -> int:
    from .base import EnvBuildError
    p = build_parser()
    args = p.parse_args(argv)
    log = None if args.quiet else (lambda m: print(m, file=sys.stderr))
    try:
        py = create(args.side, args.codebase, log=log)
    except ValueError as e:
        print(f"migrate env: error: {e}", file=sys.stderr)
        return 2
    except EnvBuildError as e:
        print(f"migrate env: error: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    print(py)
    return 0
