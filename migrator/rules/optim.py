"""Optim rule: `optimizer` + `optimizer_config` (+ top-level `fp16`) -> `optim_wrapper`.

MMCV behaviour read: `optimizer=dict(type, lr, ..., paramwise_cfg=..., constructor=...)` built by
an optimizer constructor; `optimizer_config` builds the OptimizerHook family:
  OptimizerHook(grad_clip=None|dict(max_norm, norm_type), detect_anomalous_params=False)
  Fp16OptimizerHook(grad_clip, coalesce, bucket_size_mb, loss_scale=512., distributed)
  GradientCumulativeOptimizerHook(cumulative_iters=1, **OptimizerHook args)
  GradientCumulativeFp16OptimizerHook(cumulative_iters, **Fp16OptimizerHook args)
mmdet 2.x also turned a top-level `fp16=dict(loss_scale=...)` into a Fp16OptimizerHook.
A dict of optimizer dicts (GANs) gave `runner.optimizer` as a dict of optimizers.
MMEngine behaviour produced: optim_wrapper=dict(type='OptimWrapper'|'AmpOptimWrapper',
  optimizer=dict(...), clip_grad=dict(max_norm, norm_type), accumulative_counts=N,
  loss_scale=512.|'dynamic'|dict, paramwise_cfg=..., constructor=...); multiple optimizers ->
  dict(constructor='MultiOptimWrapperConstructor', <name>=dict(type='OptimWrapper', ...), ...).
MMEngine's AmpOptimWrapper defaults to loss_scale='dynamic', MMCV's Fp16OptimizerHook to a static
512., so the static default is always written out.
"""
from __future__ import annotations

import copy
from typing import Any, Dict, Optional

from .base import Context
from .ownership import old_fields
from .placement import replace_keys

NAME = "optim"

KNOWN_HOOKS = {
    "OptimizerHook": (False, False),
    "Fp16OptimizerHook": (True, False),
    "GradientCumulativeOptimizerHook": (False, True),
    "GradientCumulativeFp16OptimizerHook": (True, True),
}
DIST_ONLY = ("coalesce", "bucket_size_mb", "distributed")


def _single_wrapper(opt: Dict[str, Any], field: str, ctx: Context) -> Dict[str, Any]:
    if "type" not in opt:
        raise ctx.error(f"{field}.type", "optimizer dict has no `type`")
    opt = copy.deepcopy(opt)
    wrapper: Dict[str, Any] = {"type": "OptimWrapper"}
    constructor = opt.pop("constructor", None)
    paramwise = opt.pop("paramwise_cfg", None)
    wrapper["optimizer"] = opt
    if paramwise is not None:
        wrapper["paramwise_cfg"] = paramwise
    if constructor is not None:
        wrapper["constructor"] = constructor
    return wrapper


def _is_multi(opt: Any) -> bool:
    return (isinstance(opt, dict) and "type" not in opt and bool(opt)
            and all(isinstance(v, dict) for v in opt.values()))


def _hook_settings(cfg: Dict[str, Any], ctx: Context) -> Optional[Dict[str, Any]]:
    """Translate optimizer_config (+fp16) into optim-wrapper keys; None when not convertible."""
    oc = cfg.get("optimizer_config", {}) if "optimizer_config" in cfg else {}
    fp16 = cfg.get("fp16")
    if oc is None:
        ctx.warn("optimizer_config", "optimizer_config=None: MMCV registered no OptimizerHook "
                                     "(the model stepped its own optimizer); MMEngine's default "
                                     "train_step steps the optim_wrapper", original=None,
                 anchor="optim_wrapper")
        oc = {}
    if not isinstance(oc, dict):
        raise ctx.error("optimizer_config", f"expected a dict, got {type(oc).__name__}")
    oc = dict(oc)
    htype = oc.pop("type", "OptimizerHook")
    if htype not in KNOWN_HOOKS:
        ctx.todo("optimizer_config", f"unknown optimizer hook type {htype!r}: no MMEngine optim "
                                     f"wrapper equivalent; plain OptimWrapper written",
                 original=cfg["optimizer_config"], anchor="optim_wrapper")
        return {}
    amp, cumulative = KNOWN_HOOKS[htype]
    out: Dict[str, Any] = {}
    if fp16 is not None:
        if not isinstance(fp16, dict):
            raise ctx.error("fp16", f"expected a dict, got {type(fp16).__name__}")
        amp = True
        oc = {**oc, **fp16}
    grad_clip = oc.pop("grad_clip", None)
    if grad_clip is not None:
        if not isinstance(grad_clip, dict):
            raise ctx.error("optimizer_config.grad_clip", "expected a dict or None")
        out["clip_grad"] = dict(grad_clip)
    if oc.pop("detect_anomalous_params", False):
        ctx.warn("optimizer_config.detect_anomalous_params",
                 "detect_anomalous_params has no MMEngine equivalent (debug aid); dropped; "
                 "MMEngine's find_unused_parameters in model_wrapper_cfg is the closest",
                 original=True, anchor="optim_wrapper")
    if cumulative:
        n = oc.pop("cumulative_iters", 1)
        if not isinstance(n, int) or n < 1:
            raise ctx.error("optimizer_config.cumulative_iters", "expected a positive int")
        out["accumulative_counts"] = n
    if amp:
        scale = oc.pop("loss_scale", 512.)
        if isinstance(scale, int) and not isinstance(scale, bool):
            scale = float(scale)
        if not (scale == "dynamic" or isinstance(scale, (float, dict))):
            raise ctx.error("fp16.loss_scale" if fp16 and "loss_scale" in fp16
                            else "optimizer_config.loss_scale",
                            f"loss_scale must be 'dynamic', a number or a dict, got {scale!r}")
        out["type"] = "AmpOptimWrapper"
        out["loss_scale"] = scale
    dropped = {k: oc.pop(k) for k in DIST_ONLY if k in oc}
    if dropped:
        ctx.warn("optimizer_config", f"{sorted(dropped)} dropped: MMEngine's AmpOptimWrapper uses "
                                     f"torch.cuda.amp and DDP reduces gradients itself",
                 original=dropped, anchor="optim_wrapper")
    if oc:
        ctx.todo("optimizer_config", f"unknown {htype} arguments {sorted(oc)} not converted",
                 original=oc, anchor="optim_wrapper")
    return out


def apply(cfg: Dict[str, Any], ctx: Context) -> Dict[str, Any]:
    owned = [k for k in old_fields(NAME) if k in cfg]
    if not owned:
        return cfg
    settings = _hook_settings(cfg, ctx)
    opt = cfg.get("optimizer")
    if "optimizer" not in cfg:
        # fragment with only optimizer_config/fp16: the optimizer comes from another file
        wrapper = {"type": "OptimWrapper", **settings}
    elif opt is None:
        ctx.todo("optimizer", "optimizer=None: nothing to build an optim_wrapper from",
                 original=None, anchor=None)
        return replace_keys(cfg, owned, {})
    elif _is_multi(opt):
        wrapper = {"constructor": "MultiOptimWrapperConstructor"}
        for name, sub in opt.items():
            w = _single_wrapper(sub, f"optimizer.{name}", ctx)
            w.update(settings)
            if "constructor" in w:
                ctx.todo(f"optimizer.{name}.constructor", "per-optimizer constructors are not "
                         "supported by MultiOptimWrapperConstructor", original=w.pop("constructor"),
                         anchor="optim_wrapper")
            wrapper[name] = w
    elif isinstance(opt, dict):
        wrapper = _single_wrapper(opt, "optimizer", ctx)
        wrapper.update(settings)
    else:
        raise ctx.error("optimizer", f"expected a dict, got {type(opt).__name__}")
    if isinstance(cfg.get("optim_wrapper"), dict):
        ctx.warn("optim_wrapper", "config already had optim_wrapper; replaced by the one built "
                                  "from optimizer/optimizer_config", original=cfg["optim_wrapper"],
                 anchor="optim_wrapper")
    ctx.report.applied(NAME)
    return replace_keys(cfg, owned, {"optim_wrapper": wrapper})
