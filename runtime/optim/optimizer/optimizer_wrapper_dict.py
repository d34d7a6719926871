"""OptimWrapperDict (MMEngine's `mmengine.optim.OptimWrapperDict`).

MMCV 1.x allowed `optimizer=dict(generator=dict(...), discriminator=dict(...))` and returned a dict of
optimizers; MMEngine holds one OptimWrapper per name. Updates must go through each wrapper
(`wrappers['generator'].update_params(loss)`); the dict only aggregates zero_grad, lr/momentum
reporting (`'<name>.lr'`), param groups and state dicts.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Dict, Iterator, List, Tuple

from .optimizer_wrapper import OptimWrapper


class OptimWrapperDict(OptimWrapper):
    """A name -> OptimWrapper mapping with the OptimWrapper reporting interface."""

    def __init__(self, **optim_wrapper_dict: OptimWrapper):
        for key, value in optim_wrapper_dict.items():
            assert isinstance(value, OptimWrapper), \
                f"`OptimWrapperDict` only accept OptimWrapper instance, but got {key}: {type(value)}"
        self.optim_wrappers = optim_wrapper_dict

    def _separately(self, what: str):
        raise NotImplementedError(f"`{what}` should be called by each optimizer separately")

    def update_params(self, loss, step_kwargs=None, zero_kwargs=None) -> None:
        self._separately("update_params")

    def backward(self, loss, **kwargs) -> None:
        self._separately("backward")

    def step(self, **kwargs) -> None:
        self._separately("step")

    def zero_grad(self, **kwargs) -> None:
        for wrapper in self.optim_wrappers.values():
            wrapper.zero_grad()

    @contextmanager
    def optim_context(self, model):
        self._separately("optim_context")
        yield  # pragma: no cover

    def initialize_count_status(self, model, cur_iter, max_iters) -> None:
        return

    @property
    def param_groups(self):
        return {k: w.param_groups for k, w in self.optim_wrappers.items()}

    def get_lr(self) -> Dict[str, List[float]]:
        out = {}
        for name, wrapper in self.optim_wrappers.items():
            inner = wrapper.get_lr()
            if "base_lr" in inner:
                out[f"{name}.base_lr"] = inner["base_lr"]
            out[f"{name}.lr"] = inner["lr"]
        return out

    def get_momentum(self) -> Dict[str, List[float]]:
        return {f"{name}.momentum": w.get_momentum()["momentum"]
                for name, w in self.optim_wrappers.items()}

    def state_dict(self) -> dict:
        return {name: w.state_dict() for name, w in self.optim_wrappers.items()}

    def load_state_dict(self, state_dict: dict) -> None:
        for name, sub in state_dict.items():
            assert name in self.optim_wrappers, \
                f"Mismatched `state_dict`! cannot found {name} in OptimWrapperDict"
            self.optim_wrappers[name].load_state_dict(sub)

    def items(self) -> Iterator[Tuple[str, OptimWrapper]]:
        yield from self.optim_wrappers.items()

    def values(self) -> Iterator[OptimWrapper]:
        yield from self.optim_wrappers.values()

    def keys(self) -> Iterator[str]:
        yield from self.optim_wrappers.keys()

    def __getitem__(self, key: str) -> OptimWrapper:
        assert key in self.optim_wrappers, \
            f"Cannot find {key} in OptimWrapperDict, please check your optimizer constructor."
        return self.optim_wrappers[key]

    def __contains__(self, key: str) -> bool:
        return key in self.optim_wrappers

    def __len__(self) -> int:
        return len(self.optim_wrappers)

    def __repr__(self) -> str:
        return "".join(f"name: {n}\n{w!r}" for n, w in self.optim_wrappers.items())
