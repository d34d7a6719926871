"""Shared training state (MMEngine's `mmengine.logging.MessageHub`).

MMCV 1.x: hooks wrote scalars into `runner.log_buffer` (`update(dict, count)`, `average(n)`,
`output`, `ready`, `clear_output`) and read epoch/iter straight from the runner.
MMEngine: a named global MessageHub holds `log_scalars` (key -> HistoryBuffer, e.g. 'train/loss',
'train/lr', 'val/accuracy') and `runtime_info` (key -> any value, e.g. 'epoch', 'iter', 'eta',
'best_score'). Keys remember whether they are `resumed`; `state_dict()` keeps only resumed keys
and is stored in checkpoints under `message_hub` with layout
`{'log_scalars': {...}, 'runtime_info': {...}, 'resumed_keys': {...}}`. Checkpoints of MMEngine
pickle the HistoryBuffers; ours store `HistoryBuffer.to_plain()` dicts (both load here).
"""
from __future__ import annotations

import copy
import logging
import sys
from collections import OrderedDict
from typing import Any, Optional

import numpy as np

from .history_buffer import HistoryBuffer
from .logger import print_log
from runtime.utils.manager import ManagerMixin


def _as_number(value):
    """A python int/float from an int/float, numpy scalar/array or one-element tensor."""
    if type(value) is float:
        return value
    torch = sys.modules.get("torch")   # a logged loss: a plain tensor, checked by exact type
    if torch is not None and type(value) is torch.Tensor and value.numel() == 1:
        return value.item()
    if isinstance(value, (np.ndarray, np.number)):
        if value.size != 1:
            raise ValueError(f"expected a single value, got an array of size {value.size}")
        return value.item()
    if isinstance(value, (int, float)):
        return value
    if hasattr(value, "numel") and value.numel() == 1:
        return value.item()
    raise TypeError(f"expected a number or a one-element tensor/array, got {type(value)}")


class MessageHub(ManagerMixin):
    """Scalars (with history) and runtime information shared by runner, loops and hooks."""

    def __init__(self, name: str, log_scalars: Optional[dict] = None,
                 runtime_info: Optional[dict] = None, resumed_keys: Optional[dict] = None):
        super().__init__(name)
        self._log_scalars = OrderedDict(log_scalars or {})
        self._runtime_info = OrderedDict(runtime_info or {})
        self._resumed_keys = OrderedDict(resumed_keys or {})
        for key, value in self._log_scalars.items():
            if not isinstance(value, HistoryBuffer):
                raise TypeError(f"log_scalars[{key!r}] must be a HistoryBuffer, got {type(value)}")
        for key in self._resumed_keys:
            if key not in self._log_scalars and key not in self._runtime_info:
                raise KeyError(f"resumed key {key!r} is neither a scalar nor runtime info")

    @classmethod
    def get_current_instance(cls) -> "MessageHub":
        """The latest MessageHub; creates one named 'mmengine' if none exists."""
        if not cls._instance_dict:
            cls.get_instance("mmengine")
        return super().get_current_instance()

    # -- writing ---------------------------------------------------------------------------
    def _set_resumed_keys(self, key: str, resumed: bool) -> None:
        if key not in self._resumed_keys:
            self._resumed_keys[key] = resumed
        elif self._resumed_keys[key] != resumed:
            raise ValueError(f"{key} was registered with resumed={self._resumed_keys[key]}; "
                             "it cannot change")

    def update_scalar(self, key: str, value, count: int = 1, resumed: bool = True) -> None:
        buffer = self._log_scalars.get(key)
        if type(value) is float and type(buffer) is HistoryBuffer and type(count) is int \
                and count == 1 and buffer._fast and self._resumed_keys.get(key) is resumed:
            pending = buffer._pending   # the common case (a known key, a float): as below
            if buffer._len + len(pending) < buffer.max_length:
                pending.append(value)
                return
        known = self._resumed_keys.get(key)
        if known is not resumed and (known is None or known != resumed):
            self._set_resumed_keys(key, resumed)   # records a new key, raises on a change
        if type(value) is not float:   # floats (times, lr) are already what _as_number returns
            value = _as_number(value)
        if type(count) is not int and not isinstance(count, int):
            raise TypeError(f"count must be an int, got {type(count)}")
        buffer = self._log_scalars.get(key)
        if buffer is None:
            self._log_scalars[key] = HistoryBuffer([value], [count])
        elif type(buffer) is HistoryBuffer and buffer._fast and type(value) is float \
                and count == 1 and type(count) is int \
                and buffer._len + len(buffer._pending) < buffer.max_length:
            buffer._pending.append(value)   # HistoryBuffer.update's common case, inlined
        else:
            buffer.update(value, count)

    def update_scalars(self, log_dict: dict, resumed: bool = True) -> None:
        """Update many scalars; a value may be `dict(value=..., count=...)`."""
        if not isinstance(log_dict, dict):
            raise TypeError(f"log_dict must be a dict, got {type(log_dict)}")
        for key, value in log_dict.items():
            count = 1
            if isinstance(value, dict):
                if "value" not in value:
                    raise KeyError(f"'value' missing in {value}")
                count = _as_number(value.get("count", 1))
                value = value["value"]
            self.update_scalar(key, value, count, resumed)

    def update_info(self, key: str, value: Any, resumed: bool = True) -> None:
        if self._resumed_keys.get(key) is not resumed:   # new key, or raises on a change
            self._set_resumed_keys(key, resumed)
        self._runtime_info[key] = value

    def update_info_dict(self, info_dict: dict, resumed: bool = True) -> None:
        if not isinstance(info_dict, dict):
            raise TypeError(f"info_dict must be a dict, got {type(info_dict)}")
        for key, value in info_dict.items():
            self.update_info(key, value, resumed=resumed)

    def pop_info(self, key: str, default: Any = None) -> Any:
        return self._runtime_info.pop(key, default)

    # -- reading ---------------------------------------------------------------------------
    @property
    def log_scalars(self) -> OrderedDict:
        return self._log_scalars

    @property
    def runtime_info(self) -> OrderedDict:
        return self._runtime_info

    def get_scalar(self, key: str) -> HistoryBuffer:
        if key not in self._log_scalars:
            raise KeyError(f"{key} is not found in MessageHub {self.instance_name!r} log_scalars")
        return self._log_scalars[key]

    def get_info(self, key: str, default: Any = None) -> Any:
        return self._runtime_info.get(key, default)

    # -- checkpointing ---------------------------------------------------------------------
    def state_dict(self) -> dict:
        scalars, info = OrderedDict(), OrderedDict()
        for key, value in self._log_scalars.items():
            if self._resumed_keys.get(key, False):
                scalars[key] = copy.deepcopy(value)
        for key, value in self._runtime_info.items():
            if self._resumed_keys.get(key, False):
                try:
                    info[key] = copy.deepcopy(value)
                except Exception:
                    print_log(f"{key} in message_hub cannot be copied; storing a reference",
                              logger="current", level=logging.WARNING)
                    info[key] = value
        return dict(log_scalars=scalars, runtime_info=info, resumed_keys=self._resumed_keys)

    def load_state_dict(self, state_dict) -> None:
        if isinstance(state_dict, MessageHub):
            self._log_scalars = copy.deepcopy(state_dict._log_scalars)
            self._runtime_info = copy.deepcopy(state_dict._runtime_info)
            self._resumed_keys = copy.deepcopy(state_dict._resumed_keys)
            return
        for key in ("log_scalars", "runtime_info", "resumed_keys"):
            if key not in state_dict:
                raise KeyError(f"MessageHub state_dict is missing {key!r}")
        for key, value in state_dict["log_scalars"].items():
            if HistoryBuffer.is_plain(value):
                value = HistoryBuffer.from_plain(value)
            if not isinstance(value, HistoryBuffer):
                print_log(f"{key} in message_hub is not a HistoryBuffer; not resumed",
                          logger="current", level=logging.WARNING)
                continue
            self._log_scalars[key] = value
        for key, value in state_dict["runtime_info"].items():
            try:
                self._runtime_info[key] = copy.deepcopy(value)
            except Exception:
                self._runtime_info[key] = value
        for key, value in state_dict["resumed_keys"].items():
            if key not in self._log_scalars and key not in self._runtime_info:
                print_log(f"resumed key {key} is not in message_hub; skipped",
                          logger="current", level=logging.WARNING)
                continue
            self._resumed_keys[key] = value
