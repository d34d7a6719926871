"""Shared by the benchmarks: real config trees from PyPI (cached in .cache/, git-ignored)."""
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from realdata import real_configs  # noqa: E402


def timed(fn, *args, repeat=1, **kwargs):
    """Best wall time of `repeat` runs and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - t)
    return best, out


__all__ = ["ROOT", "real_configs", "timed"]
