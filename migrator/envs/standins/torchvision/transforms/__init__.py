"""Only `InterpolationMode`, `functional` and a base class mmpretrain subclasses at import time;
no torchvision transform is registered in the codebases' registries."""
from . import functional  # noqa: F401
from .transforms import InterpolationMode, RandomResizedCrop  # noqa: F401
