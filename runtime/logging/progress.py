"""Terminal progress bar for val/test loops (MMCV 1.x's `mmcv.ProgressBar` used by
`single_gpu_test`; MMEngine itself reports val/test progress only through LoggerHook lines).

`ProgressBar(total)` draws `[>>>>   ] 3/10, 12.3 task/s, elapsed: 1s, ETA: 2s` on a terminal and
stays silent when the stream is not a TTY (log files and CI output stay clean), unless `force`.
"""
from __future__ import annotations

import sys
import time
from typing import Optional, TextIO


class ProgressBar:
    def __init__(self, total: int, width: int = 30, stream: Optional[TextIO] = None,
                 force: bool = False):
        self.total = int(total)
        self.width = width
        self.stream = stream if stream is not None else sys.stdout
        isatty = getattr(self.stream, "isatty", lambda: False)
        self.enabled = force or bool(isatty())
        self.completed = 0
        self.start = time.perf_counter()

    def update(self, n: int = 1) -> None:
        self.completed += n
        if not self.enabled:
            return
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        rate = self.completed / elapsed
        if self.total > 0:
            frac = min(self.completed / self.total, 1.0)
            filled = int(self.width * frac)
            eta = int(elapsed * (1 - frac) / frac + 0.5) if frac > 0 else 0
            line = (f"[{'>' * filled}{' ' * (self.width - filled)}] {self.completed}/{self.total}"
                    f", {rate:.1f} task/s, elapsed: {int(elapsed + 0.5)}s, ETA: {eta:5}s")
        else:
            line = f"completed: {self.completed}, elapsed: {int(elapsed + 0.5)}s, {rate:.1f} tasks/s"
        self.stream.write("\r" + line)
        if self.total > 0 and self.completed >= self.total:
            self.stream.write("\n")
        self.stream.flush()
