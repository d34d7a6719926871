"""mmdet evaluation: `evaluation=dict(metric=..., **evaluate kwargs)` -> val/test evaluators.

Old behaviour (mmdet 2.x): EvalHook passed its extra kwargs to the val dataset's evaluate():
CocoDataset.evaluate(metric='bbox'|'segm'|'proposal'|'proposal_fast', classwise, proposal_nums,
iou_thrs, metric_items, jsonfile_prefix), CocoPanopticDataset ('PQ' from seg_prefix's PNGs,
'bbox'/'segm' against ins_ann_file), VOCDataset.evaluate(metric='mAP'|'recall', iou_thr,
scale_ranges; VOC2007 -> 11-point AP), OpenImages, CocoPanoptic ('PQ'), LVIS; `save_best` named a
result key ('bbox_mAP', 'mAP').
New behaviour (mmdet 3.x): CocoMetric(ann_file, metric, classwise, proposal_nums, iou_thrs,
metric_items, format_only, outfile_prefix), CocoPanopticMetric(ann_file, seg_prefix) plus a
CocoMetric(ins_ann_file) for the instance metrics, VOCMetric(metric, iou_thrs, eval_mode='11points'|
'area'), LVISMetric, CocoPanopticMetric, OpenImagesMetric; result keys carry the metric's prefix
('coco/bbox_mAP', 'pascal_voc/mAP'), so `save_best` is renamed.
"""
from __future__ import annotations

import re

from typing import Any, Dict, Optional, Tuple

from ..common.datasets import drop_metric_todo
from . import tables as T

NAME = "mmdet.evaluation"
HOOK_KEYS = ("interval", "start", "dynamic_intervals", "by_epoch", "out_dir", "file_client_args",
             "save_best", "rule", "greater_keys", "less_keys", "gpu_collect", "tmpdir",
             "broadcast_bn_buffer", "pre_eval")


def _inner(ds: Any) -> Tuple[Any, bool]:
    """The first leaf dataset of a (wrapped) dataset config; (dataset, was_wrapped)."""
    wrapped = False
    while isinstance(ds, dict) and ("dataset" in ds or "datasets" in ds) and "ann_file" not in ds:
        ds = ds.get("dataset", (ds.get("datasets") or [None])[0])
        wrapped = True
    if isinstance(ds, list):
        ds, wrapped = (ds[0] if ds else None), True
    return ds, wrapped


def _ann_file(ds: Dict[str, Any]) -> Any:
    """The annotation file as the metric opens it (relative to the cwd, not to data_root)."""
    return _path(ds, "ann_file")


def _path(ds: Dict[str, Any], key: str) -> Any:
    """A path of the old dataset as 2.x opened it (joined to the dataset's own data_root)."""
    ann, root = ds.get(key), ds.get("data_root")
    if isinstance(ann, str) and isinstance(root, str) and root and not ann.startswith("/"):
        return root.rstrip("/") + "/" + ann if not root.endswith("/") else root + ann
    return ann


def metric(split: str, ev: Dict[str, Any], ds: Any, ctx) -> Optional[Dict[str, Any]]:
    field = "evaluation" if ev else f"data.{split}"
    inner, wrapped = _inner(ds)
    dtype = inner.get("type") if isinstance(inner, dict) else None
    entry = T.METRICS.get(dtype)
    if entry is None:
        return None
    mtype, argmap, needs_ann = entry
    kwargs = {k: v for k, v in ev.items() if k not in HOOK_KEYS}
    out: Dict[str, Any] = {"type": mtype}
    if needs_ann:
        ann = _ann_file(inner)
        if ann is None:
            ctx.todo(f"data.{split}.ann_file", f"{mtype} needs ann_file", anchor=f"{split}_evaluator")
        else:
            out["ann_file"] = ann
            if wrapped and split == "val":
                ctx.warn(f"data.{split}", f"{split} dataset is wrapped; {mtype} uses the first "
                         "inner dataset's ann_file", anchor=f"{split}_evaluator")
    if mtype == "VOCMetric":
        out["eval_mode"] = "11points" if "2007" in repr(inner) else "area"
    for arg, key in T.METRIC_DATASET_PATHS.get(mtype, {}).items():
        if isinstance(inner.get(key), str):
            out[arg] = _path(inner, key)
    for arg, key in T.METRIC_DATASET_ARGS.get(mtype, {}).items():
        if key in inner:
            out[arg] = inner[key]
    second = None
    split_entry = T.SPLIT_METRICS.get(mtype)
    if split_entry and "metric" in kwargs:
        ann_key, names, second_type = split_entry
        wanted = kwargs["metric"] if isinstance(kwargs["metric"], (list, tuple)) else \
            [kwargs["metric"]]
        rest = [m for m in wanted if m in names]
        if rest and isinstance(inner.get(ann_key), str):
            second = {"type": second_type, "ann_file": _path(inner, ann_key),
                      "metric": rest if len(rest) > 1 else rest[0]}
            kept = [m for m in wanted if m not in names]
            kwargs["metric"] = kept[0] if len(kept) == 1 else kept
            if not kept:
                kwargs.pop("metric")
    implicit = T.IMPLICIT_METRIC.get(mtype)
    if implicit and kwargs.get("metric") in implicit:
        kwargs.pop("metric")
    for old, new in argmap.items():
        if old in kwargs:
            out[new] = kwargs.pop(old)
    for k, v in T.METRIC_DEFAULTS.get(mtype, {}).items():
        out.setdefault(k, v)
    if kwargs and split == "val":
        ctx.todo("evaluation", f"evaluation arguments {sorted(kwargs)} have no {mtype} "
                 "equivalent", original=kwargs, anchor="val_evaluator")
    if second is not None:
        for k, v in T.METRIC_DEFAULTS.get(second["type"], {}).items():
            second.setdefault(k, v)
        return [out, second]
    return out


def save_best(name: Any, val: Any) -> Any:
    """2.x result key -> the 3.x metric's prefixed key ('bbox_mAP' -> 'coco/bbox_mAP'). With a
    list of metrics the key goes to the one that reports it (SAVE_BEST_KEYS); None when no
    metric of the list does (the caller warns and keeps the name)."""
    if not isinstance(name, str) or name == "auto" or "/" in name:
        return name
    ms = [m for m in (val if isinstance(val, list) else [val]) if isinstance(m, dict)]
    if len(ms) > 1:
        ms = [m for m in ms if re.match(T.SAVE_BEST_KEYS.get(m.get("type"), r"(?!)"), name)]
        if not ms:
            return None
    prefix = T.METRIC_PREFIX.get(ms[0].get("type") or "") if ms else None
    return f"{prefix}/{name}" if prefix else name


def apply(cfg: Dict[str, Any], ctx) -> Dict[str, Any]:
    old = ctx.old if isinstance(ctx.old, dict) else {}
    ev = old.get("evaluation") if isinstance(old.get("evaluation"), dict) else {}
    data = old.get("data") if isinstance(old.get("data"), dict) else {}
    out = dict(cfg)
    for split in ("val", "test"):
        if split not in data or f"{split}_evaluator" in cfg:
            continue
        earlier = len(ctx.report.findings)
        m = metric(split, ev, data[split], ctx)
        if m is not None:
            out[f"{split}_evaluator"] = m
            drop_metric_todo(ctx, split, upto=earlier)
    val = out.get("val_evaluator")
    hooks = out.get("default_hooks")
    ck = hooks.get("checkpoint") if isinstance(hooks, dict) else None
    if isinstance(ck, dict) and "save_best" in ck and isinstance(val, (dict, list)):
        new = save_best(ck["save_best"], val)
        if new is None:
            ctx.warn("evaluation.save_best", f"save_best={ck['save_best']!r}: no metric of "
                     "val_evaluator reports this key; kept as it is", original=ck["save_best"],
                     anchor="default_hooks")
        elif new != ck["save_best"]:
            out["default_hooks"] = {**hooks, "checkpoint": {**ck, "save_best": new}}
    if out != cfg:
        ctx.report.applied(NAME)
    return out
