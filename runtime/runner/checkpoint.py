"""Checkpoint files (MMEngine's `mmengine.runner.checkpoint`; MMCV 1.x: `mmcv.runner.checkpoint`).

Layout shared with MMEngine: `{'meta': {epoch, iter, seed, experiment_name, time, cfg,
mmengine_version, [dataset_meta]}, 'state_dict', 'optimizer', 'param_schedulers', 'message_hub'}`.
Differences on purpose: files are written atomically (temp file in the same directory, then
`os.replace`) and hold plain data only (the message hub's HistoryBuffers are stored as
`{'log_history': [...], 'count_history': [...], 'max_length': n}` dicts, numpy values as python
numbers), so `torch.load(weights_only=True)` reads them. Loading never runs pickled code unless
the file is trusted explicitly (`load_raw`). Weight loading applies `revise_keys` regexes (default strips a 'module.'
prefix) and, like MMEngine, reports missing/unexpected/mis-shaped keys instead of failing unless
`strict`.

Interchange with real MMEngine: MMEngine pickles `mmengine.logging.history_buffer.HistoryBuffer`
objects (numpy arrays and bound methods inside) in the message hub state; `load_raw` reads those
with an allow-listing unpickler that maps them to ours, so MMEngine checkpoints load here with or
without mmengine installed. Real MMEngine reads ours with torch's default safe loader and
without `runtime` installed (it skips the plain-dict scalars with a warning, as it does for any
non-HistoryBuffer scalar; weights, optimizer, schedulers and runtime info resume).
"""
from __future__ import annotations

import logging
import os
import os.path as osp
import pickle
import re
import tempfile
from collections import Counter, OrderedDict
from typing import Callable, List, Optional, Tuple, Union

import torch
import torch.nn as nn

from runtime.errors import TRUST_ENV, CheckpointError, CheckpointNotFound  # noqa: F401 (re-exported)

logger = logging.getLogger("runtime")

DEFAULT_REVISE_KEYS = [(r"^module\.", "")]


def weights_to_cpu(state_dict: dict) -> OrderedDict:
    out = OrderedDict((k, v.cpu() if isinstance(v, torch.Tensor) else v) for k, v in state_dict.items())
    out._metadata = getattr(state_dict, "_metadata", OrderedDict())
    return out


def save_checkpoint(checkpoint: dict, filename: str) -> None:
    """torch.save to a temp file next to `filename`, then atomically rename it into place."""
    directory = osp.dirname(osp.abspath(filename))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp_", suffix=".pth", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(checkpoint, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filename)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


# MMEngine classes that real MMEngine checkpoints pickle (the message hub's HistoryBuffers; a
# ConfigDict may appear in user meta) -> ours. Only these mmengine names are resolved when a
# checkpoint is not trusted.
_MMENGINE_CLASSES = {
    ("mmengine.logging.history_buffer", "HistoryBuffer"): ("runtime.logging.history_buffer", "HistoryBuffer"),
    ("mmengine.logging", "HistoryBuffer"): ("runtime.logging.history_buffer", "HistoryBuffer"),
    ("mmengine.config.config", "ConfigDict"): ("runtime.config.config", "ConfigDict"),
    ("mmengine.config", "ConfigDict"): ("runtime.config.config", "ConfigDict"),
}
# numpy names MMEngine's HistoryBuffers need (arrays, dtypes, scalars; numpy 1.x and 2.x paths)
_NUMPY_NAMES = {(m, n) for m in ("numpy.core.multiarray", "numpy._core.multiarray")
                for n in ("_reconstruct", "scalar")} | {("numpy", "ndarray"), ("numpy", "dtype")}
# `getattr(HistoryBuffer, name)`: MMEngine's HistoryBuffer pickles its bound statistics methods
_HISTORY_METHODS = {"min", "max", "mean", "current"}


def _find_runtime_class(module: str, name: str):
    """Our counterpart of MMEngine's `module.name`, or None. Tries the table, then the same
    module path under `runtime`, then the top-level `runtime.<package>`."""
    import importlib
    target = _MMENGINE_CLASSES.get((module, name))
    candidates = [target] if target else []
    rest = module.split(".", 1)[1] if "." in module else ""
    if rest:
        candidates += [(f"runtime.{rest}", name), (f"runtime.{rest.split('.')[0]}", name)]
    for mod, attr in candidates:
        try:
            found = getattr(importlib.import_module(mod), attr, None)
        except ImportError:
            continue
        if found is not None:
            return found
    return None


class _Refused(pickle.UnpicklingError):
    """The file pickles a global outside the allow-list (it could run code when loaded)."""


def _history_getattr(obj, name):
    from runtime.logging.history_buffer import HistoryBuffer
    if obj is not HistoryBuffer or name not in _HISTORY_METHODS:
        raise _Refused(f"getattr({obj!r}, {name!r}) is not allowed")
    return getattr(obj, name)


class _CompatUnpickler(pickle.Unpickler):
    """Trusted files: resolves `mmengine.*` globals to runtime classes (always, so a resumed
    message hub holds our HistoryBuffer even when mmengine is installed); anything else loads
    normally, i.e. the file may run code."""

    def find_class(self, module, name):
        if module == "mmengine" or module.startswith("mmengine."):
            found = _find_runtime_class(module, name)
            if found is not None:
                return found
            try:
                return super().find_class(module, name)
            except ImportError as e:
                raise pickle.UnpicklingError(
                    f"the checkpoint pickles {module}.{name}, which has no runtime equivalent "
                    f"and mmengine is not installed") from e
        return super().find_class(module, name)


class _RestrictedUnpickler(pickle.Unpickler):
    """Untrusted MMEngine files: only torch's weights-only allow-list, numpy arrays/scalars, the
    mmengine classes of `_MMENGINE_CLASSES` (mapped to ours) and `getattr(HistoryBuffer, <one of
    its statistics methods>)`. Any other global (os.system, a class with a `__reduce__`...)
    raises `_Refused` before anything is called."""

    def find_class(self, module, name):
        from torch._weights_only_unpickler import _get_allowed_globals
        if module in ("builtins", "__builtin__") and name == "getattr":
            return _history_getattr
        if (module, name) in _MMENGINE_CLASSES:
            return _find_runtime_class(module, name)
        if (module, name) in _NUMPY_NAMES or (module == "numpy.dtypes" and name.endswith("DType")):
            return super().find_class(module, name)
        allowed = _get_allowed_globals().get(f"{module}.{name}")
        if allowed is not None:
            return allowed
        raise _Refused(f"{module}.{name}")


def _pickle_module(unpickler):
    class Module:
        Unpickler = unpickler
        __name__ = f"runtime.runner.checkpoint.{unpickler.__name__}"

        def __getattr__(self, item):
            return getattr(pickle, item)

        @staticmethod
        def load(file, **kwargs):
            return unpickler(file, **kwargs).load()
    return Module()


_compat_pickle, _restricted_pickle = _pickle_module(_CompatUnpickler), _pickle_module(_RestrictedUnpickler)


def trusted_by_env() -> bool:
    return os.environ.get(TRUST_ENV, "").strip().lower() in ("1", "true", "yes")


def load_raw(filename: str, map_location: Union[str, Callable, None] = "cpu",
             trusted: Optional[bool] = None) -> dict:
    """Read a checkpoint file (local path or `file://` URL) into a dict without running pickled
    code: `torch.load(weights_only=True)` (our files hold plain data only), else, for real
    MMEngine's files, `_RestrictedUnpickler`. `trusted=True` (default: the `MMRUN_TRUST_CHECKPOINT`
    environment variable, set by `mmrun --trust-checkpoint`) loads any pickle, as MMEngine
    did before torch 2.6. Unusable files raise `CheckpointError` naming the file."""
    if filename.startswith("file://"):
        filename = filename[len("file://"):]
    if not osp.isfile(filename):
        raise CheckpointNotFound(f"checkpoint {filename}: no such file"
                                 + (" (it is a directory)" if osp.isdir(filename) else ""))
    if osp.getsize(filename) == 0:
        raise CheckpointError(f"checkpoint {filename}: the file is empty")
    trusted = trusted_by_env() if trusted is None else trusted
    try:
        if trusted:
            checkpoint = torch.load(filename, map_location=map_location, weights_only=False,
                                    pickle_module=_compat_pickle)
        else:
            try:
                checkpoint = torch.load(filename, map_location=map_location, weights_only=True)
            except pickle.UnpicklingError:    # e.g. MMEngine's pickled HistoryBuffers
                checkpoint = torch.load(filename, map_location=map_location, weights_only=False,
                                        pickle_module=_restricted_pickle)
    except _Refused as e:
        raise CheckpointError(
            f"checkpoint {filename}: refused to load, it pickles {e} (loading it could run "
            f"code). If you trust the file, pass --trust-checkpoint to mmrun or set "
            f"{TRUST_ENV}=1") from None
    except Exception as e:    # truncated zip, text, a pickle cut short: torch/pickle/OS errors
        detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"checkpoint {filename}: not a readable torch checkpoint "
                              f"(truncated or not written by torch.save?): {detail}") from None
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f"checkpoint {filename}: expected a dict (a state_dict or "
                              f"MMEngine's layout), got {type(checkpoint).__name__}")
    return checkpoint


def check_resumable(checkpoint: dict, filename: str) -> dict:
    """The `meta` of a checkpoint that can be resumed (has meta.epoch/iter and a message hub)."""
    meta = checkpoint.get("meta")
    if not isinstance(meta, dict) or "epoch" not in meta or "iter" not in meta:
        raise CheckpointError(
            f"checkpoint {filename}: cannot resume from it, it has no training state ('meta' "
            f"with epoch and iter; a weights-only file?). Use it as `load_from` without resume")
    if checkpoint.get("message_hub") is None:     # a dict, or a pickled MessageHub (trusted)
        raise CheckpointError(f"checkpoint {filename}: cannot resume from it, it has no "
                              f"'message_hub' state")
    return meta


def to_plain(value, where: str = "checkpoint"):
    """`value` with numpy arrays/scalars made python lists/numbers and containers rebuilt, so
    that `torch.load(weights_only=True)` (and real MMEngine without `runtime`) can read it.
    Tensors, numbers, strings and None stay; any other object is stored as its repr."""
    import numpy as np
    if value is None or isinstance(value, (bool, int, float, str, bytes, torch.Tensor,
                                           torch.Size, torch.dtype, torch.device)):
        return value
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    if isinstance(value, dict):
        out = type(value)() if type(value) in (dict, OrderedDict, Counter) else {}
        for k, v in value.items():
            out[to_plain(k, where)] = to_plain(v, f"{where}.{k}")
        return out
    if isinstance(value, (list, tuple, set)):
        items = [to_plain(v, where) for v in value]
        return items if isinstance(value, list) else (tuple(items) if isinstance(value, tuple) else set(items))
    if hasattr(value, "to_plain"):
        return to_plain(value.to_plain(), where)
    logger.warning(f"{where}: a {type(value).__name__} is stored as its repr in the checkpoint")
    return repr(value)


def load_state_dict(module: nn.Module, state_dict: dict, strict: bool = False,
                    log: Optional[logging.Logger] = None) -> List[str]:
    """Load weights, collecting missing/unexpected/size-mismatch problems into one message.

    Raises RuntimeError when `strict`, otherwise logs a warning. Returns the problem lines.
    """
    from runtime.model import is_model_wrapper
    if is_model_wrapper(module):
        module = module.module
    own = module.state_dict()
    problems: List[str] = []
    usable = OrderedDict()
    for key, value in state_dict.items():
        if key in own and isinstance(value, torch.Tensor) and own[key].shape != value.shape:
            problems.append(f"size mismatch for {key}: param in checkpoint {tuple(value.shape)}, "
                            f"current model {tuple(own[key].shape)}")
        else:
            usable[key] = value
    usable._metadata = getattr(state_dict, "_metadata", OrderedDict())
    result = module.load_state_dict(usable, strict=False)
    if result.unexpected_keys:
        problems.append("unexpected key in source state_dict: " + ", ".join(result.unexpected_keys))
    missing = [k for k in result.missing_keys if "num_batches_tracked" not in k]
    if missing:
        problems.append("missing keys in source state_dict: " + ", ".join(missing))
    if problems:
        msg = "The model and loaded state dict do not match exactly\n" + "\n".join(problems)
        if strict:
            raise RuntimeError(msg)
        (log or logger).warning(msg)
    return problems


def load_checkpoint_to_model(model: nn.Module, checkpoint: dict, strict: bool = False,
                             revise_keys: List[Tuple[str, str]] = DEFAULT_REVISE_KEYS) -> dict:
    state_dict = checkpoint.get("state_dict", checkpoint)
    metadata = getattr(state_dict, "_metadata", OrderedDict())
    for pattern, repl in revise_keys:
        state_dict = OrderedDict((re.sub(pattern, repl, k), v) for k, v in state_dict.items())
    state_dict._metadata = metadata
    load_state_dict(model, state_dict, strict)
    return checkpoint


def load_checkpoint(model: nn.Module, filename: str, map_location="cpu", strict: bool = False,
                    logger=None, revise_keys: List[Tuple[str, str]] = DEFAULT_REVISE_KEYS) -> dict:
    """Load weights from `filename` into `model`; returns the whole checkpoint dict."""
    return load_checkpoint_to_model(model, load_raw(filename, map_location), strict, revise_keys)


def find_latest_checkpoint(path: str) -> Optional[str]:
    """The path recorded in `<path>/last_checkpoint`, or None."""
    save_file = osp.join(path, "last_checkpoint")
    if not osp.exists(save_file):
        return None
    with open(save_file) as f:
        last = f.read().strip()
    return last or None


def write_last_checkpoint(work_dir: str, filepath: str) -> None:
    tmp = osp.join(work_dir, ".last_checkpoint.tmp")
    with open(tmp, "w") as f:
        f.write(filepath)
    os.replace(tmp, osp.join(work_dir, "last_checkpoint"))
