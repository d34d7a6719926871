"""Builders the Runner delegates to, mirroring the `build_*` methods of `mmengine.runner.Runner`.

- `build_dataloader(cfg, seed, diff_rank_seed)`: dataset from DATASETS (or a built Dataset, with
  `full_init()` if present), sampler from DATA_SAMPLERS seeded with the runner seed (None when
  `diff_rank_seed`, so each rank draws its own), optional batch_sampler, collate_fn as
  `dict(type='pseudo_collate')` (the default) / any FUNCTIONS name / a callable, worker seeding
  with `worker_init_fn` when a seed is known; `persistent_workers` is dropped when num_workers == 0.
  MMCV 1.x built loaders in downstream repos from `samples_per_gpu`/`workers_per_gpu`.
- `set_random_seed`: MMEngine's seeding of random/numpy/torch, a rank-synchronised random seed when
  None, `+rank` when diff_rank_seed, and deterministic cuDNN/algorithms on request.
- `set_multi_processing`: mp start method, OpenCV threads (only if cv2 is importable), and
  OMP/MKL thread env defaults of 1 per process when distributed.
- `build_param_schedulers`: default `end` (max_epochs or max_iters) and `convert_to_iter_based`
  with the epoch length of the train dataloader.
"""
from __future__ import annotations

import copy
import multiprocessing as mp
import os
import platform
import random
import warnings
from functools import partial
from typing import Optional

import torch
from torch.utils.data import DataLoader

from runtime.dist import get_rank, sync_random_seed
from runtime.registry import DATA_SAMPLERS, DATASETS, FUNCTIONS, PARAM_SCHEDULERS


def _plain(cfg):
    return cfg.to_dict() if hasattr(cfg, "to_dict") else cfg


def build_dataloader(dataloader, seed: Optional[int] = None, diff_rank_seed: bool = False) -> DataLoader:
    if isinstance(dataloader, DataLoader):
        return dataloader
    import runtime.dataset  # noqa: F401  (registers samplers and collate functions)
    cfg = copy.deepcopy(dict(dataloader))
    dataset = cfg.pop("dataset")
    if isinstance(dataset, dict):
        dataset = DATASETS.build(dataset)
        if hasattr(dataset, "full_init"):
            dataset.full_init()
    num_batch_per_epoch = cfg.pop("num_batch_per_epoch", None)
    if num_batch_per_epoch is not None:
        world = torch.distributed.get_world_size() if torch.distributed.is_initialized() else 1
        n = min(num_batch_per_epoch * cfg["batch_size"] * world, len(dataset))
        dataset = torch.utils.data.Subset(dataset, range(n))
    sampler = cfg.pop("sampler", None)
    if isinstance(sampler, dict):
        sampler = DATA_SAMPLERS.build(
            sampler, default_args=dict(dataset=dataset, seed=None if diff_rank_seed else seed))
    batch_sampler = cfg.pop("batch_sampler", None)
    if isinstance(batch_sampler, dict):
        batch_sampler = DATA_SAMPLERS.build(
            batch_sampler, default_args=dict(sampler=sampler, batch_size=cfg.pop("batch_size")))
    worker_init = cfg.pop("worker_init_fn", None)
    num_workers = cfg.get("num_workers", 0)
    if isinstance(worker_init, dict):
        kind = worker_init.pop("type")
        fn = FUNCTIONS.get(kind) if isinstance(kind, str) else kind
        worker_init = partial(fn, **worker_init)
    elif worker_init is None and seed is not None:
        from runtime.dataset import worker_init_fn
        worker_init = partial(worker_init_fn, num_workers=num_workers, rank=get_rank(), seed=seed,
                              disable_subprocess_warning=cfg.pop("disable_subprocess_warning", False))
    cfg.pop("disable_subprocess_warning", None)
    if not num_workers:
        cfg.pop("persistent_workers", None)
    collate = cfg.pop("collate_fn", dict(type="pseudo_collate"))
    if isinstance(collate, dict):
        collate = dict(collate)
        kind = collate.pop("type")
        fn = FUNCTIONS.get(kind) if isinstance(kind, str) else kind
        if fn is None:
            raise KeyError(f"collate function {kind!r} is not registered in FUNCTIONS")
        collate = partial(fn, **collate) if collate else fn
    elif not callable(collate):
        raise TypeError(f"collate_fn should be a dict or callable, got {type(collate)}")
    return DataLoader(dataset=dataset, sampler=sampler if batch_sampler is None else None,
                      batch_sampler=batch_sampler, collate_fn=collate, worker_init_fn=worker_init,
                      **cfg)


def set_random_seed(seed: Optional[int] = None, deterministic: bool = False,
                    diff_rank_seed: bool = False) -> int:
    if seed is None:
        seed = sync_random_seed()
    if diff_rank_seed:
        seed += get_rank()
    random.seed(seed)
    try:
        import numpy as np
        np.random.seed(seed)
    except ImportError:
        pass
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    if deterministic:
        if torch.backends.cudnn.benchmark:
            warnings.warn("torch.backends.cudnn.benchmark is going to be set as `False` to cause "
                          "cuDNN to deterministically select an algorithm")
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        os.environ["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"
        torch.use_deterministic_algorithms(True)
    return seed


def set_multi_processing(mp_start_method: str = "fork", opencv_num_threads: int = 0,
                         distributed: bool = False) -> None:
    if platform.system() != "Windows":
        current = mp.get_start_method(allow_none=True)
        if current is not None and current != mp_start_method:
            warnings.warn(f"Multi-processing start method `{mp_start_method}` is different from "
                          f"the previous setting `{current}`. It will be force set to "
                          f"`{mp_start_method}`.")
        mp.set_start_method(mp_start_method, force=True)
    try:
        import cv2
        cv2.setNumThreads(opencv_num_threads)
    except ImportError:
        pass
    if distributed:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        os.environ.setdefault("MKL_NUM_THREADS", "1")


def build_param_schedulers(runner, scheduler, optim_wrapper) -> list:
    """A list of schedulers for one optim wrapper from a dict / list of dicts / built schedulers."""
    items = scheduler if isinstance(scheduler, (list, tuple)) else [scheduler]
    out = []
    for item in items:
        if not isinstance(item, dict):
            out.append(item)
            continue
        cfg = copy.deepcopy(_plain(item))
        from .loops import BaseLoop
        loop_built = isinstance(runner._train_loop, BaseLoop)
        if loop_built:
            cfg.setdefault("end", runner.max_epochs if cfg.get("by_epoch", True) else runner.max_iters)
        if cfg.pop("convert_to_iter_based", False):
            if not cfg.get("by_epoch", True):
                raise ValueError("only epoch-based scheduler can be converted to iter-based")
            if not loop_built:
                raise RuntimeError("Scheduler can only be converted to iter-based when train loop "
                                   "is built.")
            cls = PARAM_SCHEDULERS.get(cfg.pop("type"))
            out.append(cls.build_iter_from_epoch(optimizer=optim_wrapper, **cfg,
                                                 epoch_length=len(runner.train_dataloader)))
        else:
            out.append(PARAM_SCHEDULERS.build(cfg, default_args=dict(optimizer=optim_wrapper)))
    return out


def scale_lr(runner, optim_wrapper, auto_scale_lr: Optional[dict]) -> None:
    """Multiply every group's lr by (world_size * batch_size) / base_batch_size when enabled."""
    if not auto_scale_lr or not auto_scale_lr.get("enable", False):
        return
    if "base_batch_size" not in auto_scale_lr:
        raise RuntimeError("Cannot find `base_batch_size` in `auto_scale_lr`.")
    real_bs = runner.world_size * runner.train_dataloader.batch_size
    ratio = float(real_bs) / float(auto_scale_lr["base_batch_size"])
    runner.logger.info(f"LR is set based on batch size of {auto_scale_lr['base_batch_size']} and the "
                       f"current batch size is {real_bs}. Scaling the original LR by {ratio}.")
    wrappers = list(optim_wrapper.optim_wrappers.values()) if hasattr(optim_wrapper, "optim_wrappers") else [optim_wrapper]
    for wrapper in wrappers:
        for group in wrapper.optimizer.param_groups:
            group["lr"] = group["lr"] * ratio


def unused_instance_name(name: str) -> str:
    """MMEngine's experiment name (`<cfg stem>_<timestamp>`, 1 s resolution) names the runner's
    MessageHub, MMLogger, Visualizer and DefaultScope instances, so two runners created in the
    same second of one process would share them (and the second would log into the first's
    file). Keep the name when unused, otherwise append `_1`, `_2`, ... (an MMEngine extension)."""
    from runtime.logging import MessageHub, MMLogger
    from runtime.registry.default_scope import DefaultScope
    from runtime.visualization import Visualizer
    tables = (MessageHub, MMLogger, Visualizer, DefaultScope)
    candidate, n = name, 0
    while any(cls.check_instance_created(candidate) for cls in tables):
        n += 1
        candidate = f"{name}_{n}"
    return candidate
