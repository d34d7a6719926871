"""Momentum policies of the schedule rule: MMCV `<Policy>MomentumUpdaterHook` -> `*Momentum`.

MMCV behaviour read (mmcv/runner/hooks/momentum_updater.py): Step (gamma default 0.5,
min_momentum floor), CosineAnnealing / LinearAnnealing (min_momentum or min_momentum_ratio),
Cyclic (iters only; like the cyclic lr with target_ratio default (0.85/0.95, 1)) and OneCycle
(iters only; sets the momentum absolutely to max_momentum, anneals to base_momentum at
pct_start*max_iters-1 and back, or stays at max in a third phase). Warmup *divides* the momentum by
the lr warmup factor.
MMEngine behaviour produced: StepMomentum / MultiStepMomentum / CosineAnnealingMomentum /
LinearMomentum / PolyMomentum / CosineRestartMomentum (mmengine/optim/scheduler/
momentum_scheduler.py; they also drive Adam's betas[0]). MMEngine has no one-cycle momentum
scheduler: it is composed from a MultiStepMomentum jump to max_momentum and annealing phases.
"""
from __future__ import annotations

from typing import Any, Dict, List

from .base import Context
from .schedule_lr import REQUIRED, Span, cosine, cyclic, linear_annealing, step

NAMES = {"key": "momentum_config", "kind": "momentum", "suffix": "Momentum"}


def _step(a, span, ctx, key, base_value):
    return step(a, span, ctx, key, base_value, names=NAMES, floor_key="min_momentum")


def _cosine(a, span, ctx, key, base_value):
    return cosine(a, span, ctx, key, base_value, names=NAMES, prefix="min_momentum")


def _linear(a, span, ctx, key, base_value):
    return linear_annealing(a, span, ctx, key, base_value, names=NAMES, prefix="min_momentum")


def _cyclic(a, span, ctx, key, base_value):
    return cyclic(a, span, ctx, key, base_value, names=NAMES)


def _one_cycle(a, span, ctx, key, base_value):
    low, high = a.pop("base_momentum"), a.pop("max_momentum")
    pct, strategy, three = a.pop("pct_start"), a.pop("anneal_strategy"), a.pop("three_phase")
    orig = {"policy": "OneCycle", "base_momentum": low, "max_momentum": high,
            "pct_start": pct, "anneal_strategy": strategy, "three_phase": three}
    if strategy not in ("cos", "linear"):
        raise ctx.error(f"{key}.anneal_strategy", f"expected 'cos' or 'linear', got {strategy!r}")
    total = span.length if span.mode == "iter" else None
    why = None
    if not all(isinstance(v, (int, float)) for v in (low, high)):
        why = "per-group momentum lists/dicts"
    elif not base_value:
        why = "the optimizer's momentum is unknown or zero"
    elif total is None:
        why = "its phases are placed in iterations of a run whose iteration count is unknown"
    if why:
        ctx.todo(f"{key}.policy", f"one-cycle momentum has no MMEngine scheduler and {why}: "
                 "not converted", original=orig, anchor="param_scheduler")
        return []
    e1 = pct * total - 1
    e2 = 2 * pct * total - 2
    if not float(e1).is_integer() or (three and not float(e2).is_integer()):
        ctx.warn(f"{key}.pct_start", f"phase boundary {e1} is not a whole iteration: MMEngine "
                 "phases are rounded", original=orig, anchor="param_scheduler")
    e1, e2 = int(round(e1)), int(round(e2))
    it = {"by_epoch": False}

    def phase(begin, end, target):
        if strategy == "cos":
            return {"type": "CosineAnnealingMomentum", "T_max": end - begin, "eta_min": target,
                    **it, "begin": begin, "end": end + 1}
        return {"type": "PolyMomentum", "eta_min": target, "power": 1.0, **it,
                "begin": begin, "end": end + 1}

    out: List[Dict[str, Any]] = [
        {"type": "MultiStepMomentum", "milestones": [0], "gamma": high / base_value,
         **it, "begin": 0, "end": 1},
        phase(0, e1, low)]
    out.append(phase(e1, e2 if three else total - 1, high))
    return out


POLICIES = {
    "Step": (_step, {"step": REQUIRED, "gamma": 0.5, "min_momentum": None}),
    "CosineAnnealing": (_cosine, {"min_momentum": None, "min_momentum_ratio": None}),
    "LinearAnnealing": (_linear, {"min_momentum": None, "min_momentum_ratio": None}),
    "Cyclic": (_cyclic, {"by_epoch": False, "target_ratio": (0.85 / 0.95, 1.0),
                         "cyclic_times": 1, "step_ratio_up": 0.4, "anneal_strategy": "cos",
                         "gamma": 1.0}),
    "OneCycle": (_one_cycle, {"by_epoch": False, "base_momentum": 0.85, "max_momentum": 0.95,
                              "pct_start": 0.3, "anneal_strategy": "cos", "three_phase": False}),
}
ITER_ONLY = {"Cyclic", "OneCycle"}


def warmup(w: Dict[str, Any], span: Span, ctx: Context, key: str,
           main: List[Dict[str, Any]], policy: str = "") -> List[Dict[str, Any]]:
    """MMCV divides the momentum by the warmup factor; MMEngine factor schedulers cannot exceed 1."""
    if w.get("warmup") is None or w.get("warmup_ratio", 0.9) == 1:
        return []
    ctx.todo(f"{key}.warmup", "momentum warmup (momentum divided by the warmup factor) has no "
             "MMEngine scheduler: not converted", original=dict(w), anchor="param_scheduler")
    return []
