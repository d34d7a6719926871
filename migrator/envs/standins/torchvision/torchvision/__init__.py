"""Stand-in for torchvision in the MMCV 1.7.2 verification venv (written by mmmigrate).

`mmcv.runner.checkpoint` imports torchvision at module level only to list the model-zoo URLs
for `torchvision://` checkpoints. The real torchvision wheels are built against one torch
version each and break beside the system torch, so the venv gets this module instead: it has
a version below 0.13 (MMCV then scans `torchvision.models` for `model_urls`) and an empty
`models` package, so `torchvision://` names resolve to nothing and everything else works.
"""
__version__ = "0.0.0"

from . import models  # noqa: E402,F401
