"""mmpretrain evaluation: mmcls `evaluation=dict(metric, metric_options)` -> evaluator metrics.

Old behaviour: mmcls BaseDataset.evaluate(metric='accuracy', metric_options=None -> topk=(1, 5))
computes 'accuracy' (accuracy_top-k), 'precision'/'recall'/'f1_score'/'support' (average_mode
'macro'); MultiLabelDataset.evaluate(metric='mAP', metric_options thr=0.5) computes 'mAP',
'CP'/'CR'/'CF1' (per class) and 'OP'/'OR'/'OF1' (overall). save_best names a result key
('accuracy_top-1').
New behaviour: Accuracy(topk, thrs), SingleLabelMetric(items, average), MultiLabelMetric(items,
average='macro'|'micro', thr) / AveragePrecision (VOC: VOCMultiLabelMetric/VOCAveragePrecision);
keys 'accuracy/top1', 'single-label/precision', 'multi-label/mAP', ... Every mmcls dataset gets
a metric (the generic rule knew only a few dataset types).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from ..common.datasets import drop_metric_todo, leaf_datasets
from . import tables as T

NAME = "mmpretrain.evaluation"


def metrics(ev: Dict[str, Any], multi_label: bool, voc: bool, ctx) -> List[Dict[str, Any]]:
    m = ev.get("metric", "mAP" if multi_label else "accuracy")
    names = [m] if isinstance(m, str) else list(m)
    opts = dict(ev.get("metric_options") or {})
    out: List[Dict[str, Any]] = []
    if multi_label:
        thr = opts.get("thr")
        for table, avg in ((T.MULTI_LABEL_MACRO, None), (T.MULTI_LABEL_MICRO, "micro")):
            items = [table[n] for n in names if n in table]
            if items:
                d: Dict[str, Any] = {"type": "VOCMultiLabelMetric" if voc else "MultiLabelMetric"}
                if avg:
                    d["average"] = avg
                if sorted(items) != sorted(["precision", "recall", "f1-score"]):
                    d["items"] = items
                if thr is not None:
                    d["thr"] = thr
                out.append(d)
        if "mAP" in names:
            out.append({"type": "VOCAveragePrecision" if voc else "AveragePrecision"})
        known = {"mAP", *T.MULTI_LABEL_MACRO, *T.MULTI_LABEL_MICRO}
    else:
        if "accuracy" in names:
            d = {"type": "Accuracy", "topk": tuple(opts.get("topk", (1, 5))) if isinstance(
                opts.get("topk", (1, 5)), (list, tuple)) else (opts["topk"],)}
            if "thrs" in opts:
                d["thrs"] = opts["thrs"]
            out.append(d)
        items = [T.SINGLE_LABEL_ITEMS[n] for n in names if n in T.SINGLE_LABEL_ITEMS]
        if items:
            d = {"type": "SingleLabelMetric", "items": items}
            if opts.get("average_mode", "macro") != "macro":
                d["average"] = opts["average_mode"]
            if "thrs" in opts:
                d["thrs"] = opts["thrs"]
            out.append(d)
        known = {"accuracy", *T.SINGLE_LABEL_ITEMS}
    for n in names:
        if n not in known:
            ctx.todo("evaluation.metric", f"mmcls metric {n!r} has no mmpretrain metric here",
                     original=n, anchor="val_evaluator")
    return out


def _one(ms: List[Dict[str, Any]]) -> Any:
    return ms[0] if len(ms) == 1 else ms


def save_best(name: Any) -> Any:
    if not isinstance(name, str) or name == "auto":
        return name
    if name.startswith("accuracy_top-"):
        return f"accuracy/top{name[len('accuracy_top-'):]}"
    return T.SAVE_BEST.get(name, name)


def apply(cfg: Dict[str, Any], ctx) -> Dict[str, Any]:
    old = getattr(ctx, "old", None) or {}
    ev = old.get("evaluation") if isinstance(old.get("evaluation"), dict) else None
    out = dict(cfg)
    earlier = len(ctx.report.findings)
    for split in ("val", "test"):
        if f"{split}_evaluator" not in cfg and f"{split}_dataloader" not in cfg:
            continue
        if ev is None and f"{split}_evaluator" in cfg:
            continue                                   # nothing to redo in this file
        leaves = leaf_datasets(cfg, split)
        types = {d.get("type") for d in leaves}
        multi = bool(types & T.MULTI_LABEL_DATASETS)
        ms = metrics(ev or {}, multi, "VOC" in types, ctx if split == "val" else _Quiet())
        dap = _old_dataset_arg(old, split, "difficult_as_postive")
        if dap is not None:
            ms = [dict(m, difficult_as_positive=dap) if m["type"].startswith("VOC") else m
                  for m in ms]
        if ms:
            out[f"{split}_evaluator"] = _one(ms)
            drop_metric_todo(ctx, split, upto=earlier)   # the generic rule's TODO, resolved
    hooks = out.get("default_hooks")
    ck = hooks.get("checkpoint") if isinstance(hooks, dict) else None
    if isinstance(ck, dict) and "save_best" in ck:
        new = save_best(ck["save_best"])
        if new != ck["save_best"]:
            out["default_hooks"] = {**hooks, "checkpoint": {**ck, "save_best": new}}
    if out != cfg:
        ctx.report.applied(NAME)
    return out


def _old_dataset_arg(old: Dict[str, Any], split: str, key: str) -> Any:
    ds = (old.get("data") or {}).get(split) if isinstance(old.get("data"), dict) else None
    while isinstance(ds, dict) and key not in ds and ("dataset" in ds or "datasets" in ds):
        ds = ds.get("dataset") or (ds.get("datasets") or [None])[0]
    return ds.get(key) if isinstance(ds, dict) else None


class _Quiet:
    def todo(self, *a, **k):
        pass
