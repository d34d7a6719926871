"""The codebases' own MMCV-era code: every hook module under core/, apis/train.py and the
train/test scripts of mmdet 2.28.2, mmcls 0.25.0 and mmseg 0.30.0 (from their PyPI wheels, in
.cache/). Migrated, every file parses, keeps no MMCV 1.x runner API outside a TODO and is
idempotent; the self-contained hook modules import under real mmengine 0.10.7 with no mmcv
installed (every hook class runs through a real mmengine Runner: tests/test_code_real_hooks.py)."""
import sys

import pytest

from code_cases import uncovered_old_api
from migrator.code import migrate_source
from realdata import real_configs

pytestmark = pytest.mark.integration
PACKAGES = [("mmdet", "2.28.2"), ("mmcls", "0.25.0"), ("mmsegmentation", "0.30.0")]


def _files(package, version):
    pkg = real_configs(package, version).parent.parent        # <cache>/<pkg>-<v>/<module>
    files = sorted(p for p in (pkg / "core").rglob("*.py") if "hook" in p.name or
                   p.parent.name == "hook")
    files += [pkg / "apis" / "train.py"] + sorted((pkg / ".mim" / "tools").glob("t*.py"))
    return pkg, [f for f in files if f.name != "__init__.py" and f.exists()]


@pytest.mark.parametrize("package,version", PACKAGES)
def test_codebase_code_migrates(package, version):
    pkg, files = _files(package, version)
    assert len(files) >= 5
    for f in files:
        text = f.read_text()
        res = migrate_source(text, str(f))
        assert res.error is None, res.error
        compile(res.new_text, str(f), "exec")
        assert uncovered_old_api(res.new_text) == [], f
        assert migrate_source(res.new_text, str(f)).new_text == res.new_text, f
        if "mmcv.runner" in text:
            assert res.changed, f


def _load(package, version, rel):
    """The migrated module, imported as its package (tests/code_hooks.py: one import, so one
    HOOKS registration, per process)."""
    import code_hooks
    mod = {"mmsegmentation": "mmseg"}.get(package, package)
    return code_hooks.load(f"{mod}.{rel[:-3].replace('/', '.')}")


SELF_CONTAINED = [("mmdet", "2.28.2", "core/hook/checkloss_hook.py"),
                  ("mmdet", "2.28.2", "core/hook/ema.py"),
                  ("mmdet", "2.28.2", "core/hook/set_epoch_info_hook.py"),
                  ("mmdet", "2.28.2", "core/hook/memory_profiler_hook.py"),
                  ("mmdet", "2.28.2", "core/hook/yolox_mode_switch_hook.py"),
                  ("mmdet", "2.28.2", "core/hook/sync_random_size_hook.py"),
                  ("mmcls", "0.25.0", "core/hook/lr_updater.py"),
                  ("mmcls", "0.25.0", "core/hook/class_num_check_hook.py"),
                  ("mmcls", "0.25.0", "core/hook/precise_bn_hook.py")]


@pytest.mark.parametrize("package,version,rel", SELF_CONTAINED)
def test_migrated_hook_modules_import_without_mmcv(package, version, rel):
    mod = _load(package, version, rel)
    assert "mmcv" not in sys.modules
    hooks = [v for v in vars(mod).values() if isinstance(v, type) and v.__module__ == mod.__name__]
    from mmengine.hooks import Hook
    assert hooks and all(issubclass(h, Hook) for h in hooks)


def _train(tmp_path, hooks, model, epochs=1, n=2):
    import logging

    from mmengine.runner import Runner
    from test_code_real import _loader
    runner = Runner(model=model, work_dir=str(tmp_path), train_dataloader=_loader(n),
                    train_cfg=dict(by_epoch=True, max_epochs=epochs),
                    optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)), custom_hooks=hooks,
                    default_hooks=dict(checkpoint=None), log_level=logging.WARNING)
    runner.train()
    return runner


def test_mmdet_hooks_run_in_a_real_runner(tmp_path):
    import torch
    from test_code_real import Toy
    check = _load("mmdet", "2.28.2", "core/hook/checkloss_hook.py").CheckInvalidLossHook
    set_epoch = _load("mmdet", "2.28.2", "core/hook/set_epoch_info_hook.py").SetEpochInfoHook
    ema = _load("mmdet", "2.28.2", "core/hook/ema.py").ExpMomentumEMAHook

    class EpochToy(Toy):
        epochs = []

        def set_epoch(self, epoch):
            self.epochs.append(epoch)
    model = EpochToy()
    _train(tmp_path / "a", [check(interval=1), set_epoch(), ema()], model, epochs=2)
    assert model.epochs == [0, 1]                           # SetEpochInfoHook, unwrapped model
    assert any(n.startswith("ema_") for n, _ in model.named_buffers())    # EMA buffers

    class NanToy(Toy):
        def forward(self, x, y, mode="tensor"):
            out = super().forward(x, y, mode)
            return dict(loss=out["loss"] * float("nan")) if mode == "loss" else out
    with pytest.raises(AssertionError):                     # CheckInvalidLossHook sees `outputs`
        _train(tmp_path / "b", [check(interval=1)], NanToy())
    assert torch.isfinite(next(model.parameters())).all()


def test_mmcls_lr_updater_runs_with_mmcv_semantics(tmp_path):
    from mmengine.hooks import Hook
    from test_code_real import Toy
    mod = _load("mmcls", "0.25.0", "core/hook/lr_updater.py")

    class Rec(Hook):
        priority = "LOWEST"
        lrs = []

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            self.lrs.append(runner.optim_wrapper.optimizer.param_groups[0]["lr"])
    hook = mod.CosineAnnealingCooldownLrUpdaterHook(min_lr=0.01, cool_down_time=2,
                                                     cool_down_ratio=0.1, by_epoch=True)
    _train(tmp_path, [hook, Rec()], Toy(), epochs=3)
    # by hand from mmcls' get_lr: epochs 0, 1 anneal over max_epochs - cool_down_time = 1
    # (cos(0) -> 0.1, cos(pi) -> 0.01); epoch 2 > 1 cools down to 0.01 * 0.1
    assert Rec.lrs == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001, 0.001], abs=1e-12)
