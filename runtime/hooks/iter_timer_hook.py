"""IterTimerHook (MMEngine's `mmengine.hooks.IterTimerHook`, priority NORMAL).

MMCV 1.x's IterTimerHook put 'data_time' and 'time' into `runner.log_buffer`. MMEngine records
'<mode>/data_time' (time from the end of the previous iter, or the epoch start, to the start of
this one) and '<mode>/time' (time between consecutive iter ends) into the MessageHub and keeps
'eta' in runtime info: for training, mean iter time since `before_train` times the remaining
iters; for val/test, mean time in this epoch times the remaining batches.
"""
from __future__ import annotations

import time

from runtime.registry import HOOKS

from .hook import DATA_BATCH, Hook


@HOOKS.register_module()
class IterTimerHook(Hook):
    priority = "NORMAL"

    def __init__(self):
        self.time_sec_tot = 0.0
        self.time_sec_test_val = 0.0
        self.start_iter = 0

    def before_train(self, runner) -> None:
        self.start_iter = runner.iter

    def _before_epoch(self, runner, mode: str = "train") -> None:
        self.t = time.time()

    def _after_epoch(self, runner, mode: str = "train") -> None:
        self.time_sec_test_val = 0.0

    def _before_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                     mode: str = "train") -> None:
        runner.message_hub.update_scalar(f"{mode}/data_time", time.time() - self.t)

    def _after_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                    outputs=None, mode: str = "train") -> None:
        hub = runner.message_hub
        now = time.time()
        iter_time = now - self.t   # the value MMEngine reads back from the hub right after
        hub.update_scalar(f"{mode}/time", iter_time)
        self.t = now
        if mode == "train":
            self.time_sec_tot += iter_time
            cur_iter = runner.iter
            avg = self.time_sec_tot / (cur_iter - self.start_iter + 1)
            hub.update_info("eta", avg * (runner.max_iters - cur_iter - 1))
        else:
            loader = runner.val_dataloader if mode == "val" else runner.test_dataloader
            self.time_sec_test_val += iter_time
            avg = self.time_sec_test_val / (batch_idx + 1)
            hub.update_info("eta", avg * (len(loader) - batch_idx - 1))
