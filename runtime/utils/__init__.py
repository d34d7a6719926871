"""Small shared helpers (MMEngine's `mmengine.utils`, the few pieces the runtime needs).

MMCV 1.x kept these in `mmcv.utils` / `mmcv.fileio`; MMEngine moved them to `mmengine.utils`
(`mkdir_or_exist`, `is_seq_of`, `digit_version`, `import_modules_from_strings`,
`get_object_from_string`, `ManagerMixin`). Same names and behaviour, far less code.
"""
from __future__ import annotations

import importlib
import os
import re
import warnings
from inspect import ismodule
from typing import Any, List, Optional, Sequence, Tuple, Union

from .manager import ManagerMeta, ManagerMixin

__all__ = ["mkdir_or_exist", "is_seq_of", "is_list_of", "is_tuple_of", "is_str", "digit_version",
           "import_modules_from_strings", "get_object_from_string", "check_file_exist",
           "ManagerMeta", "ManagerMixin"]


def is_str(x: Any) -> bool:
    return isinstance(x, str)


def mkdir_or_exist(dir_name: Union[str, os.PathLike], mode: int = 0o777) -> None:
    """Create a directory (and its parents) unless it exists; '' is a no-op."""
    if dir_name == "":
        return
    os.makedirs(os.path.expanduser(str(dir_name)), mode=mode, exist_ok=True)


def check_file_exist(filename: str, msg_tmpl: str = 'file "{}" does not exist') -> None:
    if not os.path.isfile(filename):
        raise FileNotFoundError(msg_tmpl.format(filename))


def is_seq_of(seq: Any, expected_type, seq_type=None) -> bool:
    """True when `seq` is a sequence (of `seq_type` if given) whose items are all `expected_type`."""
    exp_seq_type = Sequence if seq_type is None else seq_type
    if not isinstance(seq, exp_seq_type) or isinstance(seq, str):
        return False
    return all(isinstance(item, expected_type) for item in seq)


def is_list_of(seq: Any, expected_type) -> bool:
    return is_seq_of(seq, expected_type, seq_type=list)


def is_tuple_of(seq: Any, expected_type) -> bool:
    return is_seq_of(seq, expected_type, seq_type=tuple)


def digit_version(version_str: str, length: int = 4) -> Tuple[int, ...]:
    """A comparable tuple for a PEP 440-ish version string ('2.1.0rc1' < '2.1.0' < '2.1.0.post1')."""
    m = re.match(r"^\s*v?(\d+(?:\.\d+)*)(.*)$", str(version_str))
    if m is None:
        raise ValueError(f"failed to parse version {version_str!r}")
    release = [int(x) for x in m.group(1).split(".")][:length]
    release += [0] * (length - len(release))
    rest = m.group(2).lower()
    pre = re.search(r"(a|alpha|b|beta|rc|c)\.?(\d*)", rest)
    if pre and not rest.startswith((".post", "post", "+")):
        rank = {"a": -3, "alpha": -3, "b": -2, "beta": -2, "rc": -1, "c": -1}[pre.group(1)]
        release += [rank, int(pre.group(2) or 0)]
    else:
        post = re.search(r"post\.?(\d*)", rest)
        release += [1, int(post.group(1) or 0)] if post else [0, 0]
    return tuple(release)


def import_modules_from_strings(imports: Union[str, List[str], None],
                                allow_failed_imports: bool = False):
    """Import each dotted module name; failures raise, or warn and yield None if allowed."""
    if not imports:
        return None
    single = isinstance(imports, str)
    names = [imports] if single else imports
    if not isinstance(names, list):
        raise TypeError(f"custom_imports must be a list of module names, got {type(imports)}")
    modules = []
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"{name!r} is of type {type(name)} and cannot be imported")
        try:
            mod = importlib.import_module(name)
        except ImportError:
            if not allow_failed_imports:
                raise
            warnings.warn(f"{name} failed to import and is ignored", UserWarning)
            mod = None
        modules.append(mod)
    return modules[0] if single else modules


def get_object_from_string(obj_name: str) -> Optional[Any]:
    """Resolve 'pkg.module.Attr.attr' by importing the longest module prefix; None if it fails."""
    parts = obj_name.split(".")
    module = None
    i = 0
    for i in range(len(parts), 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:i]))
            break
        except ImportError:
            continue
        except Exception:  # a module that exists but fails to import for another reason
            return None
    if module is None:
        return None
    obj: Any = module
    for attr in parts[i:]:
        obj = getattr(obj, attr, None)
        if obj is None:
            return None
    return obj
