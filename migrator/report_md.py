"""`migrate ... --report-md FILE`: a Markdown report to paste into a pull request.

Sections: summary counts, files changed (with the rules applied), TODOs and warnings grouped by
message (with counts and where they occur), errors, and the verification verdicts when
`--verify` ran. Findings inherited by many children are counted once, at the file and line
that holds them (the same de-duplication as the terminal summary).
"""
from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .summary import group_findings, short

MAX_ROWS = 50          # longer lists go into a collapsed <details> block
MAX_WHERE = 3          # locations named per grouped finding


def _rel(path: Optional[str]) -> str:
    return short(path) if path else ""


def _cell(text: Any) -> str:
    """A table cell: one line, pipes escaped."""
    return str(text).replace("\n", " ").replace("|", "\\|")


def _code(text: Any) -> str:
    t = str(text).replace("\n", " ")
    return f"`` {t} ``" if "`" in t else f"`{t}`"


def grouped(results, key: str) -> "OrderedDict[str, Dict[str, Any]]":
    """{message: {"count", "fields", "where"}}, most frequent first: the terminal summary's
    groups (summary.group_findings) of one kind."""
    kind = {"not_converted": "todo", "warnings": "warning"}[key]
    groups: "OrderedDict[str, Dict[str, Any]]" = OrderedDict()
    for (k, message), locs in group_findings(results).items():
        if k == kind:
            fields = list(OrderedDict.fromkeys(fld for _, _, fld in locs))
            groups[message] = {"count": len(locs), "fields": fields,
                               "where": [f"{_rel(f)}:{line}" if line else _rel(f)
                                         for f, line, _ in locs]}
    return groups


def _table(header: Sequence[str], rows: List[Sequence[Any]], what: str) -> List[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    if len(rows) > MAX_ROWS:
        return [f"<details><summary>{len(rows)} {what}</summary>", ""] + out + ["", "</details>"]
    return out


def _findings(title: str, groups) -> List[str]:
    if not groups:
        return []
    total = sum(g["count"] for g in groups.values())
    rows = []
    for msg, g in groups.items():
        where = ", ".join(_code(w) for w in g["where"][:MAX_WHERE])
        if len(g["where"]) > MAX_WHERE:
            where += f" and {len(g['where']) - MAX_WHERE} more"
        rows.append((g["count"], msg, ", ".join(_code(f) for f in g["fields"][:4]), where))
    return [f"### {title} ({total}, {len(groups)} distinct)", ""] + \
        _table(("count", "message", "fields", "where"), rows, "messages") + [""]


def render_md(results, verification=None, command: Optional[str] = None) -> str:
    """results: migrator.cli.Result objects; verification: run.TreeVerification or None."""
    from . import __version__
    status = {s: [r for r in results if r.status == s]
              for s in ("converted", "unchanged", "new-style", "error")}
    todos, warns = grouped(results, "not_converted"), grouped(results, "warnings")
    lines = ["## MMCV 1.x → MMEngine migration", ""]
    if command:
        lines += [f"Produced by mmmigrate {__version__}: {_code(command)}", ""]
    counts: List[Tuple[str, Any]] = [
        ("files", len(results)), ("converted", len(status["converted"])),
        ("already MMEngine-style", len(status["new-style"])),
        ("unchanged", len(status["unchanged"])), ("errors", len(status["error"])),
        ("TODOs (not converted)", sum(g["count"] for g in todos.values())),
        ("warnings (approximated)", sum(g["count"] for g in warns.values()))]
    if verification is not None:
        counts += [(f"verification: {k}", n) for k, n in verification.counts().items()]
    lines += ["| | |", "|---|---:|"] + [f"| {k} | {n} |" for k, n in counts] + [""]
    if status["converted"]:
        lines += [f"### Files changed ({len(status['converted'])})", ""]
        lines += _table(("file", "rules applied"),
                        [(_code(_rel(r.out or r.src)),
                          ", ".join((r.report or {}).get("rules_applied", [])) or "(structure)")
                         for r in status["converted"]], "files") + [""]
    lines += _findings("TODOs: not converted, left as `# TODO(migrate)` comments", todos)
    lines += _findings("Warnings: converted to the closest MMEngine equivalent", warns)
    if status["error"]:
        lines += [f"### Errors ({len(status['error'])})", ""]
        lines += [f"- {_code(_rel(r.src))}: {_cell(r.error)}" for r in status["error"]] + [""]
    if verification is not None:
        lines += _verification(verification)
    return "\n".join(lines).rstrip() + "\n"


def _verification(tv) -> List[str]:
    c = tv.counts()
    out = ["### Verification (MMCV 1.x schedule model vs MMEngine runtime)", "",
           f"{c['verified']} verified, {c['approximate']} approximate (within the bound the "
           f"conversion recorded), {c['differs']} differ, {c['could not run']} could not "
           f"run; {c['not trainable alone']} not trainable alone, "
           f"{c['already MMEngine-style']} already MMEngine-style.", ""]
    bad = [r for r in tv.results if r.status not in ("VERIFIED", "APPROXIMATE")]
    if bad:
        out += _table(("config", "result", "first difference"),
                      [(_code(_rel(r.name)), r.status,
                        r.line().split(":", 1)[1].strip() if ":" in r.line() else "")
                       for r in bad], "configs") + [""]
    approx = [r for r in tv.results if r.status == "APPROXIMATE"]
    if approx:
        from .verify.approx import describe
        rows = []
        for r in approx:
            ch = r.shown if r.shown is not None and r.shown.status == "APPROXIMATE" else r.first
            rows.append((_code(_rel(r.name)), ", ".join(sorted({a["code"] for a in r.records})),
                         describe(ch.approx), ch.dataset_len))
        out += ["#### Approximate: the conversion's recorded approximations, within their bounds",
                ""] + _table(("config", "codes", "measured", "dataset length"), rows,
                             "configs") + [""]
    ok = [r for r in tv.results if r.status == "VERIFIED"]
    if ok:
        out += [f"<details><summary>{len(ok)} verified</summary>", ""]
        out += [f"- {_code(_rel(r.name))} (dataset lengths "
                f"{','.join(str(ch.dataset_len) for ch in r.checks)})" for r in ok]
        out += ["", "</details>", ""]
    if tv.skipped:
        out += [f"<details><summary>{len(tv.skipped)} not verified</summary>", ""]
        out += [f"- {_code(_rel(p))}: {why}" for p, why in tv.skipped] + ["", "</details>", ""]
    if getattr(tv, "deep", None):                   # --verify=all: data and model verdicts
        from .verify.deep import md_lines
        out += md_lines(tv.deep, {(r.old, r.new): r for r in tv.results}, lambda p: _code(_rel(p)))
    return out


def write_report_md(path, results, verification=None, args=None) -> None:
    from .io import Transaction
    command = None
    if args is not None and getattr(args, "argv", None):
        command = "migrate " + " ".join(args.argv)
    data = render_md(results, verification, command).encode("utf-8")
    with Transaction(Path(path)) as txn:        # written whole or not at all, as the outputs
        txn.add(Path(path), data)
        txn.commit()
