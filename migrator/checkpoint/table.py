"""State-dict key renames between the old and the new codebases (pure data, no torch).

One entry per model family whose state-dict layout changed between versions: the scope of the
new config (`default_scope`), what selects it (the new config's `model.type`, or the type of
`model.backbone` / `model.head` / `model.decode_head`), and ordered `(regex, replacement)` pairs
applied to every key (the first pattern that matches a key renames it; a replacement of None
drops the key: it no longer exists in the new model). Keys no entry matches keep their name.

Every entry was found by building the old and the new model of real configs and comparing their
state-dict keys (`migrator/verify/model`: the old model's state dict, renamed through this table,
is loaded into the new model and every missing/unexpected key is reported), and is checked the
same way by the tests and `benchmarks/verify_models.py`.
"""
from __future__ import annotations

import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

# (scope, selector field, types, [(pattern, replacement), ...], why)
# mmdet 2.x transformer layers (mmcv BaseTransformerLayer: attentions[i], ffns[0]) inside the
# head's `transformer` -> mmdet 3.x DetrTransformer*Layer modules on the detector
_LAYERS = [
    (r"^bbox_head\.transformer\.encoder\.layers\.(\d+)\.attentions\.0\.",
     r"encoder.layers.\1.self_attn."),
    (r"^bbox_head\.transformer\.encoder\.layers\.(\d+)\.ffns\.0\.", r"encoder.layers.\1.ffn."),
    (r"^bbox_head\.transformer\.decoder\.layers\.(\d+)\.attentions\.0\.",
     r"decoder.layers.\1.self_attn."),
    (r"^bbox_head\.transformer\.decoder\.layers\.(\d+)\.attentions\.1\.",
     r"decoder.layers.\1.cross_attn."),
    (r"^bbox_head\.transformer\.decoder\.layers\.(\d+)\.ffns\.0\.", r"decoder.layers.\1.ffn."),
]
_QUERY = [(r"^bbox_head\.query_embedding\.", "query_embedding.")]

# (scope, selector field, types, [(pattern, replacement), ...], why)
RENAMES: List[Tuple[str, str, Tuple[str, ...], List[Tuple[str, Optional[str]]], str]] = [
    ("mmdet", "model", ("DETR",), _LAYERS + [
        (r"^bbox_head\.transformer\.(encoder|decoder)\.", r"\1."),
        (r"^bbox_head\.input_proj\.", "neck.convs.0.conv."),
    ] + _QUERY,
     "mmdet 3.x DETR moved the transformer out of the head (DetrTransformerEncoder/Decoder "
     "on the detector, layers with self_attn/cross_attn/ffn instead of attentions[i]/ffns[0]), "
     "the query embedding onto the detector, and the head's 1x1 input_proj into a "
     "ChannelMapper neck (convs[0].conv); norms keep their indices"),
    ("mmdet", "model", ("RPN",), [(r"^rpn_head\.", "bbox_head.")],
     "mmdet 3.x RPN (the proposal network trained alone) is a SingleStageDetector: its RPNHead "
     "is `bbox_head`, mmdet 2.x kept it as `rpn_head`"),
    ("mmdet", "model", ("DeformableDETR",), _LAYERS + [
        (r"^bbox_head\.transformer\.(encoder|decoder)\.", r"\1."),
        (r"^bbox_head\.transformer\.level_embeds$", "level_embed"),
        (r"^bbox_head\.transformer\.reference_points\.", "reference_points_fc."),
        (r"^bbox_head\.transformer\.enc_output\.", "memory_trans_fc."),
        (r"^bbox_head\.transformer\.enc_output_norm\.", "memory_trans_norm."),
        (r"^bbox_head\.transformer\.pos_trans\.", "pos_trans_fc."),
        (r"^bbox_head\.transformer\.pos_trans_norm\.", "pos_trans_norm."),
    ] + _QUERY,
     "mmdet 3.x DeformableDETR: the same layer moves as DETR; the transformer's level_embeds, "
     "reference_points, enc_output(_norm) and pos_trans(_norm) became the detector's "
     "level_embed, reference_points_fc, memory_trans_fc/_norm and pos_trans_fc/_norm"),
    ("mmdet", "model", ("YOLACT",), [(r"^segm_head\.", "mask_head.segm_branch.")],
     "mmdet 3.x YOLACT has no segm_head: the semantic segmentation branch (mmdet 2.x "
     "YOLACTSegmHead, a 1x1 segm_conv) is YOLACTProtonet's `segm_branch` (SegmentationModule, "
     "the same segm_conv), and its loss is computed by the mask head"),
]


def rules_for(scope: str, types: Dict[str, str]) -> List[Tuple[str, Optional[str]]]:
    """The ordered rename pairs for a model: `types` maps selector fields ('model', 'backbone',
    'head', 'decode_head', 'neck') to the new config's type names."""
    out: List[Tuple[str, Optional[str]]] = []
    for s, field, names, pairs, _why in RENAMES:
        if s == scope and types.get(field) in names:
            out.extend(pairs)
    return out


def rename(key: str, rules: Sequence[Tuple[str, Optional[str]]]) -> Optional[str]:
    """The new name of `key` (None: dropped)."""
    for pattern, repl in rules:
        if re.search(pattern, key):
            return None if repl is None else re.sub(pattern, repl, key, count=1)
    return key


def key_map(keys: Iterable[str], rules) -> Dict[str, Optional[str]]:
    """old key -> new key (None: dropped) for every key; two old keys never map to one name."""
    out: Dict[str, Optional[str]] = {}
    seen: Dict[str, str] = {}
    for k in keys:
        new = rename(k, rules)
        if new is not None and new in seen:
            raise ValueError(f"checkpoint table maps both {seen[new]!r} and {k!r} to {new!r}")
        if new is not None:
            seen[new] = k
        out[k] = new
    return out


def selector_types(model_cfg: dict) -> Dict[str, str]:
    """The fields `rules_for` selects on, from a (new) model config dict."""
    out = {"model": model_cfg.get("type")}
    for field in ("backbone", "neck", "head", "decode_head"):
        sub = model_cfg.get(field)
        if isinstance(sub, dict):
            out[field] = sub.get("type")
        elif isinstance(sub, list) and sub and isinstance(sub[0], dict):
            out[field] = sub[0].get("type")
    return {k: v for k, v in out.items() if isinstance(v, str)}
