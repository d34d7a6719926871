"""Scalar history with counts (MMEngine's `mmengine.logging.HistoryBuffer`).

Replaces MMCV 1.x's `LogBuffer` (which averaged `val_history` weighted by `n_history` over the last
`n` entries and cleared itself after each log). MMEngine keeps the whole history (capped at
`max_length`) and computes statistics on demand: `mean(window)` is sum(values)/sum(counts) over the
last `window` entries, `current()` the latest value, `max`/`min` over a window, and
`statistics(name, ...)` dispatches to a registered method (used by LogProcessor's custom_cfg).
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Optional, Sequence, Tuple

import numpy as np


class HistoryBuffer:
    """Values and counts of one logged scalar."""

    _statistics_methods: dict = {}

    def __init__(self, log_history: Sequence = (), count_history: Sequence = (),
                 max_length: int = 1000000):
        if len(log_history) != len(count_history):
            raise ValueError("log_history and count_history must have the same length")
        self.max_length = max_length
        self._set_default_statistics()
        if len(log_history) > max_length:
            warnings.warn(f"history of length {len(log_history)} exceeds max_length "
                          f"{max_length}; keeping only the newest entries")
        self._set_arrays(np.array(list(log_history)[-max_length:]),
                         np.array(list(count_history)[-max_length:]))

    # Storage: the values live in over-allocated arrays (`_log_buf`, `_count_buf`, `_len` used)
    # so `update` is O(1) instead of MMEngine's np.append copy; `_log_history`/`_count_history`
    # are views. The common update (a float with count 1 into float64/int64 arrays, where no
    # dtype promotion can happen) only appends to the python list `_pending`; every read moves
    # the pending values into the arrays first (`_flush`), so what is read is always the same.
    # Pickling writes MMEngine's exact state ({'max_length', '_log_history', '_count_history'}),
    # so checkpoints stay interchangeable both ways.
    def _set_arrays(self, logs: np.ndarray, counts: np.ndarray) -> None:
        self._log_buf, self._count_buf, self._len = logs, counts, len(logs)
        self._pending = []
        # whether every count is the integer 1 (then a window's count sum is its length)
        self._unit_counts = bool(counts.dtype.kind in "iu" and (counts == 1).all())
        self._refresh_fast()

    def _refresh_fast(self) -> None:
        # pending appends are allowed while the arrays hold float64 values / int64 counts
        self._fast = self._log_buf.dtype == np.float64 and self._count_buf.dtype == np.int64

    def _flush(self) -> None:
        pending = self._pending
        if pending:
            n, k = self._len, len(pending)
            if n + k > len(self._log_buf) or n + k > len(self._count_buf):
                size = max(2 * len(self._log_buf), n + k, 16)
                for name in ("_log_buf", "_count_buf"):
                    old = getattr(self, name)
                    new = np.empty(size, dtype=old.dtype)
                    new[:n] = old[:n]
                    setattr(self, name, new)
            self._log_buf[n:n + k] = pending
            self._count_buf[n:n + k] = 1
            self._len = n + k
            self._pending = []

    @property
    def _log_history(self) -> np.ndarray:
        if self._pending:
            self._flush()
        return self._log_buf[:self._len]

    @property
    def _count_history(self) -> np.ndarray:
        if self._pending:
            self._flush()
        return self._count_buf[:self._len]

    def __getstate__(self) -> dict:
        return dict(max_length=self.max_length, _log_history=self._log_history.copy(),
                    _count_history=self._count_history.copy())

    def to_plain(self) -> dict:
        """The state as python lists (what checkpoints store: readable by torch's weights-only
        loader and by real MMEngine without this package)."""
        return dict(log_history=self._log_history.tolist(),
                    count_history=self._count_history.tolist(), max_length=self.max_length)

    @classmethod
    def from_plain(cls, state: dict) -> "HistoryBuffer":
        """The inverse of `to_plain` (also accepts a pickled state's array fields)."""
        buffer = cls.__new__(cls)
        buffer.__setstate__({"max_length": state["max_length"],
                             "_log_history": state["log_history"],
                             "_count_history": state["count_history"]})
        return buffer

    @staticmethod
    def is_plain(value) -> bool:
        return isinstance(value, dict) and set(value) == {"log_history", "count_history", "max_length"}

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        logs, counts = state.pop("_log_history"), state.pop("_count_history")
        self.__dict__.update(state)
        self._set_arrays(np.asarray(logs), np.asarray(counts))

    @staticmethod
    def _put(buf: np.ndarray, n: int, value) -> np.ndarray:
        """`buf` with `value` at index n, grown (x2) or promoted as np.append would promote it
        (np.append concatenates with `np.ravel(value)`, so the value's own dtype counts)."""
        dtype = np.result_type(buf.dtype, np.asarray(value).dtype)
        if n >= len(buf) or dtype != buf.dtype:
            new = np.empty(max(2 * len(buf), n + 1, 16), dtype=dtype)
            new[:n] = buf[:n]
            buf = new
        buf[n] = value
        return buf

    @classmethod
    def _set_default_statistics(cls) -> None:
        for name in ("min", "max", "current", "mean"):
            cls._statistics_methods.setdefault(name, getattr(HistoryBuffer, name))

    def append_float(self, log_val, count) -> bool:
        """`update` for the common case (a float with count 1 into float64/int64 arrays, below
        max_length); returns False, changing nothing, when the general path is needed."""
        if type(log_val) is float and count == 1 and type(count) is int and self._fast:
            pending = self._pending
            if self._len + len(pending) < self.max_length:
                pending.append(log_val)
                return True
        return False

    def update(self, log_val, count=1) -> None:
        if not isinstance(log_val, (int, float)) or not isinstance(count, (int, float)):
            raise TypeError(f"log_val must be int or float (got {type(log_val)}), "
                            f"count must be int (got {type(count)})")
        if self.append_float(log_val, count):
            return
        self._flush()
        n = self._len
        self._log_buf = self._put(self._log_buf, n, log_val)
        self._count_buf = self._put(self._count_buf, n, count)
        self._unit_counts = self._unit_counts and type(count) is int and count == 1 \
            and self._count_buf.dtype.kind in "iu"
        self._refresh_fast()
        self._len = n + 1
        if self._len > self.max_length:
            keep = self.max_length
            self._set_arrays(self._log_buf[self._len - keep:self._len].copy(),
                             self._count_buf[self._len - keep:self._len].copy())

    @property
    def data(self) -> Tuple[np.ndarray, np.ndarray]:
        return self._log_history, self._count_history

    @classmethod
    def register_statistics(cls, method: Callable) -> Callable:
        """Decorator adding `method` as a statistic usable through `statistics(name)`."""
        if method.__name__ in cls._statistics_methods:
            raise KeyError(f"statistics method {method.__name__!r} already registered")
        cls._statistics_methods[method.__name__] = method
        return method

    def statistics(self, method_name: str, *args, **kwargs) -> Any:
        if method_name not in self._statistics_methods:
            raise KeyError(f"{method_name} is not a registered HistoryBuffer statistic")
        return self._statistics_methods[method_name](self, *args, **kwargs)

    def _window(self, window_size: Optional[int]) -> int:
        if window_size is None:
            return len(self._log_history)
        if not isinstance(window_size, int):
            raise TypeError(f"window_size must be an int, got {type(window_size)}")
        return window_size

    def mean(self, window_size: Optional[int] = None):
        n = self._window(window_size)
        if self._pending:
            self._flush()
        used = self._len
        if n > 0 and self._unit_counts and used:
            # every count is 1: the count sum is the window length, so only the values need a
            # numpy reduction (the same np.add.reduce over the same values as `.sum()`)
            lo = used - n if n < used else 0
            return np.add.reduce(self._log_buf[lo:used]) / (used - lo)
        return self._log_buf[:used][-n:].sum() / self._count_buf[:used][-n:].sum()

    def max(self, window_size: Optional[int] = None):
        return self._log_history[-self._window(window_size):].max()

    def min(self, window_size: Optional[int] = None):
        return self._log_history[-self._window(window_size):].min()

    def current(self):
        if self._pending:
            self._flush()
        if self._len == 0:
            raise ValueError("HistoryBuffer is empty; call update() first")
        return self._log_buf[self._len - 1]

    def __repr__(self) -> str:
        return f"HistoryBuffer(len={len(self._log_history)})"


# Buffers restored from checkpoints are unpickled without __init__: register the defaults now.
HistoryBuffer._set_default_statistics()
