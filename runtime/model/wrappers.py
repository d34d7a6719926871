"""Model wrappers (MMEngine's `mmengine.model.wrappers`; MMCV 1.x had `MMDistributedDataParallel`
with `train_step(data, optimizer)` in `mmcv.parallel`).

`MMDistributedDataParallel.train_step` runs the wrapped model's data preprocessor and a
forward(mode='loss') *through DDP's forward* (so gradients get synchronised), then parses losses
and calls `optim_wrapper.update_params`; `val_step`/`test_step` delegate to the wrapped module.
"""
from __future__ import annotations

import torch
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel

from runtime.registry import MODEL_WRAPPERS


def is_model_wrapper(model: nn.Module) -> bool:
    """True for DDP/DataParallel and anything registered in MODEL_WRAPPERS."""
    if isinstance(model, (DistributedDataParallel, nn.DataParallel)):
        return True
    wrappers = tuple(c for c in MODEL_WRAPPERS.module_dict.values() if isinstance(c, type))
    return isinstance(model, wrappers) if wrappers else False


@MODEL_WRAPPERS.register_module()
class MMDistributedDataParallel(DistributedDataParallel):
    def __init__(self, module: nn.Module, detect_anomalous_params: bool = False, **kwargs):
        super().__init__(module=module, **kwargs)
        self.detect_anomalous_params = detect_anomalous_params

    def train_step(self, data, optim_wrapper):
        with optim_wrapper.optim_context(self):
            data = self.module.data_preprocessor(data, training=True)
            losses = self._run_forward(data, mode="loss")
        parsed_loss, log_vars = self.module.parse_losses(losses)
        optim_wrapper.update_params(parsed_loss)
        return log_vars

    def val_step(self, data):
        return self.module.val_step(data)

    def test_step(self, data):
        return self.module.test_step(data)

    def _run_forward(self, data, mode: str):
        if isinstance(data, dict):
            return self(**data, mode=mode)
        if isinstance(data, (list, tuple)):
            return self(*data, mode=mode)
        raise TypeError(f"Output of `data_preprocessor` should be list, tuple or dict, got {type(data)}")


def convert_sync_batchnorm(module: nn.Module, process_group=None) -> nn.Module:
    return nn.SyncBatchNorm.convert_sync_batchnorm(module, process_group)


def revert_sync_batchnorm(module: nn.Module) -> nn.Module:
    """Replace SyncBatchNorm layers by BatchNorm (needed to run SyncBN configs on CPU)."""
    out = module
    if isinstance(module, nn.SyncBatchNorm):
        cls = {2: nn.BatchNorm1d, 4: nn.BatchNorm2d, 5: nn.BatchNorm3d}.get(
            getattr(module, "_ndim", 4), nn.BatchNorm2d)
        out = cls(module.num_features, module.eps, module.momentum, module.affine,
                  module.track_running_stats)
        if module.affine:
            with torch.no_grad():
                out.weight = module.weight
                out.bias = module.bias
        out.running_mean = module.running_mean
        out.running_var = module.running_var
        out.num_batches_tracked = module.num_batches_tracked
        out.training = module.training
    for name, child in module.named_children():
        out.add_module(name, revert_sync_batchnorm(child))
    return out
