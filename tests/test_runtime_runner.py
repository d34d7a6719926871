"""runtime.runner core behaviour against MMEngine 0.10.7 semantics: the tutorial learns, loops call
hooks where MMEngine does, a custom loop overriding `run_iter` works, the all-or-none checks,
default-hook disabling, checkpoint key handling, samplers/collate identical to mmengine's."""
import os
import sys
from pathlib import Path

import pytest
import torch
import torch.nn as nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "fixtures" / "tutorial"))

from train import build_runner, loader  # noqa: E402

from runtime.hooks import Hook  # noqa: E402
from runtime.registry import LOOPS  # noqa: E402
from runtime.runner import EpochBasedTrainLoop, Runner  # noqa: E402

SMALL = dict(train_dataloader=loader(96, seed=1, shuffle=True, batch_size=16),
             val_dataloader=loader(40, seed=2, shuffle=False, batch_size=16),
             test_dataloader=loader(40, seed=3, shuffle=False, batch_size=16))


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@LOOPS.register_module(force=True)
class CustomEpochBasedTrainLoop(EpochBasedTrainLoop):
    """The loop from MMEngine's migration guide: every batch is trained twice."""

    def run_iter(self, idx, data_batch) -> None:
        for _ in range(2):
            super().run_iter(idx, data_batch)


class Recorder(Hook):
    def __init__(self):
        self.calls = []

    def __getattribute__(self, name):
        if name.startswith(("before_", "after_")) and name not in ("before_save_checkpoint",
                                                                   "after_load_checkpoint"):
            calls = object.__getattribute__(self, "calls")
            return lambda runner, **kw: calls.append(name)
        return object.__getattribute__(self, name)


def test_tutorial_learns_well_above_chance(tmp_path):
    runner = build_runner(str(tmp_path), max_epochs=3,
                          train_dataloader=loader(320, seed=1, shuffle=True, batch_size=32),
                          val_dataloader=loader(100, seed=2, shuffle=False, batch_size=50),
                          test_dataloader=loader(100, seed=3, shuffle=False, batch_size=50))
    runner.train()
    metrics = runner.test()
    assert metrics["num_samples"] == 100
    assert metrics["accuracy"] > 50.0, metrics
    assert (runner.epoch, runner.iter, runner.max_iters) == (3, 30, 30)
    assert sorted(p for p in os.listdir(tmp_path) if p.endswith(".pth")) == [
        "epoch_1.pth", "epoch_2.pth", "epoch_3.pth"]
    assert os.path.isfile(os.path.join(runner.log_dir, f"{runner.timestamp}.log"))


def test_custom_loop_runs_each_batch_twice_and_hook_order(tmp_path):
    rec = Recorder()
    runner = build_runner(str(tmp_path), train_cfg=dict(type="CustomEpochBasedTrainLoop", max_epochs=2,
                                                        val_interval=2),
                          custom_hooks=[rec], **SMALL)
    runner.train()
    assert isinstance(runner.train_loop, CustomEpochBasedTrainLoop)
    assert runner.iter == 2 * 2 * 6
    assert rec.calls.count("before_train_iter") == 24 and rec.calls.count("after_train_iter") == 24
    assert rec.calls.count("before_train_epoch") == 2
    assert rec.calls.count("before_val") == 1          # val_interval=2 -> only after epoch 2
    assert rec.calls.count("after_val_iter") == 3
    first = [c for c in rec.calls if "iter" not in c][:4]
    assert first == ["before_run", "before_train", "before_train_epoch", "after_train_epoch"]
    assert rec.calls[-2:] == ["after_train", "after_run"]


def test_by_epoch_and_type_are_exclusive(tmp_path):
    runner = build_runner(str(tmp_path), train_cfg=dict(type="EpochBasedTrainLoop", by_epoch=True,
                                                        max_epochs=1), **SMALL)
    with pytest.raises(RuntimeError, match="Only one of"):
        runner.train()


@pytest.mark.parametrize("drop", ["train_cfg", "val_evaluator", "test_dataloader", "optim_wrapper"])
def test_all_or_none_per_stage(tmp_path, drop):
    with pytest.raises(ValueError, match="all None or not None"):
        build_runner(str(tmp_path), **{**SMALL, drop: None})


def test_default_hook_disabled_by_none(tmp_path):
    runner = build_runner(str(tmp_path), default_hooks=dict(checkpoint=None, logger=None), **SMALL)
    names = [type(h).__name__ for h in runner.hooks]
    assert names == ["RuntimeInfoHook", "IterTimerHook", "DistSamplerSeedHook", "ParamSchedulerHook"]
    runner2 = build_runner(str(tmp_path / "b"), custom_hooks=[dict(type="EMAHook", priority="ABOVE_NORMAL")],
                           **SMALL)
    names2 = [type(h).__name__ for h in runner2.hooks]
    # ABOVE_NORMAL (40) sorts after RuntimeInfoHook (VERY_HIGH) and before IterTimerHook (NORMAL)
    assert names2[:3] == ["RuntimeInfoHook", "EMAHook", "IterTimerHook"]


def test_val_only_and_load_from_with_module_prefix(tmp_path):
    trained = build_runner(str(tmp_path / "a"), max_epochs=1, **SMALL)
    trained.train()
    ckpt = torch.load(tmp_path / "a" / "epoch_1.pth", weights_only=False)
    assert set(ckpt) >= {"meta", "state_dict", "optimizer", "param_schedulers", "message_hub"}
    assert ckpt["meta"]["epoch"] == 1 and ckpt["meta"]["iter"] == 6 and ckpt["meta"]["seed"] == 2024
    prefixed = {"state_dict": {"module." + k: v for k, v in ckpt["state_dict"].items()}}
    torch.save(prefixed, tmp_path / "ddp_style.pth")
    evaluator = build_runner(str(tmp_path / "b"), train_dataloader=None, train_cfg=None,
                             optim_wrapper=None, param_scheduler=None,
                             load_from=str(tmp_path / "ddp_style.pth"),
                             val_dataloader=SMALL["val_dataloader"])
    metrics = evaluator.val()
    assert metrics == trained.val()
    assert metrics["num_samples"] == 40


def test_load_checkpoint_strict_reports_mismatch(tmp_path):
    runner = build_runner(str(tmp_path), **SMALL)
    state = {k: v for k, v in runner.model.state_dict().items() if not k.startswith("head")}
    torch.save({"state_dict": state}, tmp_path / "partial.pth")
    runner.load_checkpoint(str(tmp_path / "partial.pth"))          # non-strict: warns only
    with pytest.raises(RuntimeError, match="missing keys.*head.weight"):
        runner.load_checkpoint(str(tmp_path / "partial.pth"), strict=True)


def test_iter_based_loop_keeps_epoch_zero_and_restarts_loader(tmp_path):
    rec = Recorder()
    runner = build_runner(str(tmp_path), train_cfg=dict(by_epoch=False, max_iters=8, val_interval=4),
                          custom_hooks=[rec], default_hooks=dict(checkpoint=dict(type="CheckpointHook",
                                                                                 interval=4, by_epoch=False)),
                          param_scheduler=dict(type="MultiStepLR", by_epoch=False, milestones=[4]), **SMALL)
    runner.train()
    assert (runner.epoch, runner.iter, runner.max_epochs) == (0, 8, 1)
    assert rec.calls.count("before_train_epoch") == 1 and rec.calls.count("before_val") == 2
    assert runner.train_loop.dataloader_iterator._epoch == 1      # 6 batches per pass -> restarted once
    assert runner.train_dataloader.sampler.epoch == 1
    assert sorted(p for p in os.listdir(tmp_path) if p.endswith(".pth")) == ["iter_4.pth", "iter_8.pth"]


def test_auto_scale_lr_and_convert_to_iter_based(tmp_path):
    runner = build_runner(str(tmp_path), max_epochs=2, auto_scale_lr=dict(enable=True, base_batch_size=64),
                          param_scheduler=dict(type="LinearLR", start_factor=0.1, by_epoch=True, begin=0,
                                               end=1, convert_to_iter_based=True), **SMALL)
    runner.train()
    # lr 0.05 scaled by 16/64; the warm-up was converted to 6 iterations (one epoch)
    sched = runner.param_schedulers[0]
    assert not sched.by_epoch and (sched.begin, sched.end) == (0, 6)
    assert runner.optim_wrapper.optimizer.param_groups[0]["lr"] == pytest.approx(0.05 / 4)


def test_from_cfg_config_file_dumps_config(tmp_path, monkeypatch):
    from runtime.config import Config
    monkeypatch.chdir(ROOT)
    cfg = Config.fromfile(str(ROOT / "fixtures" / "tutorial" / "config.py"))
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg.max_epochs = 1
    cfg.train_dataloader.dataset.length = 64
    runner = Runner.from_cfg(cfg)
    assert runner.experiment_name == f"config_{runner.timestamp}"
    runner.train()
    assert (tmp_path / "config.py").is_file()
    assert Config.fromfile(str(tmp_path / "config.py")).train_cfg.max_epochs == 1
    assert (tmp_path / "epoch_1.pth").is_file()


def test_samplers_and_collate_match_mmengine():
    mm_sampler = pytest.importorskip("mmengine.dataset.sampler")
    import mmengine.dataset.utils as mm_utils
    from runtime.dataset import DefaultSampler, InfiniteSampler, default_collate, pseudo_collate
    data = list(range(23))
    for shuffle in (True, False):
        for epoch in (0, 3):
            ours, theirs = DefaultSampler(data, shuffle, seed=5), mm_sampler.DefaultSampler(data, shuffle, seed=5)
            ours.set_epoch(epoch), theirs.set_epoch(epoch)
            assert list(ours) == list(theirs)
        it_ours = iter(InfiniteSampler(data, shuffle, seed=5))
        it_theirs = iter(mm_sampler.InfiniteSampler(data, shuffle, seed=5))
        assert [next(it_ours) for _ in range(60)] == [next(it_theirs) for _ in range(60)]
    batch = [dict(img=torch.full((2,), float(i)), label=i, meta=dict(name=f"n{i}")) for i in range(3)]
    a, b = default_collate(batch), mm_utils.default_collate(batch)
    assert torch.equal(a["img"], b["img"]) and torch.equal(a["label"], b["label"])
    assert a["meta"]["name"] == b["meta"]["name"]
    assert pseudo_collate(batch)["label"] == mm_utils.pseudo_collate(batch)["label"] == [0, 1, 2]


def test_base_model_parse_losses_and_img_preprocessor():
    from mmengine.model import BaseModel as MMBase
    from mmengine.model import ImgDataPreprocessor as MMPre

    from runtime.model import BaseModel, ImgDataPreprocessor
    losses = dict(loss_cls=torch.tensor([1.0, 3.0]), acc=torch.tensor(0.5),
                  loss_box=[torch.tensor(1.0), torch.tensor([2.0, 4.0])])
    ours, theirs = BaseModel.parse_losses(None, losses), MMBase.parse_losses(None, losses)
    assert list(ours[1]) == list(theirs[1]) == ["loss", "loss_cls", "acc", "loss_box"]
    assert float(ours[0]) == float(theirs[0]) == 6.0
    kw = dict(mean=[1.0, 2.0, 3.0], std=[2.0, 2.0, 2.0], bgr_to_rgb=True, pad_size_divisor=8, pad_value=1)
    imgs = [torch.arange(3 * 5 * 6, dtype=torch.uint8).view(3, 5, 6), torch.ones(3, 7, 4, dtype=torch.uint8)]
    a, b = ImgDataPreprocessor(**kw)(dict(inputs=imgs)), MMPre(**kw)(dict(inputs=imgs))
    assert a["inputs"].shape == (2, 3, 8, 8) and torch.equal(a["inputs"], b["inputs"])


def test_base_module_init_cfg():
    from runtime.model import BaseModule

    class Net(BaseModule):
        def __init__(self):
            super().__init__(init_cfg=[dict(type="Constant", layer="Conv2d", val=0.5, bias=0.1),
                                       dict(type="Normal", layer="Linear", std=0.01,
                                            override=dict(name="fc2", type="Constant", val=2.0))])
            self.conv = nn.Conv2d(1, 1, 1)
            self.fc = nn.Linear(2, 2)
            self.fc2 = nn.Linear(2, 2)

    net = Net()
    net.init_weights()
    assert torch.all(net.conv.weight == 0.5) and torch.all(net.conv.bias == 0.1)
    assert net.fc.weight.abs().max() < 0.1 and torch.all(net.fc2.weight == 2.0) and net.is_init


def test_val_draws_a_progress_bar_on_a_terminal_only(tmp_path, monkeypatch):
    import io

    class Tty(io.StringIO):
        def isatty(self):
            return True

    runner = build_runner(str(tmp_path / "p"), train_dataloader=None, train_cfg=None,
                          optim_wrapper=None, param_scheduler=None,
                          val_dataloader=SMALL["val_dataloader"])
    tty = Tty()
    monkeypatch.setattr(sys, "stdout", tty)
    runner.val()
    n = len(runner.val_dataloader)
    assert f"] {n}/{n}," in tty.getvalue() and "ETA" in tty.getvalue()
    plain = io.StringIO()
    monkeypatch.setattr(sys, "stdout", plain)
    runner.val()
    assert "ETA" not in plain.getvalue()
