"""Small hooks: EmptyCacheHook and SyncBuffersHook (MMEngine's `mmengine.hooks.EmptyCacheHook`
and `SyncBuffersHook`; MMCV 1.x had EmptyCacheHook and SyncBuffersHook with the same roles).

EmptyCacheHook frees the CUDA cache after each epoch (default), and optionally before each epoch
and after each iter; it is a no-op on CPU. SyncBuffersHook all-reduces (averages) model buffers
such as BatchNorm running stats across ranks after each train epoch, and before a val epoch that
did not follow a train epoch; it is a no-op when not distributed.
"""
from __future__ import annotations

import sys

from runtime.registry import HOOKS

from .hook import DATA_BATCH, Hook


def _empty_cuda_cache() -> None:
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


def _is_distributed() -> bool:
    tdist = sys.modules.get("torch.distributed")
    return bool(tdist is not None and tdist.is_available() and tdist.is_initialized()
                and tdist.get_world_size() > 1)


@HOOKS.register_module()
class EmptyCacheHook(Hook):
    priority = "NORMAL"

    def __init__(self, before_epoch: bool = False, after_epoch: bool = True,
                 after_iter: bool = False) -> None:
        self._do_before_epoch = before_epoch
        self._do_after_epoch = after_epoch
        self._do_after_iter = after_iter

    def _after_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                    outputs=None, mode: str = "train") -> None:
        if self._do_after_iter:
            _empty_cuda_cache()

    def _before_epoch(self, runner, mode: str = "train") -> None:
        if self._do_before_epoch:
            _empty_cuda_cache()

    def _after_epoch(self, runner, mode: str = "train") -> None:
        if self._do_after_epoch:
            _empty_cuda_cache()


def all_reduce_buffers_mean(buffers) -> None:
    """Average every buffer tensor across ranks in place."""
    import torch.distributed as dist
    world_size = dist.get_world_size()
    for buf in buffers:
        if buf.dtype.is_floating_point or buf.dtype.is_complex:
            dist.all_reduce(buf.data)
            buf.data.div_(world_size)
        else:  # integer counters (num_batches_tracked): average with floor
            tmp = buf.data.double()
            dist.all_reduce(tmp)
            buf.data.copy_((tmp / world_size).to(buf.dtype))


@HOOKS.register_module()
class SyncBuffersHook(Hook):
    priority = "NORMAL"

    def __init__(self) -> None:
        self.distributed = _is_distributed()
        self.called_in_train = False

    def before_val_epoch(self, runner) -> None:
        if self.distributed:
            if not self.called_in_train:
                all_reduce_buffers_mean(runner.model.buffers())
            self.called_in_train = False

    def after_train_epoch(self, runner) -> None:
        if self.distributed:
            all_reduce_buffers_mean(runner.model.buffers())
            self.called_in_train = True
