"""Optional packages some configs' datasets and transforms import, for both venvs (one table).

mmdet 2.28.2 and 3.3.0 import each lazily, so a config that needs one fails on a venv without it
("lvis not installed"). Installed in both the old-codebases venv and the new one:

| package              | imported by (mmdet 2.28.2 and 3.3.0)                                      |
|----------------------|----------------------------------------------------------------------------|
| lvis 0.5.3           | LVISV05Dataset / LVISV1Dataset (`lvis.LVIS`), LVISMetric                   |
| panopticapi-lite 0.2 | CocoPanopticDataset, LoadPanopticAnnotations (`panopticapi.utils.rgb2id`,  |
|                      | `id2rgb`, `panopticapi.evaluation.VOID/OFFSET/PQStat`)                     |
| instaboostfast 0.1.2 | the InstaBoost transform                                                   |
| albumentations 1.3.1 | the Albu transform (1.3.1: the last line with every transform name the     |
|                      | albu_example config uses, `JpegCompression` included; 2.x removed it)      |

* `panopticapi` itself is not on PyPI (mmdet's docs install it from git); `panopticapi-lite`
  0.2.0 is the same code repackaged: its `utils.py` and `evaluation.py` equal cocodataset/
  panopticapi's master (7bb4655) up to whitespace, parentheses on `class X():`, one docstring
  quote style and two unused imports (`sys`, `timedelta`).
* `--no-deps` for these five: their declared requirements would shadow the system site's numpy
  2.x (panopticapi-lite pins numpy<2) and opencv (albumentations and qudida ask for
  opencv-python-headless, lvis for opencv-python and Cython, a build-time leftover). What they
  import at run time is installed by the second step: scikit-image (instaboostfast's
  `pycococreater`, albumentations), scikit-learn through qudida (albumentations 1.3.1 imports
  its domain adaptation at package import); numpy, scipy, cv2, PIL, matplotlib, pycocotools come
  from the system site or the codebase step.
"""
from __future__ import annotations

from typing import List

from .base import Step

NO_DEPS = ["lvis==0.5.3", "panopticapi-lite==0.2.0", "instaboostfast==0.1.2",
           "albumentations==1.3.1", "qudida==0.0.4"]
RESOLVED = ["scikit-image==0.26.0", "scikit-learn==1.9.1"]
# import name -> what each venv must then provide (checked by tests/test_envs_optional.py)
IMPORTS = {"lvis": "LVIS", "panopticapi.utils": "rgb2id", "panopticapi.evaluation": "PQStat",
           "instaboostfast": "get_new_data", "albumentations": "JpegCompression"}


def steps() -> List[Step]:
    return [Step(["--no-deps", *NO_DEPS]), Step(RESOLVED)]
