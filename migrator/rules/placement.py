"""Small dict helpers shared by the misc rules (model, optim, loops, data, hooks, env).

MMCV behaviour: old configs are flat dicts whose key order is the order the user wrote them.
MMEngine behaviour: key order is irrelevant to the Runner, but the emitter writes new keys in dict
order, so a rule that replaces an old key puts the new keys where the old one stood.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, Optional


def replace_keys(cfg: Dict[str, Any], old: Iterable[str], new: Dict[str, Any]) -> Dict[str, Any]:
    """Return a copy of `cfg` without the `old` keys and with `new` inserted at the position of the
    first old key present (appended when none is present). A new key that already exists in `cfg`
    and is not one of `old` is overwritten in place."""
    old = [k for k in old if k in cfg]
    out: Dict[str, Any] = {}
    placed = False
    for k, v in cfg.items():
        if k in old:
            if not placed:
                for nk, nv in new.items():
                    if nk not in cfg or nk in old:
                        out[nk] = nv
                placed = True
            continue
        out[k] = new[k] if k in new else v
    if not placed:
        for nk, nv in new.items():
            if nk not in out:
                out[nk] = nv
    return out


def first_present(cfg: Dict[str, Any], keys: Iterable[str]) -> Optional[str]:
    for k in keys:
        if k in cfg:
            return k
    return None
