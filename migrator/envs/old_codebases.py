"""The old environment with the old codebases: real MMCV 1.7.2 + mmdet 2.28.2, mmcls 0.25.0 and
mmsegmentation 0.30.0, no MMEngine. The oracle for data and model verification (issue 12).

`old.py`'s venv (MMCV 1.7.2 alone, used by the toy-project tests) is left as it is; this one is a
second venv, `<cache>/envs/old-mmdet2.28.2-mmcls0.25.0-mmseg0.30.0-<steps digest>/`, built with
`base.ensure_venv`:

* MMCV 1.7.2 from its sdist with `MMCV_WITH_OPS=0` and `setuptools<70` (as in `old.py`).
* The three codebase wheels, `--no-deps` (mmseg 0.30.0 declares `mmcls>=0.20.1`: the mmcls
  0.25.0 wheel installed beside it satisfies that), then their runtime requirements:
  pycocotools and terminaltables (mmdet), prettytable (mmseg); matplotlib, scipy, six and
  packaging come from the system site.
* MMCV 1.x's `mmcv/utils/ext_loader.py` imports `mmcv._ext` and asserts that every kernel name
  it lists exists on it. The MMCV 2.x stand-in (`standins/mmcv_ext.py`: a module whose every
  attribute is a kernel raising `MissingKernelError` naming it when called) satisfies that
  unchanged, so it is installed as `mmcv/_ext.py` from a one-file wheel: every model constructs,
  running a compiled op fails loudly with the op's name.
* The same import-only torchvision stand-in as `old.py` (`standins/torchvision/`, version 0.0.0).
* The optional packages some datasets and transforms import (lvis, panopticapi, instaboostfast,
  albumentations: `optional.py`, the same table as the new venv).

The directory name ends with a digest of the steps (`base.versioned_name`): a changed spec
builds a new venv beside the old one, which other checkouts sharing the cache keep using.

numpy: the system numpy is 2.x, which removed `np.int`/`np.float`/`np.bool`. The old codebases
still use them in a few places (mmdet's `CustomDataset.get_cat_ids` (class-balanced sampling
only), the IoU-balanced negative sampler of Libra R-CNN, `mmcv.ops.pixel_group`), none of which
data or model verification runs, so numpy is not pinned; a config reaching one fails with
AttributeError naming `np.int`, reported as an ERROR for that config.

The version guards pass: mmdet 2.28.2 asserts 1.3.17 <= mmcv < 1.8.0, mmcls 0.25.0
1.4.2 <= mmcv < 1.9.0, mmseg 0.30.0 1.3.13 <= mmcv < 1.8.0 (and mmseg's guard on mmcls is only a
warning). Run the interpreter under `old.old_python_env()` so that `import mmengine` fails.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional

from .base import EnvSpec, Step, cache_root, ensure_venv, versioned_name
from .new import STANDINS, _pip, download_wheels, standin_wheel
from .old import MMCV_VERSION, _standin_copy, _standin_digest
from .optional import steps as optional_steps

WHEELS: Dict[str, str] = {"mmdet": "2.28.2", "mmcls": "0.25.0", "mmsegmentation": "0.30.0"}
RUNTIME_DEPS = ["pycocotools", "terminaltables", "prettytable"]
ENV_NAME = "old-mmdet2.28.2-mmcls0.25.0-mmseg0.30.0"
# the codebase each old package name belongs to (for `migrate env create old CODEBASE`)
CODEBASES = {"mmdet": "mmdet", "mmcls": "mmcls", "mmseg": "mmsegmentation"}


def _mmcv_sdist(wheels: Path) -> Path:
    target = wheels / f"mmcv-{MMCV_VERSION}.tar.gz"
    if not target.exists():
        _pip(["download", "--no-deps", "--no-binary=:all:", f"mmcv=={MMCV_VERSION}",
              "-d", str(wheels)])
    return target


def ext_wheel(wheels: Path) -> Path:
    """A wheel holding only `mmcv/_ext.py` (the kernel stand-in) for the MMCV 1.7.2 venv."""
    return standin_wheel(wheels, {"mmcv/_ext.py": (STANDINS / "mmcv_ext.py").read_bytes()},
                         name="mmmigrate_mmcv1_ext")


def spec(root: Optional[Path] = None) -> EnvSpec:
    root = Path(root or cache_root()).resolve()
    wheels = root / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    files = download_wheels(wheels, WHEELS)
    ext = ext_wheel(wheels)
    tv = _standin_copy(root)
    steps = [
        Step(["setuptools<70", "wheel"]),
        Step(["--no-build-isolation", str(_mmcv_sdist(wheels))], {"MMCV_WITH_OPS": "0"}),
        Step(["--no-deps", *(str(files[n]) for n in WHEELS)]),
        Step(RUNTIME_DEPS),
        *optional_steps(),
        Step(["--no-deps", "--force-reinstall", str(ext)]),
        Step(["--no-build-isolation", "--no-deps", str(tv)],
             env={"MMMIGRATE_STANDIN_DIGEST": _standin_digest()}),
    ]
    return EnvSpec(versioned_name(ENV_NAME, steps), steps)


def old_codebases_python(root: Optional[Path] = None, log=None) -> Path:
    """The interpreter of the old-codebases venv (built on first use); run it under
    `old.old_python_env()`."""
    return ensure_venv(spec(root), root, log)
