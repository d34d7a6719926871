"""Loops rule: `runner` / `total_epochs` / `workflow` / `evaluation` -> train/val/test loops and
evaluators.

MMCV behaviour read (runner/epoch_based_runner.py, iter_based_runner.py, hooks/evaluation.py and
mmdet 2.x apis/train.py): `runner=dict(type='EpochBasedRunner', max_epochs=N)` or
`IterBasedRunner(max_iters=N)` (mmdet: `total_epochs=N` implied an EpochBasedRunner); `workflow`
lists (mode, n) phases, ('val', n) ran a val-*loss* epoch; EvalHook(start=None, interval=1,
by_epoch (forced from the runner type by mmdet), save_best, rule, greater_keys, less_keys, out_dir,
**dataset.evaluate kwargs) evaluated after epoch/iter e (1-based) when `e % interval == 0` (start
None) or `e >= start and (e - start) % interval == 0`, and also before training when
`start <= resumed epoch/iter`. DistEvalHook added tmpdir/gpu_collect/broadcast_bn_buffer.
MMEngine behaviour produced: train_cfg=dict(type='EpochBasedTrainLoop', max_epochs, val_interval
[, val_begin]) / IterBasedTrainLoop(max_iters, val_interval); validation after e when
`e >= val_begin and (e % val_interval == 0 or e == max)` (so a run MMCV never evaluated, e.g.
`interval=999999`, gets `val_begin=max+1`); val_cfg=dict(type='ValLoop'),
test_cfg=dict(type='TestLoop'), val_evaluator/test_evaluator metric dicts; save_best/rule/
greater_keys/less_keys on default_hooks.checkpoint.
"""
from __future__ import annotations

import copy
from typing import Any, Dict, Optional, Tuple

from .base import Context, merge_into
from .ownership import old_fields
from .placement import replace_keys

NAME = "loops"

KNOWN_RUNNERS = {"EpochBasedRunner": True, "IterBasedRunner": False}
CKPT_KEYS = ("save_best", "rule", "greater_keys", "less_keys")
DIST_KEYS = ("gpu_collect", "tmpdir", "broadcast_bn_buffer")


def _train_cfg(cfg: Dict[str, Any], ctx: Context) -> Optional[Dict[str, Any]]:
    runner = cfg.get("runner")
    total = cfg.get("total_epochs")
    if runner is None and total is None:
        return None
    if runner is not None and not isinstance(runner, dict):
        raise ctx.error("runner", f"expected a dict, got {type(runner).__name__}")
    runner = dict(runner or {"type": "EpochBasedRunner", "max_epochs": total})
    rtype = runner.pop("type", "EpochBasedRunner")
    by_epoch = KNOWN_RUNNERS.get(rtype, "Iter" not in str(rtype))
    loop = "EpochBasedTrainLoop" if by_epoch else "IterBasedTrainLoop"
    if rtype not in KNOWN_RUNNERS:
        # the code migration turns `class X(EpochBasedRunner)` into the LOOPS class `loop_name`
        from ..code.fixers.runner_loop import loop_name
        loop = loop_name(str(rtype), "EpochBasedRunner" if by_epoch else "IterBasedRunner")
        ctx.todo("runner.type", f"custom runner {rtype!r}: train_cfg names the loop {loop!r} "
                 f"that migrating the code of class {rtype} writes (registered in LOOPS); "
                 "migrate that code too", original=cfg["runner"], anchor="train_cfg")
    key = "max_epochs" if by_epoch else "max_iters"
    length = runner.pop(key, None)
    other = runner.pop("max_iters" if by_epoch else "max_epochs", None)
    if length is None:
        if by_epoch and total is not None:
            length = total
        else:
            raise ctx.error("runner", f"{rtype} needs `{key}`")
    if other is not None:
        raise ctx.error("runner", "only one of max_epochs and max_iters can be set")
    if runner and rtype in KNOWN_RUNNERS:
        ctx.todo("runner", f"runner arguments {sorted(runner)} not converted", original=runner,
                 anchor="train_cfg")
    if total is not None and "runner" in cfg and total != length:
        ctx.warn("total_epochs", f"total_epochs={total} disagrees with runner.max_epochs={length}; "
                 "MMCV used the runner's value", original=total, anchor="train_cfg")
    return {"type": loop, key: length}


def _workflow(cfg: Dict[str, Any], ctx: Context) -> None:
    wf = cfg.get("workflow")
    if wf is None:
        return
    if not isinstance(wf, (list, tuple)):
        raise ctx.error("workflow", "expected a list of (mode, n) pairs")
    for i, phase in enumerate(wf):
        if not (isinstance(phase, (list, tuple)) and len(phase) == 2):
            raise ctx.error(f"workflow[{i}]", f"expected a (mode, n) pair, got {phase!r}")
        mode, n = phase
        if mode == "train":
            continue   # a train phase alone loops until the run length: MMEngine's train loop
        elif mode == "val":
            ctx.warn(f"workflow[{i}]", "('val', n) ran a validation-loss epoch in MMCV; MMEngine "
                     "has no val workflow (ValLoop computes metrics, not losses)", original=phase,
                     anchor="val_cfg")
        else:
            ctx.todo(f"workflow[{i}]", f"workflow mode {mode!r} has no MMEngine equivalent",
                     original=phase, anchor="train_cfg")


def _metric(split: str, ev: Dict[str, Any], ds: Any, ctx: Context) -> Optional[Dict[str, Any]]:
    """The metric is the codebase's (mmdet CocoMetric, mmseg IoUMetric, ...): the codebase profile
    writes `<split>_evaluator` and resolves this TODO; without a profile it stays a TODO."""
    field = "evaluation" if ev else f"data.{split}"
    while isinstance(ds, dict) and ("dataset" in ds or "datasets" in ds) and "ann_file" not in ds:
        ds = ds.get("dataset", (ds.get("datasets") or [None])[0])
    if isinstance(ds, list):
        ds = ds[0] if ds else None
    dtype = ds.get("type") if isinstance(ds, dict) else None
    ctx.todo(field, f"no known {split} metric for dataset type {dtype!r}; write {split}_evaluator "
             "by hand", original=ev or None, anchor=f"{split}_evaluator")
    return None


def _split_eval(ev: Dict[str, Any], ctx: Context) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """Split EvalHook kwargs into (hook/loop settings, dataset.evaluate kwargs)."""
    ev = dict(ev)
    ev.pop("pre_eval", None)   # mmseg: progressive evaluation, what MMEngine metrics always do
    hook = {k: ev.pop(k) for k in ("interval", "start", "dynamic_intervals", "by_epoch", "out_dir", "file_client_args",
                                   *CKPT_KEYS, *DIST_KEYS) if k in ev}
    return hook, ev


def _val_schedule(train: Dict[str, Any], hook: Dict[str, Any], ctx: Context,
                  has_val: bool) -> None:
    interval = hook.get("interval", 1)
    start = hook.get("start")
    if not isinstance(interval, int) or interval <= 0:
        raise ctx.error("evaluation.interval", f"expected a positive int, got {interval!r}")
    by_epoch = train["type"] != "IterBasedTrainLoop"
    length = train.get("max_epochs" if by_epoch else "max_iters")
    unit = "epoch" if by_epoch else "iter"
    train["val_interval"] = interval
    if hook.get("dynamic_intervals"):
        # mmdet 2.x EvalHook._decide_interval picks the interval for the epoch/iter being
        # completed (progress P, 1-based) with bisect(milestones, P); MMEngine's loops decide it
        # after the progress counter moved on, with bisect(milestones, P + 1). Shifting every
        # milestone by one keeps validation where MMCV ran it (mmdet 3.x configs kept the
        # milestone and validate one epoch early).
        train["dynamic_intervals"] = [(m + 1, i) for m, i in hook["dynamic_intervals"]]
    if start is not None:
        if start <= 0:
            ctx.warn("evaluation.start", f"start={start}: MMCV also evaluated before training; "
                     "MMEngine's train loop does not (run runner.val() first)", original=start,
                     anchor="train_cfg")
        elif start % interval:
            ctx.warn("evaluation.start", f"MMCV evaluated at {unit}s start+k*interval "
                     f"({start}, {start + interval}, ...); MMEngine validates at multiples of "
                     f"val_interval from val_begin ({_first(start, interval)}, ...)",
                     original=start, anchor="train_cfg")
        if start > 1:
            train["val_begin"] = start
    if has_val and isinstance(length, int) and start is None and interval > length:
        # MMCV's EvalHook (start=None) evaluated after e when e % interval == 0: never here (e.g.
        # `interval=999999`, "do not evaluate"). MMEngine's loops also validate after the last
        # epoch/iter unless it lies before val_begin. (With `start`, val_begin=start > max
        # already skips it.)
        train["val_begin"] = length + 1
    elif has_val and isinstance(length, int) and length % interval and \
            (start is None or start <= length):
        ctx.warn("evaluation.interval", f"MMEngine also validates after the last {unit} "
                 f"({length}), which MMCV skipped ({length} is not on the interval {interval})",
                 original=interval, anchor="train_cfg")


def _first(start: int, interval: int) -> int:
    return -(-start // interval) * interval


def apply(cfg: Dict[str, Any], ctx: Context) -> Dict[str, Any]:
    owned = [k for k in old_fields(NAME) if k in cfg]
    data = cfg.get("data") if isinstance(cfg.get("data"), dict) else {}
    if not owned and not ("val" in data or "test" in data):
        return cfg
    new: Dict[str, Any] = {}
    train = _train_cfg(cfg, ctx)
    _workflow(cfg, ctx)
    ev = cfg.get("evaluation")
    if ev is not None and not isinstance(ev, dict):
        raise ctx.error("evaluation", f"expected a dict, got {type(ev).__name__}")
    hook, metric_kwargs = _split_eval(ev or {}, ctx)
    if "by_epoch" in hook and train is not None:
        if hook["by_epoch"] != (train["type"] == "EpochBasedTrainLoop"):
            ctx.warn("evaluation.by_epoch", "mmdet forced evaluation.by_epoch from the runner "
                     "type; MMEngine validates in the train loop's unit", original=hook["by_epoch"],
                     anchor="train_cfg")
    has_val = ev is not None or "val" in data
    if train is not None:
        # MMCV's EvalHook interval defaults to 1 (also for iteration runs, where MMEngine's
        # IterBasedTrainLoop would default to 1000), so val_interval is always written
        _val_schedule(train, hook, ctx, has_val)
        new["train_cfg"] = train
    elif hook.get("interval", 1) != 1 or hook.get("start") is not None \
            or hook.get("dynamic_intervals"):
        # interval=1 (MMCV's default) needs nothing here: the file that converts the runner
        # writes val_interval=1 when its own config has no other evaluation interval.
        ctx.todo("evaluation.interval", "no runner in this file: set val_interval/val_begin on "
                 "train_cfg where the runner is converted",
                 original={k: hook[k] for k in ("interval", "start") if k in hook},
                 anchor="val_cfg")
    for k in DIST_KEYS:
        if k in hook:
            ctx.warn(f"evaluation.{k}", f"`{k}` (DistEvalHook) dropped: MMEngine's evaluator "
                     "collects results itself (collect_device on the metric)", original=hook[k],
                     anchor="val_cfg")
    for k in ("out_dir", "file_client_args"):
        if k in hook:
            ctx.warn(f"evaluation.{k}", f"best-checkpoint `{k}` follows default_hooks.checkpoint "
                     "in MMEngine; set it there", original=hook[k], anchor="default_hooks")
    if has_val:
        new["val_cfg"] = {"type": "ValLoop"}
        if "val" in data or ev is not None:
            metric = _metric("val", metric_kwargs, data.get("val"), ctx) if "val" in data else None
            if metric is not None:
                new["val_evaluator"] = metric
            elif "val" not in data:
                ctx.todo("evaluation", "evaluation without data.val in this file: the metric "
                         "depends on the dataset; write val_evaluator where val data is defined",
                         original=metric_kwargs or None, anchor="val_evaluator")
    if "test" in data:
        new["test_cfg"] = {"type": "TestLoop"}
        metric = _metric("test", metric_kwargs, data.get("test"), ctx)
        if metric is not None:
            new["test_evaluator"] = metric
    out = replace_keys(cfg, owned, new) if owned else {**cfg, **new}
    ckpt = {k: hook[k] for k in CKPT_KEYS if k in hook}
    if ckpt.get("save_best") is not None:
        merge_into(out, "default_hooks", {"checkpoint": {"type": "CheckpointHook", **ckpt}})
    elif "save_best" in ckpt:
        ckpt.pop("save_best")
    ctx.report.applied(NAME)
    return out
