"""Checkpoint compatibility with real MMEngine 0.10.7, both directions: a run stopped after epoch 1
is resumed by the *other* runner and finishes epoch 2; its final weights, optimizer state, epoch
and iter must equal those of an uninterrupted 2-epoch run of the first runner (same model, data,
seed; both DefaultSamplers produce the same order).

MMEngine 0.10.7 calls `torch.load` without `weights_only=False`; on torch >= 2.6 that refuses the
pickled message hub in its own checkpoints, so MMEngine's own runs here use torch's documented
`TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1` switch. Our checkpoints are plain data, so MMEngine resumes
them without it (test_ours_to_mmengine; without `runtime` importable: test_runtime_ckpt_safety).
Our loader reads MMEngine's pickled classes with an allow-list, mapped to ours, which a
subprocess that cannot import mmengine checks.
"""
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "fixtures" / "tutorial"))

mmengine_runner = pytest.importorskip("mmengine.runner")

from data import SyntheticCifar  # noqa: E402
from metric import Accuracy  # noqa: E402,F401
from model import SmallCNN  # noqa: E402

from runtime.runner import Runner  # noqa: E402


def _loader():
    return dict(dataset=SyntheticCifar(length=96, seed=1), batch_size=16, num_workers=0,
                sampler=dict(type="DefaultSampler", shuffle=True), collate_fn=dict(type="default_collate"))


def _kwargs(work_dir, max_epochs, **extra):
    return dict(model=SmallCNN(), work_dir=str(work_dir), train_dataloader=_loader(),
                optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.05, momentum=0.9)),
                param_scheduler=dict(type="MultiStepLR", by_epoch=True, milestones=[1], gamma=0.1, end=2),
                train_cfg=dict(by_epoch=True, max_epochs=max_epochs), randomness=dict(seed=2024),
                default_hooks=dict(logger=dict(type="LoggerHook", interval=3)), **extra)


def _run(cls, work_dir, max_epochs, **extra):
    runner = cls(**_kwargs(work_dir, max_epochs, **extra))
    runner.train()
    return runner


def _compare(runner, reference_ckpt):
    ref = torch.load(reference_ckpt, map_location="cpu", weights_only=False)
    state = runner.model.state_dict()
    assert state.keys() == ref["state_dict"].keys()
    for k, v in ref["state_dict"].items():
        assert torch.allclose(state[k], v, atol=1e-6, rtol=0), k
    assert (runner.epoch, runner.iter) == (ref["meta"]["epoch"], ref["meta"]["iter"]) == (2, 12)
    opt = runner.optim_wrapper.state_dict()
    assert [g["lr"] for g in opt["param_groups"]] == pytest.approx([g["lr"] for g in ref["optimizer"]["param_groups"]])
    for pid, st in ref["optimizer"]["state"].items():
        assert torch.allclose(opt["state"][pid]["momentum_buffer"], st["momentum_buffer"], atol=1e-6, rtol=0)


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_ours_to_mmengine(tmp_path, monkeypatch):
    _run(Runner, tmp_path / "ours", 2)
    monkeypatch.delenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD")     # plain data: the safe loader reads it
    ckpt = torch.load(tmp_path / "ours" / "epoch_1.pth", weights_only=True)
    assert {"meta", "state_dict", "optimizer", "param_schedulers", "message_hub"} <= set(ckpt)
    theirs = _run(mmengine_runner.Runner, tmp_path / "theirs", 2,
                  load_from=str(tmp_path / "ours" / "epoch_1.pth"), resume=True)
    _compare(theirs, tmp_path / "ours" / "epoch_2.pth")


@pytest.fixture(scope="module")
def theirs(tmp_path_factory):
    """A 2-epoch run of real MMEngine (checkpoints epoch_1.pth and epoch_2.pth)."""
    work_dir = tmp_path_factory.mktemp("theirs")
    import os
    old = os.environ.get("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD")
    os.environ["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"] = "1"
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _run(mmengine_runner.Runner, work_dir, 2)
    finally:
        torch.set_num_threads(before)
        if old is None:
            os.environ.pop("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD")
    return work_dir


def test_mmengine_to_ours(tmp_path, theirs):
    ours = _run(Runner, tmp_path / "ours", 2, load_from=str(theirs / "epoch_1.pth"), resume=True)
    _compare(ours, theirs / "epoch_2.pth")
    # the resumed message hub holds our HistoryBuffer, not MMEngine's
    from runtime.logging.history_buffer import HistoryBuffer
    assert type(ours.message_hub.get_scalar("train/lr")) is HistoryBuffer
    # and MMEngine's own run loads into ours as plain weights
    plain = Runner(**_kwargs(tmp_path / "plain", 2))
    plain.load_checkpoint(str(theirs / "epoch_2.pth"), strict=True)


_NO_MMENGINE = r"""
import importlib.abc, json, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "mmengine" or name.startswith("mmengine."):
            raise ImportError("mmengine is blocked in this test")
        return None
sys.meta_path.insert(0, Block())
sys.path.insert(0, sys.argv[1])
import torch
torch.set_num_threads(1)
try:
    import mmengine  # noqa: F401
    sys.exit("mmengine still importable")
except ImportError:
    pass
from data import SyntheticCifar
from metric import Accuracy  # noqa: F401
from model import SmallCNN
from runtime.runner import Runner
from runtime.runner.checkpoint import load_raw
from runtime.logging.history_buffer import HistoryBuffer
theirs, work_dir = sys.argv[2], sys.argv[3]
raw = load_raw(theirs + "/epoch_1.pth")
assert type(raw["message_hub"]["log_scalars"]["train/loss"]) is HistoryBuffer
loader = dict(dataset=SyntheticCifar(length=96, seed=1), batch_size=16, num_workers=0,
              sampler=dict(type="DefaultSampler", shuffle=True), collate_fn=dict(type="default_collate"))
runner = Runner(model=SmallCNN(), work_dir=work_dir, train_dataloader=loader,
                optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.05, momentum=0.9)),
                param_scheduler=dict(type="MultiStepLR", by_epoch=True, milestones=[1], gamma=0.1, end=2),
                train_cfg=dict(by_epoch=True, max_epochs=2), randomness=dict(seed=2024),
                default_hooks=dict(logger=dict(type="LoggerHook", interval=3)),
                load_from=theirs + "/epoch_1.pth", resume=True)
runner.train()
ref = load_raw(theirs + "/epoch_2.pth")
diff = max((runner.model.state_dict()[k] - v).abs().max().item() for k, v in ref["state_dict"].items())
print(json.dumps(dict(epoch=runner.epoch, iter=runner.iter, max_weight_diff=diff,
                      mmengine_loaded=any(m.startswith("mmengine") for m in sys.modules))))
"""


def test_mmengine_checkpoint_resumes_without_mmengine_installed(tmp_path, theirs):
    """A subprocess where `import mmengine` fails resumes real MMEngine's epoch_1.pth (its message
    hub pickles mmengine.logging.history_buffer.HistoryBuffer) and reaches MMEngine's epoch 2."""
    import json
    import os
    import subprocess
    env = dict(os.environ)
    env.pop("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", None)
    out = subprocess.run([sys.executable, "-c", _NO_MMENGINE, str(ROOT / "fixtures" / "tutorial"),
                          str(theirs), str(tmp_path)], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert (result["epoch"], result["iter"]) == (2, 12)
    assert result["max_weight_diff"] < 1e-6
    assert result["mmengine_loaded"] is False
