"""Data loading pieces (MMEngine's `mmengine.dataset`): samplers that shard by rank, collate
functions and the worker seeding function, registered under MMEngine's names.

MMCV 1.x built dataloaders in each downstream repo (`build_dataloader(dataset, samples_per_gpu,
workers_per_gpu, dist, shuffle, seed)` with `DistributedSampler`/`GroupSampler`); MMEngine replaces that
with `dict(batch_size, num_workers, sampler=dict(type='DefaultSampler'), collate_fn=...)`.
"""
from .sampler import DefaultSampler, InfiniteSampler
from .utils import COLLATE_FUNCTIONS, default_collate, pseudo_collate, worker_init_fn

__all__ = ["DefaultSampler", "InfiniteSampler", "COLLATE_FUNCTIONS", "default_collate",
           "pseudo_collate", "worker_init_fn"]
