"""The progress bar `migrate` draws on stderr while it converts, when stderr is a terminal.

    migrate: converting [##########----------] 232/464 files 0:41 elapsed, ETA 0:41

One redraw per file (`ProgressBar(done, total, phase)` is the callback `project.convert_tree` and
`cli._run_all` call), ETA from the mean time per file so far in this phase. A new phase
("reading" then "converting" in tree mode) ends the previous bar's line and starts a new one.
Never drawn when stderr is not a terminal (pre-commit, CI logs, pipes) or with `-q`: then no
control character reaches the output. The line is cut to the terminal's width, so a redraw
never wraps.
"""
from __future__ import annotations

import shutil
import time
from typing import Callable, Optional, TextIO


def clock_text(seconds: float) -> str:
    """0:07, 12:30, 1:02:03."""
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class ProgressBar:
    def __init__(self, stream: TextIO, width: int = 20,
                 clock: Callable[[], float] = time.monotonic):
        self.stream, self.width, self.clock = stream, width, clock
        self.phase: Optional[str] = None
        self.start = 0.0
        self.drawn = 0                      # length of the line on screen
        self.last = None                    # (done, total, phase) drawn last

    @classmethod
    def for_stream(cls, stream: TextIO, quiet: bool) -> Optional["ProgressBar"]:
        """A bar when `stream` is a terminal and not quiet, else None (no progress output)."""
        isatty = getattr(stream, "isatty", None)
        return cls(stream) if not quiet and isatty is not None and isatty() else None

    def line(self, done: int, total: int, phase: str, columns: int = 80) -> str:
        """The bar's text, at most `columns - 1` wide (the bar shrinks first)."""
        elapsed = self.clock() - self.start
        eta = clock_text(elapsed / done * (total - done)) if done else "--:--"
        head = f"migrate: {phase:<10} ["
        tail = (f"] {done:>{len(str(total))}}/{total} files {clock_text(elapsed)} elapsed, "
                f"ETA {eta}")
        width = max(5, min(self.width, columns - 1 - len(head) - len(tail)))
        filled = width * done // total if total else width
        return (head + "#" * filled + "-" * (width - filled) + tail)[:max(20, columns - 1)]

    def __call__(self, done: int, total: int, phase: str = "converting") -> None:
        if (done, total, phase) == self.last:
            return
        self.last = (done, total, phase)
        if phase != self.phase:
            self.end_line()
            self.phase, self.start = phase, self.clock()
        text = self.line(done, total, phase, shutil.get_terminal_size().columns)
        self.stream.write("\r" + text + " " * max(0, self.drawn - len(text)))
        self.stream.flush()
        self.drawn = len(text)

    def end_line(self) -> None:
        """Leave the last state of the bar on screen and move to the next line."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = 0

    close = end_line
