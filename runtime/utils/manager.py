"""Globally reachable named instances (MMEngine's `mmengine.utils.ManagerMixin`).

MMCV 1.x had no such thing (the Runner passed its logger around). MMEngine's MessageHub, MMLogger,
Visualizer and DefaultScope inherit `ManagerMixin`: `Cls.get_instance(name, **kw)` creates or
returns the instance called `name`, `Cls.get_current_instance()` the most recently created one.
Each subclass keeps its own `_instance_dict`; constructors must accept `name`.
"""
from __future__ import annotations

import inspect
import threading
import warnings
from collections import OrderedDict

_lock = threading.RLock()


class ManagerMeta(type):
    """Gives every class its own instance table and checks that `__init__` takes `name`."""

    def __init__(cls, *args):
        cls._instance_dict = OrderedDict()
        params = inspect.getfullargspec(cls).args
        if "name" not in params:
            raise TypeError(f"{cls} must accept a `name` argument to use ManagerMixin")
        super().__init__(*args)


class ManagerMixin(metaclass=ManagerMeta):
    def __init__(self, name: str = "", **kwargs):
        if not isinstance(name, str) or not name:
            raise ValueError("name must be a non-empty string")
        self._instance_name = name

    @classmethod
    def get_instance(cls, name: str, **kwargs):
        if not isinstance(name, str):
            raise TypeError(f"instance name must be a str, got {type(name)}")
        with _lock:
            if name not in cls._instance_dict:
                cls._instance_dict[name] = cls(name=name, **kwargs)
            elif kwargs:
                warnings.warn(f"{cls.__name__} instance {name!r} already exists; "
                              "the extra arguments to get_instance are ignored")
            return cls._instance_dict[name]

    @classmethod
    def get_current_instance(cls):
        with _lock:
            if not cls._instance_dict:
                raise RuntimeError(f"call {cls.__name__}.get_instance(name=...) before "
                                   "get_current_instance()")
            return cls._instance_dict[next(reversed(cls._instance_dict))]

    @classmethod
    def check_instance_created(cls, name: str) -> bool:
        return name in cls._instance_dict

    @property
    def instance_name(self) -> str:
        return self._instance_name
