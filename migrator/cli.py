"""The `migrate` command.

    migrate OLD.py [more paths/dirs] -o OUT/ [--flat]     convert (dirs mirror their layout)
    migrate configs/ --in-place                             rewrite where it stands
    migrate ... --diff | --check | --report FILE.json
    migrate verify OLD.py NEW.py [--data] [--model]         (see migrator/verify)
    migrate env create old|new CODEBASE                     (see migrator/envs/cli.py)
    migrate checkpoint OLD.pth -o NEW.pth --config NEW.py   (see migrator/checkpoint)

Exit codes (pyupgrade-style): 0 nothing to do / all written, 1 `--check`/`--diff` found something
to change (or `--verify` found a difference), 2 an input could not be converted or the command
line is wrong.

Every file is converted on its own: a file that fails (and every file inheriting from it) is
reported, the others are converted. Outputs are committed together through `io.Transaction`;
`--in-place` commits only when every file converted (all or nothing), `-o` commits the files that
converted.
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
from typing import List, Optional

from .errors import MigrateError
from .io import UTF8, SourceText

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
    status: str = "unchanged"      # converted | unchanged | new-style | error
    text: Optional[str] = None
    error: Optional[str] = None
    report: dict = field(default_factory=dict)
    old_fields: List[str] = field(default_factory=list)
    source: SourceText = UTF8      # how `text` is encoded when written
    bases: List[str] = field(default_factory=list)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    p = argparse.ArgumentParser(
        prog="migrate", description="Convert MMCV 1.x configs to MMEngine configs.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="commands:\n  migrate verify OLD.py NEW.py [...]   audit a conversion done by anyone "
               "(`migrate verify --help`)\n\nexit status: 0 done or nothing to do, 1 --check/--diff/"
               "--verify found something, 2 an input could not be converted")
    p.add_argument("--version", action="version", version=f"migrate (mmmigrate) {__version__}")
    p.add_argument("paths", nargs="+", type=Path, help="config files or directories")
    p.add_argument("-o", "--out-dir", type=Path, help="output directory (mirrors input layout)")
    p.add_argument("--flat", action="store_true", help="one self-contained config per input (no _base_)")
    p.add_argument("--in-place", action="store_true",
                   help="rewrite the inputs where they stand (a whole tree, all or nothing)")
    p.add_argument("--allow-outside", action="store_true",
                   help="with --in-place: also rewrite _base_ files outside the trees given")
    p.add_argument("--diff", action="store_true",
                   help="print a unified diff of every file that would change (bases read "
                        "included; a child changed only through its bases is named on stderr); "
                        "write nothing; exit 1 if anything would change")
    p.add_argument("--check", action="store_true",
                   help="list `file:line: CODE old -> new` for every old-style field or API, and "
                        "files inheriting old-style bases (MM001); exit 1 if any, print nothing "
                        "and exit 0 if none; write nothing")
    p.add_argument("--report", type=Path, metavar="FILE",
                   help="write a JSON report: per file its status, rules applied, warnings and "
                        "what was not converted, plus counts")
    p.add_argument("--report-md", type=Path, metavar="FILE",
                   help="write a Markdown report for a pull request (summary, files changed, "
                        "TODOs grouped by message, warnings, verification verdicts)")
    p.add_argument("--exec", dest="allow_exec", action="store_true",
                   help="execute config files that the static evaluator cannot read (as MMCV would)")
    p.add_argument("--codebase", help="mmdet, mmcls, mmseg, ... (default: detected)")
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                   help="parallel processes (default: one per CPU)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no summary, progress bar nor findings on stderr (errors still); the "
                        "bar is only drawn when stderr is a terminal")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="in the summary, list every location of each warning/TODO message and "
                        "every already MMEngine-style file (default: the first 3)")
    # --- verification (migrator/verify/run.py) ---
    from .verify.cli import add_verify_options
    g = p.add_argument_group("verification")
    g.add_argument("--verify", action="store_true",
                   help="after writing, compare each trainable config's lr/momentum/validation/"
                        "checkpoint trace under MMCV 1.x and the new one under MMEngine; exit 1 "
                        "on any difference. --verify=all adds data and model verification in "
                        "the real codebases (migrate verify --data --model)")
    add_verify_options(g)
    add_deep_verify_options(g)
    from .code.cli import add_code_options     # --- code (migrator/code) ---
    add_code_options(p)
    return p


def usage_error(args) -> Optional[str]:
    modes = [n for n, on in (("-o", args.out_dir is not None), ("--in-place", args.in_place),
                             ("--check", args.check), ("--diff", args.diff)) if on]
    if not modes:
        return "give -o OUT_DIR, --in-place, --check or --diff"
    if len(modes) > 1:
        return f"{' and '.join(modes)} cannot be combined: choose one"
    if args.allow_outside and not args.in_place:
        return "--allow-outside only applies to --in-place"
    return None


def output_exclusions(args) -> List[Path]:
    """An output directory inside an input directory is not an input (no `new/new/...`)."""
    if args.out_dir is None:
        return []
    out = Path(os.path.abspath(args.out_dir))
    hits = []
    for p in args.paths:
        if p.is_dir():
            root = Path(os.path.abspath(p))
            if out != root and root in out.parents:
                hits.append(out)
                if not args.quiet:
                    print(f"migrate: note: {args.out_dir} (the output directory) is inside "
                          f"{p}: its files are not inputs", file=sys.stderr)
    return hits


def collect_jobs(args, exclude: List[Path]) -> List[Job]:
    from .io import walk_configs
    jobs: List[Job] = []
    for p in args.paths:
        if p.is_dir():
            pairs = [(f, f.relative_to(p)) for f in walk_configs(p)
                     if not any(e in Path(os.path.abspath(f)).parents for e in exclude)]
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
    res = Result(str(job.src), str(job.out) if job.out else None)
    try:
        _run_job(res, job, args)
    except MigrateError as exc:
        res.status, res.error, res.text = "error", str(exc), None
    except Exception as exc:    # noqa: BLE001 - one file never stops a run
        res.status, res.text = "error", None
        res.error = f"{job.src}: internal error: {type(exc).__name__}: {exc} (please report this bug)"
    return res


def _run_job(res: Result, job: Job, args) -> None:
    from .check import inherited_old, own_old_fields
    from .convert import convert_file
    from .emit.flat import emit_flat
    from .emit.tree import emit_tree_file, normalize
    from .io import read_source
    from .load import load_file
    from .project import NEW_STYLE_FIELDS

    source = read_source(job.src)
    res.old_fields = [str(f) for f in own_old_fields(job.src, source.text)]
    if args.check:
        inherited = inherited_old(job.src)
        res.old_fields += [str(inherited)] if inherited else []
        res.status = "converted" if res.old_fields else "unchanged"
        return
    conv = convert_file(job.src, allow_exec=args.allow_exec, codebase=args.codebase)
    res.report = conv.report.to_dict()
    new_style = bool(NEW_STYLE_FIELDS & set(conv.new))
    if not conv.changed and not args.flat:
        res.status = "new-style" if new_style else res.status
        return
    fc = load_file(job.src, allow_exec=args.allow_exec)
    if not fc.bases and normalize(conv.new) == normalize(conv.old):
        # self-contained and nothing to convert (e.g. our own output): kept as it is, comments
        # and earlier TODO notes included; only notes not written yet are added
        res.text = emit_tree_file(job.src, source.text, fc.own, {}, conv.new, conv.report)
        res.source = source
        res.status = "converted" if res.text != source.text else \
            "new-style" if new_style else "unchanged"
        return
    res.text = emit_flat(conv.new, conv.report, header=f"# {HEADER}")
    res.source = SourceText("", "utf-8", source.newline)   # a new file: UTF-8, no cookie
    # (a child of MMEngine-style bases, flattened: written, and nothing to convert)
    res.status = "converted" if conv.changed else "new-style" if new_style else res.status


def _run_all(jobs: List[Job], args) -> List[Result]:
    from .progress import ProgressBar
    bar = None if args.check else ProgressBar.for_stream(sys.stderr, args.quiet)
    out: List[Result] = []

    def add(r: Result) -> None:
        out.append(r)
        if bar:
            bar(len(out), len(jobs))
    if args.jobs > 1 and len(jobs) > 8:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            for r in pool.map(run_job, jobs, [args] * len(jobs), chunksize=2 if bar else 8):
                add(r)
    else:
        for j in jobs:
            add(run_job(j, args))
    if bar:
        bar.close()
    return out


def add_deep_verify_options(g) -> None:
    """--old-python/--new-python/--work-dir for --verify=all (migrator/verify/deep.py);
    `--verify=all` is read as `--verify --verify-all` (verify_argv), so a bare `--verify`
    never swallows the path after it."""
    import argparse
    from .verify.deep import add_deep_options
    g.add_argument("--verify-all", action="store_true", help=argparse.SUPPRESS)
    add_deep_options(g)


def verify_argv(argv: List[str]) -> List[str]:
    """`--verify=all` -> `--verify --verify-all`, `--verify=schedule` -> `--verify`."""
    out = []
    for i, a in enumerate(argv):
        if a == "--":
            return out + argv[i:]
        out += {"--verify=all": ["--verify", "--verify-all"],
                "--verify=schedule": ["--verify"]}.get(a, [a])
    return out


def subcommand(argv: List[str]) -> Optional[int]:
    """`migrate verify|env|checkpoint ...`; None when argv is a conversion."""
    if argv and argv[0] == "verify":
        from .verify.cli import main as verify_main
        return verify_main(argv[1:])
    if argv and argv[0] == "checkpoint":
        from .checkpoint.cli import main as checkpoint_main
        return checkpoint_main(argv[1:])
    if argv and argv[0] == "env":
        from .envs.cli import main as env_main
        return env_main(argv[1:])
    return None


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    rc = subcommand(argv)
    if rc is not None:
        return rc
    argv = verify_argv(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(argv)
    problem = usage_error(args)
    if problem:
        parser.print_usage(sys.stderr)
        print(f"migrate: error: {problem}", file=sys.stderr)
        return 2
    try:
        prepare(args)
        exclude = output_exclusions(args)
        jobs = collect_jobs(args, exclude)
        # --- code (migrator/code): modules with imports/functions/classes are code, not configs ---
        from .code.cli import run_code_jobs, split_code_jobs
        jobs, code_jobs = split_code_jobs(jobs)
        args.code_results = run_code_jobs(code_jobs, args)      # merged into the results in finish()
        if code_jobs and not jobs:
            return finish([], [], args)
        if code_jobs and not (args.flat or args.check):
            args.skip_code = {os.path.realpath(j.src) for j in code_jobs}
            args.paths = [p for p in args.paths if os.path.realpath(p) not in args.skip_code]
        # --- end code ---
        if args.flat or args.check:
            for job in jobs:
                if job.out is not None and not args.in_place and \
                        os.path.abspath(job.out) == os.path.abspath(job.src):
                    raise MigrateError("output would overwrite the source (use --in-place)",
                                       file=str(job.src))
            return finish(_run_all(jobs, args), jobs, args)
        return run_tree(args, exclude)
    except MigrateError as exc:
        print(f"migrate: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:          # outside any one file (e.g. the journal directory)
        print(f"migrate: error: {exc.filename or ''}: {exc.strerror or exc}; nothing was "
              f"half-written (outputs are committed all together)", file=sys.stderr)
        return 2


def prepare(args) -> None:
    """Checks made before anything is converted or written; finishes interrupted runs."""
    for p in args.paths:
        if not os.path.lexists(p):
            raise MigrateError("no such file or directory", file=str(p))
    from .io import check_dir_writable, check_file_writable, recover
    if args.out_dir is not None:
        check_dir_writable(args.out_dir, "cannot write the output directory")
    if args.report is not None:
        check_file_writable(args.report, "cannot write the report")
    if getattr(args, "report_md", None) is not None:
        check_file_writable(args.report_md, "cannot write the Markdown report")
    if args.in_place or args.out_dir is not None:
        anchors = [boundary(p) for p in args.paths] + \
            ([args.out_dir] if args.out_dir is not None else [])
        recover(anchors, log=None if args.quiet else lambda m: print(m, file=sys.stderr))


def boundary(p: Path) -> Path:
    """The tree `--in-place` may rewrite for an input path: a directory itself; for a file, its
    repository (the nearest ancestor holding `.git`), else the nearest `configs` directory
    above it (OpenMMLab's layout), else its directory."""
    p = Path(os.path.realpath(p))
    if p.is_dir():
        return p
    for d in p.parents:
        if (d / ".git").exists():
            return d
    return next((d for d in p.parents if d.name == "configs"), p.parent)


def check_outside(results: List[Result], args) -> None:
    """--in-place never rewrites a file outside the trees given, unless --allow-outside."""
    if args.allow_outside:
        return
    roots = [boundary(p) for p in args.paths]
    for r in results:
        if r.text is None:
            continue
        real = Path(os.path.realpath(r.src))
        if any(real == b or b in real.parents for b in roots):
            continue
        child = next((c.src for c in results if r.src in c.bases), None)
        who = f"{child}: its _base_ {r.src}" if child else f"{r.src}"
        raise MigrateError(
            f"{who} is outside the tree given ({', '.join(map(str, roots))}); --in-place would "
            f"rewrite it: nothing was written (use --allow-outside to rewrite it too)")


def run_tree(args, exclude: List[Path]) -> int:
    """Structure-preserving conversion of whole trees (the default)."""
    from .io import Transaction
    from .project import convert_tree

    from .progress import ProgressBar
    progress = ProgressBar.for_stream(sys.stderr, args.quiet)
    anchor = args.out_dir if args.out_dir is not None else args.paths[0]
    txn = Transaction(anchor) if (args.in_place or args.out_dir is not None) else None
    try:
        tree = convert_tree(args.paths, jobs=args.jobs, codebase=args.codebase,
                            allow_exec=args.allow_exec, progress=progress,
                            stage=txn.stage if txn else None, exclude=exclude,
                            skip=getattr(args, "skip_code", None))
        if progress:
            progress.close()
        results, jobs = [], []
        for t in tree:
            src = Path(t.src)
            if args.in_place:
                out = src
            elif args.out_dir is not None:
                out = args.out_dir / t.rel
            else:
                out = None
            if out is not None and not args.in_place and os.path.abspath(out) == t.src:
                raise MigrateError("output would overwrite the source (use --in-place)", file=t.src)
            if args.in_place and t.status != "converted":
                t.text = None              # never touch a file that does not change
            results.append(Result(t.src, str(out) if out else None, t.status, t.text, t.error,
                                  t.report, t.old_fields, t.source, t.bases))
            jobs.append(Job(src, Path(t.rel), out))
        if args.in_place:
            check_outside(results, args)
        return finish(results, jobs, args, txn)
    finally:
        if txn:
            txn.close()


def finish(results: List[Result], jobs: List[Job], args, txn=None) -> int:
    from .check import print_check
    code_results, code_jobs = getattr(args, "code_results", ([], []))     # --- code ---
    results, jobs = list(results) + code_results, list(jobs) + code_jobs
    errors = [r for r in results if r.status == "error"]
    changed = [r for r in results if r.status == "converted"]
    for r in errors:
        print(f"migrate: error: {r.error}", file=sys.stderr)
    if args.check:
        print_check(changed, sys.stdout)
    elif args.diff:
        for r, job in zip(results, jobs):
            if r.text is not None and r.status == "converted":
                from .io import read_text
                sys.stdout.writelines(difflib.unified_diff(
                    read_text(job.src).splitlines(True), r.text.splitlines(True),
                    f"a/{job.rel}", f"b/{job.rel}"))
        if not args.quiet:
            from .check import inherited_notes
            for note in inherited_notes(results, jobs):
                print(f"migrate: --diff: {note}", file=sys.stderr)
    else:
        write_outputs(results, jobs, args, txn, errors)
    if not args.quiet and not args.check:
        from .summary import print_summary
        print_summary(results, sys.stderr, verbose=args.verbose, diff=args.diff)
    rc = 2 if errors else 1 if (args.check or args.diff) and changed else 0
    verification = None
    if rc == 0 and getattr(args, "verify", False):          # --- verification ---
        from .verify.run import verify_written
        rc, verification = verify_written(results, args)
    if getattr(args, "report_md", None):                    # --- Markdown report ---
        from .report_md import write_report_md
        write_report_md(args.report_md, results, verification, args)
    return rc


def write_outputs(results: List[Result], jobs: List[Job], args, txn, errors) -> None:
    """Stage every output (and the report), then commit them in one transaction."""
    from .io import Transaction
    own = txn is None
    if own:
        txn = Transaction(args.out_dir if args.out_dir is not None else args.paths[0])
    try:
        skip = bool(errors) and args.in_place     # all or nothing
        for r, job in zip(results, jobs):
            if r.text is not None and job.out is not None and not skip:
                txn.add(job.out, r.source.encode(r.text))
        if args.report:
            from .summary import status_counts
            txn.add(args.report, (json.dumps(
                {"summary": {"files": len(results), **status_counts(results)},
                 "files": [dict(r.report or {"path": r.src}, status=r.status, error=r.error,
                                output=r.out) for r in results]}, indent=2) + "\n").encode())
        txn.commit()
        if skip:
            print(f"migrate: --in-place: {len(errors)} file(s) could not be converted: nothing "
                  f"was rewritten (a tree is rewritten all or nothing)", file=sys.stderr)
    finally:
        if own:
            txn.close()


if __name__ == "__main__":
    sys.exit(main())
