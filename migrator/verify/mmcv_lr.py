"""MMCV 1.7.2 learning-rate and momentum updater formulas, as plain functions (no MMCV, no torch).

MMCV behaviour modelled: `mmcv/runner/hooks/lr_updater.py` (LrUpdaterHook and its eleven
`*LrUpdaterHook` policies, `annealing_cos`, `annealing_linear`) and
`mmcv/runner/hooks/momentum_updater.py` (MomentumUpdaterHook with Step, CosineAnnealing,
LinearAnnealing, Cyclic and OneCycle policies). `BaseRunner.register_lr_hook` turns
`lr_config=dict(policy='step', ...)` into `StepLrUpdaterHook(...)`: an all-lower-case policy name
is title-cased, any other name is used as written, then `LrUpdaterHook` is appended.
mmdet 2.x adds `YOLOXLrUpdaterHook` (mmdet/core/hook/yolox_lrupdater_hook.py): cosine with a flat
tail of `num_last_epochs` and its own warmup `base * ratio * ((i + 1) / warmup_iters) ** 2`.
mmcls 0.25 adds `CosineAnnealingCooldownLrUpdaterHook` (mmcls/core/hook/lr_updater.py): cosine
over P - cool_down_time, then target * cool_down_ratio while progress > P - cool_down_time.

MMEngine counterpart: the `param_scheduler` list (`LinearLR`, `MultiStepLR`, `CosineAnnealingLR`,
...), whose behaviour the runtime side records in the same trace format.

A built policy is a `Policy`: `by_epoch` plus `value(base, progress)`, where progress is the
runner epoch (by_epoch) or the global iteration, exactly as the MMCV hook's `get_lr` read it.
Unknown keyword arguments raise `TypeError`, as building the MMCV hook would.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, List, Optional

LR_POLICIES = ("Fixed", "Step", "Exp", "Poly", "Inv", "CosineAnnealing", "FlatCosineAnnealing",
               "CosineRestart", "Cyclic", "OneCycle", "LinearAnnealing", "YOLOX",
               "CosineAnnealingCooldown")
MOMENTUM_POLICIES = ("Step", "CosineAnnealing", "LinearAnnealing", "Cyclic", "OneCycle")


def anneal_cos(start: float, end: float, factor: float, weight: float = 1.0) -> float:
    """Half-cosine from `weight*start + (1-weight)*end` (factor 0) down to `end` (factor 1)."""
    return end + 0.5 * weight * (start - end) * (math.cos(math.pi * factor) + 1)


def anneal_linear(start: float, end: float, factor: float) -> float:
    return start + (end - start) * factor


def _anneal_func(strategy: str) -> Callable[[float, float, float], float]:
    if strategy == "cos":
        return anneal_cos
    if strategy == "linear":
        return anneal_linear
    raise ValueError(f"anneal_strategy must be 'cos' or 'linear', got {strategy!r}")


@dataclass
class RunShape:
    """What the hooks read from the runner: run length in epochs (None for IterBasedRunner),
    iterations (EpochBasedRunner: max_epochs * len(train loader)) and len(train loader)."""
    max_epochs: Optional[int]
    max_iters: int
    epoch_len: int = 1
    by_epoch: bool = True           # EpochBasedRunner (before_train_epoch is called)


@dataclass
class Policy:
    by_epoch: bool
    value: Callable[[float, int], float]        # (base value, progress) -> regular value
    base: Optional[float] = None                # overrides the optimizer's value (OneCycle)
    # piecewise-constant policies: progress values where the value may change (speed only)
    breaks: Optional[Callable[[int], List[int]]] = None


@dataclass
class Warmup:
    kind: Optional[str]                 # None | 'constant' | 'linear' | 'exp'
    iters: Optional[int]                # None while given in epochs (resolved at first epoch)
    epochs: Optional[int]
    ratio: float


def hook_name(policy: str) -> str:
    """`register_lr_hook`'s name rule: 'step' -> 'Step', 'CosineAnnealing' unchanged."""
    return policy.title() if policy == policy.lower() else policy


def _progress(by_epoch: bool, run: RunShape):
    return (run.max_epochs if by_epoch else run.max_iters)


def _target(base: float, min_v, min_ratio) -> float:
    return base * min_ratio if min_ratio is not None else min_v


def _check_min(min_v, min_ratio, what="min_lr"):
    if (min_v is None) == (min_ratio is None):
        raise ValueError(f"exactly one of {what} / {what}_ratio must be given")


def _step_exponent(step, progress: int) -> int:
    if isinstance(step, int):
        return progress // step
    for i, s in enumerate(step):
        if progress < s:
            return i
    return len(step)


def _check_step(step):
    if isinstance(step, (list, tuple)):
        if not all(isinstance(s, int) and s > 0 for s in step):
            raise ValueError(f"step must be positive ints, got {step!r}")
        return list(step)
    if isinstance(step, int) and step > 0:
        return step
    raise TypeError(f"step must be a list or a positive int, got {step!r}")


# ---- LR policies: (run, by_epoch, **policy kwargs) -> Policy -------------------------------

def _lr_fixed(run, *, by_epoch=True):
    return Policy(by_epoch, lambda base, p: base, breaks=lambda n: [0])


def _step_breaks(step):
    if isinstance(step, int):
        return lambda n: list(range(0, n, step))
    return lambda n: [0] + [s for s in step if s < n]


def _step_policy(by_epoch, step, gamma, floor):
    """StepLrUpdaterHook / StepMomentumUpdaterHook: base * gamma**k, clipped at the floor."""
    step = _check_step(step)

    def value(base, p):
        v = base * (gamma ** _step_exponent(step, p))
        return max(v, floor) if floor is not None else v
    return Policy(by_epoch, value, breaks=_step_breaks(step))


def _lr_step(run, *, by_epoch=True, step, gamma=0.1, min_lr=None):
    return _step_policy(by_epoch, step, gamma, min_lr)


def _lr_exp(run, *, by_epoch=True, gamma):
    return Policy(by_epoch, lambda base, p: base * gamma ** p)


def _lr_poly(run, *, by_epoch=True, power=1.0, min_lr=0.0):
    mx = _progress(by_epoch, run)
    return Policy(by_epoch, lambda base, p: (base - min_lr) * (1 - p / mx) ** power + min_lr)


def _lr_inv(run, *, by_epoch=True, gamma, power=1.0):
    return Policy(by_epoch, lambda base, p: base * (1 + gamma * p) ** (-power))


def _lr_cosine(run, *, by_epoch=True, min_lr=None, min_lr_ratio=None):
    _check_min(min_lr, min_lr_ratio)
    mx = _progress(by_epoch, run)
    return Policy(by_epoch, lambda base, p: anneal_cos(base, _target(base, min_lr, min_lr_ratio),
                                                        p / mx))


def _lr_flat_cosine(run, *, by_epoch=True, start_percent=0.75, min_lr=None, min_lr_ratio=None):
    _check_min(min_lr, min_lr_ratio)
    if not isinstance(start_percent, float) or not 0 <= start_percent <= 1:
        raise ValueError(f"start_percent must be a float in [0, 1], got {start_percent!r}")
    mx = _progress(by_epoch, run)
    start = None if mx is None else round(mx * start_percent)    # Python round: half to even

    def value(base, p):
        if p - start < 0:
            return base
        return anneal_cos(base, _target(base, min_lr, min_lr_ratio), (p - start) / (mx - start))
    return Policy(by_epoch, value)


def _lr_cosine_restart(run, *, by_epoch=True, periods, restart_weights=(1,), min_lr=None,
                       min_lr_ratio=None):
    _check_min(min_lr, min_lr_ratio)
    periods, weights = list(periods), list(restart_weights)
    if len(periods) != len(weights):
        raise ValueError("periods and restart_weights must have the same length")
    cumulative = [sum(periods[:i + 1]) for i in range(len(periods))]

    def value(base, p):
        for idx, end in enumerate(cumulative):
            if p < end:
                break
        else:
            raise ValueError(f"progress {p} exceeds cumulative periods {cumulative}")
        restart = 0 if idx == 0 else cumulative[idx - 1]
        alpha = min((p - restart) / periods[idx], 1)
        return anneal_cos(base, _target(base, min_lr, min_lr_ratio), alpha, weights[idx])
    return Policy(by_epoch, value)


def _cyclic_phases(run, target_ratio, cyclic_times, step_ratio_up):
    if isinstance(target_ratio, float):
        target_ratio = (target_ratio, target_ratio / 1e5)
    elif isinstance(target_ratio, (tuple, list)):   # a loaded config may turn tuples to lists
        if len(target_ratio) == 1:
            target_ratio = (target_ratio[0], target_ratio[0] / 1e5)
    else:
        raise ValueError(f"target_ratio must be a float or tuple, got {type(target_ratio)}")
    if len(target_ratio) != 2 or not 0 <= step_ratio_up < 1:
        raise ValueError("bad cyclic target_ratio/step_ratio_up")
    per_phase = run.max_iters // cyclic_times
    up = int(step_ratio_up * per_phase)
    return per_phase, [(0, up, 1, target_ratio[0]), (up, per_phase, target_ratio[0],
                                                      target_ratio[1])]


def _cyclic_value(per_phase, phases, gamma, anneal):
    def value(base, it):
        cur, cycle = it % per_phase, it // per_phase
        scale = gamma ** cycle
        for start, end, r0, r1 in phases:
            if start <= cur < end:
                if start == 0:
                    r1 = 1 - scale + r1 * scale
                else:
                    r0 = 1 - scale + r0 * scale
                return anneal(base * r0, base * r1, (cur - start) / (end - start))
        raise ValueError(f"iteration {it} outside every cyclic phase")  # MMCV returns None here
    return value


def _lr_cyclic(run, *, by_epoch=False, target_ratio=(10, 1e-4), cyclic_times=1, step_ratio_up=0.4,
               anneal_strategy="cos", gamma=1):
    if by_epoch:
        raise ValueError('cyclic lr only supports by_epoch=False')
    if not 0 < gamma <= 1:
        raise ValueError("gamma must be in (0, 1]")
    per_phase, phases = _cyclic_phases(run, target_ratio, cyclic_times, step_ratio_up)
    return Policy(False, _cyclic_value(per_phase, phases, gamma, _anneal_func(anneal_strategy)))


def _first(v, what):
    if isinstance(v, (list, tuple)):
        return v[0]
    if isinstance(v, dict):
        raise ValueError(f"{what} given per optimizer (dict): multiple optimizers are not modelled")
    return v


def _lr_one_cycle(run, *, by_epoch=False, max_lr=None, total_steps=None, pct_start=0.3,
                  anneal_strategy="cos", div_factor=25, final_div_factor=1e4, three_phase=False):
    if by_epoch:
        raise ValueError('OneCycle lr only supports by_epoch=False')
    if max_lr is None:
        raise TypeError("OneCycle lr needs max_lr")
    if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
        raise ValueError(f"pct_start must be a float in [0, 1], got {pct_start!r}")
    total = run.max_iters if total_steps is None else total_steps
    if total < run.max_iters:
        raise ValueError(f"total_steps {total} < max_iters {run.max_iters}")
    anneal = _anneal_func(anneal_strategy)
    if three_phase:
        phases = [(float(pct_start * total) - 1, 1, div_factor),
                  (float(2 * pct_start * total) - 2, div_factor, 1),
                  (total - 1, 1, 1 / final_div_factor)]
    else:
        phases = [(float(pct_start * total) - 1, 1, div_factor),
                  (total - 1, div_factor, 1 / final_div_factor)]

    def value(base, it):
        start = 0
        for end, r0, r1 in phases:
            if it <= end:
                return anneal(base * r0, base * r1, (it - start) / (end - start))
            start = end
        raise ValueError(f"iteration {it} beyond OneCycle total_steps")  # MMCV: UnboundLocalError
    return Policy(False, value, base=_first(max_lr, "max_lr") / div_factor)


def _lr_linear(run, *, by_epoch=True, min_lr=None, min_lr_ratio=None):
    _check_min(min_lr, min_lr_ratio)
    mx = _progress(by_epoch, run)
    return Policy(by_epoch, lambda base, p: anneal_linear(
        base, _target(base, min_lr, min_lr_ratio), p / mx))


def _lr_yolox(run, *, num_last_epochs, warmup_iters, by_epoch=True, min_lr=None,
              min_lr_ratio=None):
    _check_min(min_lr, min_lr_ratio)
    mx = _progress(by_epoch, run)
    last = run.epoch_len * num_last_epochs

    def value(base, p):
        target = _target(base, min_lr, min_lr_ratio)
        if p + 1 >= mx - last:
            return target
        return anneal_cos(base, target, (p + 1 - warmup_iters) / (mx - warmup_iters - last))
    return Policy(by_epoch, value)


def _lr_cosine_cooldown(run, *, by_epoch=True, min_lr=None, min_lr_ratio=None,
                        cool_down_ratio=0.1, cool_down_time=10):
    if (min_lr is None) == (min_lr_ratio is None):
        raise AssertionError("exactly one of min_lr / min_lr_ratio (mmcls asserts it)")
    mx = _progress(by_epoch, run)

    def value(base, p):
        target = _target(base, min_lr, min_lr_ratio)
        if p > mx - cool_down_time:
            return target * cool_down_ratio
        return anneal_cos(base, target, p / (mx - cool_down_time))
    return Policy(by_epoch, value)


_LR = {"YOLOX": _lr_yolox, "CosineAnnealingCooldown": _lr_cosine_cooldown, "Fixed": _lr_fixed, "Step": _lr_step, "Exp": _lr_exp,
       "Poly": _lr_poly, "Inv": _lr_inv,
       "CosineAnnealing": _lr_cosine, "FlatCosineAnnealing": _lr_flat_cosine,
       "CosineRestart": _lr_cosine_restart, "Cyclic": _lr_cyclic, "OneCycle": _lr_one_cycle,
       "LinearAnnealing": _lr_linear}


# ---- momentum policies ------------------------------------------------------------------------

def _mom_step(run, *, by_epoch=True, step, gamma=0.5, min_momentum=None):
    return _step_policy(by_epoch, step, gamma, min_momentum)


def _mom_cosine(run, *, by_epoch=True, min_momentum=None, min_momentum_ratio=None):
    _check_min(min_momentum, min_momentum_ratio, "min_momentum")
    mx = _progress(by_epoch, run)
    return Policy(by_epoch, lambda base, p: anneal_cos(
        base, _target(base, min_momentum, min_momentum_ratio), p / mx))


def _mom_linear(run, *, by_epoch=True, min_momentum=None, min_momentum_ratio=None):
    _check_min(min_momentum, min_momentum_ratio, "min_momentum")
    mx = _progress(by_epoch, run)
    return Policy(by_epoch, lambda base, p: anneal_linear(
        base, _target(base, min_momentum, min_momentum_ratio), p / mx))


def _mom_cyclic(run, *, by_epoch=False, target_ratio=(0.85 / 0.95, 1.0), cyclic_times=1,
                step_ratio_up=0.4, anneal_strategy="cos", gamma=1.0):
    if by_epoch:
        raise ValueError('cyclic momentum only supports by_epoch=False')
    per_phase, phases = _cyclic_phases(run, target_ratio, cyclic_times, step_ratio_up)
    return Policy(False, _cyclic_value(per_phase, phases, gamma, _anneal_func(anneal_strategy)))


def _mom_one_cycle(run, *, by_epoch=False, base_momentum=0.85, max_momentum=0.95, pct_start=0.3,
                   anneal_strategy="cos", three_phase=False):
    if by_epoch:
        raise ValueError('OneCycle momentum only supports by_epoch=False')
    if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
        raise ValueError(f"pct_start must be a float in [0, 1], got {pct_start!r}")
    lo, hi = _first(base_momentum, "base_momentum"), _first(max_momentum, "max_momentum")
    anneal, mx = _anneal_func(anneal_strategy), run.max_iters
    if three_phase:
        phases = [(float(pct_start * mx) - 1, hi, lo), (float(2 * pct_start * mx) - 2, lo, hi),
                  (mx - 1, hi, hi)]
    else:
        phases = [(float(pct_start * mx) - 1, hi, lo), (mx - 1, lo, hi)]

    def value(base, it):          # the group's base/max momentum, not the optimizer value
        start = 0
        for i, (end, m0, m1) in enumerate(phases):
            if it <= end or i == len(phases) - 1:
                return anneal(m0, m1, (it - start) / (end - start))
            start = end
        raise AssertionError("unreachable")
    return Policy(False, value, base=hi)


_MOMENTUM = {"Step": _mom_step, "CosineAnnealing": _mom_cosine, "LinearAnnealing": _mom_linear,
             "Cyclic": _mom_cyclic, "OneCycle": _mom_one_cycle}


def _build(table, kind, cfg, run, warmup_ratio_default, allow_warmup_by_epoch):
    cfg = dict(cfg)
    if "policy" not in cfg:
        raise ValueError(f"{kind}_config needs a 'policy'")
    name = hook_name(str(cfg.pop("policy")))
    if name not in table:
        raise ValueError(f"unknown {kind} policy {name!r} (MMCV has no {name}"
                         f"{'Lr' if kind == 'lr' else 'Momentum'}UpdaterHook)")
    warm = cfg.pop("warmup", None)
    w_iters = cfg.pop("warmup_iters", 0)
    w_ratio = cfg.pop("warmup_ratio", warmup_ratio_default)
    w_by_epoch = cfg.pop("warmup_by_epoch", False) if allow_warmup_by_epoch else False
    if warm is not None:
        if warm not in ("constant", "linear", "exp"):
            raise ValueError(f"unsupported warmup {warm!r}")
        if not w_iters > 0 or not 0 < w_ratio <= 1.0:
            raise ValueError("warmup needs warmup_iters > 0 and 0 < warmup_ratio <= 1")
    # warmup_by_epoch: LrUpdaterHook.before_train_epoch sets warmup_epochs * len(data_loader);
    # IterBasedRunner never calls it, so the iteration count stays unknown (None)
    resolved = (w_iters * run.epoch_len if run.by_epoch else None) if w_by_epoch else w_iters
    if name == "YOLOX":
        if resolved is None:
            raise ValueError("YOLOX lr with warmup_by_epoch under IterBasedRunner fails in MMCV")
        cfg["warmup_iters"] = resolved
        warm = "yolox" if warm is not None else None
    policy = table[name](run, **cfg)   # by_epoch defaults: True, except Cyclic/OneCycle
    warmup = Warmup(warm, resolved, w_iters if w_by_epoch else None, w_ratio)
    return name, policy, warmup


def build_lr(lr_config: dict, run: RunShape):
    """`lr_config` dict -> (hook name, Policy, Warmup). warmup_ratio defaults to 0.1."""
    return _build(_LR, "lr", lr_config, run, 0.1, True)


def build_momentum(momentum_config: dict, run: RunShape):
    """`momentum_config` dict -> (hook name, Policy, Warmup). warmup_ratio defaults to 0.9 and
    MomentumUpdaterHook has no warmup_by_epoch (passing it is a TypeError there)."""
    cfg = dict(momentum_config)
    if "warmup_by_epoch" in cfg:
        raise TypeError("MomentumUpdaterHook got an unexpected keyword 'warmup_by_epoch'")
    return _build(_MOMENTUM, "momentum", cfg, run, 0.9, False)


def warmup_lr(kind: str, regular: float, it: int, iters: int, ratio: float) -> float:
    """LrUpdaterHook.get_warmup_lr for one group ('yolox': YOLOXLrUpdaterHook's, where `regular`
    must be the base lr)."""
    if kind == "yolox":
        return regular * (ratio * ((it + 1) / float(iters)) ** 2)
    if kind == "constant":
        return regular * ratio
    if kind == "linear":
        return regular * (1 - (1 - it / iters) * (1 - ratio))
    return regular * ratio ** (1 - it / iters)            # 'exp'


def warmup_momentum(kind: str, regular: float, it: int, iters: int, ratio: float) -> float:
    """MomentumUpdaterHook.get_warmup_momentum: the lr warmup factor divides the momentum."""
    if kind == "constant":
        return regular / ratio
    if kind == "linear":
        return regular / (1 - (1 - it / iters) * (1 - ratio))
    return regular / ratio ** (1 - it / iters)
