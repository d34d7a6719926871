"""Copies of plain config data, faster than `copy.deepcopy` (the loader's base values, the
profiles' whole-config and model copies)."""
import copy
from typing import Any, Dict, Optional


def clone(v: Any) -> Any:
    """A fresh copy of plain config data (faster than deepcopy; shared sub-objects are not
    kept shared, exactly like MMEngine's ConfigDict conversion of base values)."""
    t = type(v)
    if t is dict:
        return {k: clone(x) for k, x in v.items()}
    if t is list:
        return [clone(x) for x in v]
    if t is tuple:
        return tuple(clone(x) for x in v)
    if t is set:
        return set(v)
    if t in (str, int, float, bool, type(None)):
        return v
    return copy.deepcopy(v)


_ATOMS = frozenset({str, int, float, bool, complex, bytes, type(None)})
_NIL: Any = object()


def deep_copy(v: Any, memo: Optional[Dict[int, Any]] = None) -> Any:
    """`copy.deepcopy(v)`, the same result (objects shared within `v` stay shared, a tuple whose
    items need no copy is returned as is), in a fraction of its time for plain config data:
    dicts, lists and tuples are walked here, anything else goes to `copy.deepcopy` with the same
    memo."""
    return _deep(v, {} if memo is None else memo)


def _deep(v: Any, memo: Dict[int, Any]) -> Any:
    t = type(v)
    if t in _ATOMS:
        return v
    hit = memo.get(id(v), _NIL)
    if hit is not _NIL:
        return hit
    if t is dict:
        out: Any = {}
        memo[id(v)] = out
        for k, x in v.items():
            out[_deep(k, memo)] = _deep(x, memo)
        return out
    if t is list:
        out = []
        memo[id(v)] = out
        for x in v:
            out.append(_deep(x, memo))
        return out
    if t is tuple:
        items = [_deep(x, memo) for x in v]
        hit = memo.get(id(v), _NIL)         # the tuple was reached through its own items
        if hit is not _NIL:
            return hit
        if all(a is b for a, b in zip(items, v)):
            return v
        out = memo[id(v)] = tuple(items)
        return out
    return copy.deepcopy(v, memo)
