"""Abstract optimizer wrapper (MMEngine's `mmengine.optim.BaseOptimWrapper`).

MMCV 1.x handed the raw `torch.optim.Optimizer` to the Runner and did backward/step inside
`OptimizerHook`. MMEngine wraps the optimizer so the model's `train_step` drives the update. When the
optimizer has several param groups (paramwise options), MMEngine appends one extra "base" group built
from the optimizer defaults to `param_groups`: schedulers then also schedule the unscaled base lr,
which `get_lr()` reports as `base_lr`. This module keeps that behaviour.
"""
from __future__ import annotations

from typing import Dict, List

import torch


class BaseOptimWrapper:
    """Shared state/param-group plumbing; subclasses implement the update methods."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.base_param_settings = self._make_base_settings(optimizer)

    @staticmethod
    def _make_base_settings(optimizer):
        if len(optimizer.param_groups) <= 1:
            return None
        settings = {"params": torch.tensor([0.0], dtype=torch.float)}
        settings.update(**optimizer.defaults)
        return settings

    def update_params(self, *args, **kwargs):
        raise NotImplementedError

    def backward(self, loss, **kwargs) -> None:
        raise NotImplementedError

    def zero_grad(self, **kwargs) -> None:
        raise NotImplementedError

    def step(self, **kwargs):
        raise NotImplementedError

    def state_dict(self) -> dict:
        state = self.optimizer.state_dict()
        if self.base_param_settings is not None:
            state["base_param_settings"] = self.base_param_settings
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        base = state_dict.pop("base_param_settings", None)
        if base is not None:
            self.base_param_settings = base
        self.optimizer.load_state_dict(state_dict)

    @property
    def param_groups(self) -> List[dict]:
        if self.base_param_settings is None:
            return self.optimizer.param_groups
        return self.optimizer.param_groups + [self.base_param_settings]

    @property
    def defaults(self) -> dict:
        return self.optimizer.defaults

    def get_lr(self) -> Dict[str, List[float]]:
        res = {}
        if self.base_param_settings is not None:
            res["base_lr"] = [self.base_param_settings["lr"]]
        res["lr"] = [g["lr"] for g in self.optimizer.param_groups]
        return res

    def get_momentum(self) -> Dict[str, List[float]]:
        values = []
        for g in self.optimizer.param_groups:
            if "momentum" in g:
                values.append(g["momentum"])
            elif "betas" in g:
                values.append(g["betas"][0])
            else:
                values.append(0)
        return dict(momentum=values)
