"""Readable, deterministic Python source for config values (dict/list/tuple/scalars).

Style follows the MMEngine configs maintainers write: `dict(key=value)` when every key is an
identifier (else a `{...}` display), a value on one line when it fits in `width` columns, else one
item per line with a trailing comma. Floats use `repr` (shortest round-trip), strings single quotes.
Other values an MMEngine config holds (checked with real `mmengine.Config`, see
`static_limits.EMITTABLE_LEAVES`) are written as an expression giving the same value: `range(0, 1)`,
`b'..'`, `(1+2j)`, `...`, `frozenset({..})`; dict keys that are not identifiers use `{key: value}`.
"""
from __future__ import annotations

import keyword
import math
import unicodedata
from typing import Any, Dict, List, Tuple

INDENT = "    "


def _is_ident(k: Any) -> bool:
    """A key writable as `dict(k=...)`: Python NFKC-normalises identifiers (`dict(º=1)` is
    `{'o': 1}`), so only keys that are already normalised qualify."""
    return isinstance(k, str) and k.isidentifier() and not keyword.iskeyword(k) \
        and (k.isascii() or unicodedata.normalize("NFKC", k) == k)


def scalar(v: Any) -> str:
    t = type(v)
    if t is float:
        if math.isinf(v):
            return "float('inf')" if v > 0 else "float('-inf')"
        if math.isnan(v):
            return "float('nan')"
        return repr(v)
    if t in (str, int, bool, bytes, range) or v is None:
        return repr(v)
    if t is complex:
        if math.isfinite(v.real) and math.isfinite(v.imag):
            return repr(v)
        return f"complex({scalar(v.real)}, {scalar(v.imag)})"
    if v is Ellipsis:
        return "..."
    if t is frozenset:
        return f"frozenset({_one_line(set(v))})" if v else "frozenset()"
    # the loader refuses every other type (static_limits.inspect_value): reaching this is a bug
    raise TypeError(f"cannot emit a value of type {t.__name__}: {v!r:.80}")


def _items(v: Any) -> tuple:
    """(opening, closing, [item source fragments as callables of depth])"""
    if isinstance(v, dict):
        if all(_is_ident(k) for k in v):
            return "dict(", ")", [(f"{k}=", x) for k, x in v.items()]
        return "{", "}", [(f"{_one_line(k)}: ", x) for k, x in v.items()]
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


def _fingerprint(v: Any) -> Any:
    """A hashable key equal for two values exactly when `_same` holds for them (types included)."""
    t = type(v)
    if t is dict:
        return (dict, tuple((k, _fingerprint(x)) for k, x in v.items()))
    if t is list or t is tuple:
        return (t, tuple(_fingerprint(x) for x in v))
    if t is set:
        return (set, frozenset(v))
    return (t, v)


def _shape(v: Any) -> Any:
    """A cheap, shallow key that equal values share (dict keys in order; sequence length and
    leading item types): only values of the same shape are ever fingerprinted and compared."""
    t = type(v)
    if t is dict:
        return (dict, tuple(v))
    return (t, len(v), tuple(type(x) for x in v[:4]))


class Names:
    """User variables that emission may refer to instead of restating their value.

    A value deep-equal to a variable's value is written as the variable's name (`pipeline=
    train_pipeline`); a string that extends a directory-like string variable (ending in '/') is
    written as `data_root + 'rest'`. Only containers and strings of some length qualify, so
    `1` or `'bbox'` never turn into a variable by coincidence. When several variables qualify,
    the first one added wins.

    Two more kinds of names (tree emission, `provenance.Trace`): references to the bases
    (`add_ref('{{_base_.dataset_info}}', value)`, consulted after the variables) and string
    expressions the input wrote (`exprs`: `f'{data_root}/x.json'`), used for a string only when
    the expression, evaluated over the variables known here, still gives that string.

    Lookups are hash-based: strings by value; containers by `_shape`, then by a deep
    fingerprint computed (once) only for the variables of a shape some lookup asked about. So
    emitting a file costs time linear in its size, not in its size times its number of
    variables, and building a `Names` is cheap.
    """

    def __init__(self, pairs=(), refs=(), exprs=None):
        self.ns: Dict[str, Any] = {}          # every variable, for checking `exprs`
        self._exprs: Dict[str, str] = dict(exprs or {})
        self._checked: Dict[str, Any] = {}
        self._strings: Dict[str, str] = {}
        self._dirs: Dict[str, Tuple[int, str]] = {}
        self._pending: Dict[Any, List[Tuple[str, Any]]] = {}
        self._index: Dict[Any, Dict[Any, str]] = {}
        self.pairs: List[Tuple[str, Any]] = []
        for name, value in pairs:
            self.add(name, value)
        for text, value in refs:
            self.add_ref(text, value)

    def add(self, name: str, v: Any) -> None:
        self.ns[name] = v
        self._checked.clear()
        self.add_ref(name, v)

    def add_ref(self, name: str, v: Any) -> None:
        """`name` (any expression text giving `v`) may stand for `v`."""
        t = type(v)
        if t is str:
            if len(v) < 4:
                return
            self._strings.setdefault(v, name)
            if v.endswith("/"):
                self._dirs.setdefault(v, (len(self.pairs), name))
        elif t in (dict, list, tuple) and v:
            self._pending.setdefault(_shape(v), []).append((name, v))
        else:
            return
        self.pairs.append((name, v))

    def lookup(self, v: Any):
        t = type(v)
        if t is str:
            name = self._strings.get(v)
            if name is None and v in self._exprs:
                name = self._expression(v)
            return name if name is not None else self._prefixed(v)
        if t not in (dict, list, tuple) or not v:
            return None
        shape = _shape(v)
        index = self._index.setdefault(shape, {}) if shape in self._pending else \
            self._index.get(shape)
        if index is None:
            return None
        for name, val in self._pending.pop(shape, ()):
            try:
                index.setdefault(_fingerprint(val), name)
            except TypeError:                 # an unhashable leaf (never from the loader)
                pass
        try:
            return index.get(_fingerprint(v))
        except TypeError:
            return None

    def _expression(self, v: str):
        """The input's expression for `v` when it still gives `v` over the known variables."""
        if v not in self._checked:
            import ast

            from ..static_eval import Interpreter, Unsupported
            text, ok = self._exprs[v], False
            try:
                interp = Interpreter()
                interp.ns = dict(self.ns)
                ok = interp.eval(ast.parse(text, mode="eval").body) == v
            except (Unsupported, SyntaxError, RecursionError):
                pass
            self._checked[v] = text if ok else None
        return self._checked[v]

    def _prefixed(self, v: str):
        best = None
        cut = v.find("/")
        while 0 <= cut < len(v) - 1:          # every proper prefix of v ending in '/'
            hit = self._dirs.get(v[:cut + 1])
            if hit is not None and (best is None or hit[0] < best[0]):
                best = (hit[0], hit[1], cut + 1)
            cut = v.find("/", cut + 1)
        return None if best is None else f"{best[1]} + {v[best[2]:]!r}"


NO_NAMES = Names()


def _leaf(v: Any, names: Names):
    """The text of `v` when it is a variable reference or a scalar, else None (a container)."""
    ref = names.lookup(v) if names.pairs or names._exprs else None   # hash-based index
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
