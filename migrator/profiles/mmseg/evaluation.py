"""mmseg evaluation: `evaluation=dict(metric='mIoU' | 'mDice' | 'mFscore' | [...])` -> IoUMetric.

Old behaviour: mmseg CustomDataset.evaluate(metric='mIoU', ...) computed the listed metrics for
any mmseg dataset (the generic metric table guessed by dataset type, and for types shared with
mmdet such as CityscapesDataset picked mmdet's CocoMetric); EvalHook ran whenever `evaluation`
or `data.val` was set; save_best named a result key ('mIoU').
New behaviour: IoUMetric(iou_metrics=[...]) for every val/test split (keys 'mIoU', 'mDice',
'mFscore' as before, so save_best is unchanged); the Runner refuses a val loop without
`val_evaluator`, so one is written whenever there is a val loop. `imgfile_prefix`/`format_only`
in `evaluation`, which 0.30's evaluate() ignored for these metrics, are not set (tables.py).
"""
from __future__ import annotations

from typing import Any, Dict

from ..common.datasets import drop_metric_todo
from . import tables as T

NAME = "mmseg.evaluation"


def metric(ev: Dict[str, Any], ctx, quiet: bool) -> Dict[str, Any]:
    m = ev.get("metric", "mIoU")
    names = [m] if isinstance(m, str) else list(m)
    iou = [n for n in names if n in T.IOU_METRICS]
    for n in names:
        if n not in T.IOU_METRICS and not quiet:
            ctx.todo("evaluation.metric", f"mmseg metric {n!r}: mmseg 1.x has CityscapesMetric/"
                     "DepthMetric for other metrics", original=n, anchor="val_evaluator")
    out: Dict[str, Any] = {"type": "IoUMetric", "iou_metrics": iou or ["mIoU"]}
    for k, why in T.IGNORED_EVAL_ARGS.items():
        if k in ev and not quiet:
            ctx.warn(f"evaluation.{k}", why, original=ev[k], anchor="val_evaluator")
    return out


def apply(cfg: Dict[str, Any], ctx) -> Dict[str, Any]:
    old = getattr(ctx, "old", None) or {}
    ev = old.get("evaluation") if isinstance(old.get("evaluation"), dict) else {}
    out = dict(cfg)
    earlier = len(ctx.report.findings)
    for split in ("val", "test"):
        # where the split's data is (a schedule base with only `evaluation` gets none: its
        # sibling dataset base writes the evaluator, and MMEngine refuses the same key in both)
        if f"{split}_dataloader" not in cfg and f"{split}_evaluator" not in cfg:
            continue
        current = cfg.get(f"{split}_evaluator")
        if current is not None and not ev and _is_seg(current):
            continue
        out[f"{split}_evaluator"] = metric(ev, ctx, quiet=split != "val")
        drop_metric_todo(ctx, split, upto=earlier)   # the generic rule's TODO, resolved here
    if out != cfg:
        ctx.report.applied(NAME)
    return out


def _is_seg(ev: Any) -> bool:
    return isinstance(ev, dict) and ev.get("type") == "IoUMetric"
