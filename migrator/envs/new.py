"""The new (MMEngine-era) environment: the real codebases a converted config must build in.

One venv holds mmcv 2.1.0, mmengine 0.10.7, mmdet 3.3.0, mmpretrain 1.2.0 and mmsegmentation
1.2.2 with their runtime dependencies, beside the machine's CPU torch (system site-packages).

* mmcv 2.1.0 is built from its sdist with `MMCV_WITH_OPS=0` (pure Python, a few minutes); the
  build then names the distribution `mmcv-lite`, so it is installed from the downloaded file, not
  by name. pip prepares the sdist's metadata by running setup.py, which imports `pkg_resources`;
  recent setuptools dropped it, so downloads and the build use `setuptools<70`.
* Without compiled ops `mmcv.ops` cannot import `mmcv._ext`: `standins/mmcv_ext.py` is installed as
  that module (every kernel raises when called), so every model constructs.
* PyPI's torchvision is a CUDA build whose `_C` does not load beside the CPU torch, and then
  `import torchvision` fails; `standins/torchvision/` provides the few names the codebases import.
* The optional packages some datasets and transforms import (lvis, panopticapi, instaboostfast,
  albumentations): `optional.py`, the same table as the old venv.

The stand-ins are packed into a small wheel (`mmmigrate-standins`) written into the cache; its
version carries a digest of their sources, so editing them rebuilds the venv.
"""
from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Dict, List, Optional

from .base import EnvSpec, Step, cache_root, ensure_venv, versioned_name
from .optional import steps as optional_steps

MMCV = "2.1.0"
WHEELS: Dict[str, str] = {"mmdet": "3.3.0", "mmpretrain": "1.2.0", "mmsegmentation": "1.2.2"}
RUNTIME_DEPS: List[str] = [
    "mmengine==0.10.7",
    # mmdet 3.3.0
    "pycocotools", "shapely", "terminaltables", "tqdm", "scipy", "six", "matplotlib",
    # mmpretrain 1.2.0
    "einops", "importlib-metadata", "mat4py", "modelindex", "rich",
    # mmsegmentation 1.2.2
    "prettytable", "packaging", "ftfy", "regex",
]
STANDINS = Path(__file__).resolve().parent / "standins"
ENV_NAME = "new-mmdet3.3.0-mmpretrain1.2.0-mmseg1.2.2"


def _pip(args: List[str], env: Optional[Dict[str, str]] = None) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as c:
        c.write("setuptools<70\n")
    try:
        subprocess.run([sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "-q"],
                       check=True, timeout=900,
                       env=dict(os.environ, PIP_CONSTRAINT=c.name, **(env or {})))
    finally:
        os.unlink(c.name)


def download(wheels: Path) -> Dict[str, Path]:
    """The mmcv sdist and the codebase wheels, fetched with pip into `wheels/` once."""
    wheels.mkdir(parents=True, exist_ok=True)
    files = {"mmcv": wheels / f"mmcv-{MMCV}.tar.gz"}
    if not files["mmcv"].exists():
        _pip(["download", "--no-deps", "--no-binary=:all:", f"mmcv=={MMCV}", "-d", str(wheels)])
    files.update(download_wheels(wheels, WHEELS))
    return files


def download_wheels(wheels: Path, versions: Dict[str, str]) -> Dict[str, Path]:
    """name -> wheel file for each `name==version`, fetched with pip into `wheels/` once."""
    files = {}
    for name, version in versions.items():
        found = sorted(wheels.glob(f"{name}-{version}-*.whl"))
        if not found:
            _pip(["download", "--no-deps", "--only-binary=:all:", f"{name}=={version}",
                  "-d", str(wheels)])
            found = sorted(wheels.glob(f"{name}-{version}-*.whl"))
        files[name] = found[0]
    return files


def _standin_files() -> Dict[str, bytes]:
    """Archive path -> content for the stand-in wheel."""
    out = {"mmcv/_ext.py": (STANDINS / "mmcv_ext.py").read_bytes()}
    for p in sorted((STANDINS / "torchvision").rglob("*.py")):
        out[str(p.relative_to(STANDINS))] = p.read_bytes()
    return out


def standin_wheel(wheels: Path, files: Optional[Dict[str, bytes]] = None,
                  name: str = "mmmigrate_standins") -> Path:
    """Write (once per content) a stand-in wheel holding `files` (archive path -> content; by
    default the new venv's stand-ins) and return its path; its version carries their digest."""
    files = dict(_standin_files() if files is None else files)
    digest = hashlib.sha256(b"".join(k.encode() + v for k, v in files.items())).hexdigest()[:10]
    version = f"0.0.0+{digest}"
    target = wheels / f"{name}-{version}-py3-none-any.whl"
    if target.exists():
        return target
    info = f"{name}-{version}.dist-info"
    dist = name.replace("_", "-")
    files[f"{info}/METADATA"] = (f"Metadata-Version: 2.1\nName: {dist}\n"
                                 f"Version: {version}\n").encode()
    files[f"{info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: mmmigrate\n"
                              b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    record = []
    for path, data in files.items():
        h = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={h},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    tmp = target.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    tmp.rename(target)
    return target


def spec(root: Optional[Path] = None) -> EnvSpec:
    wheels = Path(root or cache_root()).resolve() / "wheels"   # one digest through a symlink
    files = download(wheels)
    standins = standin_wheel(wheels)
    # the steps' digest (stand-ins included) is part of the name: checkouts with another spec
    # (other branches sharing one cache) get their own venv instead of rebuilding this one
    steps = [
        Step(["setuptools<70", "wheel"]),
        Step(["--no-build-isolation", "--no-deps", str(files["mmcv"])], {"MMCV_WITH_OPS": "0"}),
        Step(["--no-deps", *(str(files[n]) for n in WHEELS)]),
        Step(RUNTIME_DEPS),
        *optional_steps(),
        Step(["--no-deps", "--force-reinstall", str(standins)]),
    ]
    return EnvSpec(versioned_name(ENV_NAME, steps), steps)


def new_python(root: Optional[Path] = None, log=None) -> Path:
    """The interpreter of the new-codebase venv (built on first use)."""
    return ensure_venv(spec(root), root, log)
