"""`--check`: does a config file still write, or inherit, old-style (MMCV 1.x) fields?

Looks only at top-level assignments (Python `ast`, no evaluation), so it is fast enough for a
pre-commit hook over a whole tree. A file is flagged for each old field it writes itself
(`x.py:12: MM101 lr_config -> param_scheduler`, codes from migrator/rules/ownership.py), and once
(one line naming them) when files it inherits from (directly or further up, whether or not they were
given on the command line) write old fields: its effective config is old-style, so it needs
migrating too (`x.py:1: MM001 _base_ inherits old-style fields from configs/_base_/s.py`).
`--diff` agrees: it prints the diff of every flagged file that changes, and names each flagged
file whose change lives only in its bases (`inherited_notes`).
"""
from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from .load import parse_python

# Top-level names that only exist in MMCV 1.x configs (the rule modules own their conversion).
from migrator.rules.ownership import OLD_STYLE_KEYS, RULE_CODES  # noqa: E402,F401 (the one table)
# A top-level train_cfg/test_cfg holding these keys is a loop config (MMEngine), otherwise an old
# model setting (mmdet 2.x) that belongs in `model`.
LOOP_KEYS = {"type", "by_epoch", "max_epochs", "max_iters", "val_interval", "val_begin",
             "dynamic_intervals", "fp16"}
# The code of a file that writes no old field itself but inherits some (not an old field: not in
# the ownership table).
INHERITED_CODE = "MM001"


@dataclass
class OldField:
    file: str
    line: int
    field: str

    def __str__(self) -> str:
        from .emit.tree import NEW_FROM_OLD     # (emit.tree imports this module)
        new = ", ".join(NEW_FROM_OLD.get(self.field, ())) or "(dropped)"
        return f"{self.file}:{self.line}: {RULE_CODES.get(self.field, 'MM000')} {self.field} -> {new}"


@dataclass
class InheritedOld:
    file: str
    line: int                  # the `_base_` line
    bases: List[str]           # the ancestors that write old fields themselves (all levels)

    def __str__(self) -> str:
        return (f"{self.file}:{self.line}: {INHERITED_CODE} _base_ inherits old-style fields "
                f"from {', '.join(self.bases)}")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def print_check(results, out) -> None:
    """`--check` output: one line per finding (file:line: code ...), then a count; nothing at
    all when nothing needs changing."""
    n = 0
    for r in results:
        for line in r.old_fields:
            print(line, file=out)
            n += 1
    if n:
        files = sum(bool(r.old_fields) for r in results)
        print(f"{_plural(n, 'finding')} in {_plural(files, 'file')} to migrate (run `migrate "
              f"--in-place` or `migrate -o OUT_DIR/`)", file=out)


def _dict_keys(node: ast.AST):
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        return {kw.arg for kw in node.keywords if kw.arg}
    if isinstance(node, ast.Dict):
        return {k.value for k in node.keys if isinstance(k, ast.Constant)}
    return None


def old_fields(path, text: str = None) -> List[OldField]:
    """Every top-level old-style assignment in `path`, with its line."""
    if text is None:
        from .io import read_text
        text = read_text(path)
    tree = parse_python(text, str(path))      # one parser, one set of syntax errors
    found: List[OldField] = []
    for stmt in tree.body:
        targets, value = [], None
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
            targets, value = [stmt.target], stmt.value
        for t in targets:
            if not isinstance(t, ast.Name):
                continue
            name = t.id
            if name in OLD_STYLE_KEYS:
                found.append(OldField(str(path), stmt.lineno, name))
            elif name in ("train_cfg", "test_cfg"):
                keys = _dict_keys(value) if value is not None else None
                if keys is not None and keys and not keys & LOOP_KEYS:
                    found.append(OldField(str(path), stmt.lineno, name))
    return found


# What `inherited_old` knows of a file, read once per process: (abspath, mtime, size) ->
# [writes old fields itself, or None when not read yet; its bases (absolute); the _base_ line]
_FACTS: Dict[Tuple[str, int, int], list] = {}


def _facts(path: str, text: Optional[str] = None) -> list:
    try:
        st = os.stat(path)
    except OSError:
        return [False, [], None]
    key = (path, st.st_mtime_ns, st.st_size)
    if key not in _FACTS:
        from .load import PREDEFINED, _find_base_spec, _parse, _resolve_bases
        bases, line = [], None
        try:
            if text is not None and not any(p in text for p in PREDEFINED):
                parsed = parse_python(text, path)       # (the tree old_fields just parsed)
            else:
                kind, parsed, _text = _parse(path)
                parsed = parsed if kind == "py" else None
            if parsed is not None:
                spec, line = _find_base_spec(parsed, path)
                bases = _resolve_bases(spec, path, line)
        except Exception:   # noqa: BLE001 - reported when the file itself is converted
            pass
        _FACTS[key] = [None, bases, line]
    return _FACTS[key]


def own_old_fields(path, text: str) -> List[OldField]:
    """`old_fields`, remembered for `inherited_old` (a file given is often another's base)."""
    found = old_fields(path, text)
    if str(path).endswith(".py"):
        _facts(os.path.abspath(path), text)[0] = bool(found)
    return found


def _writes_old(path: str) -> bool:
    facts = _facts(path)
    if facts[0] is None:
        try:
            facts[0] = path.endswith(".py") and bool(old_fields(path))
        except Exception:       # noqa: BLE001 - an unreadable base fails its own conversion
            facts[0] = False
    return facts[0]


def inherited_old(path) -> Optional[InheritedOld]:
    """The ancestors of `path` (all levels, in `_base_` order, breadth first) that write old
    fields themselves; None when there is none. Paths are shown relative to the working
    directory when `path` is given relative."""
    _, bases, line = _facts(os.path.abspath(path))
    found: List[str] = []
    seen = set()
    todo = list(bases)
    while todo:
        b = todo.pop(0)
        if b in seen:
            continue
        seen.add(b)
        if _writes_old(b):
            found.append(b if os.path.isabs(str(path)) else os.path.relpath(b))
        todo += _facts(b)[1]
    return InheritedOld(str(path), line or 1, found) if found else None


def inherited_notes(results, jobs) -> List[str]:
    """`--diff`: one line per config that prints no diff of its own but inherits old fields,
    naming the bases (whose diffs are printed: tree mode converts every base it reads)."""
    rel = {os.path.realpath(j.src): str(j.rel) for j in jobs}
    notes = []
    for r, job in zip(results, jobs):
        if r.status in ("converted", "error") or (r.report or {}).get("kind") == "code":
            continue
        found = inherited_old(job.src)
        if found:
            names = ", ".join(rel.get(os.path.realpath(b), b) for b in found.bases)
            notes.append(f"{job.rel}: no change of its own; it inherits old-style fields from "
                         f"{names} (diffed above)")
    return notes
