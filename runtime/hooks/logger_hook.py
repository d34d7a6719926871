"""LoggerHook (MMEngine's `mmengine.hooks.LoggerHook`, priority BELOW_NORMAL).

MMCV 1.x: `log_config=dict(interval=50, hooks=[dict(type='TextLoggerHook'), ...])`; TextLoggerHook
printed averaged `log_buffer` values every `interval` iters and appended JSON to
`<timestamp>.log.json`. MMEngine: this single hook asks `runner.log_processor` for
`(tag, log_str)`, prints the line through `runner.logger`, and sends the tag to
`runner.visualizer.add_scalars(tag, step, file_path='<timestamp>.json')` (LocalVisBackend writes
`<log_dir>/vis_data/scalars.json`). Train lines are emitted when `(batch_idx + 1) % interval == 0`,
or at the end of an epoch unless `ignore_last` (and the epoch is longer than `interval`); 'Exp
name' is logged every `interval_exp_name` iters and at epoch ends; val/test lines every
`interval` batches; a val epoch summary is logged with step = epoch (`log_metric_by_epoch`) or
iter; a test summary is dumped to `<log_dir>/<timestamp>.json`. With `out_dir`, files in the log
dir ending in `out_suffix` are copied to `<out_dir>/<basename(work_dir)>` after the run
(removed locally unless `keep_local`).
"""
from __future__ import annotations

import json
import logging
import os
import os.path as osp
import shutil
from collections import OrderedDict
from pathlib import Path
from typing import Dict, Optional, Sequence, Union

from runtime.registry import HOOKS

from .hook import DATA_BATCH, Hook


def _has_train_loop(runner) -> bool:
    from runtime.runner.log_processor import has_train_loop
    return has_train_loop(runner)


def _plain(value):
    """JSON-friendly copy of a tag value (tensors/arrays -> lists)."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "tolist"):
        return value.tolist()
    return None


@HOOKS.register_module()
class LoggerHook(Hook):
    priority = "BELOW_NORMAL"

    def __init__(self, interval: int = 10, ignore_last: bool = True,
                 interval_exp_name: int = 1000, out_dir: Optional[Union[str, Path]] = None,
                 out_suffix: Union[Sequence[str], str] = (".json", ".log", ".py", "yaml"),
                 keep_local: bool = True, file_client_args: Optional[dict] = None,
                 log_metric_by_epoch: bool = True, backend_args: Optional[dict] = None):
        if not isinstance(interval, int) or isinstance(interval, bool):
            raise TypeError("interval must be an integer")
        if interval <= 0:
            raise ValueError("interval must be greater than 0")
        if not isinstance(ignore_last, bool):
            raise TypeError("ignore_last must be a boolean")
        if not isinstance(interval_exp_name, int):
            raise TypeError("interval_exp_name must be an integer")
        if interval_exp_name <= 0:
            raise ValueError("interval_exp_name must be greater than 0")
        if out_dir is not None and not isinstance(out_dir, (str, Path)):
            raise TypeError("out_dir must be a str or Path object")
        if not isinstance(keep_local, bool):
            raise TypeError("keep_local must be a boolean")
        if out_dir is None and file_client_args is not None:
            raise ValueError("file_client_args should be None when out_dir is not specified")
        if file_client_args is not None and backend_args is not None:
            raise ValueError("file_client_args and backend_args cannot be set at the same time")
        if not (isinstance(out_suffix, str) or
                (isinstance(out_suffix, (list, tuple)) and
                 all(isinstance(s, str) for s in out_suffix))):
            raise TypeError(f"out_suffix must be a str or a sequence of str, got {type(out_suffix)}")
        self.interval = interval
        self.ignore_last = ignore_last
        self.interval_exp_name = interval_exp_name
        self.out_dir = None if out_dir is None else str(out_dir)
        self.out_suffix = out_suffix
        self.keep_local = keep_local
        self.file_client_args = file_client_args
        self.backend_args = backend_args
        self.log_metric_by_epoch = log_metric_by_epoch
        self.json_log_path: Optional[str] = None

    def before_run(self, runner) -> None:
        if self.out_dir is not None:
            basename = osp.basename(str(runner.work_dir).rstrip(osp.sep))
            self.out_dir = osp.join(self.out_dir, basename)
            runner.logger.info(f"Text logs will be saved to {self.out_dir} after the training "
                               "process.")
        self.json_log_path = f"{runner.timestamp}.json"

    def after_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        # MMEngine asks end_of_epoch (a pure length check) up to twice; once is enough
        loader = runner.train_dataloader
        end_of_epoch = self.end_of_epoch(loader, batch_idx)
        if end_of_epoch or self.every_n_train_iters(runner, self.interval_exp_name):
            runner.logger.info(f"Exp name: {runner.experiment_name}")
        if self.every_n_inner_iters(batch_idx, self.interval) or (
                end_of_epoch and (not self.ignore_last or len(loader) <= self.interval)):
            tag, log_str = runner.log_processor.get_log_after_iter(runner, batch_idx, "train")
        else:
            return
        runner.logger.info(log_str)
        runner.visualizer.add_scalars(tag, step=runner.iter + 1, file_path=self.json_log_path)

    def after_val_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                       outputs=None) -> None:
        if self.every_n_inner_iters(batch_idx, self.interval):
            _, log_str = runner.log_processor.get_log_after_iter(runner, batch_idx, "val")
            runner.logger.info(log_str)

    def after_test_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                        outputs=None) -> None:
        if self.every_n_inner_iters(batch_idx, self.interval):
            _, log_str = runner.log_processor.get_log_after_iter(runner, batch_idx, "test")
            runner.logger.info(log_str)

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        tag, log_str = runner.log_processor.get_log_after_epoch(
            runner, len(runner.val_dataloader), "val")
        runner.logger.info(log_str)
        training = _has_train_loop(runner)
        if self.log_metric_by_epoch:
            step = runner.epoch if training else 0
        else:
            step = runner.iter if training else 0
        runner.visualizer.add_scalars(tag, step=step, file_path=self.json_log_path)

    def after_test_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        tag, log_str = runner.log_processor.get_log_after_epoch(
            runner, len(runner.test_dataloader), "test", with_non_scalar=True)
        runner.logger.info(log_str)
        os.makedirs(runner.log_dir, exist_ok=True)
        with open(osp.join(runner.log_dir, self.json_log_path or "test.json"), "w") as f:
            json.dump(OrderedDict(_plain(dict(tag))), f)

    def after_run(self, runner) -> None:
        runner.visualizer.close()
        if self.out_dir is None:
            return
        log_dir = runner.log_dir
        suffixes = (self.out_suffix,) if isinstance(self.out_suffix, str) else tuple(self.out_suffix)
        uploaded = []
        for root, _, files in os.walk(log_dir):
            for name in sorted(files):
                if not name.endswith(suffixes):
                    continue
                local = osp.join(root, name)
                target = osp.join(self.out_dir, osp.relpath(local, log_dir))
                os.makedirs(osp.dirname(target), exist_ok=True)
                shutil.copyfile(local, target)
                uploaded.append(local)
                runner.logger.info(f"The file {local} has been uploaded to {target}.")
        if not self.keep_local:
            for handler in runner.logger.handlers:
                if isinstance(handler, logging.FileHandler):
                    handler.close()
            for path in uploaded:
                os.remove(path)
