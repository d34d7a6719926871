"""RuntimeInfoHook (MMEngine's `mmengine.hooks.RuntimeInfoHook`, priority VERY_HIGH).

MMCV 1.x had no equivalent: the runner itself exposed epoch/iter and LrUpdaterHook/TextLoggerHook
read the lr off the optimizer. In MMEngine this hook copies runner state into the MessageHub:
'cfg'/'seed'/'experiment_name' before the run, 'loop_stage'/'epoch'/'iter'/'max_epochs'/
'max_iters'/'dataset_meta' before training, 'iter' and the scalar 'train/lr' (first param group
of each optimizer, `optim_wrapper.get_lr()`) before every train iter, every train output as
'train/<key>' after it, and val/test metrics as 'val/<key>'/'test/<key>' (scalars as scalars,
anything else as info).
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from runtime.registry import HOOKS

from .hook import DATA_BATCH, Hook


def _is_scalar(value: Any) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True
    size = getattr(value, "size", None)
    if hasattr(value, "numel"):
        return value.numel() == 1
    if type(value).__module__ == "numpy":
        return size == 1
    return False


@HOOKS.register_module()
class RuntimeInfoHook(Hook):
    priority = "VERY_HIGH"

    def before_run(self, runner) -> None:
        from runtime.version import mmengine_version
        cfg = getattr(runner, "cfg", None)
        info = dict(cfg=getattr(cfg, "pretty_text", str(cfg)) if cfg is not None else "",
                    seed=getattr(runner, "seed", None),
                    experiment_name=runner.experiment_name,
                    mmengine_version=mmengine_version())
        runner.message_hub.update_info_dict(info)
        self.last_loop_stage = None

    def before_train(self, runner) -> None:
        hub = runner.message_hub
        hub.update_info("loop_stage", "train")
        hub.update_info("epoch", runner.epoch)
        hub.update_info("iter", runner.iter)
        hub.update_info("max_epochs", runner.max_epochs)
        hub.update_info("max_iters", runner.max_iters)
        dataset = getattr(runner.train_dataloader, "dataset", None)
        if hasattr(dataset, "metainfo"):
            hub.update_info("dataset_meta", dataset.metainfo)

    def after_train(self, runner) -> None:
        runner.message_hub.pop_info("loop_stage")

    def before_train_epoch(self, runner) -> None:
        runner.message_hub.update_info("epoch", runner.epoch)

    def before_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        hub = runner.message_hub
        hub.update_info("iter", runner.iter)
        lr_dict = runner.optim_wrapper.get_lr()
        if not isinstance(lr_dict, dict):
            raise TypeError("runner.optim_wrapper.get_lr() must return a dict such as "
                            f"{{'lr': [...]}}, got {type(lr_dict)}")
        for name, lr in lr_dict.items():
            hub.update_scalar(f"train/{name}", lr[0])

    def after_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        if outputs is not None:
            hub = runner.message_hub
            for key, value in outputs.items():
                hub.update_scalar(f"train/{key}", value)

    def before_val(self, runner) -> None:
        self.last_loop_stage = runner.message_hub.get_info("loop_stage")
        runner.message_hub.update_info("loop_stage", "val")

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        self._record_metrics(runner, "val", metrics)

    def after_val(self, runner) -> None:
        if getattr(self, "last_loop_stage", None) == "train":
            runner.message_hub.update_info("loop_stage", "train")
            self.last_loop_stage = None
        else:
            runner.message_hub.pop_info("loop_stage")

    def before_test(self, runner) -> None:
        runner.message_hub.update_info("loop_stage", "test")

    def after_test(self, runner) -> None:
        runner.message_hub.pop_info("loop_stage")

    def after_test_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        self._record_metrics(runner, "test", metrics)

    @staticmethod
    def _record_metrics(runner, mode: str, metrics) -> None:
        for key, value in (metrics or {}).items():
            if _is_scalar(value):
                runner.message_hub.update_scalar(f"{mode}/{key}", value)
            else:
                runner.message_hub.update_info(f"{mode}/{key}", value)
