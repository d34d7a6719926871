"""The process-wide default registry scope (MMEngine's `mmengine.registry.DefaultScope`).

MMCV 1.x had no scopes: each downstream package owned separate registries. In MMEngine a config's
`default_scope='mmdet'` makes `Registry.build` look the type up in the child registry of that
scope first; the Runner creates the instance, `overwrite_default_scope` swaps it temporarily (used
by `_scope_` keys in configs).
"""
from __future__ import annotations

import copy
import itertools
from contextlib import contextmanager
from typing import Generator, Optional

from ..utils.manager import ManagerMixin, _lock

_counter = itertools.count()


class DefaultScope(ManagerMixin):
    """`DefaultScope.get_instance(name, scope_name='mmdet')`; `.scope_name` is the scope."""

    def __init__(self, name: str, scope_name: str):
        super().__init__(name)
        if not isinstance(scope_name, str):
            raise TypeError(f"scope_name should be a str, got {scope_name!r}")
        self._scope_name = scope_name

    @property
    def scope_name(self) -> str:
        return self._scope_name

    @classmethod
    def get_current_instance(cls) -> Optional["DefaultScope"]:
        """The latest created scope, or None when none was created (unlike other managers)."""
        with _lock:
            if not cls._instance_dict:
                return None
            return super().get_current_instance()

    @classmethod
    @contextmanager
    def overwrite_default_scope(cls, scope_name: Optional[str]) -> Generator:
        """Make `scope_name` current inside the block; None leaves the current scope alone."""
        if scope_name is None:
            yield
            return
        saved = copy.copy(cls._instance_dict)
        cls.get_instance(f"overwrite-{next(_counter)}", scope_name=scope_name)
        try:
            yield
        finally:
            cls._instance_dict = saved
