"""When MMCV 1.7.2 validated and wrote checkpoints, and which checkpoints it left on disk.

MMCV behaviour modelled:
  * `mmcv/runner/hooks/evaluation.py` EvalHook: `_should_evaluate` (interval / start rules),
    `before_train_epoch` / `before_train_iter` (the one-off evaluation before training when
    `start <= current progress`), plus mmdet 2.x's `EvalHook(dynamic_intervals=...)`
    (`mmdet/core/evaluation/eval_hooks.py::_decide_interval`) and `mmdet/apis/train.py`, which
    forces `evaluation.by_epoch = runner.type != 'IterBasedRunner'`.
  * `mmcv/runner/hooks/checkpoint.py` CheckpointHook: `after_train_epoch` / `after_train_iter`
    (every `interval`, plus the last one when `save_last`), and `_save_checkpoint`'s deletion of
    old files when `max_keep_ckpts > 0`.
  * `IterBasedRunner` never calls `before/after_train_epoch`, so epoch-based checkpoint hooks
    never fire there (MMCV writes no checkpoint at all).

MMEngine counterpart: `train_cfg.val_interval` / `val_begin` and `default_hooks.checkpoint`
(`CheckpointHook(interval, by_epoch, save_last, max_keep_ckpts)`).

Event positions are 1-based counts of finished epochs (by_epoch) or iterations; 0 means "before
any training" (MMCV's initial evaluation).
"""
from __future__ import annotations

import bisect
from typing import Any, Dict, List, Optional, Tuple


def _should_evaluate(current: int, interval: int, start: Optional[int]) -> bool:
    """EvalHook._should_evaluate; `current` is runner.epoch or runner.iter (0-based)."""
    if start is None:
        return interval > 0 and (current + 1) % interval == 0     # Hook.every_n_*
    if current + 1 < start:
        return False
    return (current + 1 - start) % interval == 0


def _interval_schedule(interval: int, dynamic_intervals) -> Tuple[List[int], List[int]]:
    """mmdet `_calc_dynamic_intervals`: milestones [0, m1, ...] and intervals [i0, i1, ...]."""
    milestones, intervals = [0], [interval]
    for pair in dynamic_intervals or ():
        milestones.append(pair[0])
        intervals.append(pair[1])
    return milestones, intervals


def val_events(evaluation: Optional[Dict[str, Any]], by_epoch: bool, length: int,
               validate: bool = True) -> List[int]:
    """Where MMCV (mmdet 2.x train_detector) ran validation.

    `evaluation` is the old `evaluation` dict (None/absent: mmdet's default `{}`, i.e. every
    epoch/iteration); `by_epoch` is forced from the runner type; `length` is max_epochs or
    max_iters. `validate=False` mirrors `tools/train.py --no-validate` (no EvalHook).
    """
    if not validate:
        return []
    cfg = dict(evaluation or {})
    interval = cfg.get("interval", 1)
    start = cfg.get("start", None)
    if interval <= 0:
        raise ValueError(f"evaluation.interval must be positive, got {interval}")
    if start is not None and start < 0:
        raise ValueError(f"evaluation.start must be >= 0, got {start}")
    dynamic = cfg.get("dynamic_intervals")
    if not dynamic:
        out = []
        if start is not None and start <= 0 and _should_evaluate(0, interval, start):
            out.append(0)                          # initial evaluation before training
        if start is None:
            out.extend(range(interval, length + 1, interval))
        else:
            first = max(start, 1)
            first += (-(first - start)) % interval
            out.extend(range(first, length + 1, interval))
        return out
    milestones, intervals = _interval_schedule(interval, dynamic)

    def interval_at(progress: int) -> int:
        return intervals[bisect.bisect(milestones, progress + 1) - 1]

    out = []
    if start is not None and start <= 0 and _should_evaluate(0, interval_at(0), start):
        out.append(0)
    for cur in range(length):
        if _should_evaluate(cur, interval_at(cur), start):
            out.append(cur + 1)
    return out


def checkpoint_events(checkpoint_config: Optional[Dict[str, Any]], runner_by_epoch: bool,
                      max_epochs: Optional[int], max_iters: int) -> Tuple[List[int], bool]:
    """Where CheckpointHook saved. Returns (positions, hook_by_epoch); positions count epochs when
    hook_by_epoch else iterations. No hook (checkpoint_config None) -> no checkpoints."""
    if checkpoint_config is None:
        return [], runner_by_epoch
    cfg = dict(checkpoint_config)
    interval = cfg.get("interval", -1)
    by_epoch = cfg.get("by_epoch", True)
    save_last = cfg.get("save_last", True)
    if by_epoch and not runner_by_epoch:
        return [], True                    # IterBasedRunner never calls after_train_epoch
    length = max_epochs if by_epoch else max_iters
    out = list(range(interval, length + 1, interval)) if interval > 0 else []
    if save_last and length > 0 and (not out or out[-1] != length):
        out.append(length)
    return out, by_epoch


def kept_after(saved: List[int], interval: int, max_keep_ckpts: int) -> List[int]:
    """Replay `_save_checkpoint`: after each save at `cur`, delete cur - k*interval ... walking
    back by `interval` while those files exist (stop at the first missing one)."""
    files: List[int] = []
    present = set()
    for cur in saved:
        if cur not in present:
            files.append(cur)
            present.add(cur)
        if max_keep_ckpts > 0:
            for step in range(cur - max_keep_ckpts * interval, 0, -interval):
                if step in present:
                    present.discard(step)
                else:
                    break
    return [f for f in files if f in present]
