"""mmpretrain pipelines: mmcls 0.25 transforms -> mmpretrain 1.2 / mmcv 2.1 transforms.

Old behaviour: mmcls pipelines normalise per sample (`Normalize(mean, std, to_rgb)`), end with
`ImageToTensor`/`ToTensor`/`Collect(keys, meta_keys)`, and use mmcls argument names (`size`,
`flip_prob`, `efficientnet_style`, `gray_prob`); `Resize(size)` takes (h, w), an int for a square
and (h, -1) for "this edge keeps the ratio".
New behaviour: mmcv/mmpretrain names (see tables.py), `PackInputs` ends the pipeline, mean/std/
to_rgb go to the top-level `data_preprocessor` (ClsDataPreprocessor), `Resize(scale)` takes
(w, h) and the adaptive edge case is `ResizeEdge(scale, edge)`.
"""
from __future__ import annotations

from ..common.pipeline import PipelineSpec, map_args
from ..common.walk import rewrite_pipelines
from . import tables as T

NAME = "mmpretrain.pipelines"


def conv_cls_resize(t, entry, st, where, ctx_msfa=None):
    size = t["size"]
    rest = {k: v for k, v in t.items() if k in ("interpolation", "backend")}
    if isinstance(size, (list, tuple)) and len(size) == 2 and size[1] == -1:
        return [dict(type="ResizeEdge", scale=size[0], edge=t.get("adaptive_side", "short"),
                     **rest)]
    if isinstance(size, (list, tuple)) and len(size) == 2:
        return [dict(type="Resize", scale=(size[1], size[0]), **rest)]
    if isinstance(size, int):
        return [dict(type="Resize", scale=size, **rest)]
    st.todo(where, f"Resize(size={size!r}) not understood", t)
    return [map_args(t, entry, st, where)]


def conv_cls_lighting(t, entry, st, where, ctx_msfa=None):
    """Lighting(to_rgb=True) (the mmcls default) turns the image to RGB for good (mmcv
    adjust_lighting converts in place): remembered for `finish`."""
    new = map_args(t, entry, st, where)
    if new.get("to_rgb"):
        st.lighting_to_rgb = True
    return [new]


def finish(pipeline, st):
    """Lighting(to_rgb=True) turns the image to RGB; the Normalize after it swaps again
    (to_rgb=True: the model saw BGR, mmcls regnet configs, whose test pipelines normalise BGR
    with to_rgb=False) or not (to_rgb=False: the model saw RGB, mmcls resnest configs, whose
    test pipelines normalise with to_rgb=True). Exact single-preprocessor form: Lighting
    (to_rgb=False) on the BGR image with eigvec's rows reversed (its per-channel shift,
    eigvec @ (alpha * eigval), lands on the same colours) and the data preprocessor's to_rgb
    the opposite of that Normalize's (the channel order the model saw)."""
    if not (getattr(st, "lighting_to_rgb", False) and st.pre.get("to_rgb") in (True, False)):
        return pipeline
    st.pre["to_rgb"] = not st.pre["to_rgb"]
    st.lighting_to_rgb = False
    return [dict(t, to_rgb=False, eigvec=[list(r) for r in reversed(t["eigvec"])])
            if isinstance(t, dict) and t.get("type") == "Lighting" and t.get("to_rgb") else t
            for t in pipeline]


SPEC = PipelineSpec(table=T.TRANSFORMS, pack=T.PACK, pack_meta_keys=T.PACK_META_KEYS,
                    collect_meta_keys=T.COLLECT_META_KEYS, preprocessor_type=T.PREPROCESSOR,
                    preprocessor_args=T.PREPROCESSOR_ARGS, meta_keys=T.META,
                    converters={"cls_resize": conv_cls_resize, "cls_lighting": conv_cls_lighting},
                    tta_model=T.TTA_MODEL, finish=finish)


def apply(cfg, ctx):
    out = rewrite_pipelines(cfg, SPEC, ctx)
    if out is not cfg:
        ctx.report.applied(NAME)
    return out
