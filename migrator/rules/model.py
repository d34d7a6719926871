"""Model rule: old top-level `train_cfg`/`test_cfg` model settings move into `model`.

MMCV/mmdet 2.x behaviour: `build_detector(cfg.model, train_cfg=cfg.get('train_cfg'),
test_cfg=cfg.get('test_cfg'))` accepted the assigner/sampler/rpn/rcnn settings at the top level of
the config (deprecated with a warning) and refused them when `model` also carried its own.
MMEngine behaviour: the top-level `train_cfg`/`test_cfg` are *loop* configs; model settings live
only in `model.train_cfg`/`model.test_cfg`.

An old config has no loops, so any top-level train_cfg/test_cfg is a model setting, unless it
already looks like an MMEngine loop dict (`type` ending in 'Loop', or by_epoch/max_epochs/max_iters/
val_interval/val_begin keys): those pass through untouched. This rule runs before `loops`, which
then writes the new loop configs.
"""
from __future__ import annotations

import copy
from typing import Any, Dict

from .base import Context, deep_merge
from .ownership import old_fields
from .placement import replace_keys

NAME = "model"

LOOP_KEYS = {"by_epoch", "max_epochs", "max_iters", "val_interval", "val_begin", "dynamic_intervals"}


def looks_like_loop(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    if str(value.get("type", "")).endswith("Loop"):
        return True
    return bool(LOOP_KEYS & set(value))


def apply(cfg: Dict[str, Any], ctx: Context) -> Dict[str, Any]:
    keys = [k for k in old_fields(NAME) if k in cfg and not looks_like_loop(cfg[k])]
    if not keys:
        return cfg
    model = cfg.get("model")
    if not isinstance(model, dict):
        for k in keys:
            ctx.todo(k, f"top-level `{k}` holds model settings but there is no `model` dict to "
                        f"move it into; set `model.{k}` by hand", original=cfg[k], anchor=None)
        return replace_keys(cfg, keys, {})
    model = copy.deepcopy(model)
    for k in keys:
        value = cfg[k]
        inner = model.get(k)
        if inner is None or k not in model:
            model[k] = copy.deepcopy(value)
        elif value is None:
            pass  # the model's own setting is what MMCV used
        elif isinstance(inner, dict) and isinstance(value, dict):
            model[k] = deep_merge(inner, value)
            ctx.warn(k, f"`{k}` was set both at the top level and in `model`; mmdet 2.x refused "
                        f"this, the two were merged (top level wins)", original=value, anchor="model")
        else:
            ctx.todo(k, f"`{k}` is set both at the top level and in `model` with incompatible "
                        f"values; kept `model.{k}`", original=value, anchor="model")
    ctx.report.applied(NAME)
    out = replace_keys(cfg, keys, {})
    out["model"] = model
    return out
