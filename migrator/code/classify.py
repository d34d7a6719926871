"""Config or code? How `migrate` routes a Python file.

A config is what the static evaluator reads: assignments of literals, dicts, lists and names
(migrator/static_eval.py rejects imports, functions and classes). A module that imports,
defines a function or a class, or calls a function at the top level is code and goes to `migrate_source`, never to `exec`.
One exception keeps `--exec` meaningful: a file whose only code constructs are imports and
which assigns `_base_` or an MMCV config field at the top level is a config that imports
helpers (MMCV executed such files).
"""
from __future__ import annotations

import ast
from pathlib import Path

from ..check import OLD_STYLE_KEYS

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_CONFIG_MARKERS = OLD_STYLE_KEYS | {"_base_", "model", "train_cfg", "test_cfg", "default_scope",
                                    "train_dataloader", "optim_wrapper", "param_scheduler"}


def is_code_text(text: str) -> bool:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False    # the config path reports the parse error (file, line) as a clean exit 2
    nodes = list(ast.walk(tree))
    if any(isinstance(n, _DEFS) for n in nodes):
        return True
    if any(isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and
           isinstance(s.value.func, ast.Name) for s in tree.body):
        return True     # a script (`main()`, `print(...)`); configs may call methods (`a.append`)
    if not any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in nodes):
        return False
    assigned = {t.id for s in tree.body if isinstance(s, ast.Assign)
                for t in s.targets if isinstance(t, ast.Name)}
    return not assigned & _CONFIG_MARKERS


def is_code(path) -> bool:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return is_code_text(text)
