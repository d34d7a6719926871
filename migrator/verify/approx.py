"""APPROXIMATE: a difference the converter recorded, within its analytic bound.

The schedule rule attaches a record to each inexact conversion it makes
(migrator/rules/schedule_approx.py: code, field, parameters, bound). `records(old_cfg)` re-runs
that rule on the old config (after `_base_` merging: the records of the flat conversion, which
every tree output equals) and collects them. `classify(...)` then looks at a check whose traces
differ: when only lr (or momentum) values differ, and at every iteration the measured relative
deviation |new - old| / |old| stays within the bound of the records for that quantity
(prod (1 + b_k(i)) - 1 when several apply), the check is APPROXIMATE, with the largest deviation
measured and the bound there; anything else (another kind of difference, a quantity without a
record, one iteration beyond the bound, a dataset length outside a record's domain) stays DIFFERS.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from ..rules.schedule_approx import bound_fn
from .mmcv import base_values, samples_per_gpu
from .mmcv_lr import warmup_lr
from .trace import columns

SLACK = 1e-6            # relative slack on the bound (float rounding of both runtimes)
ABS_TOL = 1e-12         # values this close are equal (trace.compare's atol)
RTOL = 1e-6             # trace.compare's rtol: deviations below it are no difference at all


def records(old_cfg: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The approximation records the schedule rule makes for `old_cfg` ([] if it cannot run)."""
    from ..report import Report
    from ..rules import schedule
    from ..rules.base import Context, RunInfo
    ctx = Context(report=Report("<verify>"), run=RunInfo.from_old(old_cfg), old=old_cfg)
    try:
        schedule.apply(dict(old_cfg), ctx)
    except Exception:
        return []
    return ctx.report.approximations


def warm_factor(old_cfg: Dict[str, Any], epoch_len: int) -> Callable[[int], float]:
    """MMCV's lr warmup factor at iteration i (1 without a warmup or after it)."""
    lc = old_cfg.get("lr_config") or {}
    kind, ratio = lc.get("warmup"), lc.get("warmup_ratio", 0.1)
    n = lc.get("warmup_iters", 0) or 0
    iters = n * epoch_len if lc.get("warmup_by_epoch", False) else n
    if kind is None or iters <= 0:
        return lambda i: 1.0
    return lambda i: warmup_lr(kind, 1.0, i, iters, ratio) if i < iters else 1.0


def out_of_domain(recs: List[Dict[str, Any]], epoch_len: int, max_iters: int) -> List[str]:
    """Codes of records whose approximation does not hold at this epoch length."""
    shape = {"epoch_len": epoch_len, "max_iters": max_iters, "base": 1.0, "old": [1.0],
             "warm": lambda i: 1.0}
    return [r["code"] for r in recs if r["code"] in ("MA101", "MA102")
            and bound_fn(r, shape) is None]


def classify(old: Dict[str, Any], new: Dict[str, Any], verdict, recs: List[Dict[str, Any]],
             old_cfg: Dict[str, Any], world_size: int = 1) -> Optional[Dict[str, Any]]:
    """None when the difference is not an approximation within its bound (DIFFERS), else
    {"codes", "max_dev", "at", "bound_at", "max_bound", "quantities"}. With a reason in
    "beyond" when records exist but the difference exceeds them (still DIFFERS)."""
    kinds = set(verdict.kinds or (verdict.kind,))
    if not kinds <= {"lr", "momentum"} or not recs:
        return None
    lr_o, mom_o, _ = columns(old)
    lr_n, mom_n, _ = columns(new)
    elen, n_it = old["epoch_len"], old["max_iters"]
    base_lr, base_mom = base_values(old_cfg, world_size, int(samples_per_gpu(old_cfg)))
    out: Dict[str, Any] = {"codes": [], "max_dev": 0.0, "at": None, "bound_at": 0.0,
                           "max_bound": 0.0, "quantities": sorted(kinds)}
    for q in sorted(kinds):
        mine = [r for r in recs if r.get("quantity") == q]
        if not mine:
            return {"beyond": f"{q} differs and no approximation of {q} was recorded"}
        o, nw = (lr_o, lr_n) if q == "lr" else (mom_o, mom_n)
        base = base_lr if q == "lr" else base_mom
        shape = {"epoch_len": elen, "max_iters": n_it, "base": base, "old": o,
                 "warm": warm_factor(old_cfg, elen) if q == "lr" else (lambda i: 1.0)}
        fns = []
        for r in mine:
            f = bound_fn(r, shape)
            if f is None:
                return {"beyond": f"dataset length outside the domain of {r['code']} "
                                  f"({r['applies']})"}
            fns.append(f)
            out["codes"] = sorted(set(out["codes"]) | {r["code"]})
        for i, (a, b) in enumerate(zip(o, nw)):
            if a == b or a is None or b is None or abs(a - b) <= ABS_TOL + RTOL * abs(b):
                continue
            dev = abs(b - a) / abs(a) if a else float("inf")
            prod = 1.0
            for f in fns:
                prod *= 1.0 + f(i)
            bound = prod - 1.0
            if dev > bound * (1 + SLACK) + RTOL:
                return {"beyond": f"iter {i}: {q} old={a:.6g} new={b:.6g}: relative deviation "
                                  f"{dev:.3g} beyond the bound {bound:.3g} of "
                                  f"{', '.join(r['code'] for r in mine)}"}
            if dev > out["max_dev"]:
                out.update(max_dev=dev, at=i, bound_at=bound)
            out["max_bound"] = max(out["max_bound"], bound)
    return out


def describe(a: Dict[str, Any]) -> str:
    return (f"{'/'.join(a['quantities'])} within {', '.join(a['codes'])}: max relative deviation "
            f"{a['max_dev']:.3g} at iter {a['at']} (bound there {a['bound_at']:.3g})")
