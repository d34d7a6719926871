"""CheckpointHook (MMEngine's `mmengine.hooks.CheckpointHook`, priority VERY_LOW).

MMCV 1.x: `checkpoint_config=dict(interval=1, max_keep_ckpts=3, ...)` saved `epoch_N.pth` /
`iter_N.pth` plus a `latest.pth` symlink, and EvalHook(save_best=...) kept `best_<key>_epoch_N.pth`.
MMEngine: this hook saves `filename_tmpl.format(step)` (default `epoch_{}.pth` / `iter_{}.pth`,
step 1-based) every `interval` epochs/iters counted from `save_begin`, and at the last epoch/iter
when `save_last`; writes the path to `<work_dir>/last_checkpoint` (no symlink); keeps at most
`max_keep_ckpts` of them (ids tracked in message_hub 'keep_ckpt_ids' so resuming continues the
rotation). `save_best` ('auto' = first metric; a key or list of keys) compares validation metrics
with `rule` ('greater'/'less', or inferred from the key name via greater_keys/less_keys) against
message_hub 'best_score' (or 'best_score_<key>' for several keys), saves
`best_<key>_epoch_<epoch>.pth` (slashes -> '_', epoch = runner.epoch at validation), deletes the
previous best, and records 'best_ckpt'. `published_keys` makes `<ckpt>-<sha8>.pth` copies with
only those keys after training. Files are written by `runner.save_checkpoint`.
"""
from __future__ import annotations

import hashlib
import logging
import os
import os.path as osp
import pickle
import shutil
import sys
from collections import deque
from math import inf
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Union

from runtime.logging import print_log
from runtime.registry import HOOKS

from .early_stopping_hook import RULES
from .hook import DATA_BATCH, Hook


def _is_main_process() -> bool:
    tdist = sys.modules.get("torch.distributed")
    if tdist is not None and tdist.is_available() and tdist.is_initialized():
        return tdist.get_rank() == 0
    return True


def _remove(path: str) -> bool:
    if osp.isfile(path):
        os.remove(path)
        return True
    if osp.isdir(path):
        shutil.rmtree(path)
        return True
    return False


def _str_list(value, what: str) -> Optional[list]:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise TypeError(f'"{what}" should be a str or list of str or None, but got {type(value)}')


@HOOKS.register_module()
class CheckpointHook(Hook):
    out_dir: str
    priority = "VERY_LOW"
    rule_map = RULES
    init_value_map = {"greater": -inf, "less": inf}
    _default_greater_keys = ["acc", "top", "AR@", "auc", "precision", "mAP", "mDice", "mIoU",
                             "mAcc", "aAcc"]
    _default_less_keys = ["loss"]

    def __init__(self, interval: int = -1, by_epoch: bool = True, save_optimizer: bool = True,
                 save_param_scheduler: bool = True, out_dir: Optional[Union[str, Path]] = None,
                 max_keep_ckpts: int = -1, save_last: bool = True,
                 save_best: Union[str, List[str], None] = None,
                 rule: Union[str, List[str], None] = None,
                 greater_keys: Optional[Sequence[str]] = None,
                 less_keys: Optional[Sequence[str]] = None,
                 file_client_args: Optional[dict] = None, filename_tmpl: Optional[str] = None,
                 backend_args: Optional[dict] = None,
                 published_keys: Union[str, List[str], None] = None, save_begin: int = 0,
                 **kwargs) -> None:
        self.interval = interval
        self.by_epoch = by_epoch
        self.save_optimizer = save_optimizer
        self.save_param_scheduler = save_param_scheduler
        self.out_dir = None if out_dir is None else str(out_dir)
        self.max_keep_ckpts = max_keep_ckpts
        self.save_last = save_last
        self.args = kwargs
        if file_client_args is not None and backend_args is not None:
            raise ValueError("file_client_args and backend_args cannot be set at the same time")
        self.file_client_args = file_client_args
        self.backend_args = backend_args
        if filename_tmpl is None:
            filename_tmpl = "epoch_{}.pth" if by_epoch else "iter_{}.pth"
        self.filename_tmpl = filename_tmpl

        save_best = _str_list(save_best, "save_best")
        if save_best is not None:
            if "auto" in save_best and len(save_best) != 1:
                raise ValueError('Only support one "auto" in "save_best" list.')
            if len(save_best) != len(set(save_best)):
                raise ValueError('Find duplicate element in "save_best".')
        self.save_best = save_best
        if isinstance(rule, list):
            if save_best is None or len(rule) not in (1, len(save_best)):
                raise ValueError('Number of "rule" must be 1 or the same as number of '
                                 f'"save_best", but got {len(rule)}.')
        elif rule is None or isinstance(rule, str):
            rule = [rule]
        else:
            raise TypeError(f'"rule" should be a str or list of str or None, but got {type(rule)}')
        self.greater_keys = self._default_greater_keys if greater_keys is None else \
            _str_list(greater_keys, "greater_keys")
        self.less_keys = self._default_less_keys if less_keys is None else \
            _str_list(less_keys, "less_keys")
        if self.save_best is not None:
            self.is_better_than: Dict[str, Callable] = {}
            self._init_rule(rule, self.save_best)
            if len(self.key_indicators) == 1:
                self.best_ckpt_path: Optional[str] = None
            else:
                self.best_ckpt_path_dict: Dict = {}
        published = _str_list(published_keys, "published_keys")
        if published is not None and len(published) != len(set(published)):
            raise ValueError('Find duplicate elements in "published_keys".')
        self.published_keys = published
        self.last_ckpt = None
        if save_begin < 0:
            raise ValueError(f"save_begin should not be less than 0, but got {save_begin}")
        self.save_begin = save_begin

    # -- rule inference ----------------------------------------------------------------------
    def _init_rule(self, rules, key_indicators) -> None:
        if len(rules) == 1:
            rules = rules * len(key_indicators)
        self.rules = []
        for rule, key in zip(rules, key_indicators):
            if rule is not None and rule not in self.rule_map:
                raise KeyError(f"rule must be greater, less or None, but got {rule}.")
            if rule is None and key != "auto":
                from .early_stopping_hook import infer_rule
                try:
                    rule = infer_rule(key, self.greater_keys, self.less_keys)
                except ValueError:
                    raise ValueError(f"Cannot infer the rule for key {key}, thus a specific rule "
                                     "must be specified.") from None
            if rule is not None:
                self.is_better_than[key] = self.rule_map[rule]
            self.rules.append(rule)
        self.key_indicators = key_indicators

    # -- lifecycle ---------------------------------------------------------------------------
    def before_train(self, runner) -> None:
        work_dir = str(runner.work_dir)
        if self.out_dir is None:
            self.out_dir = work_dir
        if self.out_dir != work_dir:
            self.out_dir = osp.join(self.out_dir, osp.basename(work_dir.rstrip(osp.sep)))
        runner.logger.info(f"Checkpoints will be saved to {self.out_dir}.")
        hub = runner.message_hub
        if self.save_best is not None:
            if len(self.key_indicators) == 1:
                self.best_ckpt_path = hub.get_info("best_ckpt")
            else:
                for key in self.key_indicators:
                    self.best_ckpt_path_dict[key] = hub.get_info(f"best_ckpt_{key}")
        if self.max_keep_ckpts > 0:
            keep_ids = list(hub.get_info("keep_ckpt_ids", []) or [])
            while len(keep_ids) > self.max_keep_ckpts:
                step = keep_ids.pop(0)
                if _is_main_process():
                    _remove(osp.join(self.out_dir, self.filename_tmpl.format(step)))
            self.keep_ckpt_ids: deque = deque(keep_ids, self.max_keep_ckpts)

    def after_train_epoch(self, runner) -> None:
        if not self.by_epoch:
            return
        if self.every_n_epochs(runner, self.interval, self.save_begin) or \
                (self.save_last and self.is_last_train_epoch(runner)):
            runner.logger.info(f"Saving checkpoint at {runner.epoch + 1} epochs")
            self._save_checkpoint(runner)

    def after_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        if self.by_epoch:
            return
        if self.every_n_train_iters(runner, self.interval, self.save_begin) or \
                (self.save_last and self.is_last_train_iter(runner)):
            runner.logger.info(f"Saving checkpoint at {runner.iter + 1} iterations")
            self._save_checkpoint(runner)

    def after_val_epoch(self, runner, metrics=None) -> None:
        if not metrics:
            runner.logger.warning("Since `metrics` is an empty dict, the behavior to save the "
                                  "best checkpoint will be skipped in this evaluation.")
            return
        self._save_best_checkpoint(runner, metrics)

    def after_train(self, runner) -> None:
        if self.published_keys is None:
            return
        if self.save_last and self.last_ckpt is not None:
            self._publish_model(runner, self.last_ckpt)
        if getattr(self, "best_ckpt_path", None) is not None:
            self._publish_model(runner, str(self.best_ckpt_path))
        for best in getattr(self, "best_ckpt_path_dict", {}).values():
            if best is not None:
                self._publish_model(runner, best)

    # -- saving ------------------------------------------------------------------------------
    def _save_checkpoint(self, runner) -> None:
        if self.by_epoch:
            step = runner.epoch + 1
            meta = dict(epoch=step, iter=runner.iter)
        else:
            step = runner.iter + 1
            meta = dict(epoch=runner.epoch, iter=step)
        self._save_checkpoint_with_step(runner, step, meta)

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                old = self.keep_ckpt_ids.popleft()
                if _is_main_process():
                    _remove(osp.join(self.out_dir, self.filename_tmpl.format(old)))
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info("keep_ckpt_ids", list(self.keep_ckpt_ids))
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = osp.join(self.out_dir, filename)
        runner.message_hub.update_info("last_ckpt", self.last_ckpt)
        runner.save_checkpoint(self.out_dir, filename, self.file_client_args,
                               save_optimizer=self.save_optimizer,
                               save_param_scheduler=self.save_param_scheduler, meta=meta,
                               by_epoch=self.by_epoch, backend_args=self.backend_args,
                               **self.args)
        if _is_main_process():
            with open(osp.join(str(runner.work_dir), "last_checkpoint"), "w") as f:
                f.write(self.last_ckpt)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        if not self.save_best:
            return
        if self.by_epoch:
            ckpt_filename = self.filename_tmpl.format(runner.epoch)
            cur_type, cur_time = "epoch", runner.epoch
        else:
            ckpt_filename = self.filename_tmpl.format(runner.iter)
            cur_type, cur_time = "iter", runner.iter
        meta = dict(epoch=runner.epoch, iter=runner.iter)
        if "auto" in self.key_indicators:
            self._init_rule(self.rules, [next(iter(metrics))])
        hub = runner.message_hub
        single = len(self.key_indicators) == 1
        updated = False
        for key, rule in zip(self.key_indicators, self.rules):
            score = metrics[key]
            score_key = "best_score" if single else f"best_score_{key}"
            path_key = "best_ckpt" if single else f"best_ckpt_{key}"
            old_path = self.best_ckpt_path if single else self.best_ckpt_path_dict.get(key)
            best = hub.get_info(score_key) if score_key in hub.runtime_info \
                else self.init_value_map[rule]
            if score is None or not self.is_better_than[key](score, best):
                continue
            updated = True
            hub.update_info(score_key, score)
            if old_path and _is_main_process() and _remove(old_path):
                runner.logger.info(f"The previous best checkpoint {old_path} is removed")
            best_name = f"best_{key}_{ckpt_filename}".replace("/", "_")
            new_path = osp.join(self.out_dir, best_name)
            if single:
                self.best_ckpt_path = new_path
            else:
                self.best_ckpt_path_dict[key] = new_path
            hub.update_info(path_key, new_path)
            runner.save_checkpoint(self.out_dir, filename=best_name,
                                   file_client_args=self.file_client_args, save_optimizer=False,
                                   save_param_scheduler=False, meta=meta, by_epoch=False,
                                   backend_args=self.backend_args)
            runner.logger.info(f"The best checkpoint with {score:0.4f} {key} at {cur_time} "
                               f"{cur_type} is saved to {best_name}.")
        if updated and self.last_ckpt is not None:
            self._save_checkpoint_with_step(runner, cur_time, meta)

    def _publish_model(self, runner, ckpt_path: str) -> None:
        if not _is_main_process():
            return
        import torch
        from runtime.runner.checkpoint import load_raw
        checkpoint = load_raw(ckpt_path, map_location="cpu")
        removed = [k for k in list(checkpoint) if k not in self.published_keys]
        for key in removed:
            checkpoint.pop(key)
        if removed:
            print_log(f"Key {removed} will be removed because they are not found in "
                      "published_keys.", logger="current")
        sha = hashlib.sha256(pickle.dumps(checkpoint)).hexdigest()
        final_path = osp.splitext(ckpt_path)[0] + f"-{sha[:8]}.pth"
        tmp = final_path + ".tmp"
        torch.save(checkpoint, tmp)
        os.replace(tmp, final_path)
        print_log(f"The checkpoint ({ckpt_path}) is published to {final_path}.", logger="current",
                  level=logging.INFO)
