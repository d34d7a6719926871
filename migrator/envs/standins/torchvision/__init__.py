"""Stand-in for torchvision in the new-codebase venv (mmmigrate, not the real package).

PyPI's torchvision wheels are CUDA builds: beside the CPU torch their `_C` library does not
load, and `import torchvision` then fails outright. The codebases only need a few names at import
time (mmpretrain: `transforms.functional`, `InterpolationMode`, `ops.boxes`; mmcv/mmdet import it
lazily for DCN and GPU assignment). This package provides exactly those names; box utilities are
implemented, image functions that the converted configs do not reach raise when called.
"""
__version__ = "0.28.0+mmmigrate.standin"

from . import ops, transforms  # noqa: E402,F401
