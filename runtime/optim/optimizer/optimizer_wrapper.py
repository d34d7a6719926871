"""OptimWrapper (MMEngine's `mmengine.optim.OptimWrapper`).

Replaces MMCV 1.x `optimizer_config=dict(grad_clip=...)` (OptimizerHook) and
`GradientCumulativeOptimizerHook(cumulative_iters=N)`: `update_params(loss)` scales the loss,
back-propagates and, every `accumulative_counts` calls (or at the last iteration), clips gradients,
steps and zeroes them. As in MMEngine, the loss is divided by `accumulative_counts`, except for the
trailing incomplete window at the end of training (`initialize_count_status` sets `max_counts`),
where it is divided by the number of remaining iterations. `clip_grad=dict(max_norm=..,
norm_type=.., type='norm')` or `dict(clip_value=.., type='value')` map to torch's clip functions;
the returned total norm is logged as `train/grad_norm` in the current MessageHub when one exists.
"""
from __future__ import annotations

import logging
from contextlib import nullcontext
from typing import Dict, Optional

import torch

from runtime.registry import OPTIM_WRAPPERS

from .base import BaseOptimWrapper


_NO_CONTEXT = nullcontext()


def _log(msg: str, level=logging.INFO) -> None:
    try:
        from runtime.logging import print_log
    except ImportError:
        if level >= logging.WARNING:
            import warnings
            warnings.warn(msg)
        return
    print_log(msg, logger="current", level=level)


def _current_message_hub():
    """The current MessageHub, or None when the logging package is missing/has none."""
    try:
        from runtime.logging import MessageHub
        return MessageHub.get_current_instance()
    except Exception:  # noqa: BLE001 - logging is optional for the optimizer
        return None


def _has_batch_norm(model) -> bool:
    from torch.nn.modules.batchnorm import _BatchNorm
    return any(isinstance(m, _BatchNorm) for m in model.modules())


_UPDATE_STEPS = ("scale_loss", "backward", "should_update", "step", "zero_grad")
_PLAIN_CLASSES: Dict[type, bool] = {}


def _plain_update(wrapper) -> bool:
    """Whether `update_params` may skip its method calls: the class keeps OptimWrapper's own
    update steps and none is replaced on the instance (e.g. by a mock)."""
    cls = type(wrapper)
    plain = _PLAIN_CLASSES.get(cls)
    if plain is None:
        plain = _PLAIN_CLASSES[cls] = cls.__getattribute__ is object.__getattribute__ and all(
            getattr(cls, name) is getattr(OptimWrapper, name) for name in _UPDATE_STEPS)
    if not plain:
        return False
    attrs = wrapper.__dict__
    return not ("step" in attrs or "backward" in attrs or "zero_grad" in attrs
                or "scale_loss" in attrs or "should_update" in attrs)


@OPTIM_WRAPPERS.register_module()
class OptimWrapper(BaseOptimWrapper):
    """Optimizer wrapper with gradient accumulation and clipping."""

    def __init__(self, optimizer, accumulative_counts: int = 1,
                 clip_grad: Optional[dict] = None):
        assert accumulative_counts > 0, \
            "_accumulative_counts at least greater than or equal to 1"
        self._accumulative_counts = accumulative_counts
        self.optimizer = optimizer
        if clip_grad is not None:
            assert isinstance(clip_grad, dict) and clip_grad, \
                "If `clip_grad` is not None, it should be a dict of clip_grad_norm_/value_ args"
            clip_grad = dict(clip_grad)
            clip_type = clip_grad.pop("type", "norm")
            if clip_type == "norm":
                self.clip_func = torch.nn.utils.clip_grad_norm_
                self.grad_name = "grad_norm"
            elif clip_type == "value":
                self.clip_func = torch.nn.utils.clip_grad_value_
                self.grad_name = "grad_value"
            else:
                raise ValueError(f'type of clip_grad should be "norm" or "value" but got '
                                 f"{clip_type}")
            assert clip_grad, "`clip_grad` should contain other arguments besides `type`"
        self.clip_grad_kwargs = clip_grad
        self._inner_count = 0
        self._max_counts = -1
        self._remainder_counts = -1
        self.base_param_settings = self._make_base_settings(optimizer)

    @property
    def message_hub(self):
        return _current_message_hub()

    # ------------------------------------------------------------------ update
    def update_params(self, loss: torch.Tensor, step_kwargs: Optional[Dict] = None,
                      zero_kwargs: Optional[Dict] = None) -> None:
        if self._accumulative_counts == 1 and not self.clip_grad_kwargs and not step_kwargs \
                and not zero_kwargs and _plain_update(self):
            # what the general path below does then (scale by 1, backward, count, always
            # update, no clipping), without its five method calls
            loss.backward()
            self._inner_count += 1
            self.optimizer.step()
            self.optimizer.zero_grad()
            return
        loss = self.scale_loss(loss)
        self.backward(loss)
        if self.should_update():
            self.step(**(step_kwargs or {}))
            self.zero_grad(**(zero_kwargs or {}))

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        loss.backward(**kwargs)
        self._inner_count += 1

    def zero_grad(self, **kwargs) -> None:
        self.optimizer.zero_grad(**kwargs)

    def step(self, **kwargs) -> None:
        if self.clip_grad_kwargs:
            self._clip_grad()
        self.optimizer.step(**kwargs)

    def optim_context(self, model):
        """Skip DDP gradient all-reduce (`model.no_sync()`) on accumulation-only iterations;
        otherwise a do-nothing context (one shared object rather than a generator per step)."""
        if not self.should_sync() and hasattr(model, "no_sync"):
            return model.no_sync()
        return _NO_CONTEXT

    def _clip_grad(self) -> None:
        params = [p for g in self.optimizer.param_groups for p in g["params"]
                  if p.requires_grad and p.grad is not None]
        if not params:
            return
        grad = self.clip_func(params, **self.clip_grad_kwargs)
        hub = self.message_hub
        if grad is not None and hub is not None:
            hub.update_scalar(f"train/{self.grad_name}", float(grad))

    # ------------------------------------------------------------------ accumulation
    def initialize_count_status(self, model, init_counts: int, max_counts: int) -> None:
        self._inner_count = init_counts
        self._max_counts = max_counts
        if self._inner_count % self._accumulative_counts != 0:
            _log("Resumed iteration number is not divisible by `accumulative_counts`: the "
                 "gradients of some iterations are lost.", logging.WARNING)
        if self._accumulative_counts > 1 and _has_batch_norm(model):
            _log("Gradient accumulation may slightly decrease performance because the model has "
                 "BatchNorm layers.", logging.WARNING)
        self._remainder_counts = self._max_counts % self._accumulative_counts

    def should_update(self) -> bool:
        return (self._inner_count % self._accumulative_counts == 0
                or self._inner_count == self._max_counts)

    def should_sync(self) -> bool:
        return ((self._inner_count + 1) % self._accumulative_counts == 0
                or self._inner_count + 1 == self._max_counts)

    def scale_loss(self, loss: torch.Tensor) -> torch.Tensor:
        if self._accumulative_counts == 1:
            return loss   # MMEngine divides by 1: same value, same gradients, one op fewer
        if self._max_counts == -1:
            factor = self._accumulative_counts
        else:
            if self._inner_count < self._max_counts - self._remainder_counts:
                factor = self._accumulative_counts
            else:
                factor = self._remainder_counts
            assert factor > 0, ("loss_factor should be larger than zero! initialize_count_status "
                                "was probably called with wrong init_counts/max_counts")
        return loss / factor

    @property
    def inner_count(self) -> int:
        return self._inner_count

    def __repr__(self) -> str:
        return (f"Type: {type(self).__name__}\n_accumulative_counts: "
                f"{self._accumulative_counts}\noptimizer: \n{self.optimizer!r}\n")
