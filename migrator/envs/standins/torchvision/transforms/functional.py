"""The two functions mmpretrain 1.2.0 imports from here."""
import numpy as np
import torch

from .transforms import InterpolationMode  # noqa: F401


def pil_to_tensor(pic):
    """PIL image -> uint8 CHW tensor (as torchvision: no scaling)."""
    arr = np.array(pic, copy=True)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return torch.from_numpy(arr).permute(2, 0, 1).contiguous()


def resized_crop(*args, **kwargs):
    raise NotImplementedError("torchvision stand-in: resized_crop is not available")
