"""mmdet pipelines: mmdet 2.28.2 transforms -> mmdet 3.3.0 / mmcv 2.1 transforms.

Old behaviour: Resize(img_scale, multiscale_mode, ratio_range), RandomFlip(flip_ratio,
direction), Normalize and Pad(size_divisor) per sample, DefaultFormatBundle + Collect(keys,
meta_keys), MultiScaleFlipAug for testing; test pipelines loaded no annotations (the dataset's
evaluate() read them from the annotation file).
New behaviour: Resize(scale)/RandomResize/RandomChoiceResize, RandomFlip(prob), mean/std/padding
in DetDataPreprocessor (pad_mask when masks are loaded), PackDetInputs(meta_keys) without the
flip keys where no RandomFlip produces them; test pipelines load the annotations after Resize
with the training loader's type and with_* flags (as the 3.x dataset bases do); geometric
transforms after LoadProposals run in ProposalBroadcaster (3.x moves only gt_bboxes);
SegRescale leaves the pipeline where the semantic head rescales the map itself; several test scales/flips -> tta_pipeline
+ DetTTAModel.
"""
from __future__ import annotations

import copy
import dataclasses
import functools

from ...copying import deep_copy
from ..common.pipeline import PipelineSpec, _convert_list, map_args
from ..common.walk import find_pipelines, rewrite_pipelines, split_of
from . import tables as T

NAME = "mmdet.pipelines"


def _broadcast_proposals(pipeline):
    """Runs of geometric transforms after LoadProposals -> ProposalBroadcaster(transforms)."""
    types = [t.get("type") if isinstance(t, dict) else None for t in pipeline]
    if "LoadProposals" not in types:
        return pipeline
    start = types.index("LoadProposals")
    out, run = [], []
    for i, t in enumerate(pipeline):
        if i > start and types[i] in T.PROPOSAL_TRANSFORMS:
            run.append(t)
            continue
        if run:
            out.append({"type": T.PROPOSAL_BROADCASTER, "transforms": run})
            run = []
        out.append(t)
    if run:
        out.append({"type": T.PROPOSAL_BROADCASTER, "transforms": run})
    return out


def _finish(pipeline, st, test_load=None):
    types = [t.get("type") for t in pipeline if isinstance(t, dict)]
    if T.PACK not in types:
        return _broadcast_proposals(pipeline)
    out = list(pipeline)
    at = types.index(T.PACK)
    pack = dict(out[at])
    if "RandomFlip" not in types and "TestTimeAug" not in types and "meta_keys" not in pack:
        pack["meta_keys"] = tuple(k for k in T.PACK_META_KEYS if k not in T.FLIP_META_KEYS)
    out[at] = pack
    loads = [t for t in types if t in T.ANNOTATION_LOADERS]
    if not loads and "LoadImageFromFile" in types and "TestTimeAug" not in types \
            and "LoadProposals" not in types:       # (3.x fast_rcnn tests load no boxes)
        out.insert(at, copy.deepcopy(test_load or T.TEST_ANNOTATIONS))
    return _broadcast_proposals(out)


def test_loader(cfg):
    """The annotation loader test pipelines get: the first training pipeline's loader type and
    `with_*` flags (masks for instance segmentation, LoadPanopticAnnotations for panoptic), as
    the 3.x dataset bases write it; bbox-only when no training pipeline loads annotations."""
    for path in find_pipelines(cfg, SPEC):
        if split_of(path) != "train":
            continue
        pipeline = cfg
        for p in path:
            pipeline = pipeline[p]
        for t in pipeline:
            if isinstance(t, dict) and t.get("type") in T.ANNOTATION_LOADERS:
                flags = {k: v for k, v in t.items() if k in T.TEST_LOADER_FLAGS}
                return {"type": t["type"], **flags}
    return None


def conv_policies(t, entry, st, where, ctx_msfa=None):
    """2.x AutoAugment(policies=[[t, ...], ...]) -> 3.x AutoAugment with each policy converted
    (3.x AutoAugment is mmcv's RandomChoice: one policy per sample, uniformly, as before)."""
    policies = t.get("policies") or []
    renamed = sorted({x.get("type") for p in policies for x in p if isinstance(x, dict)}
                     & set(T.RENAMED_POLICY_TRANSFORMS))
    if renamed:
        st.todo(where + ".policies", "AutoAugment policies use 2.x transforms that mmdet 3.x "
                "renamed and re-parametrised: " + ", ".join(
                    f"{n} -> {T.RENAMED_POLICY_TRANSFORMS[n]}" for n in renamed), policies)
        return [copy.deepcopy(t)]
    out = {k: copy.deepcopy(v) for k, v in t.items() if k != "policies"}
    out["policies"] = [_convert_list(p, st, f"{where}.policies[{i}]")
                       for i, p in enumerate(policies)]
    return [out]


def conv_albu(t, entry, st, where, ctx_msfa=None):
    """2.x Albu(bbox_params.label_fields=['gt_labels']) -> 3.x label fields (see tables)."""
    out = map_args(t, entry, st, where)
    bp = out.get("bbox_params")
    if isinstance(bp, dict) and isinstance(bp.get("label_fields"), (list, tuple)):
        fields = [T.ALBU_LABEL_FIELDS.get(f, f) for f in bp["label_fields"]]
        fields += [f for f in T.ALBU_EXTRA_LABEL_FIELDS if f not in fields]
        out["bbox_params"] = {**bp, "label_fields": fields}
    return [out]


SPEC = PipelineSpec(table=T.TRANSFORMS, pack=T.PACK, pack_meta_keys=T.PACK_META_KEYS,
                    collect_meta_keys=T.COLLECT_META_KEYS, preprocessor_type=T.PREPROCESSOR,
                    preprocessor_args=T.PREPROCESSOR_ARGS, meta_keys=T.META, finish=_finish,
                    tta_model=T.TTA_MODEL, converters={"policies": conv_policies, "albu": conv_albu})


def _semantic_heads(v, path=("model",)):
    if isinstance(v, dict):
        if v.get("type") in T.SEMANTIC_RESCALE_HEADS:
            yield path, v
        for k, x in v.items():
            yield from _semantic_heads(x, path + (k,))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from _semantic_heads(x, path + (i,))


def semantic_rescale(cfg, ctx):
    """SegRescale -> the semantic head's own rescaling (3.x heads shrink the map in loss())."""
    heads = list(_semantic_heads(cfg.get("model")))
    paths = find_pipelines(cfg, SPEC)
    found = []
    for path in paths:
        pipe = cfg
        for p in path:
            pipe = pipe[p]
        found += [t.get("scale_factor", 1) for t in pipe
                  if isinstance(t, dict) and t.get("type") == T.SEG_RESCALE]
    if not heads or not found:
        return cfg
    factor = found[0]
    for hpath, head in heads:
        arg = T.SEMANTIC_RESCALE_HEADS[head["type"]]
        fixed = None if arg else 1 / 2 ** (head.get("start_level", 0) + 2)
        if any(f != factor for f in found) or (fixed is not None and abs(factor - fixed) > 1e-12):
            ctx.todo("model." + ".".join(map(str, hpath[1:])), f"{head['type']} rescales the "
                     f"semantic map itself in mmdet 3.x ({arg or 'by 1 / 2**(start_level+2)'}); "
                     f"the pipeline's SegRescale factors {found} do not map onto it",
                     anchor="model")
            return cfg
    out = deep_copy(cfg)        # copy.deepcopy, faster
    for path in paths:
        holder = out
        for p in path[:-1]:
            holder = holder[p]
        holder[path[-1]] = [t for t in holder[path[-1]]
                            if not (isinstance(t, dict) and t.get("type") == T.SEG_RESCALE)]
    for hpath, head in heads:
        arg = T.SEMANTIC_RESCALE_HEADS[head["type"]]
        if arg:
            holder = out
            for p in hpath:
                holder = holder[p]
            holder[arg] = factor
    return out


def apply(cfg, ctx):
    load = test_loader(cfg)
    spec = SPEC if load is None else dataclasses.replace(
        SPEC, finish=functools.partial(_finish, test_load=load))
    out = semantic_rescale(rewrite_pipelines(cfg, spec, ctx), ctx)
    if out is not cfg:
        ctx.report.applied(NAME)
    return out
