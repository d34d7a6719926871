"""Optimizer registration and `build_optim_wrapper` (MMEngine's `mmengine.optim.optimizer.builder`).

MMCV 1.x registered every `torch.optim` optimizer in its OPTIMIZERS registry and built them with
`build_optimizer(model, cfg)`; MMEngine does the same registration and builds a wrapper with
`build_optim_wrapper(model, optim_wrapper_cfg)`: the `constructor` key (default
DefaultOptimWrapperConstructor) and `paramwise_cfg` are popped and handed to the constructor. Here,
like `Runner.build_optim_wrapper`, an already built optimizer under `optimizer` is wrapped directly.
This module is imported only when a registry first looks something up (lazy `locations`).
"""
from __future__ import annotations

import copy
import inspect
from typing import List

import torch

from runtime.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS


def register_torch_optimizers() -> List[str]:
    """Register each `torch.optim.Optimizer` subclass under its class name."""
    names = []
    for attr in dir(torch.optim):
        if attr.startswith("__"):
            continue
        obj = getattr(torch.optim, attr)
        if inspect.isclass(obj) and issubclass(obj, torch.optim.Optimizer):
            # MMEngine keeps the name 'Adafactor' for the transformers implementation
            name = "TorchAdafactor" if attr == "Adafactor" else attr
            try:
                OPTIMIZERS.register_module(name=name, module=obj)
            except KeyError:  # a user registered that name first: keep theirs
                pass
            names.append(attr)
    return names


TORCH_OPTIMIZERS = register_torch_optimizers()


def build_optim_wrapper(model: torch.nn.Module, cfg: dict):
    """Build an OptimWrapper (or OptimWrapperDict) for `model` from an `optim_wrapper` config."""
    if isinstance(cfg.get("optimizer"), torch.optim.Optimizer):  # keep the object itself
        cfg = dict(cfg)
        cfg.setdefault("type", "OptimWrapper")
        return OPTIM_WRAPPERS.build(cfg)
    cfg = copy.deepcopy(dict(cfg))
    constructor_type = cfg.pop("constructor", "DefaultOptimWrapperConstructor")
    paramwise_cfg = cfg.pop("paramwise_cfg", None)
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(type=constructor_type, optim_wrapper_cfg=cfg, paramwise_cfg=paramwise_cfg))
    return constructor(model)

from . import lamb  # noqa: E402,F401  (registers Lamb, which mmpretrain keeps in its own OPTIMIZERS)
