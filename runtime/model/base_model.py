"""`BaseModel`, `BaseDataPreprocessor`, `ImgDataPreprocessor` (MMEngine's `mmengine.model.base_model`).

train_step: preprocess(training=True) and forward(mode='loss') inside `optim_wrapper.optim_context`,
`parse_losses` (mean of each entry, total = sum of keys containing 'loss', 'loss' first in log_vars),
then `optim_wrapper.update_params(loss)`; val/test_step: preprocess and forward(mode='predict').
Dict batches are passed as keyword arguments, tuple/list batches positionally.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from runtime.registry import MODELS

from .base_module import BaseModule


_Tensor = torch.Tensor
_CPU = torch.device("cpu")


@MODELS.register_module()
class BaseDataPreprocessor(nn.Module):
    """Moves every tensor in a (nested) batch to the model's device."""

    def __init__(self, non_blocking: bool = False):
        super().__init__()
        self._non_blocking = non_blocking
        self._device = torch.device("cpu")

    def cast_data(self, data):
        kind = type(data)
        if kind is _Tensor:   # the common leaf first; same result as below
            if data.device == self._device:
                return data   # what .to() returns for a tensor already on the device
            return data.to(self._device, non_blocking=self._non_blocking)
        if kind is dict:   # the common container (exact type: no isinstance calls)
            # on the plain CPU device (not 'cpu:0', where .to() copies), a plain CPU tensor is
            # returned as it is (what .to() returns, see above) without a call per value;
            # anything else goes through cast_data
            on_cpu = self._device == _CPU
            out = {}
            for k in data:
                value = data[k]
                out[k] = value if on_cpu and type(value) is _Tensor and value.is_cpu \
                    else self.cast_data(value)
            return out
        if isinstance(data, torch.Tensor):
            return data.to(self._device, non_blocking=self._non_blocking)
        if isinstance(data, Mapping):   # a plain dict, as MMEngine
            return {k: self.cast_data(data[k]) for k in data}
        if isinstance(data, (str, bytes)) or data is None:
            return data
        if isinstance(data, tuple) and hasattr(data, "_fields"):
            return type(data)(*(self.cast_data(s) for s in data))
        if isinstance(data, Sequence):
            return type(data)(self.cast_data(s) for s in data)
        if hasattr(data, "to") and hasattr(data, "metainfo"):   # a data element
            return data.to(self._device, non_blocking=self._non_blocking)
        return data

    def forward(self, data, training: bool = False):
        return self.cast_data(data)

    @property
    def device(self) -> torch.device:
        return self._device

    def to(self, *args, **kwargs):
        device = torch._C._nn._parse_to(*args, **kwargs)[0]
        if device is not None:
            self._device = torch.device(device)
        return super().to(*args, **kwargs)

    def cuda(self, device=None):
        self._device = torch.device("cuda", torch.cuda.current_device() if device is None else device)
        return super().cuda(device)

    def cpu(self):
        self._device = torch.device("cpu")
        return super().cpu()


def stack_batch(tensor_list: List[torch.Tensor], pad_size_divisor: int = 1,
                pad_value: Union[int, float] = 0) -> torch.Tensor:
    """Pad (right/bottom) a list of C x H x W... tensors to a common, divisible shape and stack."""
    dim = tensor_list[0].dim()
    shapes = torch.tensor([list(t.shape) for t in tensor_list])
    max_shape = shapes.max(dim=0).values
    max_shape[1:] = torch.ceil(max_shape[1:].float() / pad_size_divisor).long() * pad_size_divisor
    padded = []
    for t in tensor_list:
        pad = []
        for d in range(dim - 1, 0, -1):   # F.pad lists the last dimension first
            pad += [0, int(max_shape[d] - t.shape[d])]
        padded.append(F.pad(t, pad, value=pad_value) if any(pad) else t)
    return torch.stack(padded)


@MODELS.register_module()
class ImgDataPreprocessor(BaseDataPreprocessor):
    """Channel flip, float cast, (x - mean) / std and padding of `data['inputs']`."""

    def __init__(self, mean: Optional[Sequence] = None, std: Optional[Sequence] = None,
                 pad_size_divisor: int = 1, pad_value: Union[float, int] = 0,
                 bgr_to_rgb: bool = False, rgb_to_bgr: bool = False, non_blocking: bool = False):
        super().__init__(non_blocking)
        if bgr_to_rgb and rgb_to_bgr:
            raise ValueError("`bgr2rgb` and `rgb2bgr` cannot be set to True at the same time")
        if (mean is None) != (std is None):
            raise ValueError("mean and std should be both None or tuple")
        self._channel_conversion = rgb_to_bgr or bgr_to_rgb
        self._enable_normalize = mean is not None
        if mean is not None:
            self.register_buffer("mean", torch.tensor(mean).view(-1, 1, 1), False)
            self.register_buffer("std", torch.tensor(std).view(-1, 1, 1), False)
        self.pad_size_divisor = pad_size_divisor
        self.pad_value = pad_value

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = data["inputs"]
        if isinstance(inputs, torch.Tensor):
            if inputs.dim() != 4:
                raise ValueError("batched inputs must be a 4D tensor (N, C, H, W)")
            if self._channel_conversion:
                inputs = inputs[:, [2, 1, 0], ...]
            inputs = inputs.float()
            if self._enable_normalize:
                inputs = (inputs - self.mean) / self.std
            h, w = inputs.shape[2:]
            pad_h = math.ceil(h / self.pad_size_divisor) * self.pad_size_divisor - h
            pad_w = math.ceil(w / self.pad_size_divisor) * self.pad_size_divisor - w
            inputs = F.pad(inputs, (0, pad_w, 0, pad_h), "constant", self.pad_value)
        elif isinstance(inputs, Sequence) and all(isinstance(t, torch.Tensor) for t in inputs):
            items = []
            for t in inputs:
                if self._channel_conversion:
                    t = t[[2, 1, 0], ...]
                t = t.float()
                if self._enable_normalize:
                    t = (t - self.mean) / self.std
                items.append(t)
            inputs = stack_batch(items, self.pad_size_divisor, self.pad_value)
        else:
            raise TypeError("data['inputs'] should be a tensor or a list of tensors, "
                            f"got {type(inputs)}")
        data["inputs"] = inputs
        data.setdefault("data_samples", None)
        return data


_MODULE_TRAIN = nn.Module.train
_MODULE_SETATTR = nn.Module.__setattr__


def _train_is_noop(module: nn.Module, mode: bool) -> bool:
    """Whether nn.Module.train(mode) would leave `module`'s subtree exactly as it is: every
    module already has `training is mode` and none customises train() or __setattr__."""
    plain_train = _PLAIN_TRAIN
    stack = [module]
    while stack:
        module = stack.pop()
        if module.training is not mode or type(module).__setattr__ is not _MODULE_SETATTR:
            return False
        for child in module._modules.values():
            if child is not None:
                if type(child).train not in plain_train:
                    return False
                stack.append(child)
    return True


def _sum_from_first(terms: list):
    """MMEngine's `sum(terms)` (0 + t0 + t1 + ...) without its leading `0 +`: every term is a
    tensor mean (or a sum of means), which is never -0.0, so `0 + t0` equals t0 bit for bit
    (same value, dtype and gradients) and only costs an op and an autograd node."""
    if not terms:
        return 0
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _mean(value: torch.Tensor) -> torch.Tensor:
    """MMEngine's `value.mean()`. For a 0-dim floating-point CPU tensor the mean is the value
    itself (one element, summed from +0.0 and divided by 1: same value, same dtype, gradient
    multiplied by exactly 1), except that -0.0 comes out as +0.0; such a tensor is returned as
    it is, which saves a reduction and an autograd node per loss term and iteration. Anything
    else (other shapes, integer dtypes that make mean() raise, -0.0, tensor subclasses, devices
    where reading the value would synchronise) goes through mean()."""
    if type(value) is _Tensor and value.is_cpu and not value.shape \
            and value.is_floating_point():
        number = value.item()
        if number != 0.0 or math.copysign(1.0, number) > 0:
            return value
    return value.mean()


class BaseModel(BaseModule):
    """Base class of runnable models: forward(inputs, data_samples=None, mode='tensor'|'loss'|'predict')."""

    def __init__(self, data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg)
        if data_preprocessor is None:
            data_preprocessor = dict(type="BaseDataPreprocessor")
        if isinstance(data_preprocessor, nn.Module):
            self.data_preprocessor = data_preprocessor
        elif isinstance(data_preprocessor, dict):
            self.data_preprocessor = MODELS.build(data_preprocessor)
        else:
            raise TypeError("data_preprocessor should be a `dict` or `nn.Module` instance, "
                            f"but got {type(data_preprocessor)}")

    def train_step(self, data, optim_wrapper) -> Dict[str, torch.Tensor]:
        with optim_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
            losses = self._run_forward(data, mode="loss")
        parsed_losses, log_vars = self.parse_losses(losses)
        optim_wrapper.update_params(parsed_losses)
        return log_vars

    def train(self, mode: bool = True):
        # The loops call model.train() before every iteration; skip it when it cannot change
        # anything (the usual case), otherwise run nn.Module.train as usual.
        if (mode is True or mode is False) and _train_is_noop(self, mode):
            return self
        return super().train(mode)

    def val_step(self, data) -> list:
        data = self.data_preprocessor(data, False)
        return self._run_forward(data, mode="predict")

    def test_step(self, data) -> list:
        data = self.data_preprocessor(data, False)
        return self._run_forward(data, mode="predict")

    def parse_losses(self, losses: Dict) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        # MMEngine: log_vars = [[name, mean], ...]; loss = sum of the entries whose name
        # contains 'loss'; OrderedDict([['loss', loss]] + log_vars) (so 'loss' comes first, and
        # an entry named 'loss' keeps that place with its own value)
        log_vars = OrderedDict(loss=None)
        terms = []
        for name, value in losses.items():
            if type(value) is _Tensor or isinstance(value, torch.Tensor):
                value = _mean(value)
            elif isinstance(value, list) and all(isinstance(v, torch.Tensor) for v in value):
                value = _sum_from_first([_mean(v) for v in value])
            else:
                raise TypeError(f"{name} is not a tensor or list of tensors")
            log_vars[name] = value
            if "loss" in name:
                terms.append(value)
        loss = _sum_from_first(terms)
        if "loss" not in losses:
            log_vars["loss"] = loss
        return loss, log_vars

    def _run_forward(self, data, mode: str):
        if isinstance(data, dict):
            return self(**data, mode=mode)
        if isinstance(data, (list, tuple)):
            return self(*data, mode=mode)
        raise TypeError(f"Output of `data_preprocessor` should be list, tuple or dict, got {type(data)}")

    def to(self, *args, **kwargs):
        device = torch._C._nn._parse_to(*args, **kwargs)[0]
        if device is not None:
            self._set_device(torch.device(device))
        return super().to(*args, **kwargs)

    def cuda(self, device=None):
        self._set_device(torch.device("cuda", torch.cuda.current_device() if device is None else device))
        return super().cuda(device)

    def cpu(self, *args, **kwargs):
        self._set_device(torch.device("cpu"))
        return super().cpu()

    def _set_device(self, device: torch.device) -> None:
        for module in self.modules():
            if isinstance(module, BaseDataPreprocessor):
                module._device = device

    def forward(self, inputs, data_samples=None, mode: str = "tensor"):
        raise NotImplementedError


_PLAIN_TRAIN = (_MODULE_TRAIN, BaseModel.train)   # train() methods _train_is_noop looks through
