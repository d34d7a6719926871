"""EMAHook and averaged models (MMEngine's `mmengine.hooks.EMAHook` and
`mmengine.model.averaged_model`; MMCV 1.x had `EMAHook(momentum, interval, warm_up,
resume_from)` which kept `ema_<param>` buffers inside the model).

Averaged models wrap a deep copy of the model (`.module`) and a `steps` buffer.
`update_parameters(model)`: on the first call copy the source weights; afterwards, every
`interval` steps, update each floating-point averaged tensor with `avg_func`; buffers are copied
unless `update_buffers=True` (then buffers are averaged too):
- ExponentialMovingAverage: avg = (1 - momentum) * avg + momentum * src
- MomentumAnnealingEMA: the same with momentum = max(momentum, gamma / (gamma + steps))
- StochasticWeightAverage: avg += (src - avg) / (steps // interval + 1)
EMAHook (priority NORMAL) builds the averaged model before the run, updates it after every train
iter once `begin_iter`/`begin_epoch` is reached (before that it keeps copying the weights), swaps
EMA and live weights around each val/test epoch, stores `ema_state_dict` in checkpoints with the
EMA weights in `state_dict` (swapped, like MMEngine), and swaps them back on resume.
"""
from __future__ import annotations

import copy
import itertools
import logging
from typing import Dict, Optional

import torch
from torch import nn

from runtime.logging import print_log
from runtime.registry import HOOKS, MODELS

from .hook import DATA_BATCH, Hook


class BaseAveragedModel(nn.Module):
    def __init__(self, model: nn.Module, interval: int = 1,
                 device: Optional[torch.device] = None, update_buffers: bool = False) -> None:
        super().__init__()
        self.module = copy.deepcopy(model).requires_grad_(False)
        self.interval = interval
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("steps", torch.tensor(0, dtype=torch.long, device=device))
        self.update_buffers = update_buffers
        self.avg_parameters = self.module.state_dict() if update_buffers else \
            dict(self.module.named_parameters())

    def avg_func(self, averaged_param: torch.Tensor, source_param: torch.Tensor,
                 steps: int) -> None:
        raise NotImplementedError

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    @torch.no_grad()
    def update_parameters(self, model: nn.Module) -> None:
        src = model.state_dict() if self.update_buffers else dict(model.named_parameters())
        if self.steps == 0:
            for key, p_avg in self.avg_parameters.items():
                p_avg.data.copy_(src[key].data)
        elif self.steps % self.interval == 0:
            for key, p_avg in self.avg_parameters.items():
                if p_avg.dtype.is_floating_point:
                    self.avg_func(p_avg.data, src[key].data.to(p_avg.device), self.steps)
        if not self.update_buffers:
            for b_avg, b_src in zip(self.module.buffers(), model.buffers()):
                b_avg.data.copy_(b_src.data.to(b_avg.device))
        self.steps += 1


class StochasticWeightAverage(BaseAveragedModel):
    def avg_func(self, averaged_param, source_param, steps) -> None:
        averaged_param.add_(source_param - averaged_param,
                            alpha=1 / float(steps // self.interval + 1))


class ExponentialMovingAverage(BaseAveragedModel):
    def __init__(self, model: nn.Module, momentum: float = 0.0002, interval: int = 1,
                 device: Optional[torch.device] = None, update_buffers: bool = False) -> None:
        super().__init__(model, interval, device, update_buffers)
        if not 0.0 < momentum < 1.0:
            raise ValueError(f"momentum must be in range (0.0, 1.0) but got {momentum}")
        if momentum > 0.5:
            print_log(f"EMA momentum is the weight of the *new* value and is usually small; got "
                      f"{momentum}. Please make sure this is intended.", logger="current",
                      level=logging.WARNING)
        self.momentum = momentum

    def avg_func(self, averaged_param, source_param, steps) -> None:
        averaged_param.lerp_(source_param, self.momentum)


class MomentumAnnealingEMA(ExponentialMovingAverage):
    def __init__(self, model: nn.Module, momentum: float = 0.0002, gamma: int = 100,
                 interval: int = 1, device: Optional[torch.device] = None,
                 update_buffers: bool = False) -> None:
        super().__init__(model=model, momentum=momentum, interval=interval, device=device,
                         update_buffers=update_buffers)
        if gamma <= 0:
            raise ValueError(f"gamma must be greater than 0, but got {gamma}")
        self.gamma = gamma

    def avg_func(self, averaged_param, source_param, steps) -> None:
        momentum = max(self.momentum, self.gamma / (self.gamma + self.steps.item()))
        averaged_param.lerp_(source_param, momentum)


AVERAGED_MODELS = {cls.__name__: cls for cls in
                   (StochasticWeightAverage, ExponentialMovingAverage, MomentumAnnealingEMA)}
for _name, _cls in AVERAGED_MODELS.items():
    # Register unless runtime.model (helper G1) already provides its own class of that name.
    if _name not in MODELS._module_dict:
        MODELS.register_module(module=_cls)


def _unwrap(model):
    try:
        from runtime.model import is_model_wrapper
    except ImportError:  # pragma: no cover - runtime.model is part of the package
        is_model_wrapper = None
    if is_model_wrapper is not None:
        return model.module if is_model_wrapper(model) else model
    return model.module if isinstance(model, (nn.DataParallel,
                                              nn.parallel.DistributedDataParallel)) else model


@HOOKS.register_module()
class EMAHook(Hook):
    priority = "NORMAL"

    def __init__(self, ema_type: str = "ExponentialMovingAverage", strict_load: bool = False,
                 begin_iter: int = 0, begin_epoch: int = 0, **kwargs):
        if begin_iter != 0 and begin_epoch != 0:
            raise ValueError("`begin_iter` and `begin_epoch` should not be both set.")
        if begin_iter < 0 or begin_epoch < 0:
            raise ValueError("begin_iter and begin_epoch must be >= 0")
        self.strict_load = strict_load
        self.ema_cfg = dict(type=ema_type, **kwargs)
        self.begin_iter = begin_iter
        self.begin_epoch = begin_epoch
        self.enabled_by_epoch = begin_epoch > 0

    def before_run(self, runner) -> None:
        self.src_model = _unwrap(runner.model)
        cfg = dict(self.ema_cfg)
        kind = cfg.pop("type")
        if isinstance(kind, str):
            cls = MODELS.get(kind) or AVERAGED_MODELS.get(kind)
            if cls is None:
                raise KeyError(f"{kind} is not a registered averaged model")
        else:
            cls = kind
        self.ema_model = cls(model=self.src_model, **cfg)

    def before_train(self, runner) -> None:
        if self.enabled_by_epoch:
            if self.begin_epoch > runner.max_epochs:
                raise ValueError(f"begin_epoch ({self.begin_epoch}) exceeds max_epochs "
                                 f"({runner.max_epochs})")
        elif self.begin_iter > runner.max_iters:
            raise ValueError(f"begin_iter ({self.begin_iter}) exceeds max_iters "
                             f"({runner.max_iters})")

    def after_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        if self._ema_started(runner):
            self.ema_model.update_parameters(self.src_model)
        else:
            src = self.src_model.state_dict()
            for key, p in self.ema_model.module.state_dict().items():
                p.data.copy_(src[key].data)

    def before_val_epoch(self, runner) -> None:
        self._swap_ema_parameters()

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        self._swap_ema_parameters()

    def before_test_epoch(self, runner) -> None:
        self._swap_ema_parameters()

    def after_test_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        self._swap_ema_parameters()

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint["ema_state_dict"] = self.ema_model.state_dict()
        self._swap_ema_state_dict(checkpoint)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        resuming = bool(getattr(runner, "_resume", False))
        if "ema_state_dict" in checkpoint and resuming:
            self._swap_ema_state_dict(checkpoint)
            self.ema_model.load_state_dict(checkpoint["ema_state_dict"], strict=self.strict_load)
            return
        if resuming:
            print_log("There is no `ema_state_dict` in checkpoint. `EMAHook` will make a copy of "
                      "`state_dict` as the initial `ema_state_dict`", "current", logging.WARNING)
        state = copy.deepcopy(checkpoint["state_dict"])
        if all(k.startswith("module.") for k in state) and state:
            state = {k[len("module."):]: v for k, v in state.items()}
        self.ema_model.module.load_state_dict(state, strict=self.strict_load)

    def _swap_ema_parameters(self) -> None:
        ema, src = self.ema_model.module, self.src_model
        if self.ema_model.update_buffers:
            avg = itertools.chain(ema.parameters(), ema.buffers())
            cur = itertools.chain(src.parameters(), src.buffers())
        else:
            avg, cur = ema.parameters(), src.parameters()
        for p_avg, p_src in zip(avg, cur):
            tmp = p_avg.data.clone()
            p_avg.data.copy_(p_src.data)
            p_src.data.copy_(tmp)

    @staticmethod
    def _swap_ema_state_dict(checkpoint: dict) -> None:
        model_state, ema_state = checkpoint["state_dict"], checkpoint["ema_state_dict"]
        for key in ema_state:
            if key.startswith("module."):
                ema_state[key], model_state[key[7:]] = model_state[key[7:]], ema_state[key]

    def _ema_started(self, runner) -> bool:
        if self.enabled_by_epoch:
            return runner.epoch + 1 >= self.begin_epoch
        return runner.iter + 1 >= self.begin_iter
