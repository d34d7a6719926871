"""EarlyStoppingHook (MMEngine's `mmengine.hooks.EarlyStoppingHook`, priority LOWEST; no MMCV 1.x
counterpart).

After each validation epoch it compares `metrics[monitor]` with the best score so far: with rule
'greater' a score counts as an improvement only if it exceeds best + min_delta ('less': below
best - min_delta); after `patience` non-improving evaluations, on a non-finite score
(`check_finite`), or once `stopping_threshold` is beaten, it sets
`runner.train_loop.stop_training = True`. The rule is inferred from the metric name when omitted
(names containing acc/top/AR@/auc/precision/mAP/mDice/mIoU/mAcc/aAcc -> greater, loss -> less).
"""
from __future__ import annotations

import warnings
from math import inf, isfinite
from typing import Optional, Tuple

from runtime.registry import HOOKS

from .hook import Hook

GREATER_KEYS = ["acc", "top", "AR@", "auc", "precision", "mAP", "mDice", "mIoU", "mAcc", "aAcc"]
LESS_KEYS = ["loss"]
RULES = {"greater": lambda x, y: x > y, "less": lambda x, y: x < y}


def infer_rule(key: str, greater_keys=GREATER_KEYS, less_keys=LESS_KEYS) -> str:
    """'greater' or 'less' for a metric name, as MMEngine infers it (exact name first, then
    substring, greater keys before less keys)."""
    key_lc = key.lower()
    greater = {k.lower() for k in greater_keys}
    less = {k.lower() for k in less_keys}
    if key_lc in greater:
        return "greater"
    if key_lc in less:
        return "less"
    if any(k in key_lc for k in greater):
        return "greater"
    if any(k in key_lc for k in less):
        return "less"
    raise ValueError(f"Cannot infer the rule for {key}, thus rule must be specified.")


@HOOKS.register_module()
class EarlyStoppingHook(Hook):
    priority = "LOWEST"
    rule_map = RULES

    def __init__(self, monitor: str, rule: Optional[str] = None, min_delta: float = 0.1,
                 strict: bool = False, check_finite: bool = True, patience: int = 5,
                 stopping_threshold: Optional[float] = None):
        self.monitor = monitor
        if rule is None:
            rule = infer_rule(monitor)
        elif rule not in RULES:
            raise ValueError(f'`rule` should be either "greater" or "less", but got {rule}')
        self.rule = rule
        self.min_delta = min_delta if rule == "greater" else -min_delta
        self.strict = strict
        self.check_finite = check_finite
        self.patience = patience
        self.stopping_threshold = stopping_threshold
        self.wait_count = 0
        self.best_score = -inf if rule == "greater" else inf

    def _check_stop_condition(self, current_score: float) -> Tuple[bool, str]:
        better = RULES[self.rule]
        if self.check_finite and not isfinite(current_score):
            return True, (f"Monitored metric {self.monitor} = {current_score} is infinite. "
                          f"Previous best value was {self.best_score:.3f}.")
        if self.stopping_threshold is not None and better(current_score, self.stopping_threshold):
            self.best_score = current_score
            return True, (f"Stopping threshold reached: `{self.monitor}` = {current_score} is "
                          f"{self.rule} than {self.stopping_threshold}.")
        if better(self.best_score + self.min_delta, current_score):
            self.wait_count += 1
            if self.wait_count >= self.patience:
                return True, (f"the monitored metric did not improve in the last "
                              f"{self.wait_count} records. best score: {self.best_score:.3f}. ")
            return False, ""
        self.best_score = current_score
        self.wait_count = 0
        return False, ""

    def before_run(self, runner) -> None:
        if not hasattr(runner.train_loop, "stop_training"):
            raise AttributeError("`train_loop` should contain `stop_training` variable.")

    def after_val_epoch(self, runner, metrics=None) -> None:
        metrics = metrics or {}
        if self.monitor not in metrics:
            if self.strict:
                raise RuntimeError(f"Early stopping conditioned on metric `{self.monitor}` is not "
                                   f"available. Available metrics: {list(metrics)}; or set "
                                   "strict=False in EarlyStoppingHook.")
            warnings.warn(f"Skip early stopping process since the evaluation results "
                          f"({list(metrics)}) do not include `monitor` ({self.monitor}).")
            return
        stop, message = self._check_stop_condition(float(metrics[self.monitor]))
        if stop:
            runner.train_loop.stop_training = True
            runner.logger.info(message)
