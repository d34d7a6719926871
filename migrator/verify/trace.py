"""The trace format shared by the MMCV model (mmcv.py) and the runtime (`mmrun dry-run`), and
the comparison of an old (MMCV 1.x) trace with a new (MMEngine) one.

Trace format (plain JSON-able dict):
    {"max_iters": N, "by_epoch": bool, "epoch_len": int,
     "iters": [{"iter": i, "epoch": e, "lr": x, "momentum": m}, ...],
     "val_at": [...], "ckpt_at": [...]}
`iter`/`epoch` are 0-based for the iteration being run; lr/momentum are param group 0's values as
the optimizer used them for that step (momentum None without one). `val_at`/`ckpt_at` count
finished epochs (by_epoch) or iterations (0 = before training). Optional `ckpt_by_epoch` /
`val_by_epoch` say a hook counted in the other unit than the loop (MMCV allowed an
iteration-based CheckpointHook in an EpochBasedRunner; MMEngine too); compare() then converts
epochs to iterations with `epoch_len`. `epoch` is only compared when both traces are by_epoch
(MMEngine's IterBasedTrainLoop keeps epoch 0; MMCV's IterLoader counted data passes).

Two other accepted forms, both converted by `columns()`:
  * column form: lists "lr", "momentum", optional "epoch" instead of "iters" (mmcv_columns);
  * compact form (`compact()`, for JSON files): {"format": COMPACT, "lr": [[value, run], ...],
    "momentum": [[value, run], ...] | None, "epoch": [[e, run], ...], ...}. A 12-epoch step
    schedule of 88k iterations compacts to a few hundred runs.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

COMPACT = "mmmigrate-trace-rle/1"
EVENT_KINDS = ("val_at", "ckpt_at")


@dataclass
class Verdict:
    ok: bool
    kind: Optional[str] = None        # max_iters | lr | momentum | epoch | val_at | ckpt_at
    iter: Optional[int] = None        # first differing iteration (per-iteration kinds)
    old: Any = None
    new: Any = None
    message: str = "traces agree"
    kinds: Tuple[str, ...] = ()       # every kind that differs, in check order

    def __bool__(self) -> bool:
        return self.ok

    def to_dict(self) -> Dict[str, Any]:
        d = asdict(self)
        d["kinds"] = list(self.kinds)
        return d


# ---- forms -----------------------------------------------------------------------------------

def _rle(values: List[Any]) -> List[List[Any]]:
    out: List[List[Any]] = []
    prev, run = object(), 0
    for v in values:
        if v == prev and type(v) is type(prev):
            run += 1
        else:
            if run:
                out.append([prev, run])
            prev, run = v, 1
    if run:
        out.append([prev, run])
    return out


def _unrle(pairs) -> List[Any]:
    out: List[Any] = []
    for v, run in pairs:
        out.extend([v] * run)
    return out


def columns(trace: Dict[str, Any]) -> Tuple[List[Any], List[Any], Optional[List[int]]]:
    """(lr, momentum, epoch) lists of any trace form. momentum entries may be None."""
    if trace.get("format") == COMPACT:
        n = trace["max_iters"]
        mom = _unrle(trace["momentum"]) if trace.get("momentum") is not None else [None] * n
        ep = _unrle(trace["epoch"]) if trace.get("epoch") is not None else None
        return _unrle(trace["lr"]), mom, ep
    if "iters" in trace:
        its = trace["iters"]
        return ([d["lr"] for d in its], [d.get("momentum") for d in its],
                [d.get("epoch") for d in its])
    n = len(trace["lr"])
    mom = trace.get("momentum")
    ep = trace.get("epoch")
    if ep is None and trace.get("epoch_len"):
        elen = trace["epoch_len"]
        ep = [i // elen for i in range(n)]
    return list(trace["lr"]), list(mom) if mom is not None else [None] * n, ep


def _meta(trace: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in trace.items() if k not in ("iters", "lr", "momentum", "epoch",
                                                          "format")}


def compact(trace: Dict[str, Any]) -> Dict[str, Any]:
    lr, mom, ep = columns(trace)
    out = _meta(trace)
    out.update(format=COMPACT, lr=_rle(lr),
               momentum=None if all(m is None for m in mom) else _rle(mom),
               epoch=None if ep is None else _rle(ep))
    return out


def expand(trace: Dict[str, Any]) -> Dict[str, Any]:
    """Any form -> the list-of-dicts form."""
    if "iters" in trace and trace.get("format") != COMPACT:
        return trace
    lr, mom, ep = columns(trace)
    out = _meta(trace)
    out["iters"] = [{"iter": i, "epoch": None if ep is None else ep[i], "lr": a, "momentum": b}
                    for i, (a, b) in enumerate(zip(lr, mom))]
    return out


def write_trace(trace: Dict[str, Any], path, compact_form: bool = True) -> None:
    data = compact(trace) if compact_form else expand(trace)
    Path(path).write_text(json.dumps(data, separators=(",", ":")))


def read_trace(path) -> Dict[str, Any]:
    """Read a trace JSON file in any form (kept as stored; compare() accepts every form)."""
    return json.loads(Path(path).read_text())


# ---- comparison ------------------------------------------------------------------------------

def _fmt_pair(a, b) -> Tuple[str, str]:
    """Format two numbers with at least 4 decimals and enough digits to tell them apart."""
    if not isinstance(a, float) or not isinstance(b, float):
        return repr(a), repr(b)
    sci = any(v != 0 and not 1e-3 <= abs(v) < 1e5 for v in (a, b))
    for digits in range(4, 18):
        fa, fb = (f"{a:.{digits}e}", f"{b:.{digits}e}") if sci else \
                 (f"{a:.{digits}f}", f"{b:.{digits}f}")
        if fa != fb:
            return fa, fb
    return repr(a), repr(b)


def _first_float_diff(old: List[Any], new: List[Any], rtol: float, atol: float) -> int:
    """Index of the first mismatch (-1 if none); None only equals None."""
    if old == new:
        return -1
    for i, (a, b) in enumerate(zip(old, new)):
        if a is None or b is None:
            if a is not b:
                return i
        elif a != b and abs(a - b) > atol + rtol * abs(b):
            return i
    return -1


def _first_exact_diff(old: List[Any], new: List[Any]) -> int:
    if old == new:
        return -1
    for i, (a, b) in enumerate(zip(old, new)):
        if a != b:
            return i
    return -1


def _event_units(trace: Dict[str, Any], kind: str) -> bool:
    key = "val_by_epoch" if kind == "val_at" else "ckpt_by_epoch"
    return bool(trace.get(key, trace.get("by_epoch", True)))


def _fmt_list(values: List[int], around: int) -> str:
    if len(values) <= 16:
        return "[" + ",".join(map(str, values)) + "]"
    lo, hi = max(0, around - 3), min(len(values), around + 4)
    body = ",".join(map(str, values[lo:hi]))
    return "[" + ("...," if lo else "") + body + (",..." if hi < len(values) else "") + \
        f"] ({len(values)} items)"


def _events(old_t, new_t, kind) -> Optional[Tuple[List[int], List[int], str]]:
    old, new = list(old_t.get(kind) or []), list(new_t.get(kind) or [])
    ob, nb = _event_units(old_t, kind), _event_units(new_t, kind)
    unit = ""
    if ob != nb:                                   # compare in iterations
        if ob:
            old = [e * old_t["epoch_len"] for e in old]
        if nb:
            new = [e * new_t["epoch_len"] for e in new]
        unit = " (iterations)"
    if old == new:
        return None
    return old, new, unit


def compare(old: Dict[str, Any], new: Dict[str, Any], rtol: float = 1e-6,
            atol: float = 1e-12) -> Verdict:
    """First difference between the MMCV trace `old` and the MMEngine trace `new`.

    Checked in order: max_iters, then per iteration (earliest iteration wins; at one iteration lr
    before momentum before epoch), then val_at, then ckpt_at. `kinds` lists every kind found.
    """
    found: List[Verdict] = []
    n_old, n_new = old["max_iters"], new["max_iters"]
    if n_old != n_new:
        found.append(Verdict(False, "max_iters", None, n_old, n_new,
                             f"max_iters: old={n_old} new={n_new}"))
    lr_o, mom_o, ep_o = columns(old)
    lr_n, mom_n, ep_n = columns(new)
    per_iter = []
    i = _first_float_diff(lr_o, lr_n, rtol, atol)
    if i >= 0:
        per_iter.append((i, 0, "lr", lr_o[i], lr_n[i]))
    i = _first_float_diff(mom_o, mom_n, rtol, atol)
    if i >= 0:
        per_iter.append((i, 1, "momentum", mom_o[i], mom_n[i]))
    if old.get("by_epoch", True) and new.get("by_epoch", True) and ep_o and ep_n:
        i = _first_exact_diff(ep_o, ep_n)
        if i >= 0:
            per_iter.append((i, 2, "epoch", ep_o[i], ep_n[i]))
    for i, _, kind, a, b in sorted(per_iter):
        fa, fb = _fmt_pair(a, b)
        found.append(Verdict(False, kind, i, a, b, f"iter {i}: {kind} old={fa} new={fb}"))
    for kind in EVENT_KINDS:
        diff = _events(old, new, kind)
        if diff is not None:
            o, nw, unit = diff
            at = next((k for k, (a, b) in enumerate(zip(o, nw)) if a != b), min(len(o), len(nw)))
            found.append(Verdict(False, kind, None, o, nw,
                                 f"{kind}{unit}: old={_fmt_list(o, at)} new={_fmt_list(nw, at)}"))
    if not found:
        return Verdict(True)
    first = found[0]
    # a per-iteration kind is already ordered by iteration; keep max_iters/events order as is
    first.kinds = tuple(dict.fromkeys(v.kind for v in found))
    return first
