"""mmdet models: 2.28.2 detector/head/assigner arguments -> 3.3.0.

Old behaviour (mmdet 2.x models): detectors took `pretrained` and handed it to the backbone
(`backbone.pretrained`, deprecated for init_cfg); HungarianAssigner(cls_cost, reg_cost, iou_cost);
YOLOX(input_size, size_multiplier, random_size_range, random_size_interval) resized batches
itself (with SyncRandomSizeHook); YOLACT had a separate segm_head and thresholded masks at 0.5.
New behaviour (mmdet 3.x): detectors take no `pretrained`: `backbone.init_cfg=dict(
type='Pretrained', checkpoint=...)`; HungarianAssigner(match_costs=[...]); YOLOX resizes through
`data_preprocessor.batch_augments=[BatchSyncRandomResize(random_size_range in pixels, interval,
size_divisor)]`; YOLACT's segm_head is `mask_head.with_seg_branch`; arguments 3.x requires
that 2.x implied are written (CascadeRPNHead num_classes=1, YOLACT test_cfg mask thresholds);
the Ascend NPU heads/assigner become the generic ones (same arguments); panoptic detectors'
box post-processing settings move from test_cfg.panoptic to test_cfg.rcnn, where 3.x reads them.
DETR-family transformers: `detr.py`.
"""
from __future__ import annotations

import copy
from typing import Any, Dict

from ...copying import deep_copy
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
    out = {renamed.get(k, k): v for k, v in d.items()
           if not (k in gone and (gone[k] is None or v in gone[k]))}
    for k, v in T.ADDED_MODEL_ARGS.get(d.get("type"), {}).items():
        out.setdefault(k, v)
    return out


def _renamed_types(v: Any, where: str, ctx) -> Any:
    if isinstance(v, list):
        return [_renamed_types(x, f"{where}[{i}]", ctx) for i, x in enumerate(v)]
    if not isinstance(v, dict):
        return v
    out = {k: _renamed_types(x, f"{where}.{k}", ctx) for k, x in v.items()}
    new = T.RENAMED_MODEL_TYPES.get(v.get("type"))
    if new:
        ctx.warn(f"{where}.type", f"mmdet 3.x has no {v['type']} (an Ascend NPU variant); "
                 f"{new} takes the same arguments and computes the same", original=v["type"],
                 anchor="model")
        out["type"] = new
    return out


def _merge_heads(m: Dict[str, Any], ctx) -> Dict[str, Any]:
    """A head 3.x folded into another one (YOLACT segm_head -> mask_head.with_seg_branch)."""
    entry = T.MERGED_HEADS.get(m.get("type"))
    if entry is None or not isinstance(m.get(entry[1]), dict):
        return m
    old, into, flag, args, shared = entry
    target = dict(m[into])
    src = m.get(old)
    if flag not in target:
        target[flag] = isinstance(src, dict)
    if isinstance(src, dict):
        differ = [k for k in shared if k in src and k in target and src[k] != target[k]]
        extra = sorted(set(src) - {"type", *args, *shared})
        if differ or extra:
            ctx.todo(f"model.{old}", f"mmdet 3.x builds {old} inside {into} with its "
                     f"{', '.join(shared)}; {differ + extra} cannot follow", original=src,
                     anchor="model")
            return m
        for k, new in args.items():
            if k in src:
                target[new] = copy.deepcopy(src[k])
    out = {k: v for k, v in m.items() if k != old}
    out[into] = target
    return out


def _test_cfg_moved(m: Dict[str, Any]) -> Dict[str, Any]:
    entry = T.TEST_CFG_MOVED.get(m.get("type"))
    tc = m.get("test_cfg")
    if not entry or not isinstance(tc, dict) or not isinstance(tc.get(entry[0]), dict):
        return m
    src, dst, keys = entry
    moved = {k: v for k, v in tc[src].items() if k in keys}
    if not moved:
        return m
    tc = {**tc, src: {k: v for k, v in tc[src].items() if k not in keys},
          dst: {**(tc.get(dst) or {}), **moved}}
    return {**m, "test_cfg": tc}


def _test_cfg_added(m: Dict[str, Any]) -> Dict[str, Any]:
    added = T.TEST_CFG_ADDED.get(m.get("type"))
    if not added or not isinstance(m.get("test_cfg"), dict):
        return m
    return {**m, "test_cfg": {**m["test_cfg"], **{k: v for k, v in added.items()
                                                  if k not in m["test_cfg"]}}}



def _pretrained(m: Dict[str, Any], ctx) -> Dict[str, Any]:
    """model.pretrained -> backbone.init_cfg. 2.x handed it to the backbone as `pretrained`, and
    ResNet-style backbones asserted `not (init_cfg and pretrained)`: a child's `model.pretrained`
    over a base's backbone `init_cfg=dict(type='Pretrained', checkpoint=...)` (the retinanet r101
    3x configs of 2.28.2) did not build. The child's checkpoint is written (a warning says so), as
    mmdet 3.3.0's own configs do; another init_cfg beside `pretrained` stays under a TODO."""
    ckpt = m.pop("pretrained")
    bb = m.get("backbone")
    if ckpt is None:
        return m
    if not isinstance(bb, dict) or bb.get("pretrained") is not None:
        ctx.todo("model.pretrained", "mmdet 3.x detectors take no `pretrained`; set the "
                 "backbone's init_cfg", original=ckpt, anchor="model")
        return m
    init = bb.get("init_cfg")
    if init is None or init == {"type": "Pretrained", "checkpoint": ckpt}:
        m["backbone"] = {**bb, "init_cfg": {"type": "Pretrained", "checkpoint": ckpt}}
    elif isinstance(init, dict) and init.get("type") == "Pretrained" and set(init) <= {
            "type", "checkpoint"}:
        ctx.warn("model.pretrained", "mmdet 2.x refused model.pretrained beside backbone.init_cfg "
                 "(the backbone asserts `not (init_cfg and pretrained)`); written as the "
                 f"backbone's init_cfg checkpoint {ckpt!r} instead of {init.get('checkpoint')!r}",
                 original=ckpt, anchor="model")
        m["backbone"] = {**bb, "init_cfg": {"type": "Pretrained", "checkpoint": ckpt}}
    else:
        ctx.todo("model.pretrained", "mmdet 2.x refused model.pretrained beside this backbone "
                 "init_cfg; choose one as the backbone's init_cfg", original=ckpt, anchor="model")
    return m


def apply(cfg: Dict[str, Any], ctx) -> Dict[str, Any]:
    before = cfg
    cfg = rename_packages(cfg, T.PACKAGES)    # custom_imports and scoped types (mmcls.*)
    model = cfg.get("model")
    if not isinstance(model, dict):
        return cfg
    new = deep_copy(model)        # copy.deepcopy, faster
    if "pretrained" in new:
        new = _pretrained(new, ctx)
    new = _walk(new, lambda d: _gone_args(_hungarian(d)))
    new = _test_cfg_moved(_test_cfg_added(_merge_heads(_renamed_types(new, "model", ctx), ctx)))
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
