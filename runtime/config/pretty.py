"""Python source for a config dict (what MMEngine's `Config.pretty_text` produces with yapf).

The output is `name = value` lines that execute back to an equal dict: dicts with identifier keys
as `dict(k=v)`, others as `dict({'k': v})`; short values on one line, long ones split one item per
line. As in MMEngine, the keys of every dict (the top level included) come sorted by `str(key)`,
and lines aim at yapf's pep8 limit of 79 columns. Not reproduced (MMEngine gets them from yapf):
its line breaking (a container whose last item has a trailing comma, e.g. every list/tuple it
writes, is exploded one item per line, and closing brackets stay on the last item's line) and
`(1, )` for one-element tuples. Classes and functions (a config may hold `type=SomeClass`) become
their dotted import path string, which `Registry.get` resolves back to the object; inf/nan become
`float('inf')`.
"""
from __future__ import annotations

import keyword
import math
from typing import Any

WIDTH = 79
_IND = "    "


def _is_name(key: Any) -> bool:
    return isinstance(key, str) and key.isidentifier() and not keyword.iskeyword(key)


def _items(value: dict) -> list:
    """MMEngine's order: `sorted(d.items(), key=lambda x: str(x[0]))`."""
    return sorted(value.items(), key=lambda item: str(item[0]))


def _atom(value: Any) -> str:
    if value is None or isinstance(value, (bool, int, str, bytes)):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"float('{value}')"
    if isinstance(value, complex):
        return f"complex({value.real!r}, {value.imag!r})"
    module, qual = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if module and qual and "<" not in qual:  # classes, functions, partial-free callables
        return repr(f"{module}.{qual}")
    raise TypeError(f"cannot write {type(value).__name__} value {value!r} into a Python config")


def _flat(value: Any) -> str:
    if isinstance(value, dict):
        if all(_is_name(k) for k in value):
            return "dict(" + ", ".join(f"{k}={_flat(v)}" for k, v in _items(value)) + ")"
        return "dict({" + ", ".join(f"{_flat(k)}: {_flat(v)}" for k, v in _items(value)) + "})"
    if isinstance(value, list):
        return "[" + ", ".join(_flat(v) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(_flat(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, (set, frozenset)):
        items = ", ".join(sorted((_flat(v) for v in value)))
        kind = "set" if isinstance(value, set) else "frozenset"
        if not value:
            return f"{kind}()"
        return "{" + items + "}" if kind == "set" else f"frozenset({{{items}}})"
    return _atom(value)


def _fmt(value: Any, indent: int, used: int) -> str:
    """`value` as source; `used` = columns already taken on the first line."""
    flat = _flat(value)
    if len(flat) + used + len(_IND) * indent <= WIDTH or not isinstance(value, (dict, list, tuple)) \
            or not value:
        return flat
    pad = _IND * (indent + 1)
    if isinstance(value, dict):
        named = all(_is_name(k) for k in value)
        lines = []
        for k, v in _items(value):
            head = f"{k}=" if named else f"{_flat(k)}: "
            lines.append(pad + head + _fmt(v, indent + 1, len(head)) + ",")
        open_, close = ("dict(", ")") if named else ("dict({", "})")
    else:
        lines = [pad + _fmt(v, indent + 1, 0) + "," for v in value]
        open_, close = ("[", "]") if isinstance(value, list) else ("(", ")")
    return open_ + "\n" + "\n".join(lines) + "\n" + _IND * indent + close


def format_config(cfg: dict) -> str:
    out = []
    for key, value in _items(cfg):
        if not _is_name(key):
            raise ValueError(f"top-level config key {key!r} is not a valid Python name")
        out.append(f"{key} = {_fmt(value, 0, len(key) + 3)}")
    return "\n".join(out) + "\n"
