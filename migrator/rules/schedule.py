"""Schedule rule: `lr_config` / `momentum_config` -> `param_scheduler`.

MMCV behaviour read (mmcv/runner/hooks/lr_updater.py, momentum_updater.py, base_runner.py
register_lr_hook/register_momentum_hook): `policy` names an `<Policy>LrUpdaterHook` (all-lowercase
names are title-cased). With `by_epoch=True` (the default) the regular lr f(epoch) is set before
every epoch; with `by_epoch=False` it is f(iter) over `runner.max_iters`, set before every
iteration. Warmup (none/constant/linear/exp) always runs per iteration (`warmup_iters`, or
`warmup_iters` epochs when `warmup_by_epoch`) and *multiplies* the regular lr by a factor that
reaches 1 at iteration `warmup_iters`. IterBasedRunner defaults `lr_config.by_epoch` to False and
never calls `before_train_epoch`, so an explicit `by_epoch=True` updater there changed nothing.

MMEngine behaviour produced (mmengine/optim/scheduler/*.py, registry build_scheduler_from_cfg,
ParamSchedulerHook): a list of chainable schedulers, each active on [begin, end) and stepped after
every iteration (`by_epoch=False`) or epoch; active schedulers compose multiplicatively.
Epoch-relative schedules of an epoch run updated per iteration use `convert_to_iter_based=True`.
Where MMEngine counts the first/last step differently (LinearLR/PolyLR reach their end value at
`end - 1`), `end` is shifted by one so every iteration's value equals MMCV's.
"""
from __future__ import annotations

import copy
from typing import Any, Dict, List, Optional

from .base import Context
from .ownership import old_fields
from . import schedule_lr, schedule_momentum
from .schedule_approx import record
from .schedule_lr import Span, base_value

NAME = "schedule"
OLD = old_fields(NAME)                      # lr_config, momentum_config
POLICY_MODULES = {"lr_config": (schedule_lr, "lr"), "momentum_config": (schedule_momentum, "momentum")}


def _policy_name(raw: Any) -> Any:
    if isinstance(raw, str) and raw == raw.lower():
        return raw.title()
    return raw


_ETA_FREE = {"MultiStepLR", "StepLR", "ExponentialLR", "LinearLR", "ConstantLR"}


def _convert(key: str, conf: Any, cfg: Dict[str, Any], ctx: Context, module,
             kind: str) -> List[Dict[str, Any]]:
    if not isinstance(conf, dict):
        raise ctx.error(key, f"expected a dict, got {type(conf).__name__}")
    conf = dict(conf)
    if "policy" not in conf:
        raise ctx.error(f"{key}.policy", f"{key} has no `policy` (MMCV requires one)")
    raw = conf.pop("policy")
    policy = _policy_name(raw)
    if policy not in module.POLICIES:
        known = ", ".join(sorted(module.POLICIES))
        raise ctx.error(f"{key}.policy", f"unknown {kind} policy {raw!r} (known: {known})")
    conv, defaults = module.POLICIES[policy]
    warm_keys = ("warmup", "warmup_iters", "warmup_ratio") + (
        ("warmup_by_epoch",) if kind == "lr" else ())
    for k in conf:
        if k not in defaults and k not in warm_keys and k != "by_epoch":
            raise ctx.error(f"{key}.{k}", f"unexpected argument {k!r} for the {policy} {kind} "
                            "policy (MMCV would fail on it)")
    args = {k: v for k, v in defaults.items() if v is not schedule_lr.OPTIONAL}
    args.update(conf)
    for k, v in args.items():
        if v is schedule_lr.REQUIRED:
            raise ctx.error(f"{key}.{k}", f"the {policy} {kind} policy needs `{k}`")
    # IterBasedRunner.register_training_hooks defaults lr_config (only) to by_epoch=False.
    by_epoch = bool(args.pop("by_epoch", not (kind == "lr" and not ctx.run.by_epoch)))
    if by_epoch and policy in module.ITER_ONLY:
        raise ctx.error(f"{key}.by_epoch", f"the {policy} {kind} policy only supports "
                        "by_epoch=False (MMCV asserts it)")
    warm = {k: args.pop(k) for k in warm_keys if k in args}
    if policy in getattr(module, "OWN_WARMUP", ()):
        args.update(warm)
        warm = {}
    span = Span(ctx.run, by_epoch)
    if not span.run.by_epoch and by_epoch:
        ctx.warn(f"{key}.by_epoch", f"{kind} schedule with by_epoch=True in an IterBasedRunner: "
                 "MMCV never called before_train_epoch there, so it never changed the "
                 f"{kind}; no scheduler written", original=cfg[key], anchor="param_scheduler")
        return []
    if span.length is None:
        ctx.warn(key, "run length unknown (no runner/total_epochs): `end` left to the train "
                 "loop's default", original=cfg[key], anchor="param_scheduler")
    main = conv(args, span, ctx, key, base_value(cfg, kind))
    warm_scheds = module.warmup(warm, span, ctx, key, main, policy)
    floors = [s for s in main if s["type"] not in _ETA_FREE and s.get("eta_min", 0) != 0
              or s.get("eta_min_ratio")]
    restart = any(s["type"].startswith("CosineRestart") for s in main)
    if warm_scheds and floors:
        approx = None
        if kind == "lr" and not restart:
            by_ep = warm.get("warmup_by_epoch", False)
            approx = record("MA103", f"{key}.warmup", kind, "from iteration 1 on",
                            eta_min=floors[0].get("eta_min", 0),
                            eta_min_ratio=floors[0].get("eta_min_ratio"),
                            iters=None if by_ep else warm.get("warmup_iters"),
                            epochs=warm.get("warmup_iters") if by_ep else None)
        ctx.warn(f"{key}.warmup", "while warmup overlaps a schedule with a minimum value, MMEngine "
                 "warms up (lr - eta_min) chained steps, MMCV scaled the whole lr: values differ "
                 "slightly during warmup", original=warm, anchor="param_scheduler", approx=approx)
    if restart:
        return main + warm_scheds   # its first step sets the value absolutely: warm up after it
    return warm_scheds + main


def apply(cfg: Dict[str, Any], ctx: Context) -> Dict[str, Any]:
    if not any(k in cfg for k in OLD):
        return cfg
    cfg = copy.copy(cfg)
    scheds: List[Dict[str, Any]] = []
    present = False
    for key in OLD:
        module, kind = POLICY_MODULES[key]
        if key not in cfg:
            continue
        conf = cfg[key]
        if conf is not None:
            present = True
            scheds += _convert(key, conf, cfg, ctx, module, kind)
    for key in OLD:
        cfg.pop(key, None)
    if present and scheds:
        prev: Optional[List[Any]] = cfg.get("param_scheduler")
        cfg["param_scheduler"] = list(prev or []) + scheds
    ctx.report.applied(NAME)
    return cfg
