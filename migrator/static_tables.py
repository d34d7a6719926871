"""Data tables of the static config evaluator (`static_eval`): the operators it performs, the
builtins and the methods of dict/list/tuple/str/set values a config may call, and how refused
statements are named in errors. Everything not listed here is outside the static subset."""
from __future__ import annotations

import ast
import operator
from typing import Any, Callable, Dict

_BINOPS: Dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow, ast.LShift: operator.lshift, ast.RShift: operator.rshift,
    ast.BitOr: operator.or_, ast.BitAnd: operator.and_, ast.BitXor: operator.xor,
}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg, ast.Not: operator.not_,
          ast.Invert: operator.invert}
_CMP = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
        ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_,
        ast.IsNot: operator.is_not, ast.In: lambda a, b: a in b,
        ast.NotIn: lambda a, b: a not in b}

SAFE_BUILTINS: Dict[str, Any] = {f.__name__: f for f in (
    dict, list, tuple, set, frozenset, len, min, max, range, int, float, complex, str, bool,
    round, abs, sum, zip, enumerate, sorted, reversed, any, all, isinstance, map, filter)}
SAFE_BUILTINS.update({"True": True, "False": False, "None": None})

# Methods callable on values, per exact type. Mutating ones act in place, as under execution.
SAFE_METHODS: Dict[type, frozenset] = {
    dict: frozenset("get copy update items keys values pop setdefault clear".split()),
    list: frozenset("append extend insert copy index count pop remove reverse sort clear".split()),
    tuple: frozenset("index count".split()),
    str: frozenset(("format join replace split rsplit strip lstrip rstrip upper lower title "
                    "startswith endswith find rfind count zfill capitalize splitlines").split()),
    set: frozenset("add update union intersection difference copy discard".split()),
}


_STMT_NAMES = {
    "Import": "`import`", "ImportFrom": "`from ... import`", "FunctionDef": "a function definition",
    "AsyncFunctionDef": "a function definition", "ClassDef": "a class definition",
    "While": "a `while` loop", "With": "a `with` block", "Try": "a `try` block",
    "Global": "`global`", "Nonlocal": "`nonlocal`", "Raise": "`raise`", "Assert": "`assert`",
    "Return": "`return`", "Lambda": "a lambda", "Match": "a `match` statement",
}
