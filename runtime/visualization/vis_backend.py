"""Visualization backends (MMEngine's `mmengine.visualization.vis_backend`).

MMCV 1.x logger hooks wrote scalars themselves: TextLoggerHook appended JSON lines to
`work_dir/<timestamp>.log.json`, TensorboardLoggerHook/WandbLoggerHook/MlflowLoggerHook pushed to
their services. MMEngine routes `Visualizer.add_scalars` to backends:
- LocalVisBackend: appends one JSON object per call (with 'step') to
  `<save_dir>/scalars.json` (save_dir is `<log_dir>/vis_data`), and also to `<save_dir>/<file_path>`
  when LoggerHook passes `file_path='<timestamp>.json'`; `add_config` writes `config.py`;
  `add_image` writes `vis_image/<name>_<step>.png`.
- TensorboardVisBackend: `torch.utils.tensorboard.SummaryWriter(save_dir)`.
- WandbVisBackend / MLflowVisBackend: registered so configs build; they need their packages.
Backends create their output lazily on first use (MMEngine's `force_init_env`).
"""
from __future__ import annotations

import copy
import functools
import json
import os
import os.path as osp
import struct
import sys
import warnings
import zlib
from typing import Optional

from runtime.registry import VISBACKENDS


def _json_default(obj):
    if isinstance(obj, (set, range)):
        return list(obj)
    if hasattr(obj, "tolist"):  # numpy arrays/scalars, tensors
        return obj.tolist()
    raise TypeError(f"{type(obj)} is not JSON serialisable")


_IMMUTABLE_TYPES: set = set()


def _all_immutable(values) -> bool:
    """Whether every value is a Python number/string or a numpy scalar (what LogProcessor tags
    hold): one C-level pass over the value types."""
    if not _IMMUTABLE_TYPES:
        np = sys.modules.get("numpy")
        if np is None:
            return {int, float, bool, str, type(None)}.issuperset(map(type, values))
        _IMMUTABLE_TYPES.update((int, float, bool, str, type(None)))
        _IMMUTABLE_TYPES.update(t for t in set(np.sctypeDict.values())
                                if issubclass(t, np.generic)
                                and not issubclass(t, (np.void, np.object_)))
    return _IMMUTABLE_TYPES.issuperset(map(type, values))


_ENCODER: list = []


def _json_line(value_dict: dict) -> str:
    """One JSON object and a newline, exactly as `json.dump(value_dict, f); f.write('\\n')`
    (json.dumps with these arguments builds this very encoder on every call)."""
    if not _ENCODER:
        _ENCODER.append(json.JSONEncoder(default=_json_default))
    return _ENCODER[0].encode(value_dict) + "\n"


def _write_png(path: str, image) -> None:
    """Write an HxWx3 (or HxW) uint8 array as PNG with only zlib (no cv2/PIL needed)."""
    import numpy as np
    img = np.ascontiguousarray(image)
    if img.dtype != np.uint8:
        raise TypeError("image must be uint8")
    if img.ndim == 2:
        color_type, rows = 0, img
    elif img.ndim == 3 and img.shape[2] == 3:
        color_type, rows = 2, img.reshape(img.shape[0], -1)
    else:
        raise ValueError(f"image must be HxW or HxWx3, got shape {img.shape}")
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    header = struct.pack(">IIBBBBB", img.shape[1], img.shape[0], 8, color_type, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) +
                chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def force_init_env(method):
    """Run `self._init_env()` once before the first call of `method`."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if not getattr(self, "_env_initialized", False):
            self._init_env()
            self._env_initialized = True
        return method(self, *args, **kwargs)
    return wrapper


class BaseVisBackend:
    def __init__(self, save_dir: Optional[str]):
        self._save_dir = save_dir
        self._env_initialized = False

    @property
    def experiment(self):
        raise NotImplementedError

    def _init_env(self) -> None:
        raise NotImplementedError

    def add_config(self, config, **kwargs) -> None:
        pass

    def add_graph(self, model, data_batch, **kwargs) -> None:
        pass

    def add_image(self, name: str, image, step: int = 0, **kwargs) -> None:
        pass

    def add_scalar(self, name: str, value, step: int = 0, **kwargs) -> None:
        pass

    def add_scalars(self, scalar_dict: dict, step: int = 0, file_path: Optional[str] = None,
                    **kwargs) -> None:
        pass

    def close(self) -> None:
        pass


@VISBACKENDS.register_module()
class LocalVisBackend(BaseVisBackend):
    def __init__(self, save_dir: str, img_save_dir: str = "vis_image",
                 config_save_file: str = "config.py", scalar_save_file: str = "scalars.json"):
        if not config_save_file.endswith(".py"):
            raise ValueError("config_save_file must end with .py")
        if not scalar_save_file.endswith(".json"):
            raise ValueError("scalar_save_file must end with .json")
        super().__init__(save_dir)
        self._img_save_dir = img_save_dir
        self._config_save_file = config_save_file
        self._scalar_save_file = scalar_save_file

    def _init_env(self) -> None:
        os.makedirs(self._save_dir, exist_ok=True)
        self._img_save_dir = osp.join(self._save_dir, self._img_save_dir)
        self._config_save_file = osp.join(self._save_dir, self._config_save_file)
        self._scalar_save_file = osp.join(self._save_dir, self._scalar_save_file)

    @property
    @force_init_env
    def experiment(self) -> "LocalVisBackend":
        return self

    @force_init_env
    def add_config(self, config, **kwargs) -> None:
        if hasattr(config, "dump"):
            config.dump(self._config_save_file)
        else:
            with open(self._config_save_file, "w") as f:
                f.write(getattr(config, "pretty_text", str(config)))

    @force_init_env
    def add_image(self, name: str, image, step: int = 0, **kwargs) -> None:
        os.makedirs(self._img_save_dir, exist_ok=True)
        _write_png(osp.join(self._img_save_dir, f"{name}_{step}.png"), image)

    @force_init_env
    def add_scalar(self, name: str, value, step: int = 0, **kwargs) -> None:
        if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
            value = value.item()
        self._dump({name: value, "step": step}, self._scalar_save_file)

    @force_init_env
    def add_scalars(self, scalar_dict: dict, step: int = 0, file_path: Optional[str] = None,
                    **kwargs) -> None:
        if not isinstance(scalar_dict, dict):
            raise TypeError("scalar_dict must be a dict")
        # MMEngine deep-copies before adding 'step'; the copy is only serialised, so a shallow
        # one gives the same line whenever the values are plain numbers (the usual tag).
        if _all_immutable(scalar_dict.values()):
            scalar_dict = dict(scalar_dict)
        else:
            scalar_dict = copy.deepcopy(scalar_dict)
        scalar_dict.setdefault("step", step)
        line = _json_line(scalar_dict)
        if file_path is not None:
            extras = self.__dict__.setdefault("_extra_paths", {})   # file_path -> checked path
            extra = extras.get(file_path)
            if extra is None:
                if not file_path.endswith(".json"):
                    raise ValueError("file_path must end with .json")
                extra = osp.join(self._save_dir, file_path)
                if extra == self._scalar_save_file:
                    raise ValueError("file_path must differ from scalar_save_file")
                extras[file_path] = extra
            self._append(extra, line)
        self._append(self._scalar_save_file, line)

    def _dump(self, value_dict: dict, file_path: str) -> None:
        self._append(file_path, _json_line(value_dict))

    def _append(self, file_path: str, text: str) -> None:
        """Append `text` to `file_path` and flush: the file content after every call is what
        MMEngine's open('a+')/write/close gives, but the handle stays open between calls
        (closed by `close()`, which the LoggerHook calls after the run)."""
        files = self.__dict__.setdefault("_files", {})
        f = files.get(file_path)
        if f is None or f.closed:
            f = files[file_path] = open(file_path, "a+")
        f.write(text)
        f.flush()

    def close(self) -> None:
        for f in self.__dict__.pop("_files", {}).values():
            f.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_files", None)
        return state


@VISBACKENDS.register_module()
class TensorboardVisBackend(BaseVisBackend):
    def __init__(self, save_dir: str):
        super().__init__(save_dir)

    def _init_env(self) -> None:
        os.makedirs(self._save_dir, exist_ok=True)
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as e:
            raise ImportError("TensorboardVisBackend needs tensorboard: pip install tensorboard"
                              ) from e
        self._tensorboard = SummaryWriter(self._save_dir)

    @property
    @force_init_env
    def experiment(self):
        return self._tensorboard

    @force_init_env
    def add_config(self, config, **kwargs) -> None:
        self._tensorboard.add_text("config", getattr(config, "pretty_text", str(config)))

    @force_init_env
    def add_image(self, name: str, image, step: int = 0, **kwargs) -> None:
        self._tensorboard.add_image(name, image, step, dataformats="HWC")

    @force_init_env
    def add_scalar(self, name: str, value, step: int = 0, **kwargs) -> None:
        if isinstance(value, (int, float)) or hasattr(value, "item"):
            self._tensorboard.add_scalar(name, value, step)
        else:
            warnings.warn(f"TensorboardVisBackend skips non-numeric value of type {type(value)}")

    @force_init_env
    def add_scalars(self, scalar_dict: dict, step: int = 0, file_path: Optional[str] = None,
                    **kwargs) -> None:
        if "step" in scalar_dict:
            raise ValueError("pass the step through the `step` argument")
        for key, value in scalar_dict.items():
            self.add_scalar(key, value, step)

    def close(self) -> None:
        if hasattr(self, "_tensorboard"):
            self._tensorboard.close()


class _OptionalServiceBackend(BaseVisBackend):
    """Backends for hosted services; they fail with a clear ImportError on first use."""
    package = ""

    def __init__(self, save_dir: Optional[str] = None, **kwargs):
        super().__init__(save_dir)
        self._kwargs = kwargs

    def _init_env(self) -> None:
        import importlib
        try:
            self._module = importlib.import_module(self.package)
        except ImportError as e:
            raise ImportError(f"{type(self).__name__} needs the '{self.package}' package "
                              f"(pip install {self.package}); it is not installed") from e
        raise NotImplementedError(f"{type(self).__name__} is not implemented by the bundled "
                                  "runtime; use LocalVisBackend or TensorboardVisBackend")

    @property
    @force_init_env
    def experiment(self):
        return self._module

    @force_init_env
    def add_config(self, config, **kwargs) -> None:
        pass

    @force_init_env
    def add_scalar(self, name: str, value, step: int = 0, **kwargs) -> None:
        pass

    @force_init_env
    def add_scalars(self, scalar_dict: dict, step: int = 0, file_path: Optional[str] = None,
                    **kwargs) -> None:
        pass


@VISBACKENDS.register_module()
class WandbVisBackend(_OptionalServiceBackend):
    package = "wandb"


@VISBACKENDS.register_module()
class MLflowVisBackend(_OptionalServiceBackend):
    package = "mlflow"
