"""Checkpoint files (MMEngine's `mmengine.runner.checkpoint`; MMCV 1.x: `mmcv.runner.checkpoint`).

Layout shared with MMEngine: `{'meta': {epoch, iter, seed, experiment_name, time, cfg,
mmengine_version, [dataset_meta]}, 'state_dict', 'optimizer', 'param_schedulers', 'message_hub'}`.
Differences on purpose: files are written atomically (temp file in the same directory, then
`os.replace`), and loading uses `torch.load(weights_only=False)` because the message hub holds
pickled HistoryBuffer objects that torch>=2.6's default safe unpickler rejects (only load
checkpoints you trust). Weight loading applies `revise_keys` regexes (default strips a 'module.'
prefix) and, like MMEngine, reports missing/unexpected/mis-shaped keys instead of failing unless
`strict`.

Interchange with real MMEngine: MMEngine pickles `mmengine.logging.history_buffer.HistoryBuffer`
objects in the message hub state; `load_raw` maps those (and other `mmengine.*` classes with a
runtime counterpart) to ours, so MMEngine checkpoints load here with or without mmengine
installed. Our checkpoints pickle `runtime.logging.history_buffer.HistoryBuffer` (same attributes
as MMEngine's), so real MMEngine loads them wherever this package is importable; the weights,
optimizer and scheduler states are plain tensors/dicts and need nothing.
"""
from __future__ import annotations

import logging
import os
import os.path as osp
import pickle
import re
import tempfile
from collections import OrderedDict
from typing import Callable, List, Optional, Tuple, Union

import torch
import torch.nn as nn

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
# ConfigDict may appear in user meta) -> our equivalents, so those files load without mmengine.
_MMENGINE_CLASSES = {
    ("mmengine.logging.history_buffer", "HistoryBuffer"): ("runtime.logging.history_buffer", "HistoryBuffer"),
    ("mmengine.logging", "HistoryBuffer"): ("runtime.logging.history_buffer", "HistoryBuffer"),
    ("mmengine.config.config", "ConfigDict"): ("runtime.config.config", "ConfigDict"),
    ("mmengine.config", "ConfigDict"): ("runtime.config.config", "ConfigDict"),
}


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


class _CompatUnpickler(pickle.Unpickler):
    """Resolves `mmengine.*` globals to runtime classes (always, so a resumed message hub holds
    our HistoryBuffer even when mmengine is installed); anything else loads normally."""

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


class _CompatPickleModule:
    """A `pickle_module` for torch.load: the pickle module with our Unpickler."""
    Unpickler = _CompatUnpickler
    __name__ = "runtime.runner.checkpoint._CompatPickleModule"

    def __getattr__(self, item):
        return getattr(pickle, item)

    @staticmethod
    def load(file, **kwargs):
        return _CompatUnpickler(file, **kwargs).load()


_compat_pickle = _CompatPickleModule()


def load_raw(filename: str, map_location: Union[str, Callable, None] = "cpu") -> dict:
    """Read a checkpoint file (local path or `file://` URL) into memory; MMEngine-pickled classes
    are mapped to ours (see `_CompatUnpickler`)."""
    if filename.startswith("file://"):
        filename = filename[len("file://"):]
    if not osp.isfile(filename):
        raise FileNotFoundError(f"{filename} can not be found.")
    return torch.load(filename, map_location=map_location, weights_only=False,
                      pickle_module=_compat_pickle)


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
