"""The code half of the `migrate` command: classify, migrate, and report Python modules.

`migrator/cli.py` calls `split_code_jobs` on its job list and `run_code_jobs` on the code part;
the results are its own `Result` objects, so `--check`, `--diff`, `--in-place`, `-o` and
`--report` treat code and configs alike (`finish`).
"""
from __future__ import annotations

from typing import List, Tuple

from .classify import is_code
from .engine import migrate_source


def add_code_options(parser) -> None:
    parser.add_argument("--target", choices=("mmengine", "runtime"), default="mmengine",
                        help="package migrated code imports: real MMEngine (default) or the "
                             "bundled runtime (same module paths under `runtime.`)")


def split_code_jobs(jobs) -> Tuple[list, list]:
    """(config jobs, code jobs)."""
    configs, code = [], []
    for j in jobs:
        (code if is_code(j.src) else configs).append(j)
    return configs, code


def report_of(res) -> dict:
    def one(f) -> dict:
        return {"kind": "todo" if f.todo else "warning", "field": f.code, "message": f.message,
                "file": res.path, "line": f.line}
    return {"path": res.path, "kind": "code", "changed": res.changed,
            "rules_applied": list(res.rules),
            "warnings": [one(f) for f in res.findings if not f.todo],
            "not_converted": [one(f) for f in res.findings if f.todo]}


def run_code_job(job, args):
    from ..cli import Result
    out = Result(str(job.src), str(job.out) if job.out else None)
    try:
        text = job.src.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        out.status, out.error = "error", f"{job.src}: cannot read: {exc}"
        return out
    if "\n<<<<<<< " in "\n" + text:
        out.status, out.error = "error", f"{job.src}: unresolved merge conflict marker"
        return out
    res = migrate_source(text, str(job.src), getattr(args, "target", "mmengine"))
    if res.error:
        out.status, out.error = "error", res.error
        return out
    out.report = report_of(res)
    # `--check` lines, as for configs: `file:line: CODE what` (line 1 for file-wide findings)
    out.old_fields = [f"{job.src}:{f.line or 1}: {f.code} {'TODO: ' * f.todo}{f.message}"
                      for f in sorted(res.findings, key=lambda f: f.todo)]
    if res.changed:
        codes = sorted(res.rules) or ["MC900"]
        more = f" (also {', '.join(codes[1:])})" if codes[1:] else ""
        out.old_fields.insert(0, f"{job.src}:{_first_change(text, res.new_text)}: {codes[0]} "
                                 f"MMCV 1.x code to migrate{more}")
        out.status, out.text = "converted", res.new_text
    elif not args.in_place and job.out is not None and not args.check and not args.diff:
        out.text = text                     # -o OUT/ mirrors the whole project, code included
    return out


def _first_change(old: str, new: str) -> int:
    import difflib
    for tag, i1, _, _, _ in difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(),
                                                    autojunk=False).get_opcodes():
        if tag != "equal":
            return i1 + 1
    return 1


def run_code_jobs(jobs, args) -> Tuple[List, List]:
    return [run_code_job(j, args) for j in jobs], list(jobs)
