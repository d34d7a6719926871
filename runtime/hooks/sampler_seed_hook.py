"""DistSamplerSeedHook (MMEngine's `mmengine.hooks.DistSamplerSeedHook`, priority NORMAL; same role
as MMCV 1.x's hook of that name): before each train epoch call `set_epoch(runner.epoch)` on the
train dataloader's sampler (or its batch_sampler's sampler) so shuffling differs per epoch."""
from __future__ import annotations

from runtime.registry import HOOKS

from .hook import Hook


@HOOKS.register_module()
class DistSamplerSeedHook(Hook):
    priority = "NORMAL"

    def before_train_epoch(self, runner) -> None:
        loader = runner.train_loop.dataloader
        sampler = getattr(loader, "sampler", None)
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(runner.epoch)
            return
        batch_sampler = getattr(loader, "batch_sampler", None)
        inner = getattr(batch_sampler, "sampler", None)
        if hasattr(inner, "set_epoch"):
            inner.set_epoch(runner.epoch)
