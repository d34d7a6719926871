"""MMEngine's `_base_` merge for one key, its inverse (the smallest override) and the comparison
both loaders agree on; shared by tree emission and in-place patching."""
from __future__ import annotations

from typing import Any

from ..copying import clone as copy_value   # plain config data: faster than deepcopy

MISSING: Any = object()


class _NaN:
    """Stands for every float NaN in a normalized config, so that equal configs compare equal
    (`float('nan') != float('nan')`, and two loads of a file give two NaN objects)."""
    def __repr__(self) -> str:
        return "nan"


NAN = _NaN()


def normalize(v: Any) -> Any:
    """Compare configs the way both loaders see them: tuples and lists alike, NaN equal to NaN."""
    if isinstance(v, dict):
        return {k: normalize(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [normalize(x) for x in v]
    if isinstance(v, float) and v != v:
        return NAN
    return v


def same(a: Any, b: Any) -> bool:
    """`normalize(a) == normalize(b)`, quicker when they are equal as they are (equal values of
    the same types: normalizing them gives equal values too)."""
    return a == b or normalize(a) == normalize(b)


def merge_override(base: Any, child: Any) -> Any:
    """What MMEngine's `_base_` merge gives for one key: `child` merged onto `base`."""
    if isinstance(child, dict):
        child = dict(child)
        delete = child.pop("_delete_", False)
        if not delete and isinstance(base, dict):
            out = copy_value(base)
            for k, v in child.items():
                out[k] = merge_override(out.get(k, MISSING), v)
            return out
        return {k: merge_override(MISSING, v) for k, v in child.items()}
    return copy_value(child)


def override(base: Any, new: Any) -> Any:
    """The smallest value that, merged onto `base`, gives `new`."""
    if not isinstance(new, dict):
        return new
    if not isinstance(base, dict):
        return new if base is MISSING or base is None else {"_delete_": True, **new}
    if any(k not in new for k in base):
        return {"_delete_": True, **new}
    out = {}
    for k, v in new.items():
        if k not in base:
            out[k] = v
        elif not same(base[k], v):
            out[k] = override(base[k], v)
    return out


