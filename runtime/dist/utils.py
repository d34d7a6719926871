"""Rank queries, collectives and process-group setup.

Mirrors `mmengine.dist.utils` / `mmengine.dist.dist`: `init_dist('pytorch' | 'slurm')` reads the
torchrun / SLURM environment, collectives are no-ops (or identity) outside a process group, and
`collect_results` returns the dataset-ordered, size-truncated list on rank 0 and None elsewhere
(MMEngine interleaves the per-rank parts because DefaultSampler deals indices round-robin).
CPU-only runs use the gloo backend even when nccl is requested.
"""
from __future__ import annotations

import functools
import os
import random
import subprocess
from typing import Any, Callable, List, Optional, Tuple

import torch
import torch.distributed as torch_dist


def is_distributed() -> bool:
    return torch_dist.is_available() and torch_dist.is_initialized()


def get_rank(group=None) -> int:
    return torch_dist.get_rank(group) if is_distributed() else 0


def get_world_size(group=None) -> int:
    return torch_dist.get_world_size(group) if is_distributed() else 1


def get_dist_info(group=None) -> Tuple[int, int]:
    return get_rank(group), get_world_size(group)


def get_local_rank() -> int:
    return int(os.environ.get("LOCAL_RANK", 0))


def is_main_process(group=None) -> bool:
    return get_rank(group) == 0


def master_only(func: Callable) -> Callable:
    """Run `func` on rank 0 only; other ranks get None."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if is_main_process():
            return func(*args, **kwargs)
        return None
    return wrapper


def barrier(group=None) -> None:
    if is_distributed():
        torch_dist.barrier(group)


def _pick_backend(backend: str) -> str:
    if backend == "nccl" and not torch.cuda.is_available():
        return "gloo"
    return backend


def init_dist(launcher: str, backend: str = "nccl", **kwargs) -> None:
    """Initialise the default process group from a launcher's environment.

    'pytorch': RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT/LOCAL_RANK as set by torchrun.
    'slurm': derived from SLURM_PROCID/SLURM_NTASKS/SLURM_NODELIST (MASTER_PORT defaults to 29500).
    """
    if is_distributed():
        return
    if launcher == "pytorch":
        pass
    elif launcher == "slurm":
        proc_id = int(os.environ["SLURM_PROCID"])
        ntasks = int(os.environ["SLURM_NTASKS"])
        node_list = os.environ["SLURM_NODELIST"]
        num_gpus = max(torch.cuda.device_count(), 1)
        addr = subprocess.getoutput(f"scontrol show hostname {node_list} | head -n1")
        os.environ.setdefault("MASTER_PORT", str(kwargs.pop("port", None) or 29500))
        os.environ.setdefault("MASTER_ADDR", addr)
        os.environ["WORLD_SIZE"] = str(ntasks)
        os.environ["LOCAL_RANK"] = str(proc_id % num_gpus)
        os.environ["RANK"] = str(proc_id)
    else:
        raise ValueError(f"Invalid launcher type: {launcher}")
    backend = _pick_backend(backend)
    if backend == "nccl":
        torch.cuda.set_device(get_local_rank())
    kwargs.pop("port", None)
    torch_dist.init_process_group(backend=backend, **kwargs)


def _device() -> torch.device:
    if is_distributed() and torch_dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def all_reduce(data: torch.Tensor, op: str = "sum", group=None) -> None:
    """In-place reduction; op is 'sum', 'mean', 'max', 'min' or 'product' (MMEngine's names)."""
    if get_world_size(group) == 1:
        return
    op = op.lower()
    ops = {"sum": torch_dist.ReduceOp.SUM, "mean": torch_dist.ReduceOp.SUM,
           "max": torch_dist.ReduceOp.MAX, "min": torch_dist.ReduceOp.MIN,
           "product": torch_dist.ReduceOp.PRODUCT}
    orig = data.device
    work = data.to(_device())
    torch_dist.all_reduce(work, ops[op], group)
    if op == "mean":
        work = work / get_world_size(group)
    data.copy_(work.to(orig))


def all_gather(data: torch.Tensor, group=None) -> List[torch.Tensor]:
    """Gather a same-shaped tensor from every rank (list indexed by rank)."""
    if get_world_size(group) == 1:
        return [data]
    work = data.to(_device())
    out = [torch.empty_like(work) for _ in range(get_world_size(group))]
    torch_dist.all_gather(out, work, group)
    return [t.to(data.device) for t in out]


def all_gather_object(data: Any, group=None) -> List[Any]:
    if get_world_size(group) == 1:
        return [data]
    out: List[Any] = [None] * get_world_size(group)
    torch_dist.all_gather_object(out, data, group)
    return out


def broadcast(data: torch.Tensor, src: int = 0, group=None) -> None:
    """In-place broadcast of a tensor from `src`."""
    if get_world_size(group) == 1:
        return
    work = data.to(_device())
    torch_dist.broadcast(work, src, group)
    data.copy_(work.to(data.device))


def broadcast_object_list(data: List[Any], src: int = 0, group=None) -> None:
    """In-place broadcast of a list of picklable objects from `src`."""
    if get_world_size(group) == 1:
        return
    torch_dist.broadcast_object_list(data, src, group)


def sync_random_seed(group=None) -> int:
    """A random seed drawn on rank 0 and shared by every rank."""
    seed = [random.randint(0, 2 ** 31 - 1)]
    broadcast_object_list(seed, 0, group)
    return int(seed[0])


def collect_results(results: list, size: int, device: str = "cpu",
                    tmpdir: Optional[str] = None) -> Optional[list]:
    """Every rank's `results` on rank 0 in dataset order, truncated to `size` (MMEngine 0.10.7's
    mmengine/dist/dist.py `collect_results`); None on the other ranks.

    Rank r holds samples r, r + W, ... (DefaultSampler), so the parts are interleaved like
    `zip_longest` (parts of unequal length keep all their items) and None items are dropped, as
    MMEngine's are; `[:size]` drops the samples the sampler padded. One process: `results[:size]`
    as given (no None filtering). device 'cpu': each rank pickles its part to `tmpdir/part_<rank>
    .pkl` (tmpdir None: rank 0 makes one under `./.dist_test` and shares its path), a barrier,
    rank 0 reads them all and removes `tmpdir`; 'gpu'/'npu': the parts travel through
    all_gather_object (tmpdir must be None).
    """
    if device not in ("gpu", "cpu", "npu"):
        raise NotImplementedError(f"device must be 'cpu' , 'gpu' or 'npu', but got {device}")
    if device in ("gpu", "npu"):
        assert tmpdir is None, f"tmpdir should be None when device is {device}"
        return _collect_results_device(results, size)
    return collect_results_cpu(results, size, tmpdir)


def _ordered(parts: List[list], size: int) -> list:
    from itertools import chain, zip_longest
    return [r for r in chain.from_iterable(zip_longest(*parts)) if r is not None][:size]


def collect_results_cpu(result_part: list, size: int,
                        tmpdir: Optional[str] = None) -> Optional[list]:
    import os.path as osp
    import pickle
    import shutil
    import tempfile
    rank, world_size = get_dist_info()
    if world_size == 1:
        return result_part[:size]
    if tmpdir is None:
        shared = [None]
        if rank == 0:
            os.makedirs(".dist_test", exist_ok=True)
            shared = [tempfile.mkdtemp(dir=".dist_test")]
        broadcast_object_list(shared, 0)
        tmpdir = shared[0]
    else:
        os.makedirs(tmpdir, exist_ok=True)
    with open(osp.join(tmpdir, f"part_{rank}.pkl"), "wb") as f:
        pickle.dump(result_part, f, protocol=2)
    barrier()
    if rank != 0:
        return None
    parts = []
    for i in range(world_size):
        path = osp.join(tmpdir, f"part_{i}.pkl")
        if not osp.exists(path):
            raise FileNotFoundError(f"{tmpdir} is not an shared directory for rank {i}, please "
                                    f"make sure {tmpdir} is a shared directory for all ranks!")
        with open(path, "rb") as f:
            parts.append(pickle.load(f))
    shutil.rmtree(tmpdir)
    return _ordered(parts, size)


def _collect_results_device(result_part: list, size: int) -> Optional[list]:
    rank, world_size = get_dist_info()
    if world_size == 1:
        return result_part[:size]
    parts = all_gather_object(result_part)
    return _ordered(parts, size) if rank == 0 else None


def collect_results_gpu(result_part: list, size: int) -> Optional[list]:
    return _collect_results_device(result_part, size)
