"""Subclasses of MMCV's built-in lr policy hooks (MC302 writes the policy into the file): the
migrated hook in a real mmengine 0.10.7 Runner gives the same lr at every iteration as the
original under real MMCV 1.7.2's EpochBasedRunner (old venv, tests/support/mmcv_lr_run.py).
Cases: mmdet 2.28.2's own YOLOXLrUpdaterHook (CosineAnnealing base, its own exp warmup over
warmup_by_epoch epochs, fixed lr for the last epochs; the arguments of mmdet's yolox_s config),
and the fixture pair lr_updater/policy_subclass (Step and Poly bases). Compared exactly."""
import json
import logging
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mmengine")

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
EPOCHS, BATCHES = 6, 4


def _old_lrs(path, cls, kwargs, tmp_path):
    from migrator.envs.old import old_python, old_python_env
    proc = subprocess.run([str(old_python()), str(ROOT / "tests" / "support" / "mmcv_lr_run.py"),
                           str(path), cls, json.dumps(kwargs), str(EPOCHS), str(BATCHES),
                           str(tmp_path / "old")], env=old_python_env(), capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@lru_cache(maxsize=None)
def _migrated(path: Path):
    """`path` migrated and imported, once (its classes register in mmengine's HOOKS)."""
    import importlib.util
    import tempfile
    from migrator.code import migrate_source
    res = migrate_source(path.read_text(), str(path))
    assert res.error is None
    new = Path(tempfile.mkdtemp(prefix="mmmigrate-lr-")) / path.name
    new.write_text(res.new_text)
    spec = importlib.util.spec_from_file_location(f"_mmmigrate_lr_{path.stem}", new)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _new_lrs(path, cls, kwargs, tmp_path, name):
    from mmengine.hooks import Hook
    from mmengine.model import BaseModel
    from mmengine.runner import Runner
    mod = _migrated(Path(path))

    class Model(BaseModel):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(2, 1)

        def forward(self, x, mode="loss"):
            return dict(loss=self.fc(torch.stack(x) if isinstance(x, list) else x).pow(2).mean())

    class LrRecorder(Hook):
        priority = "LOWEST"

        def __init__(self):
            self.lrs = []

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            self.lrs.append(runner.optim_wrapper.optimizer.param_groups[0]["lr"])
    rec = LrRecorder()
    data = [dict(x=t) for t in torch.randn(BATCHES * 2, 2)]
    runner = Runner(model=Model(), work_dir=str(tmp_path / name),
                    train_dataloader=dict(dataset=data, batch_size=2, sampler=dict(
                        type="DefaultSampler", shuffle=False), collate_fn=dict(type="default_collate")),
                    train_cfg=dict(by_epoch=True, max_epochs=EPOCHS),
                    optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01, momentum=0.9)),
                    custom_hooks=[getattr(mod, cls)(**kwargs), rec],
                    default_hooks=dict(checkpoint=None), log_level=logging.WARNING)
    runner.train()
    return rec.lrs


def _mmdet_yolox(tmp_path):
    from realdata import real_configs
    wheel = real_configs("mmdet", "2.28.2").parent.parent
    src = wheel / "core" / "hook" / "yolox_lrupdater_hook.py"
    assert src.exists(), src
    return src


CASES = [
    # mmdet 2.28.2 configs/yolox/yolox_s_8x8_300e_coco.py lr_config, scaled to 6 epochs
    ("yolox", "YOLOXLrUpdaterHook",
     dict(warmup="exp", by_epoch=False, warmup_by_epoch=True, warmup_ratio=1, warmup_iters=2,
          num_last_epochs=2, min_lr_ratio=0.05)),
    ("policy_subclass", "FlooredStepLrUpdaterHook",
     dict(step=[2, 4], gamma=0.1, floor=0.05, warmup="linear", warmup_iters=3)),
    ("policy_subclass", "EpochLenPolyLrUpdaterHook", dict(power=2.0, min_lr=1e-4, by_epoch=False)),
]


@pytest.mark.parametrize("name,cls,kwargs", CASES, ids=[c[1] for c in CASES])
def test_policy_subclass_lrs_equal_mmcv(name, cls, kwargs, tmp_path):
    if name == "yolox":
        path = _mmdet_yolox(tmp_path)
    else:
        path = ROOT / "fixtures" / "code" / "lr_updater" / f"{name}_old.py"
    old = _old_lrs(path, cls, kwargs, tmp_path)
    new = _new_lrs(path, cls, kwargs, tmp_path, f"{name}_{cls}")
    assert len(old) == EPOCHS * BATCHES
    assert new == old
    assert len(set(old)) > 3                 # the schedule really moves
