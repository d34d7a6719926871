"""runtime.hooks that keep state across a run, each driven by a tiny fake runner:
CheckpointHook (file sets, rotation on resume, best checkpoints, published files), EMAHook (math,
swapping, checkpoint keys, begin iter), EarlyStoppingHook, and the CPU no-op EmptyCacheHook /
SyncBuffersHook.

Expectations are hand-computed; CheckpointHook and EarlyStoppingHook also run side by side with
real mmengine 0.10.7 on the same fake runner. The other hooks are in test_runtime_hooks.py.
"""
import logging
import os
import re
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from hookkit import FakeRunner, ckpt_files
from runtime.hooks import (CheckpointHook, EarlyStoppingHook, EMAHook, EmptyCacheHook,
                           SyncBuffersHook)


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
