"""MC107 DataContainer payloads: `data['img_metas'].data[0]` -> TODO naming data_samples.

MMCV 1.x: datasets wrapped annotations and image metas in `mmcv.parallel.DataContainer`
(`DC(meta, cpu_only=True)`); `collate` kept them as DataContainers of per-GPU lists, and code
read them back with `.data` (`data['img_metas'].data[0]`, `data_batch['gt_bboxes'].data[0]`).
MMEngine 0.10 has no DataContainer (`pseudo_collate` leaves lists): a batch is
`dict(inputs=..., data_samples=[...])`, with metas and annotations in each sample
(`mmengine.structures.BaseDataElement`: `.metainfo`, fields such as `gt_instances`), which the
codebases' PackInputs transforms build. Which keys MMCV-era codebases put in DataContainers is
the table `DC_KEYS`; `.data` on such a key gets a TODO (a `.data` on anything else, a
tensor's, is left alone). `DataContainer(...)` itself is MC101's TODO.
"""
from __future__ import annotations

import libcst as cst

from ._util import string_value

CODE = "MC107"
# keys mmdet 2.x / mmcls 0.x / mmseg 0.x's DefaultFormatBundle / Collect wrapped in DataContainer
DC_KEYS = {"img_metas", "img", "gt_bboxes", "gt_labels", "gt_masks", "gt_semantic_seg",
           "gt_bboxes_ignore", "proposals", "gt_label", "gt_seg_map"}
_TODO = ("{key!r}.data: MMEngine has no DataContainer; a batch is dict(inputs=..., "
         "data_samples=[...]) and each data sample (mmengine.structures.BaseDataElement) carries "
         "the metas (.metainfo) and annotations")


def _dc_key(node):
    """The literal key of `x['key']` or `x['key'][i]`, if it is one of DC_KEYS."""
    while isinstance(node, cst.Subscript):
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            key = string_value(node.slice[0].slice.value)
            if key in DC_KEYS:
                return key
        node = node.value
    return None


class DataContainerFixer:
    def leave_Attribute(self, ctx, original: cst.Attribute, updated: cst.Attribute):
        if original.attr.value == "data":
            key = _dc_key(original.value)
            if key is not None:
                ctx.todo(original, CODE, _TODO.format(key=key))
        return updated
