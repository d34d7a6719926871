"""Distributed helpers (MMEngine's `mmengine.dist`; MMCV 1.x kept similar ones in `mmcv.runner.dist_utils`).

Every function degrades to the single-process answer when torch.distributed is not initialised, as
MMEngine's do, so callers never need to branch on "distributed or not".
"""
from .utils import (all_gather, all_gather_object, all_reduce, barrier, broadcast,
                    broadcast_object_list, collect_results, collect_results_cpu,
                    collect_results_gpu, get_dist_info, get_local_rank,
                    get_rank, get_world_size, init_dist, is_distributed, is_main_process,
                    master_only, sync_random_seed)

__all__ = ["all_gather", "all_gather_object", "all_reduce", "barrier", "broadcast",
           "broadcast_object_list", "collect_results", "collect_results_cpu", "collect_results_gpu",
           "get_dist_info", "get_local_rank",
           "get_rank", "get_world_size", "init_dist", "is_distributed", "is_main_process",
           "master_only", "sync_random_seed"]
