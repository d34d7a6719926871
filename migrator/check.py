"""`--check`: does a config file itself still write old-style (MMCV 1.x) fields?

Looks only at the file's own top-level assignments (Python `ast`, no evaluation), so it is fast
enough for a pre-commit hook over a whole tree. A child that only inherits old fields from its
bases is not flagged itself: its bases are.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import List

from .load import parse_python

# Top-level names that only exist in MMCV 1.x configs (the rule modules own their conversion).
from migrator.rules.ownership import OLD_STYLE_KEYS  # noqa: E402 (the one ownership table)
# A top-level train_cfg/test_cfg holding these keys is a loop config (MMEngine), otherwise an old
# model setting (mmdet 2.x) that belongs in `model`.
LOOP_KEYS = {"type", "by_epoch", "max_epochs", "max_iters", "val_interval", "val_begin",
             "dynamic_intervals", "fp16"}


@dataclass
class OldField:
    file: str
    line: int
    field: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: old-style field"


def _dict_keys(node: ast.AST):
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        return {kw.arg for kw in node.keywords if kw.arg}
    if isinstance(node, ast.Dict):
        return {k.value for k in node.keys if isinstance(k, ast.Constant)}
    return None


def old_fields(path, text: str = None) -> List[OldField]:
    """Every top-level old-style assignment in `path`, with its line."""
    if text is None:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
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
