"""LR policies of the schedule rule: MMCV `<Policy>LrUpdaterHook` -> MMEngine `*LR` schedulers.

MMCV behaviour read (mmcv/runner/hooks/lr_updater.py): with progress p (epoch or iter) out of P
(max_epochs or max_iters) the regular lr of each policy is
  Fixed base | Step base*gamma**k (k milestones passed, or p//step), floored at min_lr |
  Exp base*gamma**p | Poly (base-min_lr)*(1-p/P)**power+min_lr | Inv base*(1+gamma*p)**-power |
  CosineAnnealing / FlatCosineAnnealing (flat until round(P*start_percent)) / CosineRestart
  (per period, restart weight) / LinearAnnealing annealing from base to min_lr (or base*ratio) |
  Cyclic (iters only): per cycle of max_iters//cyclic_times, anneal 1 -> target_ratio[0] (scaled by
  gamma**cycle) -> target_ratio[1] | OneCycle (iters only): torch-style one-cycle from max_lr.
mmdet 2.x registers one more policy, YOLOX (quadratic warmup, cosine, flat last epochs), read
from mmdet/core/hook/yolox_lrupdater_hook.py; its QuadraticWarmupLR is mmdet 3.x's scheduler.
mmcls 0.25 registers CosineAnnealingCooldown (mmcls/core/hook/lr_updater.py), see `cooldown`.
MMEngine behaviour produced: the matching `*LR` scheduler (mmengine/optim/scheduler/lr_scheduler.py)
whose per-step value equals MMCV's; shapes without an MMEngine class are composed from several
schedulers over [begin, end); what cannot be exact is written closest and reported.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from .base import Context, RunInfo
from .schedule_approx import record

REQUIRED: Any = object()   # argument MMCV requires
OPTIONAL: Any = object()   # argument passed through only when written
LR_CONTEXT = {"key": "lr_config", "kind": "lr", "suffix": "LR"}


class Span:
    """How MMEngine should count one MMCV updater's progress in a given run.

    mode 'epoch': epoch run, by_epoch=True  -> by_epoch=True, begin/end in epochs.
    mode 'iter' : iter run, by_epoch=False  -> by_epoch=False, begin/end in iters.
    mode 'convert': epoch run, by_epoch=False -> shapes over the run use
                  by_epoch=True + convert_to_iter_based=True (begin/end in epochs);
                  values counted in iterations use by_epoch=False with `end` left to the
                  train loop's default (max_iters).
    """

    def __init__(self, run: RunInfo, by_epoch: bool):
        self.run = run
        if run.by_epoch:
            self.mode = "epoch" if by_epoch else "convert"
            self.length = run.max_epochs
        else:
            self.mode = "iter"
            self.length = run.max_iters

    def shaped(self, begin: Any = 0, end: Any = None) -> Dict[str, Any]:
        """Fields of a scheduler laid over the run (units: epochs unless mode 'iter')."""
        out: Dict[str, Any] = {"by_epoch": self.mode != "iter", "begin": begin}
        if end is not None:
            out["end"] = end
        if self.mode == "convert":
            out["convert_to_iter_based"] = True
        return out

    def counted(self, begin: int = 0, end: Any = "run") -> Dict[str, Any]:
        """Fields of a scheduler whose own arguments count MMCV's progress unit."""
        if end == "run":
            end = None if self.mode == "convert" else self.length
        out: Dict[str, Any] = {"by_epoch": self.mode == "epoch", "begin": begin}
        if end is not None:
            out["end"] = end
        return out


def base_value(cfg: Dict[str, Any], kind: str) -> Optional[float]:
    """The optimizer's lr (or momentum / betas[0]) of the old config, when written plainly."""
    opt = cfg.get("optimizer")
    if not isinstance(opt, dict):
        wrapper = cfg.get("optim_wrapper")
        opt = wrapper.get("optimizer") if isinstance(wrapper, dict) else None
    if not isinstance(opt, dict):
        return None
    if kind == "lr":
        val = opt.get("lr")
    else:
        val = opt.get("momentum")
        if val is None and isinstance(opt.get("betas"), (list, tuple)):
            val = opt["betas"][0]
    return val if isinstance(val, (int, float)) and not isinstance(val, bool) else None


def _num(x: float) -> Any:
    """Write integral floats as ints (epochs/iters), keep others as floats."""
    return int(x) if float(x).is_integer() else x


def _target(a: Dict[str, Any], ctx: Context, key: str, prefix: str = "min_lr"):
    val, ratio = a.pop(prefix, None), a.pop(f"{prefix}_ratio", None)
    if (val is None) == (ratio is None):
        raise ctx.error(key, f"exactly one of {prefix} and {prefix}_ratio must be set "
                        "(MMCV asserts it)")
    return val, ratio


def _eta(val, ratio) -> Dict[str, Any]:
    return {"eta_min": val} if ratio is None else {"eta_min_ratio": ratio}


def _shift_end(span: Span, ctx: Context, field: str, original: Any, what: str,
               names=LR_CONTEXT, **shape) -> Any:
    """`end` for schedulers reaching their last value at end-1 (LinearLR, PolyLR): MMCV stops one
    step before the target, so end = run length + 1 (impossible for convert_to_iter_based:
    approximation MA102, `shape` = its eta_min / eta_min_ratio / power)."""
    if span.length is None:
        ctx.warn(field, f"{what}: without the run length MMEngine's default end reaches the "
                 "final value one step earlier than MMCV", original=original,
                 anchor="param_scheduler")
        return None
    if span.mode == "convert":
        ctx.warn(field, f"{what}: per-iteration schedule over epochs reaches its final value at "
                 "the last iteration; MMCV stopped one iteration short of it", original=original,
                 anchor="param_scheduler",
                 approx=record("MA102", field, names["kind"], "every iteration (0 at the first)",
                               **shape))
        return span.length
    return span.length + 1


# ----------------------------------------------------------------------------- policies

def fixed(a, span, ctx, key, base_value, names=LR_CONTEXT):
    return []


def step(a, span, ctx, key, base_value, names=LR_CONTEXT, floor_key="min_lr"):
    sfx = names["suffix"]
    steps, gamma, floor = a.pop("step"), a.pop("gamma"), a.pop(floor_key, None)
    if isinstance(steps, (list, tuple)):
        milestones = list(steps)
    elif isinstance(steps, int) and not isinstance(steps, bool):
        milestones = None
    else:
        raise ctx.error(f"{key}.step", f"step must be an int or a list of ints, got {steps!r}")
    clip_at = None
    if floor is not None:
        if base_value is None:
            ctx.warn(f"{key}.{floor_key}", f"MMEngine Step/MultiStep{sfx} has no floor and the "
                     f"optimizer {names['kind']} is unknown: {floor_key} dropped",
                     original=floor, anchor="param_scheduler")
        else:
            ctx.warn(f"{key}.{floor_key}", f"MMEngine has no {names['kind']} floor: the clip at "
                     f"{floor} is written as a last smaller decay, exact for param groups with "
                     f"{names['kind']}={base_value} only", original=floor, anchor="param_scheduler")
            if 0 < gamma < 1 and base_value >= floor > 0:
                clip_at = 1   # first decay count whose value falls below the floor
                while base_value * gamma ** clip_at >= floor:
                    clip_at += 1
    if clip_at is not None:
        last = floor / (base_value * gamma ** (clip_at - 1))
        out: List[Dict[str, Any]] = []
        if milestones is None:
            stop = steps * clip_at
            if clip_at > 1:
                out.append({"type": f"Step{sfx}", "step_size": steps, "gamma": gamma,
                            **span.counted(end=stop)})
            out.append({"type": f"MultiStep{sfx}", "milestones": [stop], "gamma": last,
                        **span.counted()})
            return out
        if clip_at <= len(milestones):
            if clip_at > 1:
                out.append({"type": f"MultiStep{sfx}", "milestones": milestones[:clip_at - 1],
                            "gamma": gamma, **span.counted()})
            out.append({"type": f"MultiStep{sfx}", "milestones": [milestones[clip_at - 1]],
                        "gamma": last, **span.counted()})
            return out
    if milestones is None:
        return [{"type": f"Step{sfx}", "step_size": steps, "gamma": gamma, **span.counted()}]
    return [{"type": f"MultiStep{sfx}", "milestones": milestones, "gamma": gamma,
             **span.counted()}]


def exp(a, span, ctx, key, base_value):
    return [{"type": "ExponentialLR", "gamma": a.pop("gamma"), **span.counted()}]


def poly(a, span, ctx, key, base_value):
    power, eta = a.pop("power"), a.pop("min_lr")
    end = _shift_end(span, ctx, key, {"policy": "poly"}, "PolyLR", eta_min=eta, eta_min_ratio=None,
                     power=power)
    return [{"type": "PolyLR", "eta_min": eta, "power": power, **span.shaped(0, end)}]


def inv(a, span, ctx, key, base_value):
    gamma, power = a.pop("gamma"), a.pop("power")
    total = span.length if span.mode != "convert" else None
    if not total or total < 2:
        ctx.todo(f"{key}.policy", "inv lr (base*(1+gamma*p)**-power) has no MMEngine scheduler "
                 "and the run length in its unit is unknown: not converted",
                 original={"policy": "inv", "gamma": gamma, "power": power},
                 anchor="param_scheduler")
        return []
    # ExponentialLR agreeing with MMCV at the first and the last step.
    g = (1 + gamma * (total - 1)) ** (-power / (total - 1))
    worst = max(abs(g ** p / (1 + gamma * p) ** (-power) - 1) for p in range(total))
    ctx.warn(f"{key}.policy", f"inv lr has no MMEngine scheduler: approximated by ExponentialLR "
             f"matching its first and last value (max relative deviation {worst:.3g})",
             original={"policy": "inv", "gamma": gamma, "power": power}, anchor="param_scheduler",
             approx=record("MA104", f"{key}.policy", "lr", "the whole run", max_rel=worst))
    return [{"type": "ExponentialLR", "gamma": g, **span.counted()}]


def cosine(a, span, ctx, key, base_value, names=LR_CONTEXT, prefix="min_lr"):
    val, ratio = _target(a, ctx, key, prefix)
    return [{"type": f"CosineAnnealing{names['suffix']}", **_eta(val, ratio),
             **span.shaped(0, span.length)}]


def flat_cosine(a, span, ctx, key, base_value):
    sp = a.pop("start_percent")
    val, ratio = _target(a, ctx, key)
    if not isinstance(sp, float) or not 0 <= sp <= 1:
        raise ctx.error(f"{key}.start_percent", f"expected a float in [0, 1], got {sp!r}")
    if span.length is None:
        ctx.todo(f"{key}.policy", "FlatCosineAnnealing starts at a fraction of the run, whose "
                 "length is unknown: not converted", original={"start_percent": sp},
                 anchor="param_scheduler")
        return []
    if span.mode == "convert":
        begin = span.length * sp
        if not float(begin).is_integer():
            ctx.warn(f"{key}.start_percent", f"flat part ends at epoch {begin}: MMEngine "
                     "truncates it to whole iterations, MMCV rounded max_iters*start_percent",
                     original=sp, anchor="param_scheduler")
        begin = _num(begin)
    else:
        begin = round(span.length * sp)
    if begin >= span.length:
        return []
    return [{"type": "CosineAnnealingLR", **_eta(val, ratio), **span.shaped(begin, span.length)}]


def cosine_restart(a, span, ctx, key, base_value):
    periods, weights = list(a.pop("periods")), list(a.pop("restart_weights"))
    val, ratio = _target(a, ctx, key)
    if len(periods) != len(weights):
        raise ctx.error(f"{key}.restart_weights", "periods and restart_weights differ in length")
    orig = {"periods": periods, "restart_weights": weights}
    # MMCV restarts at target + w*(base - target); MMEngine at w'*base: w' = w + (1-w)*eta/base.
    if any(w != 1 for w in weights):
        if ratio is not None:
            weights = [w + (1 - w) * ratio for w in weights]
        elif val:
            if base_value is None:
                ctx.warn(f"{key}.restart_weights", "MMEngine restarts at weight*base lr, MMCV at "
                         "min_lr+weight*(base-min_lr); optimizer lr unknown, weights kept",
                         original=orig, anchor="param_scheduler")
            else:
                weights = [w + (1 - w) * val / base_value for w in weights]
                ctx.warn(f"{key}.restart_weights", "restart weights rescaled for min_lr "
                         f"(MMEngine restarts at weight*base lr): exact for lr={base_value} only",
                         original=orig, anchor="param_scheduler")
    total = span.length if span.mode != "convert" else None
    if total is not None and sum(periods) < total:
        ctx.warn(f"{key}.periods", f"periods sum to {sum(periods)} < run length {total}: MMCV "
                 "raised past the last period, MMEngine keeps the last value",
                 original=periods, anchor="param_scheduler")
    return [{"type": "CosineRestartLR", "periods": periods, "restart_weights": weights,
             **_eta(val, ratio), **span.counted()}]


def linear_annealing(a, span, ctx, key, base_value, names=LR_CONTEXT, prefix="min_lr"):
    val, ratio = _target(a, ctx, key, prefix)
    sfx = names["suffix"]
    end = _shift_end(span, ctx, key, {prefix: val, f"{prefix}_ratio": ratio}, f"Linear{sfx}",
                     names, eta_min=val, eta_min_ratio=ratio, power=1.0)
    if ratio is not None:
        return [{"type": f"Linear{sfx}", "start_factor": 1.0, "end_factor": ratio,
                 **span.shaped(0, end)}]
    return [{"type": f"Poly{sfx}", "eta_min": val, "power": 1.0, **span.shaped(0, end)}]


def _ratio_pair(tr, ctx, field):
    if isinstance(tr, (int, float)) and not isinstance(tr, bool):
        return float(tr), tr / 1e5
    if isinstance(tr, (list, tuple)) and len(tr) in (1, 2):
        return (tr[0], tr[0] / 1e5) if len(tr) == 1 else (tr[0], tr[1])
    raise ctx.error(field, f"target_ratio must be a float or a tuple of two floats, got {tr!r}")


def cyclic(a, span, ctx, key, base_value, names=LR_CONTEXT):
    sfx = names["suffix"]
    r0, r1 = _ratio_pair(a.pop("target_ratio"), ctx, f"{key}.target_ratio")
    times, up_ratio = a.pop("cyclic_times"), a.pop("step_ratio_up")
    strategy, gamma = a.pop("anneal_strategy"), a.pop("gamma")
    orig = {"policy": "cyclic", "target_ratio": (r0, r1), "cyclic_times": times,
            "step_ratio_up": up_ratio, "anneal_strategy": strategy, "gamma": gamma}
    if strategy not in ("cos", "linear"):
        raise ctx.error(f"{key}.anneal_strategy", f"expected 'cos' or 'linear', got {strategy!r}")
    if strategy == "linear":
        ctx.warn(f"{key}.anneal_strategy", "linear cyclic annealing has no MMEngine scheduler "
                 "that restarts at an absolute value: written with cosine phases", original=orig,
                 anchor="param_scheduler")
    if span.length is None:
        ctx.todo(f"{key}.policy", "cyclic schedule needs the run length: not converted",
                 original=orig, anchor="param_scheduler")
        return []
    if span.mode == "iter":
        per = span.length // times
        up = int(up_ratio * per)
        cycles = -(-span.length // per)
    else:
        per = span.length / times
        up = up_ratio * per
        cycles = times
        if span.length % times or not float(up).is_integer():
            ctx.warn(f"{key}.cyclic_times", f"cycle phases of {per} / {up} epochs: MMCV cut "
                     "max_iters into whole iterations, MMEngine converts epochs to iterations",
                     original=orig, anchor="param_scheduler")
        per, up = _num(per), _num(up)
    out = []
    for c in range(cycles):
        scale = gamma ** c
        peak = 1 - scale + r0 * scale
        start = _num(c * per)
        if up:
            out.append({"type": f"CosineRestart{sfx}", "periods": [up], "restart_weights": [1],
                        "eta_min_ratio": peak, **span.shaped(start, _num(start + up))})
        out.append({"type": f"CosineRestart{sfx}", "periods": [_num(per - up)],
                    "restart_weights": [peak], "eta_min_ratio": r1,
                    **span.shaped(_num(start + up), _num(start + per))})
    return out


def one_cycle(a, span, ctx, key, base_value):
    max_lr = a.pop("max_lr")
    if isinstance(max_lr, dict):
        ctx.todo(f"{key}.max_lr", "per-optimizer max_lr dict: MMEngine needs one scheduler list "
                 "per optimizer", original=max_lr, anchor="param_scheduler")
        return []
    total = a.pop("total_steps", None)
    opts = {"eta_max": max_lr}
    for k in ("pct_start", "anneal_strategy", "div_factor", "final_div_factor", "three_phase"):
        if k in a:
            opts[k] = a.pop(k)
    if total is not None:
        opts["total_steps"] = total
        if span.mode == "convert":
            return [{"type": "OneCycleLR", **opts, **span.counted()}]
    return [{"type": "OneCycleLR", **opts, **span.shaped(0, span.length)}]


def yolox(a, span, ctx, key, base_value):
    """mmdet 2.x YOLOXLrUpdaterHook (mmdet/core/hook/yolox_lrupdater_hook.py), by_epoch=False in an
    epoch run of E epochs of L iterations, W = warmup epochs * L, N = num_last_epochs, target =
    base*min_lr_ratio (or min_lr). Iteration i runs at
      i < W                : base * warmup_ratio * ((i+1)/W)**2   (any warmup type: it overrides
                             get_warmup_lr and ignores `warmup`)
      i + 1 >= (E-N)*L     : target
      otherwise            : annealing_cos(base, target, (i+1-W) / ((E-N)*L - W)).
    Exact MMEngine form: QuadraticWarmupLR over [0, W); CosineAnnealingLR over [W, (E-N)*L) with
    its default T_max = end - begin and `last_step=0`, i.e. already one step into the cosine at
    iteration W (MMCV counts progress+1; it therefore reaches the target at (E-N)*L - 1 exactly as
    MMCV switches to the fixed lr); a no-op ConstantLR over the last N epochs marks the flat tail.
    mmdet 3.3.0's hand-migrated yolox config instead uses T_max = E-N epochs from epoch W/L with
    an absolute eta_min: its cosine never reaches the target and runs one iteration late."""
    n_last = a.pop("num_last_epochs")
    val, ratio = _target(a, ctx, key)
    kind, w = a.pop("warmup", None), a.pop("warmup_iters", 0)
    r, w_ep = a.pop("warmup_ratio", 0.1), a.pop("warmup_by_epoch", False)
    orig = {"policy": "YOLOX", "num_last_epochs": n_last, "warmup": kind, "warmup_iters": w,
            "warmup_ratio": r, "warmup_by_epoch": w_ep}
    if kind is not None:   # LrUpdaterHook.__init__ checks
        if kind not in ("constant", "linear", "exp"):
            raise ctx.error(f"{key}.warmup", f"unknown warmup {kind!r} (known: constant, linear, "
                            "exp)")
        if not (isinstance(w, int) and w > 0):
            raise ctx.error(f"{key}.warmup_iters", f"warmup_iters must be a positive int, got {w!r}")
        if not 0 < r <= 1:
            raise ctx.error(f"{key}.warmup_ratio", f"warmup_ratio must be in (0, 1], got {r!r}")
    if not (isinstance(n_last, int) and not isinstance(n_last, bool) and n_last >= 0):
        raise ctx.error(f"{key}.num_last_epochs", f"num_last_epochs must be an int >= 0, got "
                        f"{n_last!r}")

    def todo(why):
        ctx.todo(f"{key}.policy", f"YOLOX lr {why}: not converted", original=orig,
                 anchor="param_scheduler")
        return []

    if span.mode != "convert":
        return todo("counts num_last_epochs in iterations of an epoch (len(data_loader)); only "
                    "by_epoch=False in an EpochBasedRunner maps onto epochs")
    if span.length is None:
        return todo("needs the run length (no runner/total_epochs)")
    if kind is not None and not w_ep:
        return todo("warmup counted in iterations ends inside an epoch while the cosine's length "
                    "is counted in epochs: no epoch-convertible form")
    warm = w if kind is not None else 0
    flat = span.length - n_last
    if flat <= warm:
        return todo(f"cosine phase is empty (warmup {warm} + last {n_last} epochs >= "
                    f"{span.length})")
    out: List[Dict[str, Any]] = []
    if kind is not None:
        if r != 1:
            ctx.warn(f"{key}.warmup_ratio", f"YOLOX warmup scaled by warmup_ratio={r} and jumped "
                     "to the full lr after it; QuadraticWarmupLR has no ratio: written with 1",
                     original=orig, anchor="param_scheduler")
        out.append({"type": "QuadraticWarmupLR", **span.shaped(0, warm)})
    cosine = {"type": "CosineAnnealingLR", **_eta(val, ratio), "last_step": 0,
              **span.shaped(warm, flat)}
    tail = [{"type": "ConstantLR", "factor": 1, **span.shaped(flat, span.length)}] \
        if n_last else []
    if out:
        return out + [cosine] + tail
    if tail:   # a scheduler given last_step >= 0 needs initial_lr set by one built before it
        return tail + [cosine]
    del cosine["last_step"]
    ctx.warn(f"{key}.policy", "YOLOX lr without warmup nor flat tail: the cosine is written one "
             "iteration late (MMCV started it at progress 1/T)", original=orig,
             anchor="param_scheduler")
    return [cosine]


def cooldown(a, span, ctx, key, base_value):
    """mmcls 0.25 CosineAnnealingCooldownLrUpdaterHook, progress p of P, C = cool_down_time,
    target = min_lr (or base*min_lr_ratio): p > P-C -> target*cool_down_ratio, else
    annealing_cos(base, target, p/(P-C)); the target is reached at p = P-C, the cooldown runs
    over P-C+1 .. P-1 (C-1 steps: MMCV's `>`).
    Exact MMEngine form: CosineAnnealingLR(T_max=P-C) over [0, P-C+1) (its chained step at
    T_max lands on eta_min), then ConstantLR(factor=cool_down_ratio) over [P-C+1, P+1): it
    multiplies the eta_min it finds once and would divide it back only at step P (never run).
    mmpretrain 1.2.0's t2t-vit configs use CosineAnnealingLR(T_max=290) over [10, 300) and
    ConstantLR over [300, 310): the cosine starts after the warmup, the cooldown starts one epoch
    early and is undone in the last epoch (ConstantLR restores at end-1)."""
    c, ratio = a.pop("cool_down_time"), a.pop("cool_down_ratio")
    val, mratio = _target(a, ctx, key)
    orig = {"policy": "CosineAnnealingCooldown", "cool_down_time": c, "cool_down_ratio": ratio}

    def todo(why):
        ctx.todo(f"{key}.policy", f"CosineAnnealingCooldown {why}: not converted", original=orig,
                 anchor="param_scheduler")
        return []

    if span.mode == "convert":
        return todo("counts cool_down_time in iterations of an epoch run (needs the epoch length)")
    if span.length is None:
        return todo("needs the run length (no runner/total_epochs)")
    if not (isinstance(c, int) and not isinstance(c, bool)):
        raise ctx.error(f"{key}.cool_down_time", f"expected an int, got {c!r}")
    flat = span.length - c
    if flat <= 0:
        return todo(f"cosine phase is empty (cool_down_time {c} >= run length {span.length})")
    out = [{"type": "CosineAnnealingLR", "T_max": flat, **_eta(val, mratio),
            **span.shaped(0, min(flat + 1, span.length))}]
    if flat + 1 < span.length:
        if not 0 <= ratio <= 1:
            return todo(f"cool_down_ratio {ratio!r} outside [0, 1] (ConstantLR's factor range)")
        out.append({"type": "ConstantLR", "factor": ratio,
                    **span.shaped(flat + 1, span.length + 1)})
    return out


ABSOLUTE = {"OneCycle", "Cyclic"}   # absolute every step: a multiplicative warmup cannot apply

POLICIES = {
    "Fixed": (fixed, {}),
    "Step": (step, {"step": REQUIRED, "gamma": 0.1, "min_lr": None}),
    "Exp": (exp, {"gamma": REQUIRED}),
    "Poly": (poly, {"power": 1.0, "min_lr": 0.0}),
    "Inv": (inv, {"gamma": REQUIRED, "power": 1.0}),
    "CosineAnnealing": (cosine, {"min_lr": None, "min_lr_ratio": None}),
    "FlatCosineAnnealing": (flat_cosine, {"start_percent": 0.75, "min_lr": None,
                                          "min_lr_ratio": None}),
    "CosineRestart": (cosine_restart, {"periods": REQUIRED, "restart_weights": [1],
                                       "min_lr": None, "min_lr_ratio": None}),
    "LinearAnnealing": (linear_annealing, {"min_lr": None, "min_lr_ratio": None}),
    "Cyclic": (cyclic, {"by_epoch": False, "target_ratio": (10, 1e-4), "cyclic_times": 1,
                        "step_ratio_up": 0.4, "anneal_strategy": "cos", "gamma": 1}),
    "OneCycle": (one_cycle, {"by_epoch": False, "max_lr": REQUIRED, "total_steps": OPTIONAL,
                             "pct_start": OPTIONAL, "anneal_strategy": OPTIONAL,
                             "div_factor": OPTIONAL, "final_div_factor": OPTIONAL,
                             "three_phase": OPTIONAL}),
    # mmdet 2.x hook (registered by mmdet, recognised whatever the codebase)
    "YOLOX": (yolox, {"num_last_epochs": REQUIRED, "min_lr": None, "min_lr_ratio": None}),
    # mmcls 0.25 hook (registered by mmcls, recognised whatever the codebase)
    "CosineAnnealingCooldown": (cooldown, {"min_lr": None, "min_lr_ratio": None,
                                           "cool_down_ratio": 0.1, "cool_down_time": 10}),
}
ITER_ONLY = {"Cyclic", "OneCycle"}
OWN_WARMUP = {"YOLOX"}   # the converter reads the warmup keys itself (overridden get_warmup_lr)


# ----------------------------------------------------------------------------- warmup

def warmup(w: Dict[str, Any], span: Span, ctx: Context, key: str,
           main: List[Dict[str, Any]], policy: str = "") -> List[Dict[str, Any]]:
    """MMCV warmup factor at iteration i < W (then 1): constant r, linear 1-(1-i/W)(1-r),
    exp r**(1-i/W)."""
    kind = w.get("warmup")
    if kind is None:
        return []
    if kind not in ("constant", "linear", "exp"):
        raise ctx.error(f"{key}.warmup", f"unknown warmup {kind!r} (known: constant, linear, exp)")
    n, r = w.get("warmup_iters", 0), w.get("warmup_ratio", 0.1)
    if not (isinstance(n, int) and n > 0):
        raise ctx.error(f"{key}.warmup_iters", f"warmup_iters must be a positive int, got {n!r}")
    if not 0 < r <= 1:
        raise ctx.error(f"{key}.warmup_ratio", f"warmup_ratio must be in (0, 1], got {r!r}")
    orig = {k: v for k, v in w.items()}
    if r == 1:
        return []   # factor 1 throughout: no warmup at all
    if policy in ABSOLUTE:
        ctx.todo(f"{key}.warmup", f"{policy} sets the lr absolutely every iteration: MMEngine "
                 "cannot multiply a warmup onto it; warmup not converted", original=orig,
                 anchor="param_scheduler")
        return []
    it = {"by_epoch": False, "begin": 0}
    if w.get("warmup_by_epoch", False):
        if not span.run.by_epoch:
            raise ctx.error(f"{key}.warmup_by_epoch", "warmup_by_epoch in an IterBasedRunner: "
                            "MMCV never set the warmup length there (it failed)")
        ep = {"by_epoch": True, "convert_to_iter_based": True}
        if kind == "constant":   # factor r from iteration 0, back to 1 at iteration n*epoch_len
            return [{"type": "ConstantLR", "factor": r, **it, "end": 1},
                    {"type": "MultiStepLR", "milestones": [n], "gamma": 1 / r,
                     "by_epoch": True, "begin": 0, "end": n + 1, "convert_to_iter_based": True}]
        if kind == "linear":
            # MMCV: factor r + (1-r)*i/E for i < E = n * len(data_loader) (set at run time).
            # LinearLR converted from epochs ramps over E-1 steps; an exact form would need
            # end = E+1 iterations, which no epoch-based begin/end/milestone expresses.
            ctx.warn(f"{key}.warmup_iters", f"linear warmup over {n} epochs: MMEngine's LinearLR "
                     f"reaches the full lr at iteration E-1, MMCV at E (E = {n} x iterations per "
                     f"epoch): the lr is higher by {1 - r:.6g}*i/(E*(E-1)) of the base lr at "
                     f"iteration i in 1..E-1, at most {1 - r:.6g}/E at i = E-1 (exact from "
                     f"iteration E on; with E = 1 MMEngine's one-step LinearLR never ramps and "
                     f"the lr stays {r:.6g} times too small)", original=orig,
                     anchor="param_scheduler",
                     approx=record("MA101", f"{key}.warmup_iters", "lr",
                                   "iterations 1..E-1 (E = epochs x iterations per epoch >= 2)",
                                   ratio=r, epochs=n))
            return [{"type": "LinearLR", "start_factor": r, "begin": 0, "end": n, **ep}]
        ctx.todo(f"{key}.warmup", "exp warmup counted in epochs needs the epoch length: not "
                 "converted", original=orig, anchor="param_scheduler")
        return []
    if kind == "constant":
        return [{"type": "ConstantLR", "factor": r, **it, "end": n + 1}]
    if kind == "linear":
        return [{"type": "LinearLR", "start_factor": r, **it, "end": n + 1}]
    # exp: a permanent factor r (ConstantLR active for step 0 only) times r**(-i/n) up to i = n.
    return [{"type": "ConstantLR", "factor": r, **it, "end": 1},
            {"type": "ExponentialLR", "gamma": r ** (-1 / n), **it, "end": n + 1}]
