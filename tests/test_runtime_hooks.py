"""runtime.hooks, each hook driven in isolation by a tiny fake runner: priorities, the base
class, RuntimeInfoHook, IterTimerHook, DistSamplerSeedHook, ParamSchedulerHook and LoggerHook.

Scheduler step counts and LoggerHook output are checked against hand-computed expectations; the
default hooks also run inside the bundled Runner. Checkpoint, EMA and early-stopping hooks (the
ones that keep state across a run) are in test_runtime_hooks_state.py.
"""
import json
import logging
import os
import re
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from hookkit import FakeRunner, _name, ckpt_files
from runtime.hooks import (DistSamplerSeedHook, Hook, IterTimerHook, LoggerHook, ParamSchedulerHook,
                           Priority, RuntimeInfoHook, get_priority)
from runtime.logging import MMLogger
from runtime.registry import HOOKS
from runtime.runner.log_processor import LogProcessor
from runtime.visualization import Visualizer


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
