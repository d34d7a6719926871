"""runtime.hooks, each hook driven in isolation by a tiny fake runner.

Checkpoint file sets, best-checkpoint handling, scheduler step counts, EMA math, early stopping
and LoggerHook output are checked against hand-computed expectations; CheckpointHook and
EarlyStoppingHook are also run side by side with real mmengine 0.10.7 on the same fake runner.
"""
import itertools
import json
import logging
import os
import re
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from runtime.hooks import (CheckpointHook, DistSamplerSeedHook, EarlyStoppingHook, EMAHook,
                           EmptyCacheHook, Hook, IterTimerHook, LoggerHook, ParamSchedulerHook,
                           Priority, RuntimeInfoHook, SyncBuffersHook, get_priority)
from runtime.logging import MessageHub, MMLogger
from runtime.registry import HOOKS
from runtime.runner.log_processor import LogProcessor
from runtime.visualization import Visualizer

_ids = itertools.count()


def _name(prefix):
    return f"{prefix}_{next(_ids)}"


class FakeRunner(SimpleNamespace):
    """Just the Runner attributes hooks use; save_checkpoint writes a marker file."""

    def __init__(self, work_dir, **kw):
        defaults = dict(epoch=0, iter=0, max_epochs=5, max_iters=50, experiment_name="exp",
                        timestamp="20240101_000000", param_schedulers=None, _resume=False,
                        cfg=SimpleNamespace(pretty_text="x = 1\n"), seed=0, model=nn.Linear(2, 1))
        defaults.update(kw)
        super().__init__(work_dir=str(work_dir), **defaults)
        self.log_dir = os.path.join(self.work_dir, self.timestamp)
        self.message_hub = MessageHub(name=_name("hub"))
        self.logger = logging.getLogger(_name("fake"))
        self.saved = []

    def save_checkpoint(self, out_dir, filename, file_client_args=None, save_optimizer=True,
                        save_param_scheduler=True, meta=None, by_epoch=True, backend_args=None):
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, filename), "w") as f:
            f.write(json.dumps(meta))
        self.saved.append((filename, save_optimizer, dict(meta)))


def ckpt_files(path):
    return sorted(f for f in os.listdir(path) if f.endswith(".pth"))


# --- priorities / base class ----------------------------------------------------------------
def test_priority_values():
    assert get_priority("VERY_HIGH") == 10 and get_priority("below_normal") == 60
    assert get_priority(Priority.LOWEST) == 100 and get_priority(35) == 35
    with pytest.raises(ValueError):
        get_priority(101)
    with pytest.raises(ValueError):
        get_priority("SOMETIMES")
    expected = {"RuntimeInfoHook": "VERY_HIGH", "IterTimerHook": "NORMAL",
                "DistSamplerSeedHook": "NORMAL", "LoggerHook": "BELOW_NORMAL",
                "ParamSchedulerHook": "LOW", "CheckpointHook": "VERY_LOW", "EMAHook": "NORMAL",
                "EarlyStoppingHook": "LOWEST", "EmptyCacheHook": "NORMAL",
                "SyncBuffersHook": "NORMAL"}
    for name, prio in expected.items():
        assert HOOKS.get(name).priority == prio


def test_hook_predicates_and_forwarding(tmp_path):
    calls = []

    class Rec(Hook):
        def _after_iter(self, runner, batch_idx, data_batch=None, outputs=None, mode="train"):
            calls.append((mode, batch_idx, outputs))

    hook, runner = Rec(), FakeRunner(tmp_path, epoch=3, iter=9, max_epochs=4, max_iters=10)
    hook.after_train_iter(runner, batch_idx=1, data_batch=None, outputs={"loss": 1})
    hook.after_test_iter(runner, batch_idx=2, outputs=[1])
    assert calls == [("train", 1, {"loss": 1}), ("test", 2, [1])]
    assert hook.every_n_epochs(runner, 2) and not hook.every_n_epochs(runner, 3)
    assert hook.every_n_epochs(runner, 2, start=2) and not hook.every_n_epochs(runner, 2, start=5)
    assert hook.every_n_train_iters(runner, 5) and not hook.every_n_train_iters(runner, 3)
    assert hook.every_n_inner_iters(4, 5) and not hook.every_n_inner_iters(4, 0)
    assert hook.end_of_epoch(range(5), 4) and not hook.end_of_epoch(range(5), 3)
    assert hook.is_last_train_epoch(runner) and hook.is_last_train_iter(runner)
    stages = Rec().get_triggered_stages()
    assert set(stages) == {"after_train_iter", "after_val_iter", "after_test_iter"}


# --- RuntimeInfoHook / IterTimerHook / DistSamplerSeedHook ------------------------------------
def test_runtime_info_hook_fills_message_hub(tmp_path):
    lrs = {"lr": [0.01, 0.02]}
    dataset = SimpleNamespace(metainfo={"classes": ("a", "b")})
    runner = FakeRunner(tmp_path, epoch=2, iter=20, train_dataloader=SimpleNamespace(dataset=dataset),
                        optim_wrapper=SimpleNamespace(get_lr=lambda: lrs))
    hook, hub = RuntimeInfoHook(), runner.message_hub
    hook.before_run(runner)
    assert hub.get_info("cfg") == "x = 1\n" and hub.get_info("experiment_name") == "exp"
    hook.before_train(runner)
    assert [hub.get_info(k) for k in ("epoch", "iter", "max_epochs", "max_iters")] == [2, 20, 5, 50]
    assert hub.get_info("dataset_meta") == {"classes": ("a", "b")}
    hook.before_train_iter(runner, batch_idx=0)
    hook.after_train_iter(runner, batch_idx=0, outputs={"loss": torch.tensor(1.5)})
    assert hub.get_scalar("train/lr").current() == 0.01
    assert hub.get_scalar("train/loss").current() == 1.5
    hook.before_val(runner)
    assert hub.get_info("loop_stage") == "val"
    hook.after_val_epoch(runner, metrics={"acc": 0.5, "per_class": [1, 2]})
    hook.after_val(runner)
    assert hub.get_info("loop_stage") == "train"
    assert hub.get_scalar("val/acc").current() == 0.5 and hub.get_info("val/per_class") == [1, 2]
    hook.after_train(runner)
    assert "loop_stage" not in hub.runtime_info


def test_iter_timer_hook_records_times_and_eta(tmp_path, monkeypatch):
    clock = iter([100.0, 100.5, 101.0, 101.25, 102.0])
    monkeypatch.setattr("runtime.hooks.iter_timer_hook.time.time", lambda: next(clock))
    runner = FakeRunner(tmp_path, iter=0, max_iters=10)
    hook, hub = IterTimerHook(), runner.message_hub
    hook.before_train(runner)
    hook.before_train_epoch(runner)                         # t = 100
    hook.before_train_iter(runner, batch_idx=0)              # data_time = 0.5
    hook.after_train_iter(runner, batch_idx=0)               # time = 1.0, t = 101.25
    assert hub.get_scalar("train/data_time").current() == pytest.approx(0.5)
    assert hub.get_scalar("train/time").current() == pytest.approx(1.0)
    assert hub.get_info("eta") == pytest.approx(1.0 * 9)


def test_dist_sampler_seed_hook_sets_epoch(tmp_path):
    seen = []
    sampler = SimpleNamespace(set_epoch=seen.append)
    runner = FakeRunner(tmp_path, epoch=3,
                        train_loop=SimpleNamespace(dataloader=SimpleNamespace(sampler=sampler)))
    DistSamplerSeedHook().before_train_epoch(runner)
    inner = SimpleNamespace(sampler=object(),
                            batch_sampler=SimpleNamespace(sampler=SimpleNamespace(set_epoch=seen.append)))
    runner.epoch, runner.train_loop = 4, SimpleNamespace(dataloader=inner)
    DistSamplerSeedHook().before_train_epoch(runner)
    assert seen == [3, 4]


# --- ParamSchedulerHook ---------------------------------------------------------------------
class CountingScheduler:
    def __init__(self, by_epoch, need_val_args=False):
        self.by_epoch, self.need_val_args, self.calls = by_epoch, need_val_args, []

    def step(self, *args):
        self.calls.append(args)


def test_param_scheduler_hook_step_counts(tmp_path):
    per_iter, per_epoch = CountingScheduler(False), CountingScheduler(True)
    plateau = CountingScheduler(True, need_val_args=True)
    runner = FakeRunner(tmp_path, param_schedulers=[per_iter, per_epoch, plateau])
    hook = ParamSchedulerHook()
    for _ in range(3):          # 3 epochs x 4 iters, validation every epoch
        for i in range(4):
            hook.after_train_iter(runner, batch_idx=i)
        hook.after_train_epoch(runner)
        hook.after_val_epoch(runner, metrics={"loss": 1.0})
    hook.after_val_epoch(runner, metrics=None)
    assert len(per_iter.calls) == 12 and len(per_epoch.calls) == 3
    # plateau: 3 plain steps after train epochs (global-step count) + 3 steps with metrics
    assert plateau.calls.count(()) == 3 and plateau.calls.count(({"loss": 1.0},)) == 3
    # dict of lists (several optimizers)
    a, b = CountingScheduler(False), CountingScheduler(False)
    runner.param_schedulers = {"gen": [a], "disc": [b]}
    hook.after_train_iter(runner, batch_idx=0)
    assert len(a.calls) == len(b.calls) == 1
    runner.param_schedulers = "bad"
    with pytest.raises(TypeError):
        hook.after_train_epoch(runner)


# --- CheckpointHook -------------------------------------------------------------------------
def run_epochs(hook, runner, n_epochs, metrics=None):
    hook.before_train(runner)
    for epoch in range(n_epochs):
        runner.epoch = epoch
        runner.iter = (epoch + 1) * 10 - 1
        hook.after_train_epoch(runner)
        runner.epoch = epoch + 1  # the loop increments epoch before validation
        runner.iter = (epoch + 1) * 10
        if metrics is not None:
            hook.after_val_epoch(runner, metrics[epoch])


@pytest.mark.parametrize("kw, expected", [
    (dict(interval=1, max_keep_ckpts=2), ["epoch_4.pth", "epoch_5.pth"]),
    (dict(interval=2), ["epoch_2.pth", "epoch_4.pth", "epoch_5.pth"]),
    (dict(interval=2, save_last=False), ["epoch_2.pth", "epoch_4.pth"]),
    (dict(interval=2, save_begin=1), ["epoch_1.pth", "epoch_3.pth", "epoch_5.pth"]),
    (dict(interval=1, filename_tmpl="ckpt_{:03d}.pth", max_keep_ckpts=1), ["ckpt_005.pth"]),
])
def test_checkpoint_hook_epoch_files(tmp_path, kw, expected):
    runner = FakeRunner(tmp_path, max_epochs=5)
    run_epochs(CheckpointHook(**kw), runner, 5)
    assert ckpt_files(tmp_path) == expected
    last = (tmp_path / "last_checkpoint").read_text()
    assert last == os.path.join(str(tmp_path), expected[-1])


def test_checkpoint_hook_iter_based(tmp_path):
    runner = FakeRunner(tmp_path, max_iters=25)
    hook = CheckpointHook(interval=10, by_epoch=False, max_keep_ckpts=3)
    hook.before_train(runner)
    for it in range(25):
        runner.iter = it
        hook.after_train_iter(runner, batch_idx=it)
        hook.after_train_epoch(runner)  # ignored when by_epoch=False
    assert ckpt_files(tmp_path) == ["iter_10.pth", "iter_20.pth", "iter_25.pth"]
    assert runner.saved[0] == ("iter_10.pth", True, {"epoch": 0, "iter": 10})
    assert runner.message_hub.get_info("keep_ckpt_ids") == [10, 20, 25]


def test_checkpoint_hook_resume_continues_rotation(tmp_path):
    runner = FakeRunner(tmp_path, max_epochs=6)
    run_epochs(CheckpointHook(interval=1, max_keep_ckpts=3), runner, 3)
    state = runner.message_hub.state_dict()
    resumed = FakeRunner(tmp_path, max_epochs=6)
    resumed.message_hub.load_state_dict(state)
    hook = CheckpointHook(interval=1, max_keep_ckpts=2)   # fewer kept after resume
    hook.before_train(resumed)
    assert ckpt_files(tmp_path) == ["epoch_2.pth", "epoch_3.pth"]
    resumed.epoch = 3
    hook.after_train_epoch(resumed)
    assert ckpt_files(tmp_path) == ["epoch_3.pth", "epoch_4.pth"]


def test_checkpoint_hook_save_best_auto_and_rules(tmp_path):
    runner = FakeRunner(tmp_path, max_epochs=4)
    hook = CheckpointHook(interval=10, save_best="auto", save_last=False)
    metrics = [{"acc": 0.5, "loss": 2.0}, {"acc": 0.7, "loss": 1.0}, {"acc": 0.6, "loss": 0.5},
               {"acc": 0.8, "loss": 0.9}]
    run_epochs(hook, runner, 4, metrics)
    assert ckpt_files(tmp_path) == ["best_acc_epoch_4.pth"]
    assert runner.message_hub.get_info("best_score") == 0.8
    assert runner.message_hub.get_info("best_ckpt") == os.path.join(str(tmp_path),
                                                                    "best_acc_epoch_4.pth")
    assert [s[0] for s in runner.saved] == ["best_acc_epoch_1.pth", "best_acc_epoch_2.pth",
                                            "best_acc_epoch_4.pth"]
    assert all(s[1] is False for s in runner.saved)

    tmp2 = tmp_path / "multi"
    tmp2.mkdir()
    runner = FakeRunner(tmp2, max_epochs=4)
    hook = CheckpointHook(interval=1, save_best=["acc", "loss"], max_keep_ckpts=1)
    run_epochs(hook, runner, 4, metrics)
    assert ckpt_files(tmp2) == ["best_acc_epoch_4.pth", "best_loss_epoch_3.pth", "epoch_4.pth"]
    assert runner.message_hub.get_info("best_score_loss") == 0.5
    with pytest.raises(ValueError):
        CheckpointHook(save_best="weird_metric")
    assert CheckpointHook(save_best="coco/bbox_mAP").rules == ["greater"]
    assert CheckpointHook(save_best="val_loss").rules == ["less"]
    assert CheckpointHook(save_best="x", rule="less").rules == ["less"]
    with pytest.raises(KeyError):
        CheckpointHook(save_best="x", rule="bigger")


@pytest.mark.parametrize("kw", [
    dict(interval=1, max_keep_ckpts=2),
    dict(interval=2, save_begin=1),
    dict(interval=3, save_best="auto"),
    dict(interval=1, save_best=["acc", "loss"], max_keep_ckpts=2),
    dict(interval=2, save_best="coco/bbox_mAP", save_last=False),
])
def test_checkpoint_hook_matches_mmengine(tmp_path, kw):
    from mmengine.hooks import CheckpointHook as MMCheckpointHook
    metrics = [{"acc": 0.5 + 0.1 * (i % 2), "coco/bbox_mAP": 0.1 * (i % 3), "loss": 1.0 / (i + 1)}
               for i in range(6)]
    results = []
    for cls, sub in ((CheckpointHook, "ours"), (MMCheckpointHook, "mm")):
        d = tmp_path / sub
        d.mkdir()
        runner = FakeRunner(d, max_epochs=6)  # mmengine's hook only needs the same API
        run_epochs(cls(**kw), runner, 6, metrics)
        results.append((ckpt_files(d), [s[0] for s in runner.saved],
                        {k: v for k, v in runner.message_hub.runtime_info.items()
                         if k.startswith(("best", "keep"))}))
    ours, theirs = results
    assert ours[0] == theirs[0] and ours[1] == theirs[1]
    assert {k: os.path.basename(str(v)) for k, v in ours[2].items()} == \
        {k: os.path.basename(str(v)) for k, v in theirs[2].items()}


def test_checkpoint_hook_published_keys(tmp_path):
    runner = FakeRunner(tmp_path, max_epochs=1)
    hook = CheckpointHook(interval=1, published_keys=["meta", "state_dict"])

    def save(out_dir, filename, *a, **k):
        torch.save({"meta": {"epoch": 1}, "state_dict": {"w": torch.ones(1)}, "optimizer": {}},
                   os.path.join(out_dir, filename))
    runner.save_checkpoint = save
    run_epochs(hook, runner, 1)
    hook.after_train(runner)
    published = [f for f in ckpt_files(tmp_path) if f.startswith("epoch_1-")]
    assert len(published) == 1 and re.fullmatch(r"epoch_1-[0-9a-f]{8}\.pth", published[0])
    assert set(torch.load(tmp_path / published[0], weights_only=False)) == {"meta", "state_dict"}


# --- EMAHook --------------------------------------------------------------------------------
def test_ema_hook_math_swap_and_checkpoint(tmp_path):
    model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(1.0)
    runner = FakeRunner(tmp_path, model=model, max_iters=10)
    hook = EMAHook(momentum=0.25, interval=1)
    hook.before_run(runner)
    hook.before_train(runner)
    expected = None
    for it, w in enumerate([2.0, 4.0, 8.0]):
        with torch.no_grad():
            model.weight.fill_(w)
        runner.iter = it
        hook.after_train_iter(runner, batch_idx=it)
        # first update copies; later ones: ema = 0.75 * ema + 0.25 * w
        expected = w if expected is None else 0.75 * expected + 0.25 * w
    assert expected == pytest.approx(0.75 * (0.75 * 2.0 + 0.25 * 4.0) + 0.25 * 8.0)
    assert hook.ema_model.module.weight.item() == pytest.approx(expected)
    hook.before_val_epoch(runner)
    assert model.weight.item() == pytest.approx(expected)        # EMA weights evaluated
    hook.after_val_epoch(runner, metrics={})
    assert model.weight.item() == 8.0                              # training weights restored
    ckpt = {"state_dict": {"weight": model.weight.detach().clone()}}
    hook.before_save_checkpoint(runner, ckpt)
    assert ckpt["state_dict"]["weight"].item() == pytest.approx(expected)
    assert ckpt["ema_state_dict"]["module.weight"].item() == 8.0
    assert int(ckpt["ema_state_dict"]["steps"]) == 3
    # resume: swapped back, EMA restored
    fresh = FakeRunner(tmp_path, model=model, _resume=True)
    hook2 = EMAHook(momentum=0.25)
    hook2.before_run(fresh)
    hook2.after_load_checkpoint(fresh, ckpt)
    assert hook2.ema_model.module.weight.item() == pytest.approx(expected)


def test_ema_hook_begin_iter_and_other_averages(tmp_path):
    from mmengine.hooks import EMAHook as MMEMAHook
    model = nn.Linear(1, 1, bias=False)
    runner = FakeRunner(tmp_path, model=model, max_iters=10)
    hooks = [EMAHook(momentum=0.5, begin_iter=2), MMEMAHook(momentum=0.5, begin_iter=2)]
    for hook in hooks:
        hook.before_run(runner)
    for it, w in enumerate([1.0, 3.0, 5.0, 7.0]):
        with torch.no_grad():
            model.weight.fill_(w)
        runner.iter = it
        for hook in hooks:
            hook.after_train_iter(runner, batch_idx=it)
    # started once iter + 1 >= 2: iter 0 only copies; iter 1 is the first update (a copy, 3.0);
    # then 0.5 * 3 + 0.5 * 5 = 4.0 and 0.5 * 4 + 0.5 * 7 = 5.5
    assert [h.ema_model.module.weight.item() for h in hooks] == [5.5, 5.5]

    swa_hook = EMAHook(ema_type="StochasticWeightAverage")
    swa_hook.before_run(runner)
    for it, w in enumerate([1.0, 2.0, 6.0]):
        with torch.no_grad():
            model.weight.fill_(w)
        runner.iter = it
        swa_hook.after_train_iter(runner, batch_idx=it)
    assert swa_hook.ema_model.module.weight.item() == pytest.approx(3.0)  # plain mean

    anneal = EMAHook(ema_type="MomentumAnnealingEMA", momentum=0.01, gamma=1)
    anneal.before_run(runner)
    for it, w in enumerate([0.0, 4.0]):
        with torch.no_grad():
            model.weight.fill_(w)
        anneal.after_train_iter(runner, batch_idx=it)
    # second update: momentum = max(0.01, 1 / (1 + 1)) = 0.5
    assert anneal.ema_model.module.weight.item() == pytest.approx(2.0)
    with pytest.raises(ValueError):
        EMAHook(begin_iter=1, begin_epoch=1)


# --- EarlyStoppingHook ----------------------------------------------------------------------
def _stop_epoch(hook_cls, scores, **kw):
    loop = SimpleNamespace(stop_training=False)
    runner = SimpleNamespace(train_loop=loop, logger=logging.getLogger("es"))
    hook = hook_cls(**kw)
    hook.before_run(runner)
    for i, s in enumerate(scores):
        hook.after_val_epoch(runner, {kw["monitor"]: s})
        if loop.stop_training:
            return i
    return None


@pytest.mark.parametrize("scores, kw, expected", [
    ([0.5, 0.55, 0.58, 0.59], dict(monitor="acc", patience=2), 2),   # min_delta 0.1 not reached
    ([0.5, 0.7, 0.9, 1.1], dict(monitor="acc", patience=2), None),
    ([3.0, 2.0, 1.95, 1.9, 1.0], dict(monitor="loss", patience=3), None),
    ([3.0, 2.0, 1.95, 1.93, 1.91], dict(monitor="loss", patience=3), 4),
    ([0.5, float("nan")], dict(monitor="acc"), 1),
    ([0.5, 0.91], dict(monitor="acc", stopping_threshold=0.9), 1),
    ([5.0, 4.0, 3.0], dict(monitor="score", rule="less", min_delta=0.5, patience=1), None),
])
def test_early_stopping_matches_hand_and_mmengine(scores, kw, expected):
    from mmengine.hooks import EarlyStoppingHook as MMEarlyStoppingHook
    assert _stop_epoch(EarlyStoppingHook, scores, **kw) == expected
    assert _stop_epoch(MMEarlyStoppingHook, scores, **kw) == expected


def test_early_stopping_missing_metric():
    with pytest.raises(ValueError):
        EarlyStoppingHook(monitor="mystery")
    runner = SimpleNamespace(train_loop=SimpleNamespace(stop_training=False))
    with pytest.warns(UserWarning):
        EarlyStoppingHook(monitor="acc").after_val_epoch(runner, {"loss": 1.0})
    with pytest.raises(RuntimeError):
        EarlyStoppingHook(monitor="acc", strict=True).after_val_epoch(runner, {"loss": 1.0})


# --- EmptyCacheHook / SyncBuffersHook (CPU, single process: no-ops that must not fail) --------
def test_empty_cache_and_sync_buffers_are_safe_on_cpu(tmp_path):
    runner = FakeRunner(tmp_path)
    hook = EmptyCacheHook(before_epoch=True, after_iter=True)
    hook.before_train_epoch(runner)
    hook.after_train_iter(runner, batch_idx=0)
    hook.after_val_epoch(runner)
    sync = SyncBuffersHook()
    assert sync.distributed is False
    sync.after_train_epoch(runner)
    sync.before_val_epoch(runner)


# --- LoggerHook -----------------------------------------------------------------------------
TRAIN_LINE = re.compile(
    r"Epoch\(train\) \[(\d)\]\[ ?(\d+)/5\]  lr: \d\.\d{4}e-\d\d  eta: \d:\d\d:\d\d  "
    r"time: \d+\.\d{4}  data_time: \d+\.\d{4}  loss: \d+\.\d{4}$")


def logger_runner(tmp_path, n_train=5):
    runner = FakeRunner(tmp_path, max_epochs=2, max_iters=2 * n_train)
    runner.logger = MMLogger.get_instance(_name("lh"), log_file=os.path.join(
        runner.log_dir, f"{runner.timestamp}.log"))
    runner.visualizer = Visualizer.get_instance(_name("vis"), save_dir=runner.log_dir,
                                                vis_backends=[dict(type="LocalVisBackend")])
    runner.log_processor = LogProcessor(window_size=2)
    runner._train_loop = object()
    runner.train_dataloader = range(n_train)
    runner.val_dataloader = range(3)
    runner.test_dataloader = range(3)
    runner.train_loop = SimpleNamespace(dataloader=runner.train_dataloader)
    runner.val_loop = SimpleNamespace(dataloader=runner.val_dataloader)
    runner.test_loop = SimpleNamespace(dataloader=runner.test_dataloader)
    runner.optim_wrapper = SimpleNamespace(get_lr=lambda: {"lr": [0.01]})
    return runner


def drive_training(runner, hooks, n_train=5, epochs=2, val_metrics=None):
    for h in hooks:
        h.before_run(runner)
    for h in hooks:
        h.before_train(runner)
    for epoch in range(epochs):
        runner.epoch = epoch
        for h in hooks:
            h.before_train_epoch(runner)
        for i in range(n_train):
            for h in hooks:
                h.before_train_iter(runner, batch_idx=i, data_batch=None)
            out = {"loss": torch.tensor(1.0 / (runner.iter + 1))}
            for h in hooks:
                h.after_train_iter(runner, batch_idx=i, data_batch=None, outputs=out)
            runner.iter += 1
        for h in hooks:
            h.after_train_epoch(runner)
        runner.epoch += 1
        if val_metrics is not None:
            for h in hooks:
                h.before_val(runner)
                h.before_val_epoch(runner)
            for i in range(3):
                for h in hooks:
                    h.before_val_iter(runner, batch_idx=i)
                    h.after_val_iter(runner, batch_idx=i, outputs=[])
            for h in hooks:
                h.after_val_epoch(runner, metrics=val_metrics)
                h.after_val(runner)
    for h in hooks:
        h.after_train(runner)
    for h in hooks:
        h.after_run(runner)


def test_logger_hook_lines_and_scalars_json(tmp_path):
    runner = logger_runner(tmp_path)
    hooks = [RuntimeInfoHook(), IterTimerHook(), LoggerHook(interval=2)]
    drive_training(runner, hooks, val_metrics={"accuracy": 41.0})
    for h in runner.logger.handlers:
        h.flush()
    log_text = open(os.path.join(runner.log_dir, f"{runner.timestamp}.log")).read()
    train = [m.groups() for m in (TRAIN_LINE.search(line) for line in log_text.splitlines()) if m]
    # interval=2 over 5 iters, ignore_last=True: batches 2 and 4 of each epoch
    assert train == [("1", "2"), ("1", "4"), ("2", "2"), ("2", "4")]
    assert log_text.count("Exp name: exp") == 2  # end of each epoch
    assert re.search(r"Epoch\(val\) \[1\]\[3/3\]    accuracy: 41\.0000  data_time: \d\.\d{4}  "
                     r"time: \d\.\d{4}$", log_text, re.M)
    rows = [json.loads(line) for line in
            open(os.path.join(runner.log_dir, "vis_data", "scalars.json"))]
    train_rows = [r for r in rows if "loss" in r]
    assert [r["step"] for r in train_rows] == [2, 4, 7, 9]
    assert [(r["epoch"], r["iter"]) for r in train_rows] == [(1, 2), (1, 4), (2, 7), (2, 9)]
    # loss is averaged over window_size=2 updates: iters 1,2 -> mean(1/1, 1/2)
    assert train_rows[0]["loss"] == pytest.approx(0.75)
    assert train_rows[0]["lr"] == 0.01 and {"time", "data_time"} <= set(train_rows[0])
    val_rows = [r for r in rows if "accuracy" in r]
    assert [(r["accuracy"], r["step"]) for r in val_rows] == [(41.0, 1), (41.0, 2)]
    side = os.path.join(runner.log_dir, "vis_data", f"{runner.timestamp}.json")
    assert open(side).read().splitlines() == open(
        os.path.join(runner.log_dir, "vis_data", "scalars.json")).read().splitlines()


def test_logger_hook_ignore_last_false_and_test_dump(tmp_path):
    runner = logger_runner(tmp_path)
    hooks = [RuntimeInfoHook(), IterTimerHook(), LoggerHook(interval=2, ignore_last=False)]
    drive_training(runner, hooks, epochs=1)
    rows = [json.loads(line) for line in
            open(os.path.join(runner.log_dir, "vis_data", "scalars.json"))]
    assert [r["step"] for r in rows] == [2, 4, 5]
    hook = hooks[2]
    for h in hooks:
        h.before_test(runner)
        h.before_test_epoch(runner)
    for i in range(3):
        for h in hooks:
            h.before_test_iter(runner, batch_idx=i)
            h.after_test_iter(runner, batch_idx=i, outputs=[])
    for h in hooks:
        h.after_test_epoch(runner, metrics={"accuracy": 0.5})
    dumped = json.load(open(os.path.join(runner.log_dir, hook.json_log_path)))
    assert dumped["accuracy"] == 0.5 and set(dumped) >= {"accuracy", "time", "data_time"}


def test_logger_hook_out_dir_upload(tmp_path):
    runner = logger_runner(tmp_path / "work")
    out = tmp_path / "remote"
    hook = LoggerHook(interval=1, out_dir=str(out), keep_local=True)
    drive_training(runner, [RuntimeInfoHook(), IterTimerHook(), hook], epochs=1)
    assert (out / "work" / "vis_data" / "scalars.json").read_text() == \
        open(os.path.join(runner.log_dir, "vis_data", "scalars.json")).read()
    assert (out / "work" / f"{runner.timestamp}.log").exists()
    assert os.path.exists(os.path.join(runner.log_dir, f"{runner.timestamp}.log"))  # keep_local


def test_logger_hook_argument_checks():
    with pytest.raises(ValueError):
        LoggerHook(interval=0)
    with pytest.raises(TypeError):
        LoggerHook(interval=1.5)
    with pytest.raises(ValueError):
        LoggerHook(file_client_args={})


# --- integration with the bundled Runner (helper G1) -----------------------------------------
def test_default_hooks_inside_runner(tmp_path):
    runner_mod = pytest.importorskip("runtime.runner.runner")
    from runtime.evaluator import BaseMetric
    from runtime.model import BaseModel
    from runtime.registry import METRICS

    class Toy(BaseModel):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, inputs, labels, mode="tensor"):
            out = self.fc(torch.stack(inputs) if isinstance(inputs, list) else inputs)
            labels = torch.stack(labels) if isinstance(labels, list) else labels
            if mode == "loss":
                return dict(loss=nn.functional.cross_entropy(out, labels))
            return list(zip(out.argmax(1), labels))

    metric_name = _name("G2Acc")

    @METRICS.register_module(name=metric_name)
    class Acc(BaseMetric):
        def process(self, data_batch, data_samples):
            self.results.extend(int(p == y) for p, y in data_samples)

        def compute_metrics(self, results):
            return dict(accuracy=100.0 * sum(results) / len(results))

    gen = torch.Generator().manual_seed(0)
    xs = torch.randn(24, 2, generator=gen)
    data = [dict(inputs=x, labels=(x[0] > 0).long()) for x in xs]
    loader = dict(dataset=data, batch_size=4, collate_fn=dict(type="default_collate"),
                  sampler=dict(type="DefaultSampler", shuffle=False))
    runner = runner_mod.Runner(
        model=Toy(), work_dir=str(tmp_path), train_dataloader=loader, val_dataloader=loader,
        val_evaluator=dict(type=metric_name), val_cfg=dict(),
        train_cfg=dict(by_epoch=True, max_epochs=3, val_interval=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        param_scheduler=dict(type="MultiStepLR", milestones=[2], by_epoch=True),
        default_hooks=dict(logger=dict(type="LoggerHook", interval=2),
                           checkpoint=dict(type="CheckpointHook", interval=1, max_keep_ckpts=1,
                                           save_best="auto")),
        custom_hooks=[dict(type="EMAHook", momentum=0.1)])
    runner.train()
    files = ckpt_files(tmp_path)
    assert files[-1] == "epoch_3.pth" and len([f for f in files if f.startswith("epoch_")]) == 1
    assert len([f for f in files if f.startswith("best_accuracy_epoch_")]) == 1
    assert "ema_state_dict" in torch.load(tmp_path / "epoch_3.pth", weights_only=False)
    log = open(os.path.join(runner.log_dir, f"{runner.timestamp}.log")).read()
    assert re.search(r"Epoch\(train\) \[3\]\[4/6\]  lr: 1\.0000e-02  eta: \d:\d\d:\d\d  "
                     r"time: \d+\.\d{4}  data_time: \d+\.\d{4}  loss: \d+\.\d{4}$", log, re.M)
    assert re.search(r"Epoch\(val\) \[3\]\[6/6\]    accuracy: \d+\.\d{4}  data_time", log)
    rows = [json.loads(x) for x in open(os.path.join(runner.log_dir, "vis_data", "scalars.json"))]
    assert [r["step"] for r in rows if "loss" in r] == [2, 4, 6, 8, 10, 12, 14, 16, 18]
    assert [r["step"] for r in rows if "accuracy" in r] == [1, 2, 3]
