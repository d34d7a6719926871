from enum import Enum


class InterpolationMode(Enum):
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


class RandomResizedCrop:
    """Base class only (mmpretrain's MAERandomResizedCrop subclasses it); not usable."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError("torchvision stand-in: RandomResizedCrop is not available")
