"""The schedule rule's approximations, as data: one row per kind of inexact conversion.

When no MMEngine scheduler list reproduces MMCV's value at every iteration, the schedule rule
writes the closest form, warns, and attaches a record to the warning (`Finding.approx`, in the
JSON report under `approximation`):

    {"code": "MA101", "quantity": "lr", "field": "lr_config.warmup_iters",
     "params": {...}, "bound": "<the analytic bound, in words>", "applies": "<where>"}

`bound_fn(code)` turns a record into the bound the verifier checks (migrator/verify/approx.py):
`relative_bound(params, shape) -> f(i)`, the largest |new - old| / |old| the approximation can
cause at iteration i (0 where it is exact), or None when the dataset length is outside the
domain where the written form approximates MMCV at all. `shape` is what the run looks like at
the dataset length checked: epoch_len L, max_iters N, base value b and the old trace's values
(column `old`, MMCV's value per iteration) and warmup factor `warm(i)`.

Derivations (MMCV 1.7.2 lr_updater.py; MMEngine 0.10.7 param_scheduler.py):

MA101 linear warmup counted in epochs (LrUpdaterHook, warmup_by_epoch=True, n epochs, ratio r):
  MMCV multiplies the regular lr by f(i) = r + (1-r) i/E for i < E = n*L. The written
  LinearLR(start_factor=r, begin=0, end=n, convert_to_iter_based=True) runs over [0, E) with
  total_iters = E-1: g(i) = r + (1-r) i/(E-1) for i <= E-1, then 1. Exact from E on;
  g/f - 1 = (1-r) i / (E (E-1) f(i)), largest at i = E-1: (1-r)/(E-1+r). Domain E >= 2: with
  E = 1 (one warmup epoch of one iteration) MMEngine's LinearLR over one step applies r at
  step 0 and never ramps, so the lr stays r times too small. No epoch-free form is exact: the
  ramp's step (1-r)/E depends on the epoch length, which the config does not state.
MA102 poly / linear annealing per iteration over an epoch run (by_epoch=False in an
  EpochBasedRunner): MMCV computes (b-m)(1-i/N)^p + m with N = max_iters; PolyLR (or LinearLR)
  with convert_to_iter_based over [0, N) reaches its end value at N-1: (b-m)(1-i/(N-1))^p + m.
  The relative difference at i is exactly |c_new(i)/c_old(i) - 1|, 0 at i = 0, growing to
  (b-m)(1/N)^p / ((b-m)(1/N)^p + m) at i = N-1 (1 when m = 0: the last lr is 0 instead of
  b/N^p). A warmup on top multiplies both sides alike.
MA103 warmup overlapping a main schedule with a minimum m (cosine/poly with eta_min): MMEngine
  chains LinearLR (factor ratio rho_i) then the main (v <- q_i (v - m) + m with
  q_i = (c_i - m)/(c_{i-1} - m)); with the exact l_i c_i the new value is l_i c_i + eps_i,
  eps_i = q_i rho_i eps_{i-1} + m (1-l_i)(1-q_i) >= 0, and after the warmup eps decays like
  c - m. Since prod rho = l_i/l_s and q <= 1:
  eps_i / (l_i c_i) <= m S / (c_E - m) with S = sum_{s=1..E-1} (1 - f_s)(1 - q_s)/f_s
  (f: MMCV's warmup factor, a lower bound of l; E: warmup length in iterations), for every i.
MA104 inv policy written as ExponentialLR matching the first and last value: the worst relative
  deviation over the run is computed by the rule (`params.max_rel`), the same at every length.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

Bound = Optional[Callable[[int], float]]


def _linear_warmup_epochs(p: Dict[str, Any], shape: Dict[str, Any]) -> Bound:
    r, E = p["ratio"], p["epochs"] * shape["epoch_len"]
    if E < 2:
        return None

    def f(i: int) -> float:
        if i <= 0 or i >= E:
            return 0.0
        return (1 - r) * i / (E * (E - 1) * (r + (1 - r) * i / E))
    return f


def _eta(p: Dict[str, Any], base: float) -> float:
    return p["eta_min"] if p.get("eta_min_ratio") is None else base * p["eta_min_ratio"]


def _poly_end_shift(p: Dict[str, Any], shape: Dict[str, Any]) -> Bound:
    N, b = shape["max_iters"], shape["base"]
    m, pw = _eta(p, b), p.get("power", 1.0)
    if N < 2:
        return None

    def f(i: int) -> float:
        old = (b - m) * (1 - i / N) ** pw + m
        new = (b - m) * max(0.0, 1 - i / (N - 1)) ** pw + m
        return abs(new / old - 1) if old else (0.0 if new == 0 else float("inf"))
    return f


def _warmup_over_minimum(p: Dict[str, Any], shape: Dict[str, Any]) -> Bound:
    b, old, warm = shape["base"], shape["old"], shape["warm"]
    m = _eta(p, b)
    E = p["iters"] if p.get("iters") is not None else p["epochs"] * shape["epoch_len"]
    E = min(E, len(old))
    if E < 1 or m <= 0:
        return lambda i: 0.0
    c = [old[i] / warm(i) for i in range(E + 1 if E < len(old) else E)]
    cE = c[-1]
    if cE - m <= 0:
        return None
    S = 0.0
    for s in range(1, min(E, len(c))):
        q = (c[s] - m) / (c[s - 1] - m) if c[s - 1] != m else 1.0
        fs = warm(s)
        S += (1 - fs) * max(0.0, 1 - q) / fs
    bound = m * S / (cE - m)
    return lambda i: bound if i >= 1 else 0.0


def _constant(p: Dict[str, Any], shape: Dict[str, Any]) -> Bound:
    v = p["max_rel"]
    return lambda i: v


APPROXIMATIONS: Dict[str, Dict[str, Any]] = {
    "MA101": {"what": "linear warmup counted in epochs: LinearLR reaches the full lr one "
                      "iteration early",
              "bound": "(1-r)*i/(E*(E-1)*f(i)) at iteration i in 1..E-1, at most (1-r)/(E-1+r) at "
                       "i = E-1; E = epochs x iterations per epoch >= 2",
              "fn": _linear_warmup_epochs},
    "MA102": {"what": "per-iteration poly/linear schedule over epochs reaches its end value one "
                      "iteration early",
              "bound": "|((b-m)(1-i/(N-1))^p+m) / ((b-m)(1-i/N)^p+m) - 1| at iteration i, "
                       "N = max_iters",
              "fn": _poly_end_shift},
    "MA103": {"what": "warmup over a schedule with a minimum: MMEngine warms up (lr - eta_min)",
              "bound": "m*S/(c_E-m), S = sum_{s<E} (1-f_s)(1-q_s)/f_s over the warmup "
                       "(c: MMCV's regular lr, f: its warmup factor, q_s = (c_s-m)/(c_{s-1}-m))",
              "fn": _warmup_over_minimum},
    "MA104": {"what": "inv lr written as ExponentialLR matching its first and last value",
              "bound": "max_rel over the run (computed by the rule)", "fn": _constant},
}


def record(code: str, field: str, quantity: str, applies: str, **params) -> Dict[str, Any]:
    """The data attached to the warning of one approximation."""
    row = APPROXIMATIONS[code]
    return {"code": code, "field": field, "quantity": quantity, "what": row["what"],
            "bound": row["bound"], "applies": applies, "params": params}


def bound_fn(rec: Dict[str, Any], shape: Dict[str, Any]) -> Bound:
    return APPROXIMATIONS[rec["code"]]["fn"](rec["params"], shape)
