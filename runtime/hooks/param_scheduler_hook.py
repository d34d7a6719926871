"""ParamSchedulerHook (MMEngine's `mmengine.hooks.ParamSchedulerHook`, priority LOW).

MMCV 1.x: LrUpdaterHook/MomentumUpdaterHook computed and set the lr in before_train_epoch /
before_train_iter (warmup by iter). MMEngine: the schedulers are objects in
`runner.param_schedulers` (a list, or a dict of lists for several optimizers); this hook calls
`step()` on the iter-based ones (`by_epoch=False`) after every train iter, on the epoch-based ones
after every train epoch, and `step(metrics)` on epoch-based schedulers with `need_val_args`
(ReduceOnPlateau) after each validation epoch.
"""
from __future__ import annotations

from typing import Callable, Dict, Optional

from runtime.registry import HOOKS

from .hook import DATA_BATCH, Hook


def _each_scheduler_list(param_schedulers):
    if isinstance(param_schedulers, list):
        return [param_schedulers]
    if isinstance(param_schedulers, dict):
        return list(param_schedulers.values())
    raise TypeError("runner.param_schedulers must be a list of schedulers or a dict of such "
                    f"lists, got {param_schedulers!r}")


def _iter_based(scheduler) -> bool:
    return not scheduler.by_epoch


def _epoch_based(scheduler) -> bool:
    return scheduler.by_epoch


@HOOKS.register_module()
class ParamSchedulerHook(Hook):
    priority = "LOW"

    @staticmethod
    def _step(runner, want: Callable, *args) -> None:
        if runner.param_schedulers is None:
            return
        for schedulers in _each_scheduler_list(runner.param_schedulers):
            for scheduler in schedulers:
                if want(scheduler):
                    scheduler.step(*args)

    def after_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        # `_step(runner, _iter_based)` written out: it runs after every iteration
        param_schedulers = runner.param_schedulers
        if param_schedulers is None:
            return
        for schedulers in ((param_schedulers,) if type(param_schedulers) is list
                           else _each_scheduler_list(param_schedulers)):
            for scheduler in schedulers:
                if not scheduler.by_epoch:
                    scheduler.step()

    def after_train_epoch(self, runner) -> None:
        self._step(runner, _epoch_based)

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        if metrics is None:
            return
        self._step(runner, lambda s: s.by_epoch and getattr(s, "need_val_args", False), metrics)
