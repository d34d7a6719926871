"""Config files (MMEngine's `mmengine.config.Config`/`ConfigDict`, text-style configs only).

MMCV 1.x `mmcv.Config` and MMEngine 0.10 share the file format this module reads: Python (or
JSON/YAML) files executed into a dict, `_base_` inheritance (a path or list, relative to the file;
bases may not share top-level keys), recursive dict merging where the child wins and
`_delete_=True` replaces instead of merging, `{{_base_.a.b}}` placeholders and `_base_.a.b`
expressions, predefined `{{fileDirname}}`-style variables, `{{$ENV:default}}` environment variables
and `custom_imports`. MMEngine's pure-Python "lazy import" style (`with read_base():`) is not
supported. `pretty_text`/`dump` write a Python file that loads back equal (our own formatter, not
yapf; classes and functions are written as their dotted import path, which the registry resolves).
"""
from __future__ import annotations

import ast
import copy
import json
import os
import os.path as osp
import sys
import tempfile
import types
from collections import OrderedDict
from pathlib import Path
from typing import Any, Optional, Tuple, Union

from .utils import DictAction  # noqa: F401  (re-exported: MMEngine has it in config.py)
from .utils import (_pre_substitute_base_vars, _substitute_base_vars, _substitute_env,
                    _substitute_predefined)

BASE_KEY = "_base_"
DELETE_KEY = "_delete_"
DEPRECATION_KEY = "_deprecation_"
RESERVED_KEYS = ["filename", "text", "pretty_text", "env_variables"]


class ConfigParsingError(RuntimeError):
    """A config file could not be read: always names the file (and line when known)."""


class ConfigDict(dict):
    """A dict with attribute access; nested plain dicts become ConfigDicts on the way in."""

    def __init__(self, *args, **kwargs):
        super().__init__()
        for arg in args:
            if not arg:
                continue
            items = dict.items(arg) if isinstance(arg, dict) else arg
            for key, val in items:
                self[key] = val
        for key, val in kwargs.items():
            self[key] = val

    @classmethod
    def _hook(cls, item):
        if type(item) in (dict, OrderedDict):
            return cls(item)
        if isinstance(item, (list, tuple)):
            return type(item)(cls._hook(x) for x in item)
        return item

    def __missing__(self, name):
        raise KeyError(name)

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'") \
                from None

    def __setattr__(self, name, value):
        self[name] = value

    def __delattr__(self, name):
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setitem__(self, name, value):
        super().__setitem__(name, self._hook(value))

    def __deepcopy__(self, memo):
        other = type(self)()
        memo[id(self)] = other
        for key, value in dict.items(self):
            dict.__setitem__(other, copy.deepcopy(key, memo), copy.deepcopy(value, memo))
        return other

    def __copy__(self):
        other = type(self)()
        for key, value in dict.items(self):
            dict.__setitem__(other, key, value)
        return other

    copy = __copy__

    def __reduce_ex__(self, proto):
        return (type(self), (dict(dict.items(self)),))

    def update(self, *args, **kwargs) -> None:
        """Recursive update: dict values merge into existing dict values."""
        other = {}
        if len(args) > 1:
            raise TypeError("update only accepts one positional argument")
        if args:
            other.update(dict(args[0]) if not isinstance(args[0], dict) else dict.items(args[0]))
        other.update(kwargs)
        for k, v in other.items():
            if k in self and isinstance(self[k], dict) and isinstance(v, dict):
                self[k].update(v)
            else:
                self[k] = v

    def merge(self, other: dict) -> None:
        """Merge `other` into this dict (recursively, `_delete_` honoured)."""
        merged = Config._merge_a_into_b(copy.deepcopy(dict(other)), copy.deepcopy(self))
        self.clear()
        for key, value in merged.items():
            self[key] = value

    def to_dict(self) -> dict:
        return _to_plain(self)


def _to_plain(data):
    if isinstance(data, dict):
        return {k: _to_plain(v) for k, v in dict.items(data)}
    if isinstance(data, (list, tuple)):
        return type(data)(_to_plain(x) for x in data)
    return data


def _is_base_assign(node) -> bool:
    return (isinstance(node, ast.Assign) and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name) and node.targets[0].id == BASE_KEY)


class Config:
    """`Config(cfg_dict=None, cfg_text=None, filename=None)`, or `Config.fromfile(path)`."""

    def __init__(self, cfg_dict: Optional[dict] = None, cfg_text: Optional[str] = None,
                 filename: Optional[Union[str, Path]] = None,
                 env_variables: Optional[dict] = None, format_python_code: bool = True):
        filename = str(filename) if isinstance(filename, Path) else filename
        if cfg_dict is None:
            cfg_dict = {}
        elif not isinstance(cfg_dict, dict):
            raise TypeError(f"cfg_dict must be a dict, got {type(cfg_dict)}")
        for key in cfg_dict:
            if key in RESERVED_KEYS:
                raise KeyError(f"{key} is reserved for config files")
        if not isinstance(cfg_dict, ConfigDict):
            cfg_dict = ConfigDict(cfg_dict)
        if cfg_text:
            text = cfg_text
        elif filename and osp.isfile(filename):
            with open(filename, encoding="utf-8") as f:
                text = f.read()
        else:
            text = ""
        object.__setattr__(self, "_cfg_dict", cfg_dict)
        object.__setattr__(self, "_filename", filename)
        object.__setattr__(self, "_text", text)
        object.__setattr__(self, "_env_variables", dict(env_variables or {}))
        object.__setattr__(self, "_format_python_code", format_python_code)

    # --- loading ------------------------------------------------------------------------------
    @staticmethod
    def fromfile(filename: Union[str, Path], use_predefined_variables: bool = True,
                 import_custom_modules: bool = True, use_environment_variables: bool = True,
                 lazy_import: Optional[bool] = None, format_python_code: bool = True) -> "Config":
        filename = str(filename)
        if lazy_import:
            raise NotImplementedError("pure-Python (lazy_import) configs are not supported by the "
                                      "runtime; use text-style `_base_` configs")
        cfg_dict, cfg_text, env = Config._file2dict(filename, use_predefined_variables,
                                                    use_environment_variables)
        if import_custom_modules and cfg_dict.get("custom_imports"):
            Config._import_custom(cfg_dict["custom_imports"], filename)
        return Config(cfg_dict, cfg_text=cfg_text, filename=filename, env_variables=env,
                      format_python_code=format_python_code)

    @staticmethod
    def fromstring(cfg_str: str, file_format: str) -> "Config":
        if file_format not in (".py", ".json", ".yaml", ".yml"):
            raise OSError("only py/yml/yaml/json configs are supported")
        with tempfile.TemporaryDirectory() as d:
            path = osp.join(d, "config" + file_format)
            with open(path, "w", encoding="utf-8") as f:
                f.write(cfg_str)
            cfg = Config.fromfile(path)
        object.__setattr__(cfg, "_filename", None)
        return cfg

    @staticmethod
    def _import_custom(custom_imports, filename: str) -> None:
        from ..utils import import_modules_from_strings
        if not isinstance(custom_imports, dict):
            raise TypeError(f"{filename}: custom_imports must be a dict(imports=[...]), got "
                            f"{type(custom_imports)}")
        for path in (os.getcwd(), osp.dirname(osp.abspath(filename))):
            if path not in sys.path:
                sys.path.append(path)
        try:
            import_modules_from_strings(**custom_imports)
        except ImportError as e:
            raise ImportError(f"{filename}: failed to import custom modules "
                              f"{custom_imports.get('imports')}: {e}. sys.path is: "
                              + os.pathsep.join(sys.path)) from e

    @staticmethod
    def _file2dict(filename: str, use_predefined_variables: bool = True,
                   use_environment_variables: bool = True, _chain: Tuple[str, ...] = ()):
        """Read one file (and its bases, recursively) into (dict, text, env_variables)."""
        filename = osp.abspath(osp.expanduser(filename))
        if not osp.isfile(filename):
            via = f" (a _base_ of {_chain[-1]})" if _chain else ""
            raise FileNotFoundError(f"config file {filename}{via} does not exist")
        if filename in _chain:
            raise ConfigParsingError(f"circular _base_ inheritance: "
                                     f"{' -> '.join(_chain + (filename,))}")
        ext = osp.splitext(filename)[1]
        if ext not in (".py", ".json", ".yaml", ".yml"):
            raise OSError(f"{filename}: only py/yml/yaml/json configs are supported")
        with open(filename, encoding="utf-8") as f:
            raw = f.read()
        text = _substitute_predefined(raw, filename) if use_predefined_variables else raw
        env: dict = {}
        if use_environment_variables:
            text, env = _substitute_env(text, filename)
        text, base_vars = _pre_substitute_base_vars(text)

        tree = None
        if ext == ".py":
            try:
                tree = ast.parse(text, filename=filename)
            except SyntaxError as e:
                raise SyntaxError(f"syntax error in config file {filename}, line {e.lineno}: "
                                  f"{e.msg}") from None
            for node in ast.walk(tree):
                if isinstance(node, ast.With) and any(
                        isinstance(i.context_expr, ast.Call)
                        and getattr(i.context_expr.func, "id", None) == "read_base"
                        for i in node.items):
                    raise ConfigParsingError(f"{filename}: pure-Python configs "
                                             f"(`with read_base():`) are not supported")
            base_node = next((n for n in tree.body if _is_base_assign(n)), None)
            base_files = []
            if base_node is not None:
                try:
                    base_files = eval(compile(ast.Expression(base_node.value), filename, "eval"),
                                      {})
                except Exception as e:
                    raise ConfigParsingError(f"{filename}, line {base_node.lineno}: cannot "
                                             f"evaluate _base_: {e}") from e
        else:
            data = Config._load_data(text, ext, filename)
            base_files = data.pop(BASE_KEY, [])
        base_files = base_files if isinstance(base_files, list) else [base_files]

        base_cfg = ConfigDict()
        texts = []
        for base in base_files:
            if not isinstance(base, str):
                raise ConfigParsingError(f"{filename}: _base_ entries must be paths, got {base!r}")
            if "::" in base:
                raise ConfigParsingError(f"{filename}: package-relative bases ({base!r}) are not "
                                         f"supported by the runtime")
            b_dict, b_text, b_env = Config._file2dict(
                osp.join(osp.dirname(filename), base), use_predefined_variables,
                use_environment_variables, _chain + (filename,))
            texts.append(b_text)
            env.update(b_env)
            dup = base_cfg.keys() & b_dict.keys()
            if dup:
                raise KeyError(f"{filename}: duplicate keys among bases are not allowed: "
                               f"{sorted(dup)}")
            base_cfg.update(ConfigDict(b_dict))

        if tree is not None:
            tree.body = [n for n in tree.body if not _is_base_assign(n)]
            ns: dict = {BASE_KEY: base_cfg}
            try:
                exec(compile(tree, filename, "exec"), ns, ns)
            except Exception as e:
                tb, line = e.__traceback__, None
                while tb is not None:
                    if tb.tb_frame.f_code.co_filename == filename:
                        line = tb.tb_lineno
                    tb = tb.tb_next
                where = f"{filename}, line {line}" if line else filename
                raise ConfigParsingError(f"error executing config {where}: "
                                         f"{type(e).__name__}: {e}") from e
            cfg = {k: v for k, v in ns.items()
                   if k != BASE_KEY and not k.startswith("__")
                   and not isinstance(v, (types.FunctionType, types.ModuleType))}
        else:
            cfg = data

        if DEPRECATION_KEY in cfg:
            import warnings
            info = cfg.pop(DEPRECATION_KEY)
            warnings.warn(f"the config file {filename} will be deprecated"
                          + (f"; use {info['expected']} instead" if "expected" in info else ""),
                          DeprecationWarning)
        cfg = _substitute_base_vars(cfg, base_vars, base_cfg, filename)
        cfg = Config._merge_a_into_b(cfg, base_cfg)
        cfg = {k: v for k, v in cfg.items() if not k.startswith("__")}
        texts.append(filename + "\n" + raw)
        return cfg, "\n".join(texts), env

    @staticmethod
    def _load_data(text: str, ext: str, filename: str) -> dict:
        try:
            if ext == ".json":
                data = json.loads(text)
            else:
                import yaml
                data = yaml.safe_load(text)
        except Exception as e:
            raise ConfigParsingError(f"cannot parse config file {filename}: {e}") from e
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise ConfigParsingError(f"{filename}: the top level must be a mapping")
        return data

    @staticmethod
    def _merge_a_into_b(a: dict, b: dict, allow_list_keys: bool = False):
        """Merge `a` into a copy of `b`: `a` wins; dicts merge recursively unless
        `_delete_=True`; with `allow_list_keys`, digit keys index into lists of `b`."""
        b = b.copy()
        for k, v in a.items():
            if allow_list_keys and isinstance(k, str) and k.isdigit() and isinstance(b, list):
                k = int(k)
                if len(b) <= k:
                    raise KeyError(f"index {k} exceeds the length of list {b}")
                b[k] = Config._merge_a_into_b(v, b[k], allow_list_keys)
            elif isinstance(v, dict):
                if k in b and not v.pop(DELETE_KEY, False):
                    allowed = (dict, list) if allow_list_keys else dict
                    if not isinstance(b[k], allowed):
                        raise TypeError(
                            f"{k}={v} in the child config cannot inherit from the base because "
                            f"{k} is a dict in the child but a {type(b[k]).__name__} in the base. "
                            f"Set `{DELETE_KEY}=True` to ignore the base value.")
                    b[k] = Config._merge_a_into_b(v, b[k], allow_list_keys)
                else:
                    b[k] = ConfigDict(v)
            else:
                b[k] = v
        return b

    def merge_from_dict(self, options: dict, allow_list_keys: bool = True) -> None:
        """Merge `{'a.b.c': v, 'pipeline.0.type': 'X'}`-style options (as `--cfg-options`)."""
        option_cfg: dict = {}
        for full_key, v in options.items():
            d = option_cfg
            keys = full_key.split(".")
            for sub in keys[:-1]:
                d.setdefault(sub, ConfigDict())
                d = d[sub]
            d[keys[-1]] = v
        cfg_dict = object.__getattribute__(self, "_cfg_dict")
        object.__setattr__(self, "_cfg_dict", ConfigDict(Config._merge_a_into_b(
            option_cfg, cfg_dict, allow_list_keys=allow_list_keys)))

    # --- access -------------------------------------------------------------------------------
    @property
    def filename(self) -> Optional[str]:
        return self._filename

    @property
    def text(self) -> str:
        return self._text

    @property
    def env_variables(self) -> dict:
        return self._env_variables

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return getattr(object.__getattribute__(self, "_cfg_dict"), name)

    def __getitem__(self, name):
        return self._cfg_dict[name]

    def __setattr__(self, name, value):
        self._cfg_dict[name] = ConfigDict(value) if isinstance(value, dict) else value

    __setitem__ = __setattr__

    def __delitem__(self, name):
        del self._cfg_dict[name]

    def __contains__(self, key) -> bool:
        return key in self._cfg_dict

    def __iter__(self):
        return iter(self._cfg_dict)

    def __len__(self) -> int:
        return len(self._cfg_dict)

    def __eq__(self, other) -> bool:
        if isinstance(other, Config):
            return self.to_dict() == other.to_dict()
        return isinstance(other, dict) and self.to_dict() == _to_plain(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Config (path: {self.filename}): {dict.__repr__(self._cfg_dict)}"

    def __getstate__(self):
        return (self._cfg_dict, self._filename, self._text, self._env_variables,
                self._format_python_code)

    def __setstate__(self, state):
        for name, value in zip(("_cfg_dict", "_filename", "_text", "_env_variables",
                                "_format_python_code"), state):
            object.__setattr__(self, name, value)

    def __deepcopy__(self, memo):
        other = Config.__new__(type(self))
        memo[id(self)] = other
        for key, value in self.__dict__.items():
            object.__setattr__(other, key, copy.deepcopy(value, memo))
        return other

    def __copy__(self):
        other = Config.__new__(type(self))
        other.__dict__.update(self.__dict__)
        object.__setattr__(other, "_cfg_dict", self._cfg_dict.copy())
        return other

    copy = __copy__

    def to_dict(self, keep_imported: bool = False) -> dict:
        return _to_plain(self._cfg_dict)

    # --- output -------------------------------------------------------------------------------
    @property
    def pretty_text(self) -> str:
        from .pretty import format_config
        return format_config(self.to_dict())

    def dump(self, file: Optional[Union[str, Path]] = None):
        """Return the text (no file) or write it: .py as Python, .json/.yaml/.yml as data."""
        if file is None:
            if self.filename is None or self.filename.endswith(".py"):
                return self.pretty_text
            return self._dump_data(self.filename.rsplit(".", 1)[-1])
        file = str(file)
        text = self.pretty_text if file.endswith(".py") else self._dump_data(
            file.rsplit(".", 1)[-1])
        with open(file, "w", encoding="utf-8") as f:
            f.write(text)
        return None

    def _dump_data(self, fmt: str) -> str:
        if fmt == "json":
            return json.dumps(self.to_dict(), indent=4)
        if fmt in ("yaml", "yml"):
            import yaml
            return yaml.safe_dump(self.to_dict(), sort_keys=False)
        raise ValueError(f"cannot dump a config as {fmt!r}")
