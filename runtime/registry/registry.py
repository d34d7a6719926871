"""Registry: names -> classes/functions, with scopes (MMEngine's `mmengine.registry.Registry`).

MMCV 1.x: `Registry(name, build_func=None, parent=None, scope=None)` with `scope.Name` keys and
`build_from_cfg` re-raising constructor errors as `type(e)(f'{cls.__name__}: {e}')`.
MMEngine 0.10 adds `locations` (modules imported on first lookup), `DefaultScope` (the config's
`default_scope` picks the child registry used by `build`), `switch_scope_and_registry`, `_scope_`
keys and a dotted-import fallback (`type='torch.nn.Linear'`). We mirror those semantics; unknown
types raise `UnknownTypeError` (a KeyError) naming the type, the registry, the config key path when
known, and the closest registered names.
"""
from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import warnings
from contextlib import contextmanager
from typing import Any, Callable, Dict, Generator, Iterable, List, Optional, Tuple

from .default_scope import DefaultScope

# The root registries answer to both names: configs written for MMEngine say 'mmengine'.
ROOT_SCOPES = ("runtime", "mmengine")
_warned_scopes: set = set()


def _warn_once(key: str, msg: str) -> None:
    if key not in _warned_scopes:
        _warned_scopes.add(key)
        warnings.warn(msg, RuntimeWarning, stacklevel=3)


def _try_import_scope_registry(scope: str) -> None:
    """Import `<scope>.registry` (where a downstream package defines its child registries)."""
    if scope in ROOT_SCOPES:
        return
    try:
        if importlib.util.find_spec(scope) is None:
            return
        importlib.import_module(f"{scope}.registry")
    except Exception:  # not installed, no registry module, or broken: callers fall back
        return


class UnknownTypeError(KeyError):
    """A `type` that no registry on the lookup path knows. A KeyError, like MMEngine's."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class Registry:
    """`Registry(name, build_func=None, parent=None, scope=None, locations=None)`."""

    def __init__(self, name: str, build_func: Optional[Callable] = None,
                 parent: Optional["Registry"] = None, scope: Optional[str] = None,
                 locations: Optional[List[str]] = None):
        self._name = name
        self._module_dict: Dict[str, Any] = {}
        self._children: Dict[str, "Registry"] = {}
        self._locations = list(locations or [])
        self._imported = False
        self._scope = scope if scope is not None else self.infer_scope()
        self.parent: Optional[Registry] = None
        if parent is not None:
            if not isinstance(parent, Registry):
                raise TypeError(f"parent must be a Registry, got {type(parent)}")
            parent._add_child(self)
            self.parent = parent
        if build_func is None:
            build_func = self.parent.build_func if self.parent is not None else build_from_cfg
        self.build_func: Callable = build_func

    # --- basic properties -------------------------------------------------------------------
    @staticmethod
    def infer_scope() -> str:
        """The top-level package of the module that created the registry."""
        frame = inspect.currentframe()
        try:
            caller = frame.f_back.f_back if frame and frame.f_back else None
            mod = caller.f_globals.get("__name__", "") if caller else ""
        finally:
            del frame
        top = mod.split(".")[0] if mod else ""
        return top if top and top != "__main__" else "runtime"

    @staticmethod
    def split_scope_key(key: str) -> Tuple[Optional[str], str]:
        """'mmdet.ResNet' -> ('mmdet', 'ResNet'); 'ResNet' -> (None, 'ResNet')."""
        scope, dot, rest = key.partition(".")
        return (scope, rest) if dot else (None, key)

    @property
    def name(self) -> str:
        return self._name

    @property
    def scope(self) -> str:
        return self._scope

    @property
    def children(self) -> Dict[str, "Registry"]:
        return self._children

    @property
    def root(self) -> "Registry":
        return self._get_root_registry()

    @property
    def module_dict(self) -> Dict[str, Any]:
        self.import_from_location()
        return self._module_dict

    def __len__(self) -> int:
        return len(self.module_dict)

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def __repr__(self) -> str:
        rows = "\n".join(f"  {k}: {getattr(v, '__module__', '?')}.{getattr(v, '__name__', v)}"
                         for k, v in sorted(self._module_dict.items()))
        return f"Registry(name={self._name}, scope={self._scope}, items={len(self._module_dict)})" + (
            "\n" + rows if rows else "")

    def _matches_scope(self, scope: str) -> bool:
        if scope == self._scope:
            return True
        return self.parent is None and scope in ROOT_SCOPES and self._scope in ROOT_SCOPES

    def _get_root_registry(self) -> "Registry":
        root = self
        while root.parent is not None:
            root = root.parent
        return root

    def _add_child(self, registry: "Registry") -> None:
        if registry.scope in self._children:
            raise KeyError(f"scope {registry.scope} exists in {self.name} registry")
        self._children[registry.scope] = registry

    def _search_child(self, scope: str) -> Optional["Registry"]:
        if self._matches_scope(scope):
            return self
        for child in self._children.values():
            found = child._search_child(scope)
            if found is not None:
                return found
        return None

    # --- lookup -----------------------------------------------------------------------------
    def import_from_location(self) -> None:
        if self._imported:
            return
        self._imported = True
        for loc in self._locations:
            try:
                importlib.import_module(loc)
            except ModuleNotFoundError as e:
                # the location itself is absent (an optional part of the runtime): note it once;
                # a missing dependency *inside* an existing module is a real error
                if e.name is None or not (loc == e.name or loc.startswith(e.name + ".")):
                    self._imported = False
                    raise
                _warn_once(f"loc:{loc}", f"registry location {loc!r} of the {self.name} "
                                         f"registry does not exist; nothing registered from it")
            except Exception:
                self._imported = False  # retry next time; surface the real import error now
                raise

    _import_locations = import_from_location  # bootstrap name

    def get(self, key: str) -> Optional[Any]:
        """Class/function registered as `key` ('Name' or 'scope.Name'), searching parents for
        unscoped keys, then a dotted import ('torch.nn.Linear'); None when nothing matches."""
        if not isinstance(key, str):
            raise TypeError(f"the key of Registry.get must be a str, got {type(key)}")
        scope, real_key = self.split_scope_key(key)
        self.import_from_location()
        obj = None
        if scope is None or self._matches_scope(scope):
            obj = self._module_dict.get(real_key)
            if obj is None and scope is None:
                parent = self.parent
                while parent is not None and obj is None:
                    parent.import_from_location()
                    obj = parent._module_dict.get(real_key)
                    parent = parent.parent
        else:
            _try_import_scope_registry(scope)
            if scope in self._children:
                obj = self._children[scope].get(real_key)
            else:
                root = self._get_root_registry()
                if root is not self and (root._matches_scope(scope) or scope in root._children):
                    obj = root.get(key)
                elif root is self and scope in root._children:
                    obj = root._children[scope].get(real_key)
        if obj is None and "." in key:
            from ..utils import get_object_from_string
            obj = get_object_from_string(key)
        return obj

    def names(self) -> List[str]:
        """Every name reachable without a scope prefix: this registry and its parents."""
        out, reg = [], self
        while reg is not None:
            out.extend(reg.module_dict)
            reg = reg.parent
        return out

    def unknown_type_error(self, obj_type: str, key_path: Optional[str] = None) -> UnknownTypeError:
        where = f" (config key `{key_path}`)" if key_path else ""
        close = difflib.get_close_matches(self.split_scope_key(obj_type)[1], self.names(), n=3,
                                          cutoff=0.6)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        return UnknownTypeError(
            f"{obj_type!r} is not in the {self.scope}::{self.name} registry{where}.{hint} Check "
            f"the spelling, or make sure the module defining it is imported (custom_imports).")

    # --- scopes -----------------------------------------------------------------------------
    @contextmanager
    def switch_scope_and_registry(self, scope: Optional[str]) -> Generator:
        """Temporarily make `scope` the default scope and yield the registry to build from:
        the node of this registry tree for the current default scope, or `self` (with a
        one-time warning) when that scope has no node, e.g. `default_scope='mmdet'` without
        mmdet installed."""
        with DefaultScope.overwrite_default_scope(scope):
            current = DefaultScope.get_current_instance()
            registry = self
            if current is not None:
                scope_name = current.scope_name
                _try_import_scope_registry(scope_name)
                found = self._get_root_registry()._search_child(scope_name)
                if found is None:
                    _warn_once(
                        f"{scope_name}:{self.name}",
                        f'No "{scope_name}" scope in the "{self._get_root_registry().name}" '
                        f'registry tree (is the package installed and its registry imported?); '
                        f'using the "{self.scope}" registry instead.')
                else:
                    registry = found
            yield registry

    # --- registration -----------------------------------------------------------------------
    def _register_module(self, module, module_name=None, force: bool = False) -> None:
        if not callable(module):
            raise TypeError(f"module must be callable, got {type(module)}")
        names = [module.__name__] if module_name is None else (
            [module_name] if isinstance(module_name, str) else list(module_name))
        for n in names:
            existing = self._module_dict.get(n)
            if not force and existing is not None and existing is not module:
                raise KeyError(f"{n} is already registered in {self.name} at "
                               f"{getattr(existing, '__module__', '?')}")
            self._module_dict[n] = module

    _register = _register_module  # bootstrap name

    def register_module(self, name=None, force: bool = False, module=None):
        """Decorator or call: `@REG.register_module()`, `REG.register_module(module=cls)`."""
        if not isinstance(force, bool):
            raise TypeError(f"force must be a bool, got {type(force)}")
        if not (name is None or isinstance(name, str)
                or (isinstance(name, (list, tuple)) and all(isinstance(n, str) for n in name))):
            raise TypeError(f"name must be None, a str or a sequence of str, got {type(name)}")
        if module is not None:
            self._register_module(module, name, force)
            return module

        def deco(obj):
            self._register_module(obj, name, force)
            return obj
        return deco

    def build(self, cfg, *args, **kwargs) -> Any:
        return self.build_func(cfg, *args, **kwargs, registry=self)


# --- build functions (MMEngine's registry/build_functions.py) ---------------------------------
def _check_cfg(cfg, default_args) -> None:
    if not isinstance(cfg, dict) and not hasattr(cfg, "_cfg_dict"):
        raise TypeError(f"cfg should be a dict, ConfigDict or Config, got {type(cfg)}")
    if "type" not in cfg and (default_args is None or "type" not in default_args):
        raise KeyError(f'`cfg` or `default_args` must contain the key "type", got {dict(cfg)} '
                       f'and {default_args}')
    if default_args is not None and not isinstance(default_args, dict) \
            and not hasattr(default_args, "_cfg_dict"):
        raise TypeError(f"default_args should be a dict or None, got {type(default_args)}")


def _merged_args(cfg, default_args) -> dict:
    args = dict(cfg.items())
    for k, v in (default_args or {}).items():
        args.setdefault(k, v)
    return args


def _resolve_type(obj_type, registry: Registry, key_path: Optional[str]):
    if isinstance(obj_type, str):
        obj_cls = registry.get(obj_type)
        if obj_cls is None:
            raise registry.unknown_type_error(obj_type, key_path)
        return obj_cls
    if callable(obj_type):
        return obj_type
    raise TypeError(f"type must be a str or a callable, got {type(obj_type)}"
                    + (f" at `{key_path}`" if key_path else ""))


def _call(obj_cls, args: dict):
    """Instantiate/call, prefixing errors with the class name (as MMCV's build_from_cfg did)."""
    from ..utils.manager import ManagerMixin
    try:
        if inspect.isclass(obj_cls) and issubclass(obj_cls, ManagerMixin):
            return obj_cls.get_instance(**args)
        return obj_cls(**args)
    except Exception as e:
        name = getattr(obj_cls, "__name__", repr(obj_cls))
        msg = str(e.args[0]) if isinstance(e, KeyError) and len(e.args) == 1 else str(e)
        try:
            new = type(e)(f"{name}: {msg}")
        except Exception:
            raise e
        raise new.with_traceback(e.__traceback__) from e


def build_from_cfg(cfg, registry: Registry, default_args: Optional[dict] = None,
                   key_path: Optional[str] = None) -> Any:
    """Build `cfg['type']` from `registry` with the other keys (defaults filled from
    `default_args`). A `_scope_` key switches the default scope while building. `key_path` (e.g.
    'model.backbone') only improves error messages."""
    _check_cfg(cfg, default_args)
    if not isinstance(registry, Registry):
        raise TypeError(f"registry must be a Registry, got {type(registry)}")
    args = _merged_args(cfg, default_args)
    scope = args.pop("_scope_", None)
    with registry.switch_scope_and_registry(scope) as reg:
        obj_cls = _resolve_type(args.pop("type"), reg, key_path)
        return _call(obj_cls, args)


def build_model_from_cfg(cfg, registry: Registry, default_args: Optional[dict] = None,
                         key_path: Optional[str] = None) -> Any:
    """Like build_from_cfg; a list of configs becomes a Sequential of the built modules."""
    if isinstance(cfg, list):
        mods = [build_from_cfg(c, registry, default_args,
                               key_path=f"{key_path}[{i}]" if key_path else None)
                for i, c in enumerate(cfg)]
        try:
            from ..model import Sequential  # type: ignore
        except ImportError:
            from torch.nn import Sequential
        return Sequential(*mods)
    return build_from_cfg(cfg, registry, default_args, key_path=key_path)


def build_optimizer_from_cfg(cfg, registry: Registry, default_args: Optional[dict] = None,
                             key_path: Optional[str] = None) -> Any:
    return build_from_cfg(cfg, registry, default_args, key_path=key_path)


def build_runner_from_cfg(cfg, registry: Registry, key_path: Optional[str] = None) -> Any:
    """`cfg['runner_type']` (default 'Runner') from `registry`, built with `cls.from_cfg(cfg)`."""
    if not isinstance(cfg, dict) and not hasattr(cfg, "_cfg_dict"):
        raise TypeError(f"cfg should be a dict, ConfigDict or Config, got {type(cfg)}")
    args = cfg.copy()
    scope = args.pop("_scope_", None)
    with registry.switch_scope_and_registry(scope) as reg:
        runner_cls = _resolve_type(args.get("runner_type", "Runner"), reg,
                                   key_path or "runner_type")
        if not inspect.isclass(runner_cls):
            raise TypeError(f"runner_type must name a class, got {runner_cls!r}")
        return runner_cls.from_cfg(args)


def build_scheduler_from_cfg(cfg, registry: Registry, default_args: Optional[dict] = None,
                             key_path: Optional[str] = None) -> Any:
    """Param schedulers: `convert_to_iter_based=True` builds through
    `cls.build_iter_from_epoch(**args)` (needs `epoch_length` in default_args and an epoch-based
    scheduler); otherwise `epoch_length` is dropped and the constructor is used."""
    _check_cfg(cfg, default_args)
    args = _merged_args(cfg, default_args)
    scope = args.pop("_scope_", None)
    with registry.switch_scope_and_registry(scope) as reg:
        if args.pop("convert_to_iter_based", False):
            if "epoch_length" not in args or not args.get("by_epoch", True):
                raise ValueError("only an epoch-based parameter scheduler can be converted to "
                                 "iter-based, and `epoch_length` must be given"
                                 + (f" (config key `{key_path}`)" if key_path else ""))
            cls = _resolve_type(args.pop("type"), reg, key_path)
            if not inspect.isclass(cls):
                raise TypeError(f"a converted scheduler type must be a class, got {cls!r}")
            try:
                return cls.build_iter_from_epoch(**args)
            except Exception as e:
                try:
                    new = type(e)(f"{cls.__name__}: {e}")
                except Exception:
                    raise e
                raise new.with_traceback(e.__traceback__) from e
        args.pop("epoch_length", None)
        return build_from_cfg(args, reg, key_path=key_path)


def count_registered_modules(registries: Iterable[Registry]) -> Dict[str, int]:
    return {r.name: len(r) for r in registries}
