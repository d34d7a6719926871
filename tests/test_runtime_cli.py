"""`mmrun` (runtime.cli): config overrides as MMEngine-era tools/train.py/test.py apply them, and
real train -> test runs of a toy config on the bundled Runner."""
import glob
import os
import subprocess
import sys

import pytest

from runtime import cli
from runtime.config import Config

PLUGIN = '''
import torch
from torch import nn
from runtime.evaluator import BaseMetric
from runtime.model import BaseModel
from runtime.registry import DATASETS, METRICS, MODELS


@DATASETS.register_module()
class MmrLineData:
    """y = 3x - 1 on fixed points."""
    def __init__(self, n=16):
        xs = torch.linspace(-1, 1, n)
        self.items = [dict(inputs=x.reshape(1), data_samples=(3 * x - 1).reshape(1)) for x in xs]
        self.metainfo = dict(name="line")

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


@MODELS.register_module()
class MmrLineNet(BaseModel):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fc = nn.Linear(1, 1)

    def forward(self, inputs, data_samples=None, mode="tensor"):
        x = torch.stack(inputs) if isinstance(inputs, (list, tuple)) else inputs
        out = self.fc(x)
        if mode == "loss":
            y = torch.stack(data_samples) if isinstance(data_samples, (list, tuple)) else data_samples
            return dict(loss_mse=((out - y) ** 2).mean())
        if mode == "predict":
            return [dict(pred=o.detach(), gt=t) for o, t in zip(out, data_samples)]
        return out


@METRICS.register_module()
class MmrMSE(BaseMetric):
    def process(self, data_batch, data_samples):
        for s in data_samples:
            self.results.append(float(((s["pred"] - s["gt"]) ** 2).sum()))

    def compute_metrics(self, results):
        return dict(mse=sum(results) / len(results))
'''

CONFIG = '''
custom_imports = dict(imports=['mmr_cli_plugin'], allow_failed_imports=False)
model = dict(type='MmrLineNet')
_loader = dict(batch_size=4, num_workers=0, dataset=dict(type='MmrLineData'),
               sampler=dict(type='DefaultSampler', shuffle=False), collate_fn=dict(type='pseudo_collate'))
train_dataloader = _loader
val_dataloader = _loader
test_dataloader = _loader
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=3, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
val_evaluator = dict(type='MmrMSE')
test_evaluator = dict(type='MmrMSE')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.2, momentum=0.0))
param_scheduler = [dict(type='MultiStepLR', milestones=[2], gamma=0.5, by_epoch=True)]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1),
                     logger=dict(type='LoggerHook', interval=1))
randomness = dict(seed=0)
'''


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "mmr_cli_plugin.py").write_text(PLUGIN)
    cfg = tmp_path / "configs" / "line_sgd.py"
    cfg.parent.mkdir()
    cfg.write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path, cfg
    sys.modules.pop("mmr_cli_plugin", None)
    from runtime.registry import DATASETS, METRICS, MODELS
    for reg, name in ((DATASETS, "MmrLineData"), (MODELS, "MmrLineNet"), (METRICS, "MmrMSE")):
        reg._module_dict.pop(name, None)


def parse(*argv):
    parser, _ = cli.build_parser()
    return parser.parse_args(list(argv))


def test_work_dir_priority_and_cfg_options(project):
    root, cfg_path = project
    cfg = cli.prepare_train_cfg(parse("train", str(cfg_path)))
    assert cfg.work_dir == os.path.join("./work_dirs", "line_sgd") and cfg.launcher == "none"
    cfg_path.write_text(CONFIG + "work_dir = './from_config'\n")
    assert cli.prepare_train_cfg(parse("train", str(cfg_path))).work_dir == "./from_config"
    cfg = cli.prepare_train_cfg(parse("train", str(cfg_path), "--work-dir", "cli_dir",
                                      "--cfg-options", "train_cfg.max_epochs=7",
                                      "param_scheduler.0.milestones=[1,2]", "--launcher", "none"))
    assert cfg.work_dir == "cli_dir" and cfg.train_cfg.max_epochs == 7
    assert cfg.param_scheduler[0].milestones == [1, 2] and cfg.param_scheduler[0].gamma == 0.5
    assert isinstance(cfg, Config)


def test_resume_and_amp_flags(project):
    _, cfg_path = project
    cfg = cli.prepare_train_cfg(parse("train", str(cfg_path), "--resume"))
    assert cfg.resume is True and cfg.load_from is None
    cfg = cli.prepare_train_cfg(parse("train", str(cfg_path), "--resume", "w/epoch_2.pth"))
    assert cfg.resume is True and cfg.load_from == "w/epoch_2.pth"
    cfg = cli.prepare_train_cfg(parse("train", str(cfg_path)))
    assert "resume" not in cfg
    cfg = cli.prepare_train_cfg(parse("train", str(cfg_path), "--amp"))
    assert cfg.optim_wrapper.type == "AmpOptimWrapper" and cfg.optim_wrapper.loss_scale == "dynamic"
    assert cfg.optim_wrapper.optimizer.type == "SGD"
    args = parse("train", str(cfg_path), "--amp", "--cfg-options", "optim_wrapper.type=OddWrapper")
    with pytest.raises(cli.CLIError, match="OddWrapper"):
        cli.prepare_train_cfg(args)
    with pytest.raises(cli.CLIError, match="auto_scale_lr"):
        cli.prepare_train_cfg(parse("train", str(cfg_path), "--auto-scale-lr"))
    cfg = cli.prepare_test_cfg(parse("test", str(cfg_path), "some.pth", "--work-dir", "t"))
    assert cfg.load_from == "some.pth" and cfg.work_dir == "t"


def test_bad_config_is_a_clean_error(project, capsys):
    root, _ = project
    assert cli.main(["train", str(root / "missing.py")]) == 2
    assert "missing.py" in capsys.readouterr().err
    bad = root / "bad.py"
    bad.write_text("model = dict(\n")
    assert cli.main(["test", str(bad), "x.pth"]) == 2
    assert "bad.py" in capsys.readouterr().err


def test_runner_type_goes_through_runners_registry(project, monkeypatch):
    _, cfg_path = project
    from runtime.registry import RUNNERS
    seen = {}

    class MmrCliRunner:
        @classmethod
        def from_cfg(cls, cfg):
            seen["cfg"] = cfg
            return cls()

        def train(self):
            seen["trained"] = True

    RUNNERS.register_module(module=MmrCliRunner)
    try:
        assert cli.main(["train", str(cfg_path), "--cfg-options",
                         "runner_type=MmrCliRunner"]) == 0
    finally:
        RUNNERS._module_dict.pop("MmrCliRunner")
    assert seen["trained"] and seen["cfg"]["work_dir"].endswith("line_sgd")


def test_subcommand_table_is_extensible(monkeypatch):
    calls = []

    def setup(parser):
        parser.add_argument("--n", type=int)
        return lambda args: calls.append(args.n) or 0
    monkeypatch.setitem(cli.SUBCOMMANDS, "mmr-extra", ("extra", f"{__name__}:_extra_setup"))
    monkeypatch.setattr(sys.modules[__name__], "_extra_setup", setup, raising=False)
    assert cli.main(["mmr-extra", "--n", "5"]) == 0 and calls == [5]


def test_train_then_test_end_to_end(project, capsys):
    root, cfg_path = project
    pytest.importorskip("runtime.runner")
    assert cli.main(["train", str(cfg_path), "--work-dir", "wd"]) == 0
    ckpts = sorted(os.path.basename(p) for p in glob.glob(str(root / "wd" / "epoch_*.pth")))
    assert ckpts == ["epoch_1.pth", "epoch_2.pth", "epoch_3.pth"]
    dumped = root / "wd" / "line_sgd.py"
    assert dumped.exists() and Config.fromfile(dumped).train_cfg.max_epochs == 3
    capsys.readouterr()
    assert cli.main(["test", str(cfg_path), str(root / "wd" / "epoch_3.pth"),
                     "--work-dir", "wd_test"]) == 0
    out = capsys.readouterr().out
    mse = float(out.strip().split("mse:")[-1].split()[0])
    # untrained Linear(1,1) on y=3x-1 has mse of several units; 3 SGD epochs get well below 1
    assert mse < 1.0

    # auto-resume continues from epoch_3 up to the new max_epochs: epochs 1-3 are not re-run
    before = {n: os.path.getmtime(root / "wd" / n) for n in ckpts}
    assert cli.main(["train", str(cfg_path), "--work-dir", "wd", "--resume",
                     "--cfg-options", "train_cfg.max_epochs=4"]) == 0
    assert os.path.exists(root / "wd" / "epoch_4.pth")
    assert {n: os.path.getmtime(root / "wd" / n) for n in ckpts} == before
    import torch
    meta = torch.load(root / "wd" / "epoch_4.pth", map_location="cpu", weights_only=False)["meta"]
    assert meta["epoch"] == 4


def test_console_script_help():
    exe = os.path.join(os.path.dirname(sys.executable), "mmrun")
    cmd = [exe] if os.path.exists(exe) else [sys.executable, "-m", "runtime.cli"]
    out = subprocess.run(cmd + ["train", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "--cfg-options" in out.stdout and "--resume" in out.stdout
