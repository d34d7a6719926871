"""Checkpoints never run pickled code, and unusable checkpoints are clear errors.

* A file whose `meta` hides an object with a `__reduce__` (here: one that writes a marker file)
  is refused by `mmrun test`, `mmrun train --resume` and a config's `load_from`: exit 2, the
  message names the file, the marker is never written. `--trust-checkpoint` (or
  `MMRUN_TRUST_CHECKPOINT=1`) is the explicit opt-in for trusted legacy files.
* Empty, truncated, text and non-dict files, and resuming from a weights-only file, exit 2 with
  a message naming the file and no traceback.
* Our checkpoints hold plain data: `torch.load(weights_only=True)` reads them, and real MMEngine
  0.10.7 resumes them in a process where `runtime` cannot be imported, reaching the same weights
  as our uninterrupted run.
"""
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "fixtures" / "tutorial" / "config.py"


class _Evil:
    """Unpickling this calls open(marker, 'w') (stands for any code a checkpoint could run)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _mmrun(*args, env=None, timeout=300):
    full = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    full.pop("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", None)
    return subprocess.run([sys.executable, "-m", "runtime.cli", *map(str, args)],
                          capture_output=True, text=True, env=full, timeout=timeout, cwd=ROOT)


class _Out:
    def __init__(self, returncode, stderr):
        self.returncode, self.stderr = returncode, stderr


@pytest.fixture
def mmrun_here(capsys, monkeypatch):
    """`mmrun` in this process (no torch import per call); the environment is restored after."""
    from runtime.cli import main
    monkeypatch.delenv("MMRUN_TRUST_CHECKPOINT", raising=False)
    monkeypatch.chdir(ROOT)

    def run(*args, env=None):
        for k, v in (env or {}).items():
            monkeypatch.setenv(k, v)
        capsys.readouterr()
        try:
            rc = main([str(a) for a in args])
        except SystemExit as e:
            rc = e.code
        finally:
            for k in (env or {}):
                monkeypatch.delenv(k, raising=False)
            os.environ.pop("MMRUN_TRUST_CHECKPOINT", None)   # set by --trust-checkpoint
        return _Out(rc, capsys.readouterr().err)
    return run


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A 1-epoch run of the tutorial with our runtime (epoch_1.pth; 64 samples, 2 iterations)."""
    work = tmp_path_factory.mktemp("tut")
    out = _mmrun("train", CONFIG, "--work-dir", work, "--cfg-options", "train_cfg.max_epochs=1",
                 "train_dataloader.dataset.length=64", "default_hooks.logger.interval=1")
    assert out.returncode == 0, out.stderr[-2000:]
    return work


def _evil_ckpt(trained, tmp_path):
    ckpt = torch.load(trained / "epoch_1.pth", weights_only=True)
    marker = tmp_path / "pwned"
    ckpt["meta"]["note"] = _Evil(marker)
    path = tmp_path / "evil.pth"
    torch.save(ckpt, path)
    return path, marker


def _assert_clean_error(out, path, *words):
    assert out.returncode == 2, (out.returncode, out.stderr[-2000:])
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    assert f"mmrun: error: checkpoint {path}" in out.stderr, out.stderr[-2000:]
    for w in words:
        assert w in out.stderr, out.stderr[-2000:]


def test_our_checkpoint_is_plain_data(trained):
    ckpt = torch.load(trained / "epoch_1.pth", weights_only=True)
    loss = ckpt["message_hub"]["log_scalars"]["train/loss"]
    assert set(loss) == {"log_history", "count_history", "max_length"}
    assert len(loss["log_history"]) == 2 and all(type(v) is float for v in loss["log_history"])
    assert ckpt["meta"]["epoch"] == 1 and ckpt["meta"]["iter"] == 2


@pytest.mark.parametrize("how", ["test", "resume", "load_from"])
def test_pickled_code_is_refused(trained, tmp_path, how, mmrun_here):
    path, marker = _evil_ckpt(trained, tmp_path)
    if how == "test":      # the real command line, in its own process
        out = _mmrun("test", CONFIG, path, "--work-dir", tmp_path / "w")
    elif how == "resume":
        out = mmrun_here("train", CONFIG, "--work-dir", tmp_path / "w", "--resume", path,
                     "--cfg-options", "train_cfg.max_epochs=2")
    else:
        out = mmrun_here("train", CONFIG, "--work-dir", tmp_path / "w",
                         "--cfg-options", "train_cfg.max_epochs=1", f"load_from={path}")
    _assert_clean_error(out, path, "io.open", "--trust-checkpoint")
    assert not marker.exists()


def test_trust_checkpoint_opt_in(trained, tmp_path, mmrun_here):
    path, marker = _evil_ckpt(trained, tmp_path)
    out = mmrun_here("test", CONFIG, path, "--work-dir", tmp_path / "w", "--trust-checkpoint")
    assert out.returncode == 0, out.stderr[-2000:]
    assert marker.exists()          # the opt-in really unpickles everything
    marker.unlink()
    out = mmrun_here("test", CONFIG, path, "--work-dir", tmp_path / "w2",
                     env={"MMRUN_TRUST_CHECKPOINT": "1"})
    assert out.returncode == 0 and marker.exists()


def test_restricted_unpickler_refuses_mmengine_lookalikes(tmp_path):
    """The MMEngine path (pickled HistoryBuffers, refused by torch's weights-only loader) allows
    only the listed globals: getattr on HistoryBuffer beyond its statistics methods and mmengine
    functions are refused; a bound statistics method (what MMEngine pickles) loads."""
    mm_logging = pytest.importorskip("mmengine.logging")
    mm_utils = pytest.importorskip("mmengine.utils")
    from runtime.errors import CheckpointError
    from runtime.logging.history_buffer import HistoryBuffer
    from runtime.runner.checkpoint import load_raw

    class Reduce:
        def __init__(self, *rv):
            self.rv = rv

        def __reduce__(self):
            return self.rv
    marker = tmp_path / "made"
    cases = {"init": Reduce(getattr, (mm_logging.HistoryBuffer, "__init__")),
             "mkdir": Reduce(mm_utils.mkdir_or_exist, (str(marker),)),
             "ok": Reduce(getattr, (mm_logging.HistoryBuffer, "min"))}
    for name, obj in cases.items():
        path = tmp_path / f"{name}.pth"
        torch.save({"meta": {"x": obj}}, path)
        if name == "ok":
            assert load_raw(str(path))["meta"]["x"] == HistoryBuffer.min
        else:
            with pytest.raises(CheckpointError, match=f"checkpoint {path}: refused"):
                load_raw(str(path))
    assert not marker.exists()


def test_bad_files(trained, tmp_path, mmrun_here):
    good = (trained / "epoch_1.pth").read_bytes()
    cases = {"empty.pth": b"", "truncated.pth": good[:len(good) // 2],
             "text.pth": b"model weights are on the shared drive\n"}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    torch.save([1, 2, 3], tmp_path / "list.pth")
    for name, word in [("empty.pth", "empty"), ("truncated.pth", "not a readable"),
                       ("text.pth", "not a readable"), ("list.pth", "expected a dict"),
                       ("missing.pth", "no such file"), ("", "it is a directory")]:
        path = tmp_path / name if name else tmp_path
        out = mmrun_here("test", CONFIG, path, "--work-dir", tmp_path / "w")
        _assert_clean_error(out, path, word)


def test_resume_from_weights_only_file(trained, tmp_path, mmrun_here):
    ckpt = torch.load(trained / "epoch_1.pth", weights_only=True)
    path = tmp_path / "weights.pth"
    torch.save(ckpt["state_dict"], path)
    out = mmrun_here("train", CONFIG, "--work-dir", tmp_path / "w", "--resume", path)
    _assert_clean_error(out, path, "cannot resume", "load_from")
    # the same file is fine as plain weights
    out = mmrun_here("test", CONFIG, path, "--work-dir", tmp_path / "w")
    assert out.returncode == 0, out.stderr[-2000:]


_MMENGINE_RESUMES_OURS = r"""
import importlib.abc, json, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "runtime" or name.startswith("runtime."):
            raise ImportError("runtime is blocked in this test")
        return None
sys.meta_path.insert(0, Block())
import torch
torch.set_num_threads(1)
try:
    import runtime  # noqa: F401
    sys.exit("runtime still importable")
except ImportError:
    pass
from mmengine.model import BaseModel
from mmengine.runner import Runner
exec(open(sys.argv[1]).read())   # the shared model/data definitions below (no runtime import)
ours, work_dir = sys.argv[2], sys.argv[3]
runner = Runner(model=Net(), work_dir=work_dir, train_dataloader=loader(),
                optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.05, momentum=0.9)),
                param_scheduler=dict(type="MultiStepLR", by_epoch=True, milestones=[1], gamma=0.1),
                train_cfg=dict(by_epoch=True, max_epochs=2), randomness=dict(seed=2024),
                load_from=ours + "/epoch_1.pth", resume=True)
runner.train()
ref = torch.load(ours + "/epoch_2.pth", weights_only=True)
diff = max((runner.model.state_dict()[k] - v).abs().max().item() for k, v in ref["state_dict"].items())
print(json.dumps(dict(epoch=runner.epoch, iter=runner.iter, max_weight_diff=diff,
                      lr=runner.optim_wrapper.get_lr()["lr"][0],
                      runtime_loaded=any(m.split(".")[0] == "runtime" for m in sys.modules))))
"""

_SHARED = r"""
import torch
import torch.nn.functional as F
class Net(BaseModel):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = torch.nn.Linear(8, 16), torch.nn.Linear(16, 3)
    def forward(self, x, y=None, mode="tensor"):
        out = self.fc2(torch.relu(self.fc1(x)))
        return {"loss": F.cross_entropy(out, y)} if mode == "loss" else out
class Data(torch.utils.data.Dataset):
    def __init__(self):
        g = torch.Generator().manual_seed(7)
        self.x, self.y = torch.randn(48, 8, generator=g), torch.randint(0, 3, (48,), generator=g)
    def __len__(self):
        return 48
    def __getitem__(self, i):
        return dict(x=self.x[i], y=self.y[i])
def loader():
    return dict(dataset=Data(), batch_size=8, num_workers=0,
                sampler=dict(type="DefaultSampler", shuffle=True), collate_fn=dict(type="default_collate"))
"""


@pytest.mark.integration
def test_real_mmengine_resumes_ours_without_runtime(tmp_path):
    pytest.importorskip("mmengine")
    shared = tmp_path / "shared.py"
    shared.write_text(_SHARED)
    from runtime.model import BaseModel  # noqa: F401 (used by the exec'd definitions)
    from runtime.runner import Runner
    ns = {"BaseModel": BaseModel}
    exec(_SHARED, ns)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        Runner(model=ns["Net"](), work_dir=str(tmp_path / "ours"), train_dataloader=ns["loader"](),
               optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.05, momentum=0.9)),
               param_scheduler=dict(type="MultiStepLR", by_epoch=True, milestones=[1], gamma=0.1),
               train_cfg=dict(by_epoch=True, max_epochs=2), randomness=dict(seed=2024)).train()
    finally:
        torch.set_num_threads(before)
    env = {k: v for k, v in os.environ.items() if k != "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"}
    out = subprocess.run([sys.executable, "-c", _MMENGINE_RESUMES_OURS, str(shared),
                          str(tmp_path / "ours"), str(tmp_path / "theirs")],
                         capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["runtime_loaded"] is False
    assert (result["epoch"], result["iter"]) == (2, 12)
    assert result["lr"] == pytest.approx(0.005, rel=1e-12)   # the resumed MultiStepLR state
    assert result["max_weight_diff"] < 1e-6
