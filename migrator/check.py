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


# Rule codes of `--check` output, one per old field (stable: users filter on them).
RULE_CODES = {
    "lr_config": "MM101", "momentum_config": "MM102",
    "optimizer": "MM201", "optimizer_config": "MM202", "fp16": "MM203",
    "runner": "MM301", "total_epochs": "MM302", "workflow": "MM303", "evaluation": "MM304",
    "data": "MM401",
    "checkpoint_config": "MM501", "log_config": "MM502",
    "dist_params": "MM601", "cudnn_benchmark": "MM602", "mp_start_method": "MM603",
    "opencv_num_threads": "MM604", "seed": "MM605", "deterministic": "MM606", "diff_seed": "MM607",
    "resume_from": "MM701", "auto_resume": "MM702", "find_unused_parameters": "MM703",
    "gpu_ids": "MM704",
    "train_cfg": "MM801", "test_cfg": "MM802",
}


@dataclass
class OldField:
    file: str
    line: int
    field: str

    def __str__(self) -> str:
        from .emit.tree import NEW_FROM_OLD     # (emit.tree imports this module)
        new = ", ".join(NEW_FROM_OLD.get(self.field, ())) or "(dropped)"
        return f"{self.file}:{self.line}: {RULE_CODES.get(self.field, 'MM000')} {self.field} -> {new}"


def print_check(results, out) -> None:
    """`--check` output: one line per old-style field, then a count; nothing when clean."""
    n = 0
    for r in results:
        for line in r.old_fields:
            print(line, file=out)
            n += 1
    if n:
        files = sum(bool(r.old_fields) for r in results)
        print(f"{n} old-style field{'s' * (n != 1)} in {files} file{'s' * (files != 1)} "
              f"(run `migrate --in-place` or `migrate -o OUT` to convert)", file=out)


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
