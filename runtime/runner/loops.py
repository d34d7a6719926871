"""Training/validation/test loops, mirroring `mmengine.runner.loops`.

MMCV 1.x had no loop objects: `EpochBasedRunner.train()` iterated the dataloader and `workflow`
interleaved train/val. MMEngine moves the iteration into loops that call the runner's hooks:

- EpochBasedTrainLoop: before_train; per epoch before_train_epoch, model.train(), `run_iter` for
  each batch (before_train_iter / model.train_step / after_train_iter), after_train_epoch, epoch+1;
  validation after epoch e when e >= val_begin and (e % val_interval == 0 or e == max_epochs);
  after_train. `max_iters` = max_epochs * len(dataloader).
- IterBasedTrainLoop: the whole run is one "epoch" (before/after_train_epoch once, `epoch` stays 0);
  an endless iterator restarts the dataloader (calling the sampler's `set_epoch`) when exhausted;
  on resume it first skips the `iter` batches already consumed.
- ValLoop / TestLoop: before_val, before_val_epoch, model.eval(), per batch val_step under
  no_grad (optionally autocast) and `evaluator.process`, then `evaluator.evaluate(len(dataset))`,
  after_val_epoch(metrics), after_val.
"""
from __future__ import annotations

import bisect
import logging
import sys
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch.utils.data import DataLoader

from runtime.registry import LOOPS

logger = logging.getLogger("runtime")


def _log(msg: str, level: int = logging.INFO) -> None:
    try:
        from runtime.logging import print_log
        print_log(msg, logger="current", level=level)
    except ImportError:
        logger.log(level, msg)


def calc_dynamic_intervals(start_interval: int, dynamic_interval_list: Optional[List[Tuple[int, int]]] = None):
    """Milestones [0, m1, ...] and intervals [start, i1, ...] from [(m1, i1), ...]."""
    if dynamic_interval_list is None:
        return [0], [start_interval]
    dynamic_interval_list.sort(key=lambda x: x[0])
    return ([0] + [m for m, _ in dynamic_interval_list],
            [start_interval] + [i for _, i in dynamic_interval_list])


class BaseLoop:
    """Holds the runner and a dataloader (built from a dict with the runner's seed if needed)."""

    def __init__(self, runner, dataloader: Union[DataLoader, Dict]) -> None:
        self._runner = runner
        if isinstance(dataloader, dict):
            diff_rank_seed = runner._randomness_cfg.get("diff_rank_seed", False)
            self.dataloader = runner.build_dataloader(dataloader, seed=runner.seed,
                                                      diff_rank_seed=diff_rank_seed)
        else:
            self.dataloader = dataloader

    @property
    def runner(self):
        return self._runner

    def run(self):
        raise NotImplementedError


def _share_dataset_meta(loop, evaluator=None) -> None:
    meta = getattr(loop.dataloader.dataset, "metainfo", None)
    if meta is None:
        return
    if evaluator is not None:
        evaluator.dataset_meta = meta
    visualizer = getattr(loop.runner, "visualizer", None)
    if visualizer is not None:
        visualizer.dataset_meta = meta


def _init_train_state(loop, val_begin: int, val_interval: int, dynamic_intervals) -> None:
    """Counters and validation schedule shared by both train loops (as MMEngine sets them)."""
    loop._epoch = 0
    loop._iter = 0
    loop.val_begin = val_begin
    loop.val_interval = val_interval
    loop.stop_training = False
    _share_dataset_meta(loop)
    loop.dynamic_milestones, loop.dynamic_intervals = calc_dynamic_intervals(
        val_interval, dynamic_intervals)


@LOOPS.register_module()
class EpochBasedTrainLoop(BaseLoop):
    def __init__(self, runner, dataloader, max_epochs: int, val_begin: int = 1,
                 val_interval: int = 1, dynamic_intervals: Optional[List[Tuple[int, int]]] = None):
        super().__init__(runner, dataloader)
        self._max_epochs = int(max_epochs)
        if self._max_epochs != max_epochs:
            raise ValueError(f"`max_epochs` should be a integer number, but get {max_epochs}.")
        self._max_iters = self._max_epochs * len(self.dataloader)
        _init_train_state(self, val_begin, val_interval, dynamic_intervals)

    @property
    def max_epochs(self) -> int:
        return self._max_epochs

    @property
    def max_iters(self) -> int:
        return self._max_iters

    @property
    def epoch(self) -> int:
        return self._epoch

    @property
    def iter(self) -> int:
        return self._iter

    def run(self) -> torch.nn.Module:
        self.runner.call_hook("before_train")
        while self._epoch < self._max_epochs and not self.stop_training:
            self.run_epoch()
            self._decide_current_val_interval()
            if (self.runner.val_loop is not None and self._epoch >= self.val_begin
                    and (self._epoch % self.val_interval == 0 or self._epoch == self._max_epochs)):
                self.runner.val_loop.run()
        self.runner.call_hook("after_train")
        return self.runner.model

    def run_epoch(self) -> None:
        self.runner.call_hook("before_train_epoch")
        self.runner.model.train()
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch)
        self.runner.call_hook("after_train_epoch")
        self._epoch += 1

    def run_iter(self, idx: int, data_batch) -> None:
        self.runner.call_hook("before_train_iter", batch_idx=idx, data_batch=data_batch)
        outputs = self.runner.model.train_step(data_batch, optim_wrapper=self.runner.optim_wrapper)
        self.runner.call_hook("after_train_iter", batch_idx=idx, data_batch=data_batch, outputs=outputs)
        self._iter += 1

    def _decide_current_val_interval(self) -> None:
        step = bisect.bisect(self.dynamic_milestones, self.epoch + 1)
        self.val_interval = self.dynamic_intervals[step - 1]


class _InfiniteDataloaderIterator:
    """Restart the dataloader (advancing the sampler epoch) whenever it runs out."""

    def __init__(self, dataloader: DataLoader) -> None:
        self._dataloader = dataloader
        self._iterator = iter(dataloader)
        self._epoch = 0

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return next(self._iterator)
        except StopIteration:
            _log("Reach the end of the dataloader, it will be restarted and continue to iterate. "
                 "It is recommended to use `InfiniteSampler` to enable the dataloader to iterate "
                 "infinitely.", logging.WARNING)
            self._epoch += 1
            sampler = getattr(self._dataloader, "sampler", None)
            batch_sampler = getattr(self._dataloader, "batch_sampler", None)
            if hasattr(sampler, "set_epoch"):
                sampler.set_epoch(self._epoch)
            elif hasattr(getattr(batch_sampler, "sampler", None), "set_epoch"):
                batch_sampler.sampler.set_epoch(self._epoch)
            self._iterator = iter(self._dataloader)
            return next(self._iterator)


@LOOPS.register_module()
class IterBasedTrainLoop(BaseLoop):
    def __init__(self, runner, dataloader, max_iters: int, val_begin: int = 1,
                 val_interval: int = 1000, dynamic_intervals: Optional[List[Tuple[int, int]]] = None):
        super().__init__(runner, dataloader)
        self._max_iters = int(max_iters)
        if self._max_iters != max_iters:
            raise ValueError(f"`max_iters` should be a integer number, but get {max_iters}")
        self._max_epochs = 1
        _init_train_state(self, val_begin, val_interval, dynamic_intervals)
        self.dataloader_iterator = _InfiniteDataloaderIterator(self.dataloader)

    max_epochs = EpochBasedTrainLoop.max_epochs
    max_iters = EpochBasedTrainLoop.max_iters
    epoch = EpochBasedTrainLoop.epoch
    iter = EpochBasedTrainLoop.iter

    def run(self) -> torch.nn.Module:
        self.runner.call_hook("before_train")
        self.runner.call_hook("before_train_epoch")
        if self._iter > 0:
            _log(f"Advance dataloader {self._iter} steps to skip data that has already been trained")
            for _ in range(self._iter):
                next(self.dataloader_iterator)
        runner = self._runner
        while self._iter < self._max_iters and not self.stop_training:
            runner.model.train()
            data_batch = next(self.dataloader_iterator)
            self.run_iter(data_batch)
            self._decide_current_val_interval()
            if (runner.val_loop is not None and self._iter >= self.val_begin
                    and (self._iter % self.val_interval == 0 or self._iter == self._max_iters)):
                runner.val_loop.run()
        self.runner.call_hook("after_train_epoch")
        self.runner.call_hook("after_train")
        return self.runner.model

    def run_iter(self, data_batch) -> None:
        runner = self._runner
        runner.call_hook("before_train_iter", batch_idx=self._iter, data_batch=data_batch)
        outputs = runner.model.train_step(data_batch, optim_wrapper=runner.optim_wrapper)
        runner.call_hook("after_train_iter", batch_idx=self._iter, data_batch=data_batch,
                         outputs=outputs)
        self._iter += 1

    def _decide_current_val_interval(self) -> None:
        step = bisect.bisect(self.dynamic_milestones, self._iter + 1)
        self.val_interval = self.dynamic_intervals[step - 1]


def _progress_bar(total: int):
    """A val/test progress bar on rank 0 when stdout is a terminal (None otherwise)."""
    if not getattr(sys.stdout, "isatty", lambda: False)():
        return None
    from runtime.dist import get_rank
    from runtime.logging.progress import ProgressBar
    return ProgressBar(total, stream=sys.stdout) if get_rank() == 0 else None


class _EvalLoop(BaseLoop):
    """Shared body of ValLoop and TestLoop; `_stage` is 'val' or 'test'."""
    _stage = "val"

    def __init__(self, runner, dataloader, evaluator, fp16: bool = False):
        super().__init__(runner, dataloader)
        from runtime.evaluator import Evaluator
        if isinstance(evaluator, (dict, list)):
            self.evaluator = runner.build_evaluator(evaluator)
        elif isinstance(evaluator, Evaluator):
            self.evaluator = evaluator
        else:
            raise TypeError(f"evaluator should be a dict, list or Evaluator, got {type(evaluator)}")
        _share_dataset_meta(self, self.evaluator)
        self.fp16 = fp16

    def run(self) -> dict:
        s = self._stage
        self.runner.call_hook(f"before_{s}")
        self.runner.call_hook(f"before_{s}_epoch")
        self.runner.model.eval()
        bar = _progress_bar(len(self.dataloader))
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch)
            if bar is not None:
                bar.update()
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        self.runner.call_hook(f"after_{s}_epoch", metrics=metrics)
        self.runner.call_hook(f"after_{s}")
        return metrics

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: Sequence[dict]) -> None:
        s = self._stage
        self.runner.call_hook(f"before_{s}_iter", batch_idx=idx, data_batch=data_batch)
        with torch.autocast(device_type="cuda" if torch.cuda.is_available() else "cpu",
                            enabled=self.fp16):
            outputs = getattr(self.runner.model, f"{s}_step")(data_batch)
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook(f"after_{s}_iter", batch_idx=idx, data_batch=data_batch, outputs=outputs)


@LOOPS.register_module()
class ValLoop(_EvalLoop):
    _stage = "val"


@LOOPS.register_module()
class TestLoop(_EvalLoop):
    _stage = "test"
