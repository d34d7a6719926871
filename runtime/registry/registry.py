"""Bootstrap Registry: name -> class/function, `register_module`, `build`."""
from __future__ import annotations

import importlib
from typing import Any, Callable, Dict, List, Optional


class Registry:
    def __init__(self, name: str, build_func: Optional[Callable] = None,
                 locations: Optional[List[str]] = None, scope: str = "runtime"):
        self.name = name
        self.scope = scope
        self._module_dict: Dict[str, Any] = {}
        self._build_func = build_func
        self._locations = list(locations or [])
        self._imported = False

    def _import_locations(self) -> None:
        if not self._imported:
            self._imported = True
            for loc in self._locations:
                importlib.import_module(loc)

    @property
    def module_dict(self) -> Dict[str, Any]:
        self._import_locations()
        return self._module_dict

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        return len(self.module_dict)

    def get(self, key: str):
        if key in self._module_dict:
            return self._module_dict[key]
        self._import_locations()
        return self._module_dict.get(key)

    def _register(self, module, name=None, force=False):
        names = [module.__name__] if name is None else ([name] if isinstance(name, str) else list(name))
        for n in names:
            if not force and n in self._module_dict and self._module_dict[n] is not module:
                raise KeyError(f"{n} is already registered in {self.name}")
            self._module_dict[n] = module
        return module

    def register_module(self, name=None, force: bool = False, module=None):
        if module is not None:
            return self._register(module, name, force)

        def deco(obj):
            return self._register(obj, name, force)
        return deco

    def build(self, cfg, *args, **kwargs):
        if self._build_func is not None:
            return self._build_func(cfg, *args, **kwargs, registry=self)
        return build_from_cfg(cfg, self, *args, **kwargs)

    def __repr__(self) -> str:
        return f"Registry(name={self.name}, items={sorted(self._module_dict)})"


def build_from_cfg(cfg, registry: Registry, default_args: Optional[dict] = None):
    if not isinstance(cfg, dict):
        raise TypeError(f"cfg should be a dict, got {type(cfg)}")
    args = dict(cfg)
    if default_args:
        for k, v in default_args.items():
            args.setdefault(k, v)
    obj_type = args.pop("type")
    if isinstance(obj_type, str):
        obj_cls = registry.get(obj_type)
        if obj_cls is None:
            raise KeyError(f"{obj_type} is not in the {registry.name} registry")
    else:
        obj_cls = obj_type
    return obj_cls(**args)
