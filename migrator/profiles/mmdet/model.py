"""mmdet models: 2.28.2 detector/head/assigner arguments -> 3.3.0.

Old behaviour (mmdet 2.x models): detectors took `pretrained` and handed it to the backbone
(`backbone.pretrained`, deprecated for init_cfg); HungarianAssigner(cls_cost, reg_cost, iou_cost);
YOLOX(input_size, size_multiplier, random_size_range, random_size_interval) resized batches
itself (with SyncRandomSizeHook).
New behaviour (mmdet 3.x): detectors take no `pretrained`: `backbone.init_cfg=dict(
type='Pretrained', checkpoint=...)`; HungarianAssigner(match_costs=[...]); YOLOX resizes through
`data_preprocessor.batch_augments=[BatchSyncRandomResize(random_size_range in pixels, interval,
size_divisor)]`. DETR-family transformers: `detr.py`.
"""
from __future__ import annotations

import copy
from typing import Any, Dict

from ..common.runtime import rename_packages
from . import tables as T

NAME = "mmdet.model"


def _walk(v: Any, fn) -> Any:
    if isinstance(v, dict):
        v = fn(v)
        return {k: _walk(x, fn) for k, x in v.items()}
    if isinstance(v, list):
        return [_walk(x, fn) for x in v]
    return v


def _hungarian(d: Dict[str, Any]) -> Dict[str, Any]:
    if d.get("type") not in T.HUNGARIAN or "match_costs" in d:
        return d
    out = {k: v for k, v in d.items() if k not in T.HUNGARIAN_COSTS}
    out["type"] = T.HUNGARIAN[d["type"]]
    costs = [copy.deepcopy(d[k]) for k in T.HUNGARIAN_COSTS if isinstance(d.get(k), dict)]
    if costs:
        out["match_costs"] = costs
    return out


def _gone_args(d: Dict[str, Any]) -> Dict[str, Any]:
    gone = T.GONE_MODEL_ARGS.get(d.get("type"), {})
    renamed = T.RENAMED_MODEL_ARGS.get(d.get("type"), {})
    return {renamed.get(k, k): v for k, v in d.items() if not (k in gone and v in gone[k])}



def apply(cfg: Dict[str, Any], ctx) -> Dict[str, Any]:
    before = cfg
    cfg = rename_packages(cfg, T.PACKAGES)    # custom_imports and scoped types (mmcls.*)
    model = cfg.get("model")
    if not isinstance(model, dict):
        return cfg
    new = copy.deepcopy(model)
    if "pretrained" in new:
        ckpt = new.pop("pretrained")
        bb = new.get("backbone")
        if ckpt is not None and isinstance(bb, dict):
            if bb.get("init_cfg") is None and bb.get("pretrained") is None:
                new["backbone"] = {**bb, "init_cfg": {"type": "Pretrained", "checkpoint": ckpt}}
        elif ckpt is not None:
            ctx.todo("model.pretrained", "mmdet 3.x detectors take no `pretrained`; set the "
                     "backbone's init_cfg", original=ckpt, anchor="model")
    new = _walk(new, lambda d: _gone_args(_hungarian(d)))
    if new.get("type") == "YOLOX":
        new = _yolox(new, cfg, ctx)
    if new == model:
        if cfg is not before:
            ctx.report.applied(NAME)
        return cfg
    ctx.report.applied(NAME)
    return {**cfg, "model": new}



def _yolox(m: Dict[str, Any], cfg: Dict[str, Any], ctx) -> Dict[str, Any]:
    keys = ("input_size", "size_multiplier", "random_size_range", "random_size_interval")
    if not any(k in m for k in keys):
        return m
    args = {k: m.pop(k, T.YOLOX_DEFAULTS.get(k)) for k in keys}
    mult = args["size_multiplier"]
    lo, hi = args["random_size_range"]
    resize = {"type": "BatchSyncRandomResize", "random_size_range": (lo * mult, hi * mult),
              "size_divisor": mult, "interval": args["random_size_interval"]}
    pre = dict(m.get("data_preprocessor") or {"type": T.PREPROCESSOR})
    pre["batch_augments"] = [resize]
    m["data_preprocessor"] = pre
    return m
