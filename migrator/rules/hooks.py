"""Hooks rule: `checkpoint_config`, `log_config`, `custom_hooks` -> default_hooks / visualizer /
log_processor / custom_hooks.

MMCV behaviour read (runner/base_runner.register_training_hooks, hooks/checkpoint.py,
hooks/logger/*.py, hooks/ema.py, mmdet core/hook/ema.py):
  CheckpointHook(interval=-1, by_epoch=True, save_optimizer=True, out_dir=None, max_keep_ckpts=-1,
    save_last=True, sync_buffer=False, file_client_args=None, create_symlink via kwargs);
  log_config=dict(interval, hooks=[...]): every logger hook was built with default interval=
    log_config.interval; TextLoggerHook averaged the log buffer over `interval` iterations;
  custom_hooks: EMAHook(momentum=m, interval=i, warm_up=w) updated every i iters with momentum
    min(m**i, (1+t)/(w+t)) on parameters only; mmdet BaseEMAHook(momentum, interval, skip_buffers,
    resume_from), ExpMomentumEMAHook(total_iter) used (1-m)*exp(-(1+t)/total_iter)+m,
    LinearMomentumEMAHook(warm_up) used min(m**i, (1+t)/(w+t)).
MMEngine behaviour produced: default_hooks.checkpoint=CheckpointHook(...), default_hooks.logger=
  LoggerHook(interval), log_processor=LogProcessor(window_size=interval, by_epoch),
  vis_backends + visualizer, EMAHook(ema_type='ExponentialMovingAverage'|'ExpMomentumEMA',
  momentum, interval, update_buffers) whose averaged model lerps `ema += m * (param - ema)`.
"""
from __future__ import annotations

import copy
from typing import Any, Dict, List

from . import hook_tables as T
from .base import Context, merge_into
from .placement import replace_keys

NAME = "hooks"

CKPT_SAME = ("interval", "by_epoch", "save_optimizer", "out_dir", "max_keep_ckpts", "save_last",
             "file_client_args", "filename_tmpl", "save_param_scheduler", "save_best", "rule",
             "greater_keys", "less_keys", "backend_args", "published_keys", "save_begin")


def _checkpoint(cfg: Dict[str, Any], ctx: Context) -> Dict[str, Any]:
    old = cfg["checkpoint_config"]
    if old is None:
        ctx.warn("checkpoint_config", "checkpoint_config=None: MMCV saved no checkpoints; "
                 "default_hooks.checkpoint=None disables MMEngine's default CheckpointHook",
                 original=None, anchor="default_hooks")
        return {"checkpoint": None}
    if not isinstance(old, dict):
        raise ctx.error("checkpoint_config", f"expected a dict, got {type(old).__name__}")
    old = dict(old)
    old.pop("type", None)
    hook: Dict[str, Any] = {"type": "CheckpointHook"}
    for k in CKPT_SAME:
        if k in old:
            hook[k] = old.pop(k)
    if not ctx.run.by_epoch and "by_epoch" not in hook:
        # IterBasedRunner.register_training_hooks: checkpoint_config.setdefault('by_epoch', False)
        hook["by_epoch"] = False
    if "create_symlink" in old:
        ctx.warn("checkpoint_config.create_symlink", "create_symlink dropped: MMEngine records the "
                 "latest checkpoint in `last_checkpoint` instead of a latest.pth link",
                 original=old.pop("create_symlink"), anchor="default_hooks")
    if "sync_buffer" in old:
        v = old.pop("sync_buffer")
        if v:
            ctx.warn("checkpoint_config.sync_buffer", "sync_buffer=True: add "
                     "custom_hooks=[dict(type='SyncBuffersHook')] (MMEngine syncs buffers in a "
                     "separate hook)", original=v, anchor="custom_hooks")
    if old:
        ctx.todo("checkpoint_config", f"CheckpointHook arguments {sorted(old)} not converted",
                 original=old, anchor="default_hooks")
    return {"checkpoint": hook}


def _logging(cfg: Dict[str, Any], ctx: Context) -> Dict[str, Any]:
    old = cfg["log_config"]
    if not isinstance(old, dict):
        raise ctx.error("log_config", f"expected a dict, got {type(old).__name__}")
    interval = old.get("interval", 10)
    hooks = old.get("hooks") or []
    extra = {k: v for k, v in old.items() if k not in ("interval", "hooks")}
    if extra:
        ctx.todo("log_config", f"log_config keys {sorted(extra)} not converted", original=extra,
                 anchor="default_hooks")
    logger: Dict[str, Any] = {"type": "LoggerHook", "interval": interval}
    by_epoch = ctx.run.by_epoch
    backends: List[Dict[str, Any]] = [{"type": "LocalVisBackend"}]
    has_text = False
    for i, h in enumerate(hooks):
        field = f"log_config.hooks[{i}]"
        if not isinstance(h, dict) or "type" not in h:
            raise ctx.error(field, "expected a dict with `type`")
        h = dict(h)
        htype = h.pop("type")
        if h.get("interval", interval) != interval:
            ctx.warn(f"{field}.interval", "per-hook logging intervals: MMEngine logs every "
                     f"{interval} iterations to all backends", original=h["interval"],
                     anchor="default_hooks")
        h.pop("interval", None)
        if "by_epoch" in h:
            by_epoch = h.pop("by_epoch")
        if htype == "TextLoggerHook":
            has_text = True
            for k in ("ignore_last", "interval_exp_name", "out_dir", "out_suffix", "keep_local",
                      "file_client_args"):
                if k in h:
                    logger[k] = h.pop(k)
            h.pop("reset_flag", None)
            if h:
                ctx.todo(field, f"TextLoggerHook arguments {sorted(h)} not converted", original=h,
                         anchor="default_hooks")
            continue
        entry = T.LOGGER_BACKENDS.get(htype, ())
        if entry == ():
            ctx.todo(field, f"unknown logger hook {htype!r}; MMEngine logs through vis_backends",
                     original=hooks[i], anchor="vis_backends")
            continue
        if entry is None:
            ctx.todo(field, f"{htype} has no MMEngine vis backend", original=hooks[i],
                     anchor="vis_backends")
            continue
        btype, argmap = entry
        backend = {"type": btype}
        for k in ("ignore_last", "reset_flag"):
            h.pop(k, None)
        for k in list(h):
            if k in argmap:
                backend[argmap[k]] = h.pop(k)
        if h:
            ctx.warn(field, f"{htype} arguments {sorted(h)} have no {btype} equivalent; dropped",
                     original=h, anchor="vis_backends")
        backends.append(backend)
    if not has_text and hooks:
        ctx.warn("log_config.hooks", "no TextLoggerHook: MMEngine's LoggerHook always writes the "
                 "text log", original=hooks, anchor="default_hooks")
    name = "Visualizer"             # the codebase profiles put their own visualizer here
    return {"logger": logger,
            "_top": {"log_processor": {"type": "LogProcessor", "window_size": interval,
                                       "by_epoch": by_epoch},
                     "vis_backends": backends,
                     "visualizer": {"type": name, "vis_backends": backends, "name": "visualizer"}}}


def _ema(h: Dict[str, Any], field: str, ctx: Context) -> Dict[str, Any]:
    h = dict(h)
    htype = h.pop("type")
    m = h.pop("momentum", 0.0002)
    interval = h.pop("interval", 1)
    new: Dict[str, Any] = {"type": "EMAHook"}
    if htype == "EMAHook":
        warm_up = h.pop("warm_up", 100)
        new.update(ema_type="ExponentialMovingAverage", momentum=m ** interval)
        if m ** interval > 1.0 / warm_up:
            ctx.warn(f"{field}.warm_up", f"MMCV ramped the EMA momentum up as (1+t)/({warm_up}+t) "
                     f"until it reached {m ** interval:g}; MMEngine uses it from the start",
                     original=warm_up, anchor="custom_hooks")
    else:
        skip = h.pop("skip_buffers", False)
        if htype == "ExpMomentumEMAHook":
            new.update(ema_type="ExpMomentumEMA", momentum=m, gamma=h.pop("total_iter", 2000))
        else:  # LinearMomentumEMAHook
            warm_up = h.pop("warm_up", 100)
            new.update(ema_type="ExponentialMovingAverage", momentum=m ** interval)
            if m ** interval > 1.0 / warm_up:
                ctx.warn(f"{field}.warm_up", "MMEngine has no linear-warm-up EMA; the momentum "
                         "is used from the start", original=warm_up, anchor="custom_hooks")
        new["update_buffers"] = not skip
    if interval != 1:
        new["interval"] = interval
    if h.pop("resume_from", None) is not None:
        ctx.warn(f"{field}.resume_from", "EMAHook resume_from dropped: use load_from/resume",
                 original=True, anchor="custom_hooks")
    new.update(h)   # priority and anything else pass through
    return new


def _custom(cfg: Dict[str, Any], ctx: Context) -> List[Any]:
    old = cfg["custom_hooks"]
    if not isinstance(old, (list, tuple)):
        raise ctx.error("custom_hooks", f"expected a list, got {type(old).__name__}")
    out: List[Any] = []
    for i, h in enumerate(old):
        field = f"custom_hooks[{i}]"
        if not isinstance(h, dict) or "type" not in h:
            # MMCV could not build this either (often a list override that lost `type`): keep
            # it for the user to fix rather than refusing the whole file.
            ctx.todo(field, "a hook without `type` (MMCV could not build it either): fix by hand",
                     original=h, anchor="custom_hooks")
            out.append(h)
            continue
        htype = h["type"]
        if htype in ("EMAHook", "ExpMomentumEMAHook", "LinearMomentumEMAHook") and \
                "ema_type" not in h:
            out.append(_ema(h, field, ctx))
        elif htype in T.GONE:
            ctx.todo(field, f"{htype} does not exist in MMEngine: {T.GONE[htype]}", original=h,
                     anchor="custom_hooks")
        else:
            out.append(copy.deepcopy(h))
    return out


def apply(cfg: Dict[str, Any], ctx: Context) -> Dict[str, Any]:
    owned = [k for k in ("checkpoint_config", "log_config", "custom_hooks") if k in cfg]
    if not owned:
        return cfg
    default: Dict[str, Any] = {}
    top: Dict[str, Any] = {}
    if "checkpoint_config" in cfg:
        default.update(_checkpoint(cfg, ctx))
    if "log_config" in cfg:
        got = _logging(cfg, ctx)
        top.update(got.pop("_top"))
        default.update(got)
    out = cfg
    if "custom_hooks" in cfg:
        out = replace_keys(out, [], {})
        out["custom_hooks"] = _custom(cfg, ctx)
    existing = cfg.get("default_hooks") or {}
    if "checkpoint_config" in out or "log_config" in out:
        out = replace_keys(out, ["default_hooks"], {})   # re-placed where the old hooks were
    out = replace_keys(out, ["checkpoint_config", "log_config"],
                       {"default_hooks": existing, **top})
    if default:
        if default.get("checkpoint", {}) is None:
            out["default_hooks"] = dict(out["default_hooks"])
            out["default_hooks"]["checkpoint"] = None
            default.pop("checkpoint")
        merge_into(out, "default_hooks", default)
    if not out.get("default_hooks"):
        out = replace_keys(out, ["default_hooks"], {})
    ctx.report.applied(NAME)
    return out
