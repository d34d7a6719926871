"""Migrated MMCV runners (fixtures/code/runner_loop/iter_val_init_*.py) as loops in a real
mmengine 0.10.7 Runner: an IterBasedRunner's one-iteration `train` as
`IterBasedTrainLoop.run_iter`, an EpochBasedRunner's `val` as a ValLoop subclass, a runner
`__init__` argument as a loop argument. Expected values from mmcv 1.7.2's
iter_based_runner.py / epoch_based_runner.py: hooks once per iteration around one step,
`runner.iter` == batch_idx == the iteration; the validation epoch calls before/after_val_iter
around `val_step` for every batch."""
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mmengine")

from code_cases import load_expected  # noqa: E402
from test_code_real import StepCount, _iter_recorder, _loader, _runner  # noqa: E402


def test_iter_based_runner_train_becomes_run_iter(tmp_path):
    load_expected("runner_loop", "iter_val_init")
    rec, model = _iter_recorder(), StepCount()
    runner = _runner(tmp_path, [rec], n_train=3, model=model,
                     train_cfg=dict(type="ClipIterIterBasedTrainLoop", max_iters=5))
    runner.train()
    assert model.steps == 5
    assert rec.before == [(i, i) for i in range(5)]
    assert [a[:2] for a in rec.after] == [(i, i) for i in range(5)]
    assert runner.iter == 5
    # MMCV's self._epoch = data_loader.epoch: passes of the 3-batch loader (read after drawing)
    assert runner.train_loop._epoch == 1


class ValSteps(StepCount):
    def __init__(self):
        super().__init__()
        self.val_steps = 0

    def val_step(self, data):
        self.val_steps += 1
        return super().val_step(data)


def test_epoch_runner_val_becomes_val_loop_and_init_argument(tmp_path):
    from mmengine.evaluator import Evaluator
    from mmengine.hooks import Hook
    from test_code_real import CountMetric
    load_expected("runner_loop", "iter_val_init")

    class ValRecorder(Hook):
        def __init__(self):
            self.calls = []

        def before_val_epoch(self, runner):
            self.calls.append("before_val_epoch")

        def before_val_iter(self, runner, batch_idx, data_batch=None):
            self.calls.append(("before_val_iter", batch_idx))

        def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            self.calls.append(("after_val_iter", batch_idx, len(outputs)))

        def after_val_epoch(self, runner, metrics=None):
            self.calls.append("after_val_epoch")
    rec, model = ValRecorder(), ValSteps()
    from mmengine.runner import Runner
    import logging
    runner = Runner(model=model, work_dir=str(tmp_path), train_dataloader=_loader(2),
                    train_cfg=dict(type="ScaledEpochBasedTrainLoop", max_epochs=2, scale=3.0),
                    val_dataloader=_loader(3), val_cfg=dict(type="ScaledValLoop"),
                    val_evaluator=Evaluator([CountMetric()]),
                    optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)), custom_hooks=[rec],
                    default_hooks=dict(checkpoint=None), log_level=logging.WARNING)
    runner.train()
    assert runner.train_loop.scale == 3.0 and model.steps == 4
    one_epoch = ["before_val_epoch", *[c for i in range(3) for c in
                                       (("before_val_iter", i), ("after_val_iter", i, 1))],
                 "after_val_epoch"]
    assert rec.calls == one_epoch * 2 and model.val_steps == 6


def test_log_buffer_history_reads_the_message_hub(tmp_path):
    """MMCV: run_iter updated log_buffer before after_train_iter, so val_history['loss'] ends
    with this iteration's loss; MMEngine's RuntimeInfoHook (VERY_HIGH) updates train/loss in the
    message hub before a NORMAL hook's after_train_iter."""
    hook = load_expected("hook_runner_attrs", "log_buffer").LossHistoryHook()

    class LossRecorder(StepCount):
        def __init__(self):
            super().__init__()
            self.losses = []

        def train_step(self, data, optim_wrapper):
            out = super().train_step(data, optim_wrapper)
            self.losses.append(out["loss"].item())
            return out
    model = LossRecorder()
    runner = _runner(tmp_path, [], n_train=3, model=model)
    runner.register_hook(hook)
    hook.after_train_epoch = lambda runner: None     # its TODO code (average/output) stays MMCV's
    runner.train()
    # MMEngine names the message hub after the run's timestamp: a runner built in the same second
    # by an earlier test (same xdist worker) shares its hub, so count from the first entry
    n0 = len(hook.history[0])
    assert [len(h) - n0 for h in hook.history] == [0, 1, 2]
    assert hook.history[-1][-3:] == model.losses
    assert list(hook.counts)[-3:] == [1, 1, 1]
