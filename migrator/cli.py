"""The `migrate` command.

    migrate OLD.py [more paths/dirs] -o OUT/ [--flat]     convert (dirs mirror their layout)
    migrate configs/ --in-place                             rewrite where it stands
    migrate ... --diff | --check | --report FILE.json
    migrate verify OLD.py NEW.py                            (see migrator/verify)

Exit codes (pyupgrade-style): 0 nothing to do / all written, 1 `--check`/`--diff` found something
to change (or `--verify` found a difference), 2 an input could not be converted.
"""
from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple

from .errors import MigrateError

HEADER = "Converted from MMCV 1.x by mmmigrate (`migrate --flat`)."


@dataclass
class Job:
    src: Path
    rel: Path            # output path relative to the output root
    out: Optional[Path]  # None: nothing is written (--check, --diff)


@dataclass
class Result:
    src: str
    out: Optional[str] = None
    status: str = "unchanged"      # converted | unchanged | error
    text: Optional[str] = None
    error: Optional[str] = None
    report: dict = field(default_factory=dict)
    old_fields: List[str] = field(default_factory=list)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="migrate", description="Convert MMCV 1.x configs to MMEngine configs.")
    p.add_argument("paths", nargs="+", type=Path, help="config files or directories")
    p.add_argument("-o", "--out-dir", type=Path, help="output directory (mirrors input layout)")
    p.add_argument("--flat", action="store_true", help="one self-contained config per input (no _base_)")
    p.add_argument("--in-place", action="store_true", help="rewrite the inputs where they stand")
    p.add_argument("--diff", action="store_true", help="print a unified diff, write nothing")
    p.add_argument("--check", action="store_true",
                   help="exit 1 if any file still has old-style fields, write nothing")
    p.add_argument("--report", type=Path, help="write a JSON report (rules, warnings, not converted)")
    p.add_argument("--exec", dest="allow_exec", action="store_true",
                   help="execute config files that the static evaluator cannot read (as MMCV would)")
    p.add_argument("--codebase", help="mmdet, mmcls, mmseg, ... (default: detected)")
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("-q", "--quiet", action="store_true")
    # --- verification (migrator/verify/run.py) ---
    from .verify.cli import add_verify_options
    g = p.add_argument_group("verification")
    g.add_argument("--verify", action="store_true",
                   help="after writing, compare each trainable config's lr/momentum/validation/"
                        "checkpoint trace under MMCV 1.x and the new one under MMEngine; exit 1 "
                        "on any difference")
    add_verify_options(g)
    return p


def collect_jobs(args) -> List[Job]:
    jobs: List[Job] = []
    for p in args.paths:
        if not p.exists():
            raise MigrateError("no such file or directory", file=str(p))
        if p.is_dir():
            files = sorted(f for f in p.rglob("*.py")
                           if not any(part.startswith(".") for part in f.relative_to(p).parts))
            pairs = [(f, f.relative_to(p)) for f in files]
        else:
            pairs = [(p, Path(p.name))]
        for src, rel in pairs:
            if args.in_place:
                out = src
            elif args.out_dir is not None:
                out = args.out_dir / rel
            else:
                out = None
            jobs.append(Job(src, rel, out))
    return jobs


def run_job(job: Job, args) -> Result:
    from .check import old_fields
    from .convert import convert_file
    from .emit.flat import emit_flat

    res = Result(str(job.src), str(job.out) if job.out else None)
    try:
        res.old_fields = [str(f) for f in old_fields(job.src)]
        if args.check:
            res.status = "converted" if res.old_fields else "unchanged"
            return res
        conv = convert_file(job.src, allow_exec=args.allow_exec, codebase=args.codebase)
        res.report = conv.report.to_dict()
        if not conv.changed and (not args.flat or len(conv.files) <= 1):
            if args.flat:      # already flat and new-style: kept verbatim (comments, TODOs)
                res.text = job.src.read_text(encoding="utf-8")
            return res
        res.text = emit_flat(conv.new, conv.report, header=f"# {HEADER}")
        res.status = "converted"
    except MigrateError as exc:
        res.status, res.error = "error", str(exc)
    return res


def _run_all(jobs: List[Job], args) -> List[Result]:
    if args.jobs > 1 and len(jobs) > 8:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            return list(pool.map(run_job, jobs, [args] * len(jobs), chunksize=8))
    return [run_job(j, args) for j in jobs]


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "verify":
        from .verify.cli import main as verify_main
        return verify_main(argv[1:])
    args = build_parser().parse_args(argv)
    if not (args.out_dir or args.in_place or args.check or args.diff):
        print("migrate: give -o OUT_DIR, --in-place, --check or --diff", file=sys.stderr)
        return 2
    try:
        jobs = collect_jobs(args)
    except MigrateError as exc:
        print(f"migrate: error: {exc}", file=sys.stderr)
        return 2
    for job in jobs:
        if job.out is not None and not args.in_place and job.out.resolve() == job.src.resolve():
            print(f"migrate: error: {job.src}: output would overwrite the source (use --in-place)",
                  file=sys.stderr)
            return 2
    if args.flat or args.check:
        return finish(_run_all(jobs, args), jobs, args)
    return run_tree(args)


def run_tree(args) -> int:
    """Structure-preserving conversion of whole trees (the default)."""
    from .project import convert_tree

    progress = None
    if sys.stderr.isatty() and not args.quiet:
        def progress(done: int, total: int) -> None:
            print(f"\rmigrate: [{done:>{len(str(total))}}/{total}] files", end="", file=sys.stderr,
                  flush=True)
    try:
        tree = convert_tree(args.paths, jobs=args.jobs, codebase=args.codebase,
                            allow_exec=args.allow_exec, progress=progress)
    except MigrateError as exc:
        print(f"migrate: error: {exc}", file=sys.stderr)
        return 2
    if progress:
        print(file=sys.stderr)
    results, jobs = [], []
    for t in tree:
        src = Path(t.src)
        if args.in_place:
            out = src
        elif args.out_dir is not None:
            out = args.out_dir / t.rel
        else:
            out = None
        if out is not None and not args.in_place and out.resolve() == src.resolve():
            print(f"migrate: error: {src}: output would overwrite the source (use --in-place)",
                  file=sys.stderr)
            return 2
        if args.in_place and t.status != "converted":
            t.text = None              # never touch a file that does not change
        results.append(Result(t.src, str(out) if out else None, t.status, t.text, t.error,
                              t.report, t.old_fields))
        jobs.append(Job(src, Path(t.rel), out))
    return finish(results, jobs, args)


def finish(results: List[Result], jobs: List[Job], args) -> int:
    errors = [r for r in results if r.status == "error"]
    changed = [r for r in results if r.status == "converted"]
    for r in errors:
        print(f"migrate: error: {r.error}", file=sys.stderr)
    if args.check:
        for r in changed:
            for line in r.old_fields:
                print(line)
    elif args.diff:
        for r, job in zip(results, jobs):
            if r.text is not None and r.status == "converted":
                old = job.src.read_text(encoding="utf-8")
                sys.stdout.writelines(difflib.unified_diff(
                    old.splitlines(True), r.text.splitlines(True),
                    f"a/{job.rel}", f"b/{job.rel}"))
    else:
        from .io import atomic_write
        for r, job in zip(results, jobs):
            if r.text is not None and job.out is not None:
                atomic_write(job.out, r.text)
    if args.report:
        from .io import atomic_write
        atomic_write(args.report, json.dumps(
            {"files": [dict(r.report or {"path": r.src}, status=r.status, error=r.error,
                            output=r.out) for r in results]}, indent=2) + "\n")
    if not args.quiet:
        print_summary(results, sys.stderr)
    if errors:
        return 2
    if (args.check or args.diff) and changed:
        return 1
    if getattr(args, "verify", False):          # --- verification ---
        from .verify.run import verify_written
        return verify_written(results, args)
    return 0


def print_summary(results: List[Result], out) -> None:
    seen = set()
    n_warn = n_todo = 0
    for r in results:
        for kind, key in (("warning", "warnings"), ("todo", "not_converted")):
            for f in r.report.get(key, []):
                where = f"{f.get('file') or r.src}:{f.get('line') or ''}".rstrip(":")
                line = f"  {kind}: {where}: {f['field']}: {f['message']}"
                if line in seen:        # an inherited field is reported once, at its file
                    continue
                seen.add(line)
                n_warn += kind == "warning"
                n_todo += kind == "todo"
                print(line, file=out)
    counts = {s: sum(r.status == s for r in results) for s in ("converted", "unchanged", "error")}
    rows = [("files", len(results)), ("converted", counts["converted"]),
            ("unchanged", counts["unchanged"]), ("warnings", n_warn),
            ("not converted (TODO)", n_todo), ("errors", counts["error"])]
    print("migrate summary", file=out)
    for name, n in rows:
        print(f"  {name:<22}{n:>6}", file=out)


if __name__ == "__main__":
    sys.exit(main())
