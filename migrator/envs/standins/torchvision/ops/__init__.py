from . import boxes  # noqa: F401
from .boxes import box_area, box_iou, generalized_box_iou  # noqa: F401


def _missing(name):
    def op(*args, **kwargs):
        raise NotImplementedError(f"torchvision stand-in: ops.{name} needs torchvision's kernels")
    return op


nms = _missing("nms")
batched_nms = _missing("batched_nms")
roi_align = _missing("roi_align")
deform_conv2d = _missing("deform_conv2d")
