"""The old environment: real MMCV 1.7.2 (its `Runner`, hooks and `mmcv.parallel`), no MMEngine.

MMCV 1.7.2 ships on PyPI as an sdist only. Its `setup.py` imports `pkg_resources`, which
setuptools 70 removed, so the venv first gets `setuptools<70` and the sdist is built against it
with build isolation off; `MMCV_WITH_OPS=0` skips the compiled ops (nothing of the runner needs
them). The runtime requirements (addict, numpy, packaging, Pillow, pyyaml, yapf, opencv) are
resolved by pip and are already satisfied by the system site on this machine; the system numpy
2.x works with everything `mmcv.runner`, `mmcv.parallel` and `mmcv.cnn` import (MMCV 1.7.2 has no
`np.float`-style aliases outside `mmcv.ops`), so numpy is not pinned. Torch comes from the system
site (the venv sees it).

`mmcv.runner.checkpoint` imports `torchvision` at module level for the model-zoo URLs. A PyPI
torchvision is built for one exact torch and breaks beside the system torch, so the venv gets the
import-only stand-in in `standins/torchvision/` (an empty `torchvision.models`, version 0.0.0).

The venv is built once into `<cache>/envs/mmcv-1.7.2/` (see `base.ensure_venv`); the spec's digest
includes a hash of the stand-in's files, so editing them rebuilds it. MMEngine, installed in the
system site, would also be visible inside the venv; `old_python_env()` gives the environment
variables under which a subprocess must run so that `import mmengine` fails there, which keeps
the old side honest.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Dict, Optional

from .base import EnvSpec, Step, cache_root, ensure_venv

MMCV_VERSION = "1.7.2"
STANDIN = Path(__file__).resolve().parent / "standins" / "torchvision"
ENV_NAME = f"mmcv-{MMCV_VERSION}"


def _standin_digest() -> str:
    h = hashlib.sha256()
    for f in sorted(STANDIN.rglob("*")):
        if f.is_file() and "__pycache__" not in f.parts and ".egg-info" not in str(f):
            h.update(str(f.relative_to(STANDIN)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _standin_copy(root: Path) -> Path:
    """A copy of the stand-in under the cache: pip builds it in place and leaves build files."""
    digest = _standin_digest()
    target = root / "standins" / f"torchvision-{digest}"
    if not (target / "pyproject.toml").exists():
        tmp = target.with_name(target.name + f".tmp{os.getpid()}")
        if tmp.exists():
            shutil.rmtree(tmp)
        shutil.copytree(STANDIN, tmp, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info",
                                                                      "build"))
        try:
            tmp.rename(target)
        except OSError:              # another process won the race: its copy is identical
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def old_spec(root: Optional[Path] = None) -> EnvSpec:
    root = Path(root or cache_root())
    standin = _standin_copy(root)
    return EnvSpec(
        name=ENV_NAME,
        steps=[
            Step(["setuptools<70", "wheel"]),
            Step(["--no-build-isolation", "--no-binary", "mmcv", f"mmcv=={MMCV_VERSION}"],
                 env={"MMCV_WITH_OPS": "0"}),
            Step(["--no-build-isolation", "--no-deps", str(standin)],
                 env={"MMMIGRATE_STANDIN_DIGEST": _standin_digest()}),
        ],
    )


def old_python(root: Optional[Path] = None, log=None) -> Path:
    """The interpreter of the MMCV 1.7.2 venv (built on first use)."""
    return ensure_venv(old_spec(root), root=root, log=log)


BLOCK_MMENGINE = Path(__file__).resolve().parent / "standins" / "block_mmengine"


def old_python_env(base: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """Environment for a subprocess of the old venv in which `import mmengine` fails.

    `standins/block_mmengine/` goes first on `PYTHONPATH`: its `mmengine` package raises
    ImportError (the system site has the real one, and the venv sees the system site)."""
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in [str(BLOCK_MMENGINE), env.get("PYTHONPATH", "")] if p)
    env["PYTHONWARNINGS"] = env.get("PYTHONWARNINGS", "ignore")
    return env
