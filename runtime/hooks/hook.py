"""Hook base class (MMEngine's `mmengine.hooks.Hook`).

MMCV 1.x hooks implemented `before_run/after_run`, `before_(train_|val_)epoch`,
`before_(train_|val_)iter` and `after_*` with a single `runner` argument and read
`runner.outputs`/`runner.log_buffer`. MMEngine hooks get explicit arguments:
`before_train_iter(runner, batch_idx, data_batch)`, `after_train_iter(runner, batch_idx,
data_batch, outputs)`, `after_val_epoch(runner, metrics)`, `before_save_checkpoint(runner,
checkpoint)`, `after_load_checkpoint(runner, checkpoint)`; train/val/test variants of the
epoch/iter points forward to `_before_epoch/_after_epoch/_before_iter/_after_iter(mode=...)`.
The predicates (`every_n_epochs`, `every_n_train_iters`, ...) use 0-based runner.epoch/iter.
A plain class, as MMEngine's: subclasses may have any metaclass (abc.ABCMeta, their own).
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Union

DATA_BATCH = Optional[Union[dict, tuple, list]]


class Hook:
    priority = "NORMAL"
    stages = ("before_run", "after_load_checkpoint", "before_train", "before_train_epoch",
              "before_train_iter", "after_train_iter", "after_train_epoch", "before_val",
              "before_val_epoch", "before_val_iter", "after_val_iter", "after_val_epoch",
              "after_val", "before_save_checkpoint", "after_train", "before_test",
              "before_test_epoch", "before_test_iter", "after_test_iter", "after_test_epoch",
              "after_test", "after_run")

    def before_run(self, runner) -> None:
        pass

    def after_run(self, runner) -> None:
        pass

    def before_train(self, runner) -> None:
        pass

    def after_train(self, runner) -> None:
        pass

    def before_val(self, runner) -> None:
        pass

    def after_val(self, runner) -> None:
        pass

    def before_test(self, runner) -> None:
        pass

    def after_test(self, runner) -> None:
        pass

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        pass

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        pass

    def before_train_epoch(self, runner) -> None:
        self._before_epoch(runner, mode="train")

    def before_val_epoch(self, runner) -> None:
        self._before_epoch(runner, mode="val")

    def before_test_epoch(self, runner) -> None:
        self._before_epoch(runner, mode="test")

    def after_train_epoch(self, runner) -> None:
        self._after_epoch(runner, mode="train")

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        self._after_epoch(runner, mode="val")

    def after_test_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        self._after_epoch(runner, mode="test")

    def before_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        self._before_iter(runner, batch_idx=batch_idx, data_batch=data_batch, mode="train")

    def before_val_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        self._before_iter(runner, batch_idx=batch_idx, data_batch=data_batch, mode="val")

    def before_test_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        self._before_iter(runner, batch_idx=batch_idx, data_batch=data_batch, mode="test")

    def after_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        self._after_iter(runner, batch_idx=batch_idx, data_batch=data_batch, outputs=outputs,
                         mode="train")

    def after_val_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                       outputs: Optional[Sequence] = None) -> None:
        self._after_iter(runner, batch_idx=batch_idx, data_batch=data_batch, outputs=outputs,
                         mode="val")

    def after_test_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                        outputs: Optional[Sequence] = None) -> None:
        self._after_iter(runner, batch_idx=batch_idx, data_batch=data_batch, outputs=outputs,
                         mode="test")

    def _before_epoch(self, runner, mode: str = "train") -> None:
        pass

    def _after_epoch(self, runner, mode: str = "train") -> None:
        pass

    def _before_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                     mode: str = "train") -> None:
        pass

    def _after_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                    outputs=None, mode: str = "train") -> None:
        pass

    # -- predicates ------------------------------------------------------------------------
    def every_n_epochs(self, runner, n: int, start: int = 0) -> bool:
        dividend = runner.epoch + 1 - start
        return dividend % n == 0 if dividend >= 0 and n > 0 else False

    def every_n_inner_iters(self, batch_idx: int, n: int) -> bool:
        return (batch_idx + 1) % n == 0 if n > 0 else False

    def every_n_train_iters(self, runner, n: int, start: int = 0) -> bool:
        dividend = runner.iter + 1 - start
        return dividend % n == 0 if dividend >= 0 and n > 0 else False

    def end_of_epoch(self, dataloader, batch_idx: int) -> bool:
        return batch_idx + 1 == len(dataloader)

    def is_last_train_epoch(self, runner) -> bool:
        return runner.epoch + 1 == runner.max_epochs

    def is_last_train_iter(self, runner) -> bool:
        return runner.iter + 1 == runner.max_iters

    def get_triggered_stages(self) -> list:
        """Stages whose method this hook overrides (used by the runner's hook summary)."""
        cls = type(self)
        stages = {s for s in Hook.stages if getattr(cls, s) is not getattr(Hook, s)}
        forwarded = {
            "_before_epoch": ("before_train_epoch", "before_val_epoch", "before_test_epoch"),
            "_after_epoch": ("after_train_epoch", "after_val_epoch", "after_test_epoch"),
            "_before_iter": ("before_train_iter", "before_val_iter", "before_test_iter"),
            "_after_iter": ("after_train_iter", "after_val_iter", "after_test_iter"),
        }
        for method, names in forwarded.items():
            if getattr(cls, method) is not getattr(Hook, method):
                stages.update(names)
        return [s for s in Hook.stages if s in stages]
