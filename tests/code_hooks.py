"""The migrated hook modules of mmdet 2.28.2, mmcls 0.25.0 and mmseg 0.30.0, importable as
packages.

`package_root()` migrates (target mmengine) every module under `core/` that defines a `...Hook`
class, plus the `core/` helpers they import (`mmdet/core/utils/dist_utils.py`), into one temp
directory laid out as the packages (`mmdet/core/hook/ema.py`; empty `__init__.py` files), once
per process, and puts it on `sys.path`. `load('mmdet.core.hook.ema')` imports one: a real import,
so relative imports work and `@HOOKS.register_module()` registers each class once per process.
mmcv is not installed; the code bases' other modules are absent (a test supplies the smallest
stand-in it needs, e.g. `mmdet.apis.single_gpu_test`, with `stand_in`).
"""
from __future__ import annotations

import importlib
import re
import sys
import tempfile
from pathlib import Path

from mmcv_project import migrate_code
from realdata import real_configs

CODEBASES = [("mmdet", "2.28.2", "mmdet"), ("mmcls", "0.25.0", "mmcls"),
             ("mmsegmentation", "0.30.0", "mmseg")]
_ROOT = []


def hook_files():
    """[(module name, root, path)] of every core/ module defining a `...Hook` class."""
    out = []
    for package, version, mod in CODEBASES:
        root = real_configs(package, version).parent.parent
        for f in sorted((root / "core").rglob("*.py")):
            if re.search(r"^class \w*Hook\b", f.read_text(), re.M):
                out.append((mod, root, f))
    return out


def package_root() -> Path:
    if _ROOT:
        return _ROOT[0]
    dst = Path(tempfile.mkdtemp(prefix="migrated-hooks-"))
    for mod, root, f in hook_files():
        rel = f.relative_to(root)
        new, _ = migrate_code(f.read_text(), f"{mod}/{rel}", "mmengine")
        target = dst / mod / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(new)
    for d in list(dst.rglob("*")):
        if d.is_dir():
            (d / "__init__.py").touch()
    sys.path.insert(0, str(dst))
    _ROOT.append(dst)
    return dst


def load(module: str):
    package_root()
    return importlib.import_module(module)


def stand_in(module: str, **attrs):
    """A module of a code base the migrated hooks import lazily (`from mmdet.apis import
    single_gpu_test`), holding exactly `attrs` (our own small functions)."""
    import types
    m = sys.modules.get(module) or types.ModuleType(module)
    vars(m).update(attrs)
    sys.modules[module] = m
    return m


def _test_step_all(model, data_loader, **_):
    import torch
    model.eval()
    results = []
    for data in data_loader:
        with torch.no_grad():
            results.extend(model.test_step(data))
    return results


def single_gpu_test(model, data_loader, show=False, **kwargs):
    """Stand-in for mmdet/mmseg `apis.single_gpu_test` (theirs calls a 2.x/0.x codebase model:
    `model(return_loss=False, **data)`): the model's predictions over the loader, in order."""
    assert not show
    return _test_step_all(model, data_loader)


def multi_gpu_test(model, data_loader, tmpdir=None, gpu_collect=False, **kwargs):
    """Stand-in for mmdet/mmseg `apis.multi_gpu_test`: this rank's part (the loader's
    DistributedSampler), gathered on rank 0 in dataset order (mmengine.dist.collect_results)."""
    from mmengine.dist import collect_results
    return collect_results(_test_step_all(model, data_loader), len(data_loader.dataset),
                           "gpu" if gpu_collect else "cpu", tmpdir=tmpdir)


def apis_stand_ins():
    for mod in ("mmdet", "mmseg"):
        stand_in(f"{mod}.apis", single_gpu_test=single_gpu_test, multi_gpu_test=multi_gpu_test)


def dist_worker(root, rank, world, port, out):
    """One rank of a CPU gloo group: run A, SyncNormHook and SyncRandomSizeHook (mmdet) in a
    real Runner, each rank training the BN toy on its own data (its BatchNorm state before and
    after the epoch's sync, the scale its dataset received); run B, mmdet's, mmcls' and mmseg's
    DistEvalHook (what rank 0's dataset.evaluate received). Written to `out` (torch.save)."""
    import logging
    import torch
    import torch.distributed as dist
    from mmengine.hooks import Hook
    from mmengine.runner import Runner
    from test_code_real_hooks import BNToy, loader
    sys.path.insert(0, root)
    _ROOT.append(Path(root))
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=int(rank),
                            world_size=int(world))
    load("mmdet.core.hook.sync_norm_hook")
    load("mmdet.core.hook.sync_random_size_hook")
    seen = {}

    class Before(Hook):
        priority = "HIGHEST"            # after_train_epoch before SyncNormHook (NORMAL)

        def after_train_epoch(self, runner):
            seen["before"] = {k: v.clone() for k, v in runner.model.bn.state_dict().items()}
    model = BNToy()
    runner = Runner(model=model, work_dir=f"{out}.work", train_dataloader=loader(
                        4, 2, seed=10 + int(rank)),
                    train_cfg=dict(by_epoch=True, max_epochs=2),
                    optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
                    custom_hooks=[Before(), dict(type="SyncNormHook", num_last_epochs=1,
                                                 interval=5),
                                  dict(type="SyncRandomSizeHook", ratio_range=(14, 26),
                                       img_scale=(640, 320), device="cpu")],
                    default_hooks=dict(checkpoint=None), log_level=logging.WARNING)
    runner.train()
    seen["after"] = {k: v.clone() for k, v in model.bn.state_dict().items()}
    seen["calls"] = runner.train_dataloader.dataset.calls
    seen["world"] = runner.world_size

    # run B: the three DistEvalHooks, lr 0 (the ranks' weights stay equal: same seed, no DDP),
    # BN stats differ per rank until DistEvalHook broadcasts rank 0's; one shared work_dir
    from torch.utils.data import DataLoader, DistributedSampler
    apis_stand_ins()
    evals = {m: load(f"{m}.core.evaluation.eval_hooks").DistEvalHook
             for m in ("mmdet", "mmcls", "mmseg")}
    val = loader(4, 1, seed=5)
    sampler = DistributedSampler(val.dataset, num_replicas=int(world), rank=int(rank),
                                 shuffle=False)
    hooks = {m: cls(DataLoader(val.dataset, batch_size=1, sampler=sampler), interval=1,
                    by_epoch=True, save_best="loss" if m == "mmdet" else None)
             for m, cls in evals.items()}

    class BeforeEval(Hook):
        priority = "HIGHEST"

        def after_train_epoch(self, runner):
            seen["bn_before_eval"] = runner.model.bn.running_mean.clone()
    model = BNToy()
    runner = Runner(model=model, work_dir=str(Path(out).parent / "shared"),
                    train_dataloader=loader(4, 2, seed=20 + int(rank)),
                    train_cfg=dict(by_epoch=True, max_epochs=1),
                    optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.0)),
                    custom_hooks=[BeforeEval(), *hooks.values()],
                    default_hooks=dict(checkpoint=None), log_level=logging.WARNING)
    runner.train()
    seen["bn_after_eval"] = model.bn.running_mean.clone()
    seen["evaluated"] = list(val.dataset.evaluated)
    seen["expected_loss"] = val.dataset.evaluate(_test_step_all(model, val))["loss"]
    seen["best"] = runner.message_hub.get_info("best_score")
    torch.save(seen, out)
    dist.destroy_process_group()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    dist_worker(*sys.argv[1:])
