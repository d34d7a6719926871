"""Resuming in runtime.runner: stopping a run after epoch 2 and resuming it to epoch 4 must give
*exactly* the weights, optimizer state and scheduler state of an uninterrupted 4-epoch run
(MMEngine's resume contract: epoch/iter, optimizer, param schedulers, message hub and seed are
restored; the seeded DefaultSampler reshuffles per epoch from seed + epoch)."""
import os
import sys
import time
import types
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "fixtures" / "tutorial"))

from train import build_runner, loader  # noqa: E402

from runtime.hooks import Hook  # noqa: E402


class StopAt(Hook):
    """Interrupts training (like a killed job) once `epoch` epochs or `iters` iterations are done."""

    def __init__(self, epoch=None, iters=None):
        self.epoch, self.iters = epoch, iters

    def after_train_epoch(self, runner):
        if self.epoch is not None and runner.epoch + 1 >= self.epoch:
            runner.train_loop.stop_training = True

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if self.iters is not None and runner.iter + 1 >= self.iters:
            runner.train_loop.stop_training = True


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

SMALL = dict(train_dataloader=loader(96, seed=1, shuffle=True, batch_size=16),
             val_dataloader=loader(40, seed=2, shuffle=False, batch_size=16),
             param_scheduler=[dict(type="LinearLR", start_factor=0.5, by_epoch=True, begin=0, end=1),
                              dict(type="MultiStepLR", by_epoch=True, milestones=[3], gamma=0.1)])


def _state(runner):
    return ({k: v.clone() for k, v in runner.model.state_dict().items()},
            runner.optim_wrapper.state_dict(), [s.state_dict() for s in runner.param_schedulers])


def _assert_same(a, b):
    wa, oa, sa = a
    wb, ob, sb = b
    assert wa.keys() == wb.keys()
    for k in wa:
        assert torch.equal(wa[k], wb[k]), k
    for pid, st in oa["state"].items():
        assert torch.equal(st["momentum_buffer"], ob["state"][pid]["momentum_buffer"])
    assert [g["lr"] for g in oa["param_groups"]] == [g["lr"] for g in ob["param_groups"]]
    assert sa == sb


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    runner = build_runner(str(tmp_path_factory.mktemp("full")), max_epochs=4, **SMALL)
    runner.train()
    return _state(runner), runner, runner.message_hub.get_info("epoch")


def test_resume_from_explicit_checkpoint_is_exact(tmp_path, uninterrupted):
    first = build_runner(str(tmp_path), max_epochs=4, custom_hooks=[StopAt(epoch=2)], **SMALL)
    first.train()
    assert first.epoch == 2 and not (tmp_path / "epoch_3.pth").exists()
    ckpt = tmp_path / "epoch_2.pth"
    assert ckpt.is_file()
    second = build_runner(str(tmp_path / "resumed"), max_epochs=4, load_from=str(ckpt), resume=True,
                          **SMALL)
    second.train()
    assert (second.epoch, second.iter) == (4, 4 * 6)
    _assert_same(_state(second), uninterrupted[0])
    full = uninterrupted[1]
    # the message hub carried the training history across the restart
    assert second.message_hub.get_info("epoch") == uninterrupted[2] == 3   # 0-based last epoch
    assert second.seed == full.seed == 2024


def test_auto_resume_uses_last_checkpoint(tmp_path, uninterrupted):
    build_runner(str(tmp_path), max_epochs=4, custom_hooks=[StopAt(epoch=2)], **SMALL).train()
    last = (tmp_path / "last_checkpoint").read_text().strip()
    assert os.path.basename(last) == "epoch_2.pth"
    resumed = build_runner(str(tmp_path), max_epochs=4, resume=True, **SMALL)
    resumed.train()
    _assert_same(_state(resumed), uninterrupted[0])
    # no temporary files are left behind by the atomic writer
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".tmp")]


def test_resume_restores_seed_from_checkpoint(tmp_path):
    build_runner(str(tmp_path), max_epochs=2, custom_hooks=[StopAt(epoch=1)], **SMALL).train()
    other = build_runner(str(tmp_path / "b"), max_epochs=2, load_from=str(tmp_path / "epoch_1.pth"),
                         resume=True, randomness=dict(seed=7), **SMALL)
    other.train()
    assert other.seed == 2024


def test_scheduler_end_is_fixed_when_first_built(tmp_path):
    """As in MMEngine, a scheduler without `end` gets end=max_epochs at build time and that value
    is part of its saved state: resuming with a larger max_epochs keeps the old end."""
    sched = dict(type="MultiStepLR", by_epoch=True, milestones=[3], gamma=0.1)
    build_runner(str(tmp_path), max_epochs=2, **dict(SMALL, param_scheduler=sched)).train()
    resumed = build_runner(str(tmp_path / "b"), max_epochs=4, load_from=str(tmp_path / "epoch_2.pth"),
                           resume=True, **dict(SMALL, param_scheduler=sched))
    resumed.train()
    assert resumed.param_schedulers[0].end == 2
    assert resumed.optim_wrapper.get_lr()["lr"] == [0.05]


def test_iter_based_resume_is_exact(tmp_path):
    common = dict(SMALL, param_scheduler=dict(type="MultiStepLR", by_epoch=False, milestones=[9]))
    hooks = dict(checkpoint=dict(type="CheckpointHook", interval=5, by_epoch=False),
                 logger=dict(type="LoggerHook", interval=5))
    full = build_runner(str(tmp_path / "full"), train_cfg=dict(by_epoch=False, max_iters=14, val_interval=100),
                        default_hooks=hooks, **common)
    full.train()
    part = build_runner(str(tmp_path / "part"), train_cfg=dict(by_epoch=False, max_iters=14, val_interval=100),
                        default_hooks=hooks, custom_hooks=[StopAt(iters=10)], **common)
    part.train()
    resumed = build_runner(str(tmp_path / "res"), train_cfg=dict(by_epoch=False, max_iters=14, val_interval=100),
                           default_hooks=hooks, load_from=str(tmp_path / "part" / "iter_10.pth"),
                           resume=True, **common)
    resumed.train()
    assert resumed.iter == 14 and resumed.epoch == 0
    _assert_same(_state(resumed), _state(full))


def test_resume_after_best_checkpoint_resave_continues_at_the_right_epoch(tmp_path, uninterrupted):
    """With save_best, CheckpointHook re-saves epoch_N.pth after validation (the loop has already
    advanced to epoch N) passing meta epoch=N explicitly; the runner must keep it (MMEngine's
    `meta.setdefault`), otherwise the resumed run would skip an epoch."""
    hooks = dict(logger=dict(type="LoggerHook", interval=8),
                 checkpoint=dict(type="CheckpointHook", interval=1, save_best="accuracy", rule="greater"))
    first = build_runner(str(tmp_path), max_epochs=4, default_hooks=hooks,
                         custom_hooks=[StopAt(epoch=1)], **SMALL)
    first.train()
    assert list(tmp_path.glob("best_accuracy_epoch_1.pth"))   # the first validation is always best
    ckpt = torch.load(tmp_path / "epoch_1.pth", map_location="cpu", weights_only=False)
    assert (ckpt["meta"]["epoch"], ckpt["meta"]["iter"]) == (1, 6)
    assert ckpt["message_hub"]["runtime_info"]["best_ckpt"].endswith("best_accuracy_epoch_1.pth")
    resumed = build_runner(str(tmp_path / "resumed"), max_epochs=4, default_hooks=hooks,
                           load_from=str(tmp_path / "epoch_1.pth"), resume=True, **SMALL)
    seen = []
    resumed.register_hook(_EpochRecorder(seen))
    resumed.train()
    assert seen == [1, 2, 3]
    assert (resumed.epoch, resumed.iter) == (4, 24)
    _assert_same(_state(resumed), uninterrupted[0])


class _EpochRecorder(Hook):
    def __init__(self, seen):
        self.seen = seen

    def before_train_epoch(self, runner):
        self.seen.append(runner.epoch)


def test_runners_created_in_the_same_second_do_not_share_state(tmp_path, monkeypatch):
    """MMEngine names the MessageHub/MMLogger/Visualizer/DefaultScope after `<cfg>_<timestamp>`
    (1 s resolution); a second runner created in the same second gets a suffixed name instead of
    silently sharing the first runner's instances and log file."""
    frozen = types.SimpleNamespace(time=lambda: 1_700_000_000.0, strftime=time.strftime,
                                   localtime=time.localtime)
    import runtime.runner.runner as runner_module
    monkeypatch.setattr(runner_module, "time", frozen)
    a = build_runner(str(tmp_path / "a"), max_epochs=1, **SMALL)
    b = build_runner(str(tmp_path / "b"), max_epochs=1, **SMALL)
    assert a.timestamp == b.timestamp
    assert a.experiment_name != b.experiment_name
    assert b.experiment_name == a.experiment_name + "_1"
    assert a.message_hub is not b.message_hub and a.logger is not b.logger
    assert a.visualizer is not b.visualizer
    for r in (a, b):
        assert os.path.isfile(os.path.join(r.log_dir, f"{r.timestamp}.log"))
