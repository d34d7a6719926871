"""MC109 mmcv's colour-order flips -> numpy slicing.

MMCV 1.x: `mmcv.bgr2rgb(img)` / `mmcv.rgb2bgr(img)` (mmcv/image/colorspace.py:
`cv2.cvtColor(img, cv2.COLOR_BGR2RGB)`, on the HxWx3 images mmcv.imread and the code bases'
LoadImageFromFile give). MMEngine 0.10 has no image functions (mmcv 2.x keeps these two, but a
migrated hook would then need mmcv installed for one line). `img[..., ::-1]` reverses the
channel axis: the same values as cvtColor for a 3-channel image (mmcls 0.25.0's own wandb hook
writes exactly this); a 2-D grayscale array, which cvtColor refuses, would have its columns
reversed instead. A call with one positional argument becomes `(<arg>)[..., ::-1]`; any other
use (a reference, keywords) is left alone. Table: `tables.CHANNEL_FLIPS`.
"""
from __future__ import annotations

import libcst as cst

from .. import tables
from ._util import code_of
from .imports import _drop_root_import

CODE = "MC109"


class ImageFixer:
    def leave_Call(self, ctx, original: cst.Call, updated: cst.Call):
        q = ctx.qname_in(original.func, tables.CHANNEL_FLIPS)
        if q is None or len(original.args) != 1 or original.args[0].keyword is not None or \
                original.args[0].star:
            return updated
        arg = code_of(updated.args[0].value)
        if isinstance(original.func, cst.Attribute):
            _drop_root_import(ctx, original.func)
        elif isinstance(original.func, cst.Name):
            module, _, name = q.rpartition(".")
            local = original.func.value
            ctx.drop_if_unused(module, name, local if local != name else None)
        ctx.note(original, CODE, f"{q.rpartition('.')[2]}(img) -> img[..., ::-1] (the channel "
                                 "axis reversed: cv2.cvtColor's result for an HxWx3 image)")
        needs_parens = not isinstance(updated.args[0].value, (cst.Name, cst.Attribute,
                                                              cst.Subscript, cst.Call))
        return cst.parse_expression(f"({arg})[..., ::-1]" if needs_parens else f"{arg}[..., ::-1]")
