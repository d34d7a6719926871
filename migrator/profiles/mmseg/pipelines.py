"""mmseg pipelines: mmseg 0.30 transforms -> mmseg 1.2.2 / mmcv 2.1 transforms.

Old behaviour: Resize(img_scale, ratio_range), RandomFlip(prob), Normalize, Pad(size,
seg_pad_val), DefaultFormatBundle/ImageToTensor/Collect, MultiScaleFlipAug for testing; the test
pipeline loads no annotation (CustomDataset.evaluate read the ground truth itself).
New behaviour: RandomResize/Resize(scale, keep_ratio=True), RandomFlip(prob float), mean/std/pad
in SegDataPreProcessor (top-level `data_preprocessor`, and `model.data_preprocessor` where the
file has a model: mmseg's init_model does not merge the top-level one), PackSegInputs; the metric reads the ground truth from the data samples,
so every pipeline that loads images and no annotations gets `LoadAnnotations()` before
PackSegInputs (its reduce_zero_label follows the dataset's), TTA included.
"""
from __future__ import annotations

from ..common.pipeline import PipelineSpec
from ..common.walk import rewrite_pipelines
from . import tables as T

NAME = "mmseg.pipelines"


def add_annotations(pipeline, st):
    types = [t.get("type") for t in pipeline if isinstance(t, dict)]
    if "LoadAnnotations" in types and st.pre and not ({"size", "size_divisor"} & set(st.pre)):
        # a train pipeline (0.30 test pipelines load no annotation) without Pad: mmcv's collate
        # padded the batch to its largest image; SegDataPreProcessor asserts one of size /
        # size_divisor in training, and size_divisor=1 pads to the batch's largest image
        st.pre["size_divisor"] = 1
    if "LoadAnnotations" in types or "LoadImageFromFile" not in types:
        return pipeline
    out = list(pipeline)
    for i, t in enumerate(out):
        if isinstance(t, dict) and t.get("type") == "TestTimeAug":
            groups = list(t["transforms"])
            at = next((j for j, g in enumerate(groups)
                       if any(x.get("type") == T.PACK for x in g)), len(groups))
            groups.insert(at, [dict(type="LoadAnnotations")])
            out[i] = {**t, "transforms": groups}
            return out
    at = next((i for i, t in enumerate(out) if isinstance(t, dict) and t.get("type") == T.PACK),
              None)
    if at is None:
        return pipeline
    out.insert(at, dict(type="LoadAnnotations"))
    return out


SPEC = PipelineSpec(table=T.TRANSFORMS, pack=T.PACK, pack_meta_keys=T.PACK_META_KEYS,
                    collect_meta_keys=T.COLLECT_META_KEYS, preprocessor_type=T.PREPROCESSOR,
                    preprocessor_args=T.PREPROCESSOR_ARGS, meta_keys=T.META,
                    finish=add_annotations, tta_model=T.TTA_MODEL,
                    test_preprocessor_args=T.TEST_PREPROCESSOR_ARGS, preprocessor_on_model=True)


def apply(cfg, ctx):
    out = rewrite_pipelines(cfg, SPEC, ctx)
    if out is not cfg:
        ctx.report.applied(NAME)
    return out
