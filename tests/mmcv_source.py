"""MMCV 1.7.2's own source, fetched from PyPI once into the cache (never committed).

`mmcv_source()` downloads the sdist with pip (`pip download --no-deps --no-binary=:all:`) into
`$MMMIGRATE_CACHE/wheels/`, unpacks it under a file lock (pytest-xdist workers may race) into
`$MMMIGRATE_CACHE/mmcv-1.7.2-src/` and returns the `mmcv-1.7.2/` directory. pip prepares the
sdist's metadata by running its setup.py, which imports `pkg_resources`; recent setuptools
dropped it, so the isolated build environment is constrained to `setuptools<70`.
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "1.7.2"


def _cache() -> Path:
    return Path(os.environ.get("MMMIGRATE_CACHE") or Path(__file__).resolve().parent.parent / ".cache")


def _sdist(cache: Path) -> Path:
    wheels = cache / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    sdist = wheels / f"mmcv-{VERSION}.tar.gz"
    if sdist.exists():
        return sdist
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as c:
        c.write("setuptools<70\n")
    try:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary=:all:",
                        "--disable-pip-version-check", "-q", f"mmcv=={VERSION}", "-d", str(wheels)],
                       check=True, env=dict(os.environ, PIP_CONSTRAINT=c.name), timeout=600)
    finally:
        os.unlink(c.name)
    if not sdist.exists():
        raise FileNotFoundError(f"pip did not produce {sdist}")
    return sdist


def mmcv_source() -> Path:
    """The unpacked `mmcv-1.7.2/` source directory (contains `mmcv/runner/hooks/...`)."""
    cache = _cache()
    target = cache / f"mmcv-{VERSION}-src"
    done = target / ".unpacked"
    if not done.exists():
        cache.mkdir(parents=True, exist_ok=True)
        with open(cache / f".lock-mmcv-{VERSION}-src", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not done.exists():
                sdist = _sdist(cache)
                with tarfile.open(sdist) as tf:
                    members = [m for m in tf.getmembers()
                               if m.isfile() and m.name.startswith(f"mmcv-{VERSION}/mmcv/")]
                    tf.extractall(target, members=members, filter="data")
                done.write_text(sdist.name + "\n")
    return target / f"mmcv-{VERSION}"
