"""Named global instances (MMEngine's `mmengine.utils.ManagerMixin`).

MMCV 1.x had no such thing: the runner owned its logger and `log_buffer`. MMEngine lets the
logger, message hub and visualizer be fetched from anywhere by name (`get_instance(name)`) or as
"the most recently created one" (`get_current_instance()`); this mixin gives the same behaviour.
Each subclass keeps its own ordered `_instance_dict`.
"""
from __future__ import annotations

import threading
import warnings
from collections import OrderedDict

_lock = threading.RLock()


class ManagerMixin:
    """Mixin for classes whose instances are looked up globally by name."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._instance_dict = OrderedDict()

    def __init__(self, name: str = "", **kwargs):
        if not (isinstance(name, str) and name):
            raise ValueError("name must be a non-empty string")
        self._instance_name = name

    @classmethod
    def get_instance(cls, name: str, **kwargs):
        """Return the instance called `name`, creating it with `kwargs` on first use."""
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, got {type(name)}")
        with _lock:
            if name not in cls._instance_dict:
                cls._instance_dict[name] = cls(name=name, **kwargs)
            elif kwargs:
                warnings.warn(f"{cls.__name__} instance {name!r} already exists; "
                              "extra arguments to get_instance are ignored")
            return cls._instance_dict[name]

    @classmethod
    def get_current_instance(cls):
        """Return the most recently created instance."""
        with _lock:
            if not cls._instance_dict:
                raise RuntimeError(f"call {cls.__name__}.get_instance(name=...) before "
                                   f"{cls.__name__}.get_current_instance()")
            return cls._instance_dict[next(reversed(cls._instance_dict))]

    @classmethod
    def check_instance_created(cls, name: str) -> bool:
        return name in cls._instance_dict

    @property
    def instance_name(self) -> str:
        return self._instance_name
