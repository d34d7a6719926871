"""LogProcessor (MMEngine's `mmengine.runner.LogProcessor`).

MMCV 1.x: TextLoggerHook formatted `Epoch [1][50/782]\tlr: 1.000e-03, eta: 0:02:31, time: 0.012,
data_time: 0.001, memory: 1234, loss: 2.3026` from `runner.log_buffer.output` (averaged over the
logging interval), and `Epoch(val) [1][782]\taccuracy: 41.0000` after evaluation.
MMEngine: LoggerHook asks this processor for `(tag, log_str)`. Scalars come from the MessageHub
('<mode>/<key>'); keys matching `mean_pattern` (loss/time/data_time/grad_norm) are averaged over
the last `window_size` updates, the rest show their latest value; `custom_cfg` adds statistics
(`dict(data_src, log_name=..., method_name='mean'|'max'|'min'|'current', window_size=int|
'epoch'|'global')`). Lines look like (two spaces between fields):
  `Epoch(train)  [1][ 50/782]  lr: 1.0000e-03  eta: 0:02:31  time: 0.0123  data_time: 0.0012  loss: 2.3026`
  `Iter(train) [  50/1000]  lr: ...`
  `Epoch(val) [1][10/10]    accuracy: 41.0000  data_time: 0.0010  time: 0.0020`
`memory` (MB of peak CUDA memory) appears only when CUDA is available.
"""
from __future__ import annotations

import copy
import datetime
import re
import sys
from collections import OrderedDict
from itertools import chain
from typing import List, Optional, Tuple

from runtime.registry import LOG_PROCESSORS


def has_train_loop(runner) -> bool:
    """False when the runner only validates/tests (MMEngine checks `runner._train_loop`)."""
    if hasattr(runner, "_train_loop"):
        loop = runner._train_loop
        return not (loop is None or isinstance(loop, dict))
    try:
        return runner.train_loop is not None
    except Exception:
        return False


_IMMUTABLE_TYPES: set = set()


def _immutable_types() -> set:
    """Python numbers/strings and numpy scalars: values a deep copy would not change."""
    if not _IMMUTABLE_TYPES:
        import numpy as np
        _IMMUTABLE_TYPES.update((float, int, bool, str, type(None)))
        _IMMUTABLE_TYPES.update(t for t in set(np.sctypeDict.values())
                                if issubclass(t, np.generic) and not issubclass(t, (np.void, np.object_)))
    return _IMMUTABLE_TYPES


def _all_immutable(values) -> bool:
    """Whether every value is of an `_immutable_types()` type (one C-level pass)."""
    return _immutable_types().issuperset(map(type, values))


_CPU_ONLY_BUILD: list = []


def _cuda_available(torch) -> bool:
    """torch.cuda.is_available(), answered without the call for a torch built without CUDA
    (where it is always False) unless is_available has been replaced (e.g. by a test)."""
    is_available = torch.cuda.is_available
    if not _CPU_ONLY_BUILD:
        _CPU_ONLY_BUILD.append((is_available, not hasattr(torch._C, "_cuda_getDeviceCount")))
    original, cpu_only = _CPU_ONLY_BUILD[0]
    if cpu_only and is_available is original:
        return False
    return is_available()


def _is_array(value) -> bool:
    """True for numpy arrays and torch tensors (printed on their own lines)."""
    import numpy as np
    torch = sys.modules.get("torch")
    return isinstance(value, np.ndarray) or (torch is not None and isinstance(value, torch.Tensor))


@LOG_PROCESSORS.register_module()
class LogProcessor:
    def __init__(self, window_size=10, by_epoch=True, custom_cfg: Optional[List[dict]] = None,
                 num_digits: int = 4, log_with_hierarchy: bool = False,
                 mean_pattern=r".*(loss|time|data_time|grad_norm).*"):
        self.window_size = window_size
        self.by_epoch = by_epoch
        self.custom_cfg = custom_cfg if custom_cfg else []
        self.num_digits = num_digits
        self.log_with_hierarchy = log_with_hierarchy
        self.mean_pattern = re.compile(mean_pattern)
        self._check_custom_cfg()

    # -- public API --------------------------------------------------------------------------
    def get_log_after_iter(self, runner, batch_idx: int, mode: str) -> Tuple[dict, str]:
        """(tag, line) for the `batch_idx`-th iteration of `mode` ('train', 'val' or 'test')."""
        if mode not in ("train", "val", "test"):
            raise ValueError(f"mode must be train, val or test, got {mode}")
        parsed_cfg = self._parse_windows_size(runner, batch_idx, self.custom_cfg)
        log_tag = self._collect_scalars(parsed_cfg, runner, mode)
        if self.log_with_hierarchy:
            tag = self._collect_scalars(parsed_cfg, runner, mode, True)
        elif _all_immutable(log_tag.values()):
            tag = OrderedDict(log_tag)   # same as MMEngine's deepcopy for numbers
        else:
            tag = copy.deepcopy(log_tag)
        nd = self.num_digits

        lr_items = []
        for key, value in tag.items():
            if key.endswith("lr"):
                key = self._remove_prefix(key, f"{mode}/")
                log_tag.pop(key)
                lr_items.append(f"{key}: {value:.{nd}e}")
        lr_str = " ".join(lr_items)

        train_loop = has_train_loop(runner)
        if self.by_epoch:
            loader_len = self._get_dataloader_size(runner, mode)
            cur_iter = str(self._get_iter(runner, batch_idx)).rjust(len(str(loader_len)))
            if mode in ("train", "val"):
                cur_epoch = self._get_epoch(runner, mode)
                if train_loop:
                    epoch_str = f"[{cur_epoch}]".rjust(len(str(runner.max_epochs)) + 3, " ")
                else:
                    epoch_str = f"[{cur_epoch}]"
                tag["epoch"] = cur_epoch
                log_str = f"Epoch({mode}){epoch_str}[{cur_iter}/{loader_len}]  "
            else:
                log_str = f"Epoch({mode}) [{cur_iter}/{loader_len}]  "
        elif mode == "train":
            cur_iter = str(self._get_iter(runner, batch_idx)).rjust(len(str(runner.max_iters)))
            log_str = f"Iter({mode}) [{cur_iter}/{runner.max_iters}]  "
        else:
            loader_len = self._get_dataloader_size(runner, mode)
            cur_iter = str(batch_idx + 1).rjust(len(str(loader_len)))
            log_str = f"Iter({mode}) [{cur_iter}/{loader_len}]  "
        tag["iter"] = runner.iter + 1 if train_loop else 0
        log_str += f"{lr_str}  "

        if "time" in log_tag and "data_time" in log_tag and \
                "eta" in runner.message_hub.runtime_info:
            eta = runner.message_hub.get_info("eta")
            log_str += f"eta: {datetime.timedelta(seconds=int(eta))}  "
            log_str += (f"time: {log_tag['time']:.{nd}f}  "
                        f"data_time: {log_tag['data_time']:.{nd}f}  ")
            log_tag.pop("time")
            log_tag.pop("data_time")

        max_memory = self._get_max_memory(runner)
        if max_memory is not None:
            log_str += f"memory: {max_memory}  "
            tag["memory"] = max_memory

        if mode in ("train", "val"):
            items = []
            for name, val in log_tag.items():
                if mode == "val" and not name.startswith("val/loss"):
                    continue
                if isinstance(val, float):
                    val = f"{val:.{nd}f}"
                items.append(f"{name}: {val}")
            log_str += "  ".join(items)
        return tag, log_str

    def get_log_after_epoch(self, runner, batch_idx: int, mode: str,
                            with_non_scalar: bool = False) -> Tuple[dict, str]:
        """(tag, line) summarising a finished val/test epoch: metrics, then mean times."""
        if mode not in ("val", "test"):
            raise ValueError(f"get_log_after_epoch only accepts val or test, got {mode}")
        loader_len = self._get_dataloader_size(runner, mode)
        if self.by_epoch:
            if mode == "val":
                cur_epoch = self._get_epoch(runner, mode)
                log_str = f"Epoch({mode}) [{cur_epoch}][{loader_len}/{loader_len}]  "
            else:
                log_str = f"Epoch({mode}) [{loader_len}/{loader_len}]  "
        else:
            log_str = f"Iter({mode}) [{loader_len}/{loader_len}]  "

        cfg = copy.deepcopy(self.custom_cfg)
        custom_keys = [self._remove_prefix(c["data_src"], f"{mode}/") for c in cfg]
        for key in ("time", "data_time"):
            if key not in custom_keys:
                cfg.append(dict(data_src=key, window_size="epoch", method_name="mean"))
        parsed_cfg = self._parse_windows_size(runner, batch_idx, cfg)
        ori_tag = self._collect_scalars(parsed_cfg, runner, mode, self.log_with_hierarchy)
        non_scalar_tag = self._collect_non_scalars(runner, mode)

        tag, time_tag = OrderedDict(), OrderedDict()
        time_keys = (f"{mode}/time", f"{mode}/data_time", "time", "data_time")
        for key, value in ori_tag.items():
            (time_tag if key in time_keys else tag)[key] = value

        items = []
        for name, val in chain(tag.items(), non_scalar_tag.items(), time_tag.items()):
            if isinstance(val, float):
                val = f"{val:.{self.num_digits}f}"
            elif _is_array(val):
                val = f"\n{val}\n"
            items.append(f"{name}: {val}")
        log_str += "  " + "  ".join(items)
        if with_non_scalar:
            tag.update(non_scalar_tag)
        tag.update(time_tag)
        return tag, log_str

    # -- helpers -------------------------------------------------------------------------------
    def _collect_scalars(self, custom_cfg: List[dict], runner, mode: str,
                         reserve_prefix: bool = False) -> dict:
        tag = OrderedDict()
        mode_scalars = OrderedDict()
        prefix = f"{mode}/"
        cut = 0 if reserve_prefix else len(prefix)
        for prefix_key, buffer in runner.message_hub.log_scalars.items():
            if prefix_key.startswith(mode):
                key = prefix_key[cut:] if prefix_key.startswith(prefix) else prefix_key
                mode_scalars[key] = buffer
        averaged = self._averaged_keys()
        for key, buffer in mode_scalars.items():
            use_mean = averaged.get(key)
            if use_mean is None:
                use_mean = averaged[key] = self.mean_pattern.search(key) is not None
            tag[key] = buffer.mean(self.window_size) if use_mean else buffer.current()
        for log_cfg in copy.deepcopy(custom_cfg) if custom_cfg else ():
            data_src = log_cfg.pop("data_src")
            log_name = log_cfg.pop("log_name", data_src)
            if reserve_prefix:
                data_src, log_name = f"{mode}/{data_src}", f"{mode}/{log_name}"
            if data_src in mode_scalars:
                tag[log_name] = mode_scalars[data_src].statistics(**log_cfg)
        return tag

    def _averaged_keys(self) -> dict:
        """key -> whether `mean_pattern` matches it, remembered for the current pattern."""
        cache = self.__dict__.get("_mean_cache")
        if cache is None or cache[0] is not self.mean_pattern:
            cache = self._mean_cache = (self.mean_pattern, {})
        return cache[1]

    def _collect_non_scalars(self, runner, mode: str) -> dict:
        infos = OrderedDict()
        for prefix_key, value in runner.message_hub.runtime_info.items():
            if prefix_key.startswith(mode):
                key = prefix_key if self.log_with_hierarchy else \
                    self._remove_prefix(prefix_key, f"{mode}/")
                infos[key] = value
        return infos

    @staticmethod
    def _remove_prefix(string: str, prefix: str) -> str:
        return string[len(prefix):] if string.startswith(prefix) else string

    def _check_custom_cfg(self) -> None:
        seen = set()
        for log_cfg in self.custom_cfg:
            if "data_src" not in log_cfg:
                raise KeyError(f"custom_cfg item {log_cfg} has no 'data_src'")
            log_name = log_cfg.get("log_name", log_cfg["data_src"])
            if log_name in seen:
                raise ValueError(f"duplicate log_name {log_name!r} in log_processor custom_cfg")
            seen.add(log_name)
        if not self.by_epoch:
            for log_cfg in self.custom_cfg:
                if log_cfg.get("window_size") == "epoch":
                    raise ValueError("window_size cannot be 'epoch' when by_epoch is False")

    def _parse_windows_size(self, runner, batch_idx: int, custom_cfg: Optional[list] = None):
        custom_cfg = self.custom_cfg if custom_cfg is None else custom_cfg
        if not custom_cfg:
            return []
        custom_cfg = copy.deepcopy(custom_cfg)
        for log_cfg in custom_cfg:
            window_size = log_cfg.get("window_size")
            if window_size is None or isinstance(window_size, int):
                continue
            if window_size == "epoch":
                log_cfg["window_size"] = batch_idx + 1
            elif window_size == "global":
                log_cfg["window_size"] = runner.iter + 1
            else:
                raise TypeError(f"window_size must be an int, 'epoch' or 'global', got {window_size}")
        return custom_cfg

    @staticmethod
    def _get_max_memory(runner) -> Optional[int]:
        torch = sys.modules.get("torch")
        if torch is None or not _cuda_available(torch):
            return None
        device = getattr(runner.model, "output_device", None)
        mem_mb = int(torch.cuda.max_memory_allocated(device=device)) // (1024 * 1024)
        torch.cuda.reset_peak_memory_stats()
        return mem_mb

    def _get_iter(self, runner, batch_idx: int) -> int:
        return batch_idx + 1 if self.by_epoch else runner.iter + 1

    def _get_epoch(self, runner, mode: str) -> int:
        if mode == "train":
            return runner.epoch + 1
        if mode == "val":
            return runner.epoch if has_train_loop(runner) else 0
        raise ValueError(f"mode must be 'train' or 'val', got {mode}")

    @staticmethod
    def _get_cur_loop(runner, mode: str):
        return getattr(runner, {"train": "train_loop", "val": "val_loop", "test": "test_loop"}[mode])

    def _get_dataloader_size(self, runner, mode) -> int:
        return len(self._get_cur_loop(runner, mode).dataloader)
