"""The summary `migrate` prints on stderr after a run (not with `--check` nor `-q`).

Warnings and TODOs are grouped by message: each distinct message is printed once with its count
and up to `EXAMPLES` locations (`-v`: all of them); the JSON report keeps every one. Files that
are already MMEngine-style are named ("already MMEngine-style: nothing to do", up to `EXAMPLES`
of them, `-v`: all) and counted apart from converted and unchanged ones.

    todo (7x): evaluation.interval: no runner in this file: set val_interval/val_begin on ...
        configs/a.py:12, configs/b.py:3, configs/c.py:9 (+4 more: -v lists all, --report keeps all)
"""
from __future__ import annotations

import os
from typing import Dict, List, Optional, Tuple

EXAMPLES = 3
STATUSES = ("converted", "unchanged", "new-style", "error")

Location = Tuple[str, Optional[int], str]           # (file, line, old field)


def short(path: str) -> str:
    """`path` relative to the working directory when it is below it, else as it is."""
    try:
        rel = os.path.relpath(path)
    except ValueError:          # another drive (Windows)
        return path
    return path if rel.startswith("..") else rel


def group_findings(results) -> Dict[Tuple[str, str], List[Location]]:
    """(kind, message) -> its locations (in the order met), most frequent message first; a
    finding inherited by several files is one location (at the file that writes the field)."""
    groups: Dict[Tuple[str, str], List[Location]] = {}
    seen = set()
    for r in results:
        for kind, key in (("warning", "warnings"), ("todo", "not_converted")):
            for f in (r.report or {}).get(key, []):
                loc = (f.get("file") or r.src, f.get("line"), f["field"])
                k = (kind, f["message"])
                if (k, loc) not in seen:
                    seen.add((k, loc))
                    groups.setdefault(k, []).append(loc)
    return dict(sorted(groups.items(), key=lambda kv: -len(kv[1])))


def _where(loc: Location, with_field: bool) -> str:
    file, line, fld = loc
    at = f"{short(file)}:{line}" if line else short(file)
    return f"{at} ({fld})" if with_field else at


def _examples(items: List[str], verbose: bool) -> str:
    shown = items if verbose else items[:EXAMPLES]
    more = len(items) - len(shown)
    return ", ".join(shown) + (f" (+{more} more: -v lists all, --report keeps all)" if more else "")


def print_findings(results, out, verbose: bool = False) -> Tuple[int, int]:
    """The grouped warnings and TODOs; returns (warnings, todos) counted per location."""
    counts = {"warning": 0, "todo": 0}
    for (kind, message), locs in group_findings(results).items():
        counts[kind] += len(locs)
        fields = sorted({fld for _, _, fld in locs})
        head = f"{fields[0]}: " if len(fields) == 1 else ""
        print(f"  {kind} ({len(locs)}x): {head}{message}", file=out)
        print(f"      {_examples([_where(l, len(fields) > 1) for l in locs], verbose)}", file=out)
    return counts["warning"], counts["todo"]


def status_counts(results) -> Dict[str, int]:
    return {s: sum(r.status == s for r in results) for s in STATUSES}


def print_summary(results, out, verbose: bool = False, diff: bool = False) -> None:
    n_warn, n_todo = print_findings(results, out, verbose)
    new_style = [short(r.src) for r in results if r.status == "new-style"]
    shown = new_style if verbose else new_style[:EXAMPLES]
    for src in shown:
        print(f"  {src}: already MMEngine-style: nothing to do", file=out)
    if len(shown) < len(new_style):
        print(f"  ... and {len(new_style) - len(shown)} more already MMEngine-style files "
              f"(-v lists all)", file=out)
    counts = status_counts(results)
    rows = [("files", len(results)), ("would change" if diff else "converted", counts["converted"]),
            ("already MMEngine-style", counts["new-style"]), ("unchanged", counts["unchanged"]),
            ("warnings", n_warn), ("not converted (TODO)", n_todo), ("errors", counts["error"])]
    print("migrate summary", file=out)
    for name, n in rows:
        print(f"  {name:<24}{n:>6}", file=out)
