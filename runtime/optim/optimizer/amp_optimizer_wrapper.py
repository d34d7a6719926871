"""AmpOptimWrapper (MMEngine's `mmengine.optim.AmpOptimWrapper`).

Replaces MMCV 1.x `fp16 = dict(loss_scale=...)` (Fp16OptimizerHook). `optim_context(model)` enters
`torch.autocast`; `backward` scales the loss with a `torch.amp.GradScaler`, `step` unscales before
clipping and lets the scaler skip steps with inf/nan gradients, then updates the scale.

`loss_scale`: 'dynamic' (default GradScaler), a float (static: the scale is reset to that value at
every update, as MMEngine does), or a dict of GradScaler arguments.

Differences from MMEngine, which refuses to run without an accelerator: here the device is CUDA when
available, else CPU. The default autocast dtype is float16 on CUDA and bfloat16 on CPU (CPU autocast
has no useful float16 path). Loss scaling only matters for float16, whose exponent range is narrow;
bfloat16 has float32's range, so for bfloat16/float32 the scaler is created disabled (a
pass-through, its `state_dict()` is empty) while `state_dict()` still carries a `loss_scaler` entry.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Union

import torch

from runtime.registry import OPTIM_WRAPPERS

from .optimizer_wrapper import OptimWrapper


@OPTIM_WRAPPERS.register_module()
class AmpOptimWrapper(OptimWrapper):
    """Mixed-precision optimizer wrapper."""

    valid_dtypes = ("float16", "bfloat16", "float32", "float64")

    def __init__(self, loss_scale: Union[str, float, dict] = "dynamic",
                 dtype: Union[str, torch.dtype, None] = None, use_fsdp: bool = False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(dtype, str):
            assert dtype in self.valid_dtypes, \
                f"dtype should be any of {self.valid_dtypes}, got {dtype}"
            dtype = getattr(torch, dtype)
        assert dtype is None or isinstance(dtype, torch.dtype), \
            f"dtype should be None or instance of torch.dtype, got {dtype}"
        self.cast_dtype = dtype
        self.device_type = "cuda" if torch.cuda.is_available() else "cpu"
        effective = dtype or (torch.float16 if self.device_type == "cuda" else torch.bfloat16)
        self._autocast_dtype = effective
        enabled = effective == torch.float16

        if use_fsdp:
            from torch.distributed.fsdp.sharded_grad_scaler import ShardedGradScaler

            def scaler_type(**kw):
                return ShardedGradScaler(self.device_type, enabled=enabled, **kw)
        else:
            def scaler_type(**kw):
                return torch.amp.GradScaler(self.device_type, enabled=enabled, **kw)

        self._scale_update_param = None
        if loss_scale == "dynamic":
            self.loss_scaler = scaler_type()
        elif isinstance(loss_scale, float):
            self._scale_update_param = loss_scale
            self.loss_scaler = scaler_type(init_scale=loss_scale)
        elif isinstance(loss_scale, dict):
            self.loss_scaler = scaler_type(**loss_scale)
        else:
            raise TypeError("loss_scale must be of type float, dict, or 'dynamic', but got "
                            f"{loss_scale}")

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        self.loss_scaler.scale(loss).backward(**kwargs)
        self._inner_count += 1

    def step(self, **kwargs) -> None:
        if self.clip_grad_kwargs:
            self.loss_scaler.unscale_(self.optimizer)
            self._clip_grad()
        self.loss_scaler.step(self.optimizer, **kwargs)
        self.loss_scaler.update(self._scale_update_param)

    def state_dict(self) -> dict:
        state = super().state_dict()
        state["loss_scaler"] = self.loss_scaler.state_dict()
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = dict(state_dict)
        scaler_state = state_dict.pop("loss_scaler", None)
        if scaler_state:
            self.loss_scaler.load_state_dict(scaler_state)
        if "base_param_settings" in state_dict:
            self.base_param_settings = state_dict.pop("base_param_settings")
        self.optimizer.load_state_dict(state_dict)

    @contextmanager
    def optim_context(self, model):
        enabled = self._autocast_dtype in (torch.float16, torch.bfloat16)
        with super().optim_context(model), torch.autocast(
                self.device_type, dtype=self._autocast_dtype, enabled=enabled):
            yield
