"""Dry runs of a converted config: what the schedule and the events do, without real data.

`mmrun dry-run CONFIG --dataset-len N [--world-size W] [--trace OUT.json] [--full]`

Two paths give the same trace (migrator/verify's format):
* `schedule_trace` (default, fast): builds the real optimizer (torch, on one stand-in parameter),
  the real optimizer wrapper and the real parameter schedulers from PARAM_SCHEDULERS exactly as
  `Runner.build_param_scheduler` does (default `end` = run length, `convert_to_iter_based` with the
  dataloader length), then replays MMEngine's control flow: `ParamSchedulerHook` steps
  iteration-based schedulers after every train iteration and epoch-based ones after every epoch;
  `EpochBasedTrainLoop`/`IterBasedTrainLoop` validate when `progress >= val_begin and
  (progress % val_interval == 0 or progress == max)`; `CheckpointHook` saves when
  `(progress - save_begin) % interval == 0` (progress 1-based) or, with `save_last`, at the end.
* `full_trace` (`--full`): the real `Runner` with real loops and hooks (runtime.runner), where
  only the model, dataset and metrics are stand-ins; tests assert both paths agree.

The trace: {"max_iters", "by_epoch", "epoch_len", "iters": [{"iter", "epoch", "lr", "momentum"}],
"val_at", "ckpt_at"}; `iter`/`epoch` are 0-based for the iteration being run, `lr`/`momentum` are
those of parameter group 0 while that iteration's optimizer step runs (Adam-style: beta1).
"""
from __future__ import annotations

import copy
import math
import warnings
from typing import Any, Dict, List, Optional

STAND_INS_NOTE = "stand-ins: one-parameter model, dataset of {n} indices, no metrics"


def _get(cfg: Dict[str, Any], key: str, default=None):
    v = cfg.get(key, default)
    return default if v is None else v


def loop_info(cfg: Dict[str, Any]) -> Dict[str, Any]:
    """by_epoch, max_epochs/max_iters, val_begin, val_interval of `train_cfg` (MMEngine defaults)."""
    tc = dict(_get(cfg, "train_cfg", {}))
    ltype = tc.pop("type", None)
    by_epoch = tc.pop("by_epoch", None)
    if by_epoch is None:
        by_epoch = ltype != "IterBasedTrainLoop" if ltype else "max_iters" not in tc
    default_interval = 1 if by_epoch else 1000
    return dict(by_epoch=bool(by_epoch), max_epochs=tc.get("max_epochs"), max_iters=tc.get("max_iters"),
                val_begin=tc.get("val_begin", 1), val_interval=tc.get("val_interval", default_interval),
                dynamic_intervals=tc.get("dynamic_intervals"))


def epoch_length(loader: Dict[str, Any], dataset_len: int, world_size: int = 1) -> int:
    """len(train_dataloader) on rank 0: DefaultSampler (round_up=True) gives ceil(N/W) samples per
    rank; InfiniteSampler reports len(dataset); batches are ceil (or floor with drop_last)."""
    batch = int(_get(loader, "batch_size", 1))
    sampler = _get(loader, "sampler", {}) or {}
    stype = sampler.get("type", "DefaultSampler") if isinstance(sampler, dict) else "DefaultSampler"
    if stype.endswith("InfiniteSampler"):
        per_rank = dataset_len
    elif sampler.get("round_up", True):
        per_rank = math.ceil(dataset_len / world_size)
    else:
        per_rank = len(range(0, dataset_len, world_size))
    if loader.get("drop_last", False):
        return per_rank // batch
    return math.ceil(per_rank / batch)


def _momentum(group: Dict[str, Any]) -> Optional[float]:
    if "momentum" in group:
        return group["momentum"]
    if "betas" in group:
        return group["betas"][0]
    return None


def _interval_at(progress: int, base: int, dynamic) -> int:
    """MMEngine's `_decide_current_val_interval`: the interval of the last milestone <= progress."""
    if not dynamic:
        return base
    milestones, intervals = [0], [base]
    for m, i in dynamic:
        milestones.append(m)
        intervals.append(i)
    step = sum(1 for m in milestones if m <= progress)   # bisect_right
    return intervals[step - 1]


def build_schedulers(cfg: Dict[str, Any], optim_wrapper, info: Dict[str, Any], epoch_len: int) -> List:
    from runtime.registry import PARAM_SCHEDULERS

    scheds = _get(cfg, "param_scheduler", [])
    if isinstance(scheds, dict):
        scheds = [scheds]
    out = []
    for s in scheds:
        s = copy.deepcopy(dict(s))
        default_end = info["max_epochs"] if s.get("by_epoch", True) else info["max_iters"]
        if default_end is None:
            default_end = info["max_iters"] if info["max_iters"] is not None else None
        if default_end is not None:
            s.setdefault("end", default_end)
        out.append(PARAM_SCHEDULERS.build(s, default_args=dict(optimizer=optim_wrapper,
                                                               epoch_length=epoch_len)))
    return out


def build_standin_optim(cfg: Dict[str, Any], world_size: int):
    import torch

    from runtime.optim import OptimWrapper
    from runtime.registry import OPTIMIZERS

    ow_cfg = dict(_get(cfg, "optim_wrapper", {}))
    opt_cfg = dict(ow_cfg.get("optimizer") or dict(type="SGD", lr=0.01))
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = OPTIMIZERS.build(opt_cfg, default_args=dict(params=[param]))
    scale = _get(cfg, "auto_scale_lr", {})
    if isinstance(scale, dict) and scale.get("enable") and scale.get("base_batch_size"):
        real = world_size * int(_get(_get(cfg, "train_dataloader", {}), "batch_size", 1))
        for g in optimizer.param_groups:          # Runner.scale_lr
            g["lr"] = g["lr"] * real / scale["base_batch_size"]
    return OptimWrapper(optimizer)


def schedule_trace(cfg: Dict[str, Any], dataset_len: int, world_size: int = 1) -> Dict[str, Any]:
    info = loop_info(cfg)
    epoch_len = epoch_length(_get(cfg, "train_dataloader", {}), dataset_len, world_size)
    if epoch_len <= 0:
        raise ValueError(f"dataset of {dataset_len} samples gives an empty train dataloader")
    by_epoch = info["by_epoch"]
    max_iters = info["max_epochs"] * epoch_len if by_epoch else info["max_iters"]
    if by_epoch:
        info["max_iters"] = max_iters
    ow = build_standin_optim(cfg, world_size)
    with warnings.catch_warnings():   # no optimizer.step() runs here: that is the point
        warnings.simplefilter("ignore", UserWarning)
        scheds = build_schedulers(cfg, ow, info, epoch_len)
        return _replay(cfg, info, ow, scheds, epoch_len, max_iters)


def _replay(cfg, info, ow, scheds, epoch_len: int, max_iters: int) -> Dict[str, Any]:
    by_epoch = info["by_epoch"]
    iter_scheds = [s for s in scheds if not s.by_epoch]
    epoch_scheds = [s for s in scheds if s.by_epoch]
    group = ow.optimizer.param_groups[0]
    # Runner.register_default_hooks: a user entry replaces the default one whole; None disables it.
    hooks = _get(cfg, "default_hooks", {})
    ck = hooks["checkpoint"] if "checkpoint" in hooks else dict(type="CheckpointHook", interval=1)
    ck = dict(ck or {})
    has_ckpt = bool(ck) and str(ck.get("type", "CheckpointHook")).endswith("CheckpointHook")
    ck_by_epoch = ck.get("by_epoch", True)
    ck_interval, ck_begin, ck_last = ck.get("interval", -1), ck.get("save_begin", 0), ck.get("save_last", True)
    has_val = cfg.get("val_dataloader") is not None and cfg.get("val_cfg") is not None

    iters: List[Dict[str, Any]] = []
    val_at: List[int] = []
    ckpt_at: List[int] = []
    if by_epoch:
        it = 0
        for epoch in range(info["max_epochs"]):
            for _ in range(epoch_len):
                iters.append({"iter": it, "epoch": epoch, "lr": group["lr"], "momentum": _momentum(group)})
                for s in iter_scheds:
                    s.step()
                it += 1
            done = epoch + 1
            if has_ckpt and ck_by_epoch and _saves(done, ck_interval, ck_begin, ck_last, info["max_epochs"]):
                ckpt_at.append(done)
            for s in epoch_scheds:
                s.step()
            interval = _interval_at(done, info["val_interval"], info["dynamic_intervals"])
            if has_val and done >= info["val_begin"] and (done % interval == 0 or done == info["max_epochs"]):
                val_at.append(done)
    else:
        epoch = 0
        for it in range(max_iters):
            iters.append({"iter": it, "epoch": epoch, "lr": group["lr"], "momentum": _momentum(group)})
            for s in iter_scheds:
                s.step()
            done = it + 1
            if has_ckpt and not ck_by_epoch and _saves(done, ck_interval, ck_begin, ck_last, max_iters):
                ckpt_at.append(done)
            interval = _interval_at(done, info["val_interval"], info["dynamic_intervals"])
            if has_val and done >= info["val_begin"] and (done % interval == 0 or done == max_iters):
                val_at.append(done)
    return {"max_iters": max_iters, "by_epoch": by_epoch, "epoch_len": epoch_len,
            "iters": iters, "val_at": val_at, "ckpt_at": ckpt_at}


def _saves(done: int, interval: int, begin: int, save_last: bool, last: int) -> bool:
    """CheckpointHook: every_n_{epochs,train_iters}(interval, save_begin) or save_last at the end."""
    dividend = done - begin
    every = dividend % interval == 0 if dividend >= 0 and interval > 0 else False
    return every or (save_last and done == last)
