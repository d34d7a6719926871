"""Readable, deterministic Python source for config values (dict/list/tuple/scalars).

Style follows the MMEngine configs maintainers write: `dict(key=value)` when every key is an
identifier (else a `{...}` display), a value on one line when it fits in `width` columns, else one
item per line with a trailing comma. Floats use `repr` (shortest round-trip), strings single quotes.
"""
from __future__ import annotations

import keyword
import math
from typing import Any, List

INDENT = "    "


def _is_ident(k: Any) -> bool:
    return isinstance(k, str) and k.isidentifier() and not keyword.iskeyword(k)


def scalar(v: Any) -> str:
    if isinstance(v, float):
        if math.isinf(v):
            return "float('inf')" if v > 0 else "float('-inf')"
        if math.isnan(v):
            return "float('nan')"
        return repr(v)
    if isinstance(v, (str, int, bool)) or v is None:
        return repr(v)
    raise TypeError(f"cannot emit a value of type {type(v).__name__}: {v!r}")


def _items(v: Any) -> tuple:
    """(opening, closing, [item source fragments as callables of depth])"""
    if isinstance(v, dict):
        if all(_is_ident(k) for k in v):
            return "dict(", ")", [(f"{k}=", x) for k, x in v.items()]
        return "{", "}", [(f"{scalar(k)}: ", x) for k, x in v.items()]
    if isinstance(v, list):
        return "[", "]", [("", x) for x in v]
    if isinstance(v, tuple):
        return "(", ")", [("", x) for x in v]
    if isinstance(v, set):
        return "{", "}", [("", x) for x in sorted(v, key=repr)]
    raise TypeError


def _same(a: Any, b: Any) -> bool:
    """Deep equality that also requires equal container/scalar types (1 != 1.0 != True here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


class Names:
    """User variables that emission may refer to instead of restating their value.

    A value deep-equal to a variable's value is written as the variable's name (`pipeline=
    train_pipeline`); a string that extends a directory-like string variable (ending in '/') is
    written as `data_root + 'rest'`. Only containers and strings of some length qualify, so
    `1` or `'bbox'` never turn into a variable by coincidence.
    """

    def __init__(self, pairs=()):
        self.pairs = [(n, v) for n, v in pairs
                      if (isinstance(v, (dict, list, tuple)) and v) or (isinstance(v, str) and len(v) >= 4)]

    def lookup(self, v: Any):
        for name, val in self.pairs:
            if _same(val, v):
                return name
        if isinstance(v, str):
            for name, val in self.pairs:
                if isinstance(val, str) and val.endswith("/") and len(v) > len(val) and v.startswith(val):
                    return f"{name} + {v[len(val):]!r}"
        return None


NO_NAMES = Names()


def _leaf(v: Any, names: Names):
    """The text of `v` when it is a variable reference or a scalar, else None (a container)."""
    ref = names.lookup(v) if names.pairs else None
    if ref is not None:
        return ref
    if not isinstance(v, (dict, list, tuple, set)):
        return scalar(v)
    return None


def format_value(v: Any, indent: int = 0, width: int = 79, prefix_len: int = 0,
                 names: Names = NO_NAMES) -> str:
    """Source text of `v` starting at column `indent*4 + prefix_len` (continuation lines indented)."""
    leaf = _leaf(v, names)
    if leaf is not None:
        return leaf
    one = _one_line(v, names)
    if len(one) + indent * len(INDENT) + prefix_len <= width:
        return one
    opening, closing, items = _items(v)
    pad = INDENT * (indent + 1)
    lines: List[str] = [opening]
    for key, x in items:
        body = format_value(x, indent + 1, width, len(key), names)
        lines.append(f"{pad}{key}{body},")
    lines.append(INDENT * indent + closing)
    return "\n".join(lines)


def _one_line(v: Any, names: Names = NO_NAMES) -> str:
    leaf = _leaf(v, names)
    if leaf is not None:
        return leaf
    if isinstance(v, set) and not v:
        return "set()"
    opening, closing, items = _items(v)
    inner = ", ".join(f"{key}{_one_line(x, names)}" for key, x in items)
    if isinstance(v, tuple) and len(v) == 1:
        inner += ","
    return f"{opening}{inner}{closing}"
