"""Budgets and value checks of the static config evaluator (`static_eval`) and the loader.

A config file is untrusted input (a pre-commit hook runs `migrate` on whatever is committed), so
evaluating it must end quickly, in bounded memory, and never reveal anything but the file's own
data. Three budgets, each far above what any real OpenMMLab config needs (measured over the
mmdet 2.28.2, mmseg 0.30.0 and mmcls 0.25.0 trees: at most 2,855 steps, nesting 8, 1,145 items):

* steps: evaluated expression nodes plus iterations plus elements walked (`MAX_STEPS`);
* size: strings, containers and ints a config may compute (`MAX_LEN`, `MAX_STR`, `MAX_INT_BITS`),
  and format widths (`MAX_WIDTH`), refused *before* the value is built;
* depth: expression nesting (`MAX_EXPR_DEPTH`) and value nesting (`MAX_VALUE_DEPTH`).

`inspect_value` is the one check every top-level config value passes before it leaves the loader:
only types that an MMEngine config can hold and write back (checked against real
`mmengine.Config`: dict/list/tuple/set/frozenset/str/bytes/int/float/complex/bool/None/range/
Ellipsis) are accepted; iterators, functions, self-containing and too deep or too large values
are refused with the path of the offending item. It walks iteratively, so no value can make it
(or anything after it) recurse without bound.

Format strings: `str.format` fields may only name an argument (`{}`, `{0}`, `{name}`); attribute
and index access (`{0.__class__}`, `{0[k]}`) would walk into the interpreter's objects and is
refused, as attribute access is everywhere else in the static subset.
"""
from __future__ import annotations

import re
import string
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

MAX_STEPS = 300_000            # expression nodes + loop iterations + elements walked, per file,
                               # plus one per character of the file (big files take longer)
MAX_EXPR_DEPTH = 100           # nesting of one expression (and of if/for statements)
MAX_LEN = 1_000_000            # items in a computed list/tuple/dict/set
MAX_STR = 10_000_000           # characters in a computed str/bytes
MAX_INT_BITS = 10_000          # ~3000 decimal digits (Python refuses to print > 4300)
MAX_WIDTH = 10_000             # width/precision in a format spec or a %-format
MAX_VALUE_DEPTH = 64           # nesting of a config value (real configs: < 10)
MAX_VALUE_NODES = 5_000_000    # items of one value, shared references counted each time
MAX_VALUE_CHARS = 50_000_000   # characters of the strings of one value, counted the same way

EMITTABLE_LEAVES = (str, bytes, int, float, complex, bool, type(None), range, type(Ellipsis))
CONTAINERS = (dict, list, tuple, set, frozenset)
_ITERATOR_HINT = ("a one-shot iterator (the result of zip()/map()/filter()/enumerate()/"
                  "reversed() or a generator expression) is not a config value; wrap it in list()")


class Refused(Exception):
    """A budget exceeded or a value refused; `path` locates the item inside a value."""

    def __init__(self, message: str, path: Sequence[Any] = ()):
        super().__init__(message)
        self.message = message
        self.path = list(path)


class OneShot:
    """What zip()/map()/filter()/enumerate()/reversed() and generator expressions give: an
    iterator (materialised, so evaluation stays deterministic) that remembers its origin."""

    __slots__ = ("_it", "origin")

    def __init__(self, items: List[Any], origin: str):
        self._it = iter(items)
        self.origin = origin

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._it)


def dotted(name: str, path: Sequence[Any]) -> str:
    """`model.backbone[2]` for the path ('backbone', 2) under `model` (long paths shortened)."""
    out = name
    if len(path) > 8:
        path = list(path[:6]) + [_Elided(len(path) - 7)] + list(path[-1:])
    for p in path:
        if isinstance(p, _Elided):
            out += f"...({p.n} more levels)..."
            continue
        if isinstance(p, str) and p.isidentifier():
            out += f".{p}"
        elif isinstance(p, _KeyOf):
            out += f"<key {p.key!r:.40}>"
        else:
            out += f"[{p!r:.40}]"
    return out


class _Elided:
    __slots__ = ("n",)

    def __init__(self, n: int):
        self.n = n


class _KeyOf:
    """Path element for a dict key itself (not the value under it)."""
    __slots__ = ("key",)

    def __init__(self, key):
        self.key = key


_ROOT = object()


def inspect_value(v: Any, check_types: bool = True, max_nodes: int = MAX_VALUE_NODES,
                  max_depth: int = MAX_VALUE_DEPTH, max_chars: int = MAX_VALUE_CHARS) -> int:
    """Check `v` without recursion and return its size: the number of items it has once shared
    sub-values are written out at every place they appear (as emission or `str()` would). Each
    distinct container is visited once (sizes of shared parts are memoised), so a value built by
    doubling (`a = [a, a]` sixty times) is measured, and refused, at once. Raises Refused for the
    first item over a budget, a self-containing value, or (`check_types`) a type no config holds."""
    if type(v) not in CONTAINERS:
        _check_leaf(v, check_types, max_chars)
        return 1
    done: Dict[int, Tuple[int, int, int]] = {}      # id -> (items, chars, height)
    on_path: set = set()
    path: List[Any] = []
    stack: List[Tuple[Any, Any, Any]] = [(v, _ROOT, None)]

    def where(key: Any = _ROOT) -> List[Any]:
        return [p for p in path if p is not _ROOT] + ([] if key is _ROOT else [key])

    while stack:
        obj, key, leaving = stack.pop()
        if leaving is not None:             # all children measured: add them up
            path.pop()
            on_path.discard(id(obj))
            items, chars, kids = leaving
            height = 0
            for cid in kids:
                n, c, h = done[cid]
                items, chars, height = items + n, chars + c, max(height, h)
            if items > max_nodes:
                raise Refused(f"value too large (more than {max_nodes:,} items once shared parts "
                              f"are written out)", where(key))
            if chars > max_chars:
                raise Refused(f"value too large (more than {max_chars:,} characters once shared "
                              f"parts are written out)", where(key))
            done[id(obj)] = (items, chars, height + 1)
            continue
        if id(obj) in done:                 # a shared part met again: measured already
            if len(path) + done[id(obj)][2] > max_depth:
                raise Refused(f"value nested deeper than {max_depth} levels", where(key))
            continue
        if len(path) >= max_depth:
            raise Refused(f"value nested deeper than {max_depth} levels", where(key))
        path.append(key)
        on_path.add(id(obj))
        items, chars, kids = 1, 0, []
        stack.append((obj, key, None))     # replaced below by its leaving marker
        mark = len(stack) - 1
        for child, ckey in _children(obj):
            t = type(child)
            if t not in CONTAINERS:
                items += 1
                if t in _FAST_LEAVES:
                    continue
                if t is str or t is bytes:
                    chars += len(child)
                try:
                    _check_leaf(child, check_types, max_chars)
                except Refused as e:
                    raise Refused(e.message, where(ckey)) from None
                continue
            cid = id(child)
            kids.append(cid)
            if cid in on_path:
                raise Refused("the value contains itself (a self-referencing container)",
                              where(ckey))
            if cid in done:
                if len(path) + done[cid][2] > max_depth:
                    raise Refused(f"value nested deeper than {max_depth} levels", where(ckey))
            else:
                stack.append((child, ckey, None))
        if check_types and type(obj) is dict:
            for k in obj:
                if type(k) is not str:
                    try:
                        inspect_value(k, True, max_nodes, max_depth, max_chars)
                    except Refused as e:
                        raise Refused(e.message, where(_KeyOf(k))) from None
        stack[mark] = (obj, key, (items, chars, kids))
    return done[id(v)][0]


def _children(obj: Any):
    t = type(obj)
    if t is dict:
        return zip(obj.values(), obj.keys())
    if t is list or t is tuple:
        return zip(obj, range(len(obj)))
    return ((x, _KeyOf(x)) for x in obj)


_FAST_LEAVES = frozenset((float, bool, type(None)))


def _check_leaf(obj: Any, check_types: bool, max_chars: int) -> None:
    t = type(obj)
    if t is int:
        if obj.bit_length() > MAX_INT_BITS:
            raise Refused(f"integer too large ({obj.bit_length()} bits, at most {MAX_INT_BITS})")
    elif t is str or t is bytes:
        if len(obj) > max_chars:
            raise Refused(f"value too large (more than {max_chars:,} characters)")
    elif t in EMITTABLE_LEAVES or not check_types:
        return
    elif isinstance(obj, OneShot):
        raise Refused(f"{obj.origin}: {_ITERATOR_HINT}")
    elif callable(obj):
        raise Refused(f"`{getattr(obj, '__name__', t.__name__)}` is a function or class, not a "
                      f"config value")
    else:
        raise Refused(f"a value of type {t.__name__} cannot be written into an MMEngine config")


# --------------------------------------------------------------------------- format strings
_FORMATTER = string.Formatter()
_ARG_NAME = re.compile(r"[0-9]+|[^.\[\]]*")
_DIGITS = re.compile(r"[0-9]+")


def check_spec(spec: str) -> None:
    """Refuse widths/precisions above MAX_WIDTH before formatting (`'{:>999999999}'`)."""
    for m in _DIGITS.finditer(spec):
        run = m.group().lstrip("0")
        if len(run) > 6 or (run and int(run) > MAX_WIDTH):
            raise Refused(f"format width/precision {run[:12]}{'...' if len(run) > 12 else ''} "
                          f"exceeds {MAX_WIDTH:,}")


def convert(value: Any, conversion: Optional[str]) -> Any:
    if conversion is None:
        return value
    if conversion == "r":
        return repr(value)
    if conversion == "s":
        return str(value)
    if conversion == "a":
        return ascii(value)
    raise ValueError(f"Unknown conversion specifier {conversion}")


def safe_format(fmt: str, args: Sequence[Any], kwargs: Dict[str, Any],
                weigh: Callable[[Any], None]) -> str:
    """`fmt.format(*args, **kwargs)` as Python computes it, with field names limited to plain
    argument references and widths bounded. `weigh` is charged every value before it is
    converted to text."""
    state = {"auto": 0, "manual": None}

    def render(text: str, level: int) -> str:
        if level > 2:
            raise ValueError("Max string recursion exceeded")
        out: List[str] = []
        for literal, field, spec, conv in _FORMATTER.parse(text):
            out.append(literal)
            if field is None:
                continue
            if not _ARG_NAME.fullmatch(field):
                raise Refused(f"format field '{{{field}}}' uses attribute or index access, which "
                              f"the static evaluator refuses (it could read the interpreter's "
                              f"memory); use a plain '{{}}' field")
            if field == "":
                if state["manual"] is True:
                    raise ValueError("cannot switch from manual field specification to "
                                     "automatic field numbering")
                state["manual"] = False
                key: Any = state["auto"]
                state["auto"] += 1
            elif field.isdigit():
                if state["manual"] is False:
                    raise ValueError("cannot switch from automatic field numbering to manual "
                                     "field specification")
                state["manual"] = True
                key = int(field)
            else:
                key = field
            if isinstance(key, int):
                if key >= len(args):
                    raise IndexError(f"Replacement index {key} out of range for positional "
                                     f"args tuple")
                value = args[key]
            else:
                value = kwargs[key]
            weigh(value)
            spec = render(spec, level + 1) if spec and "{" in spec else (spec or "")
            check_spec(spec)
            piece = format(convert(value, conv), spec)
            out.append(piece)
        result = "".join(out)
        if len(result) > MAX_STR:
            raise Refused(f"formatted string longer than {MAX_STR:,} characters")
        return result

    return render(fmt, 0)


_PERCENT = re.compile(r"%(?:\(([^)]*)\))?[#0\- +]*(\*|[0-9]+)?(?:\.(\*|[0-9]*))?[hlL]?(.?)")


def check_percent(fmt: Any, args: Any) -> None:
    """Bound the widths of `fmt % args` (also `*` widths taken from `args`) before formatting."""
    text = fmt.decode("latin-1") if isinstance(fmt, bytes) else fmt
    pos = 0
    items = args if isinstance(args, tuple) else (args,)
    for m in _PERCENT.finditer(text):
        if m.group(4) == "%":
            continue
        for part in (m.group(2), m.group(3)):
            if part == "*":
                if pos < len(items) and isinstance(items[pos], int) and items[pos] > MAX_WIDTH:
                    raise Refused(f"%-format width {items[pos]} exceeds {MAX_WIDTH:,}")
                pos += 1
            elif part:
                check_spec(part)
        if m.group(1) is None:
            pos += 1


def guard_method(owner: Any, name: str, args: Sequence[Any], kwargs: Dict[str, Any]) -> None:
    """Refuse str methods whose result would exceed MAX_STR, before they run."""
    if type(owner) is not str:
        return
    if name == "zfill" and args and isinstance(args[0], int) and args[0] > MAX_STR:
        raise Refused(f"zfill width {args[0]} exceeds {MAX_STR:,}")
    if name == "replace" and len(args) >= 2 and isinstance(args[0], str) \
            and isinstance(args[1], str):
        old, new = args[0], args[1]
        hits = len(owner) + 1 if old == "" else owner.count(old)
        if len(owner) + hits * max(0, len(new) - len(old)) > MAX_STR:
            raise Refused(f"str.replace result longer than {MAX_STR:,} characters")
    if name == "join" and args and isinstance(args[0], (list, tuple)):
        total = len(owner) * max(0, len(args[0]) - 1)
        total += sum(len(x) for x in args[0] if isinstance(x, str))
        if total > MAX_STR:
            raise Refused(f"str.join result longer than {MAX_STR:,} characters")


def guard_binop(op_name: str, a: Any, b: Any) -> None:
    """Refuse `*`, `**`, `<<` whose result would exceed the size budget, before computing it."""
    if op_name == "mul":
        for seq, k in ((a, b), (b, a)):
            if isinstance(seq, (str, bytes, list, tuple)) and type(k) in (int, bool) and k > 0:
                limit = MAX_STR if isinstance(seq, (str, bytes)) else MAX_LEN
                if len(seq) * k > limit:
                    raise Refused(f"sequence repetition too large ({len(seq)} x {k} > {limit:,})")
        if type(a) is int and type(b) is int and a.bit_length() + b.bit_length() > MAX_INT_BITS + 1:
            raise Refused(f"integer too large (more than {MAX_INT_BITS} bits)")
    elif op_name in ("pow", "lshift") and type(a) in (int, bool) and type(b) in (int, bool):
        if op_name == "pow" and b > 0 and abs(a) > 1:
            bits = (abs(a).bit_length() - 1) * b
            if bits > MAX_INT_BITS:
                raise Refused(f"integer too large ({a if a.bit_length() < 64 else '<big>'} ** {b} "
                              f"has more than {MAX_INT_BITS} bits)")
        if op_name == "lshift" and a and b > 0 and a.bit_length() + b > MAX_INT_BITS:
            raise Refused(f"integer too large (shift by {b} exceeds {MAX_INT_BITS} bits)")
    elif op_name == "mod" and isinstance(a, (str, bytes)):
        check_percent(a, b)


def seq_sum(items: Sequence[Any], start: Any, charge: Callable[[int], None]) -> Any:
    """`sum(items, start)` for a list/tuple `start` in linear time (Python's is quadratic)."""
    out = list(start)
    kind = type(start)
    for x in items:
        if type(x) is not kind:
            raise TypeError(f'can only concatenate {kind.__name__} (not "{type(x).__name__}") '
                            f'to {kind.__name__}')
        charge(len(x))
        out.extend(x)
        if len(out) > MAX_LEN:
            raise Refused(f"container with more than {MAX_LEN:,} items")
    return out if kind is list else tuple(out)


def check_result(v: Any) -> None:
    """Post-check of every computed value (sizes that additive operations may reach)."""
    t = type(v)
    if t is int:
        if v.bit_length() > MAX_INT_BITS:
            raise Refused(f"integer too large ({v.bit_length()} bits, at most {MAX_INT_BITS})")
    elif t in (str, bytes):
        if len(v) > MAX_STR:
            raise Refused(f"string longer than {MAX_STR:,} characters")
    elif t in CONTAINERS:
        if len(v) > MAX_LEN:
            raise Refused(f"container with more than {MAX_LEN:,} items")
