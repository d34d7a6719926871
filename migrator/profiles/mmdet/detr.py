"""mmdet DETR-family models: 2.28.2 transformer configs -> 3.3.0.

Old behaviour (mmdet 2.x with mmcv 1.x transformer bricks): DETR and Deformable DETR heads held
`transformer=dict(type='Transformer'|'DeformableDetrTransformer', encoder, decoder)`, the
`positional_encoding`, `num_query`, `with_box_refine`, `as_two_stage`, and DETRHead projected
its input with a 1x1 conv (`in_channels` -> embed_dims). Encoders and decoders were
TransformerLayerSequences: `transformerlayers=dict(type, attn_cfgs, ffn_cfgs, operation_order,
feedforward_channels, ffn_dropout, ...)` run in any operation order, sequence-first. MaskFormer
and Mask2Former heads and pixel decoders held such sequences too.
New behaviour (mmdet 3.x): the detector holds `encoder`, `decoder`, `positional_encoding` (no
type: always SinePositionalEncoding), `num_queries`, `with_box_refine`, `as_two_stage`,
`num_feature_levels`; the head takes `embed_dims`; DETR's input projection is a ChannelMapper
neck. Sequences are `dict(num_layers, layer_cfg=dict(self_attn_cfg, cross_attn_cfg, ffn_cfg,
norm_cfg))`, each layer class running one fixed post-norm order, batch-first. A layer whose
order, attention type or arguments 3.x cannot express is left as it is under a TODO.
"""
from __future__ import annotations

import copy
from typing import Any, Dict, Optional

from . import tables as T

NAME = "mmdet.detr"


class Unmapped(Exception):
    """A 2.x transformer part with no 3.x form: (field, why)."""


def _attn(cfg: Any, slot: str, want: str, where: str) -> Dict[str, Any]:
    if not isinstance(cfg, dict):
        raise Unmapped(where, f"{slot} attention is not a dict")
    if cfg.get("type", want) != want:
        raise Unmapped(where, f"mmdet 3.x builds {want} for {slot}, not {cfg['type']}")
    out = {k: copy.deepcopy(v) for k, v in cfg.items() if k not in ("type", "batch_first")}
    out["batch_first"] = True
    return out


def layer(old: Any, kind: str, where: str) -> Dict[str, Any]:
    """A 2.x BaseTransformerLayer config -> the 3.x layer_cfg of sequence `kind`."""
    order, attn_types, _ = T.SEQUENCES[kind]
    if not isinstance(old, dict):
        raise Unmapped(where, "the layers are not one dict")
    got = tuple(old.get("operation_order") or ())
    if got != order:
        raise Unmapped(f"{where}.operation_order", f"mmdet 3.x layers here run {order}, not "
                       f"{got}")
    slots = [op for op in order if op in T.ATTN_SLOTS]
    attns = old.get("attn_cfgs")
    if isinstance(attns, dict):
        attns = [attns] * len(slots)
    if not isinstance(attns, (list, tuple)) or len(attns) != len(slots):
        raise Unmapped(f"{where}.attn_cfgs", f"expected {len(slots)} attention configs")
    out: Dict[str, Any] = {}
    for op, a in zip(slots, attns):
        out[T.ATTN_SLOTS[op]] = _attn(a, op, attn_types[op], f"{where}.attn_cfgs")
    ffn = copy.deepcopy(old.get("ffn_cfgs") or {})
    if not isinstance(ffn, dict) or ffn.get("type", "FFN") != "FFN":
        raise Unmapped(f"{where}.ffn_cfgs", "mmdet 3.x layers build one mmcv FFN")
    ffn.pop("type", None)
    for k, new in T.LAYER_FFN_ARGS.items():
        if k in old:
            ffn[new] = old[k]           # mmcv 1.x copied them into ffn_cfgs (they win)
    first = out[T.ATTN_SLOTS[slots[0]]]
    # mmcv 1.x gave the FFN the first attention's embed_dims when ffn_cfgs had none
    ffn = {"embed_dims": first.get("embed_dims", 256), **ffn}
    out["ffn_cfg"] = ffn
    for k, v in old.items():
        if k in ("type", "attn_cfgs", "ffn_cfgs", "operation_order", *T.LAYER_FFN_ARGS):
            continue
        if k in T.LAYER_DROPPED and v in T.LAYER_DROPPED[k]:
            continue
        if k in ("norm_cfg", "init_cfg"):
            out[k] = copy.deepcopy(v)
        else:
            raise Unmapped(f"{where}.{k}", "mmdet 3.x transformer layers take no such argument")
    return out


def sequence(old: Any, kind: str, where: str) -> Dict[str, Any]:
    """A 2.x TransformerLayerSequence config -> the 3.x encoder/decoder config of `kind`."""
    if not isinstance(old, dict) or "transformerlayers" not in old:
        return old                  # already 3.x style (layer_cfg) or not a sequence
    if old.get("type") not in T.OLD_SEQUENCES:
        raise Unmapped(where, f"{old.get('type')} has no mmdet 3.x counterpart here")
    _, _, new_defaults = T.SEQUENCES[kind]
    layers = old["transformerlayers"]
    if isinstance(layers, (list, tuple)):
        if any(x != layers[0] for x in layers):
            raise Unmapped(f"{where}.transformerlayers", "mmdet 3.x builds one layer config "
                           "num_layers times; these layers differ")
        layers = layers[0] if layers else None
    out: Dict[str, Any] = {"num_layers": old.get("num_layers"),
                           "layer_cfg": layer(layers, kind, f"{where}.transformerlayers")}
    effective = {**T.OLD_SEQUENCES[old["type"]],
                 **{k: old[k] for k in ("post_norm_cfg", "return_intermediate") if k in old}}
    for k, v in effective.items():
        if k in new_defaults and (k in old or v != new_defaults[k]):
            out[k] = copy.deepcopy(v)
    for k, v in old.items():
        if k in ("type", "num_layers", "transformerlayers", "post_norm_cfg",
                 "return_intermediate"):
            continue
        if k == "init_cfg":
            if v is not None:
                out[k] = copy.deepcopy(v)
        else:
            raise Unmapped(f"{where}.{k}", "mmdet 3.x encoders/decoders take no such argument")
    return out


def positional(pe: Any, where: str) -> Any:
    if not isinstance(pe, dict) or "type" not in pe:
        return pe
    if pe["type"] != T.POSITIONAL:
        raise Unmapped(where, f"mmdet 3.x builds {T.POSITIONAL} here, not {pe['type']}")
    return {k: copy.deepcopy(v) for k, v in pe.items() if k != "type"}


def module(d: Dict[str, Any], where: str) -> Dict[str, Any]:
    """Sequences and positional encodings of a 3.x module that owns them (heads, pixel decoders)."""
    fields = T.TRANSFORMER_FIELDS.get(d.get("type"))
    if not fields:
        return d
    out = dict(d)
    for f, kind in fields.items():
        if f in out:
            out[f] = sequence(out[f], kind, f"{where}.{f}")
    if "positional_encoding" in out:
        out["positional_encoding"] = positional(out["positional_encoding"],
                                                f"{where}.positional_encoding")
    return out


def detector(m: Dict[str, Any]) -> Dict[str, Any]:
    """A 2.x DETR/DeformableDETR model (transformer in the head) -> the 3.x detector."""
    head_type, tr_type, input_proj = T.DETR_DETECTORS[m["type"]]
    head = dict(m.get("bbox_head") or {})
    if "transformer" not in head:
        return m
    if head.get("type") != head_type:
        raise Unmapped("model.bbox_head", f"{m['type']} in mmdet 3.x takes a {head_type}")
    tr = dict(head.pop("transformer") or {})
    if tr.get("type") != tr_type:
        raise Unmapped("model.bbox_head.transformer", f"{m['type']} in mmdet 3.x is a "
                       f"{tr_type}, not {tr.get('type')}")
    top: Dict[str, Any] = {}
    for old, new in T.HEAD_TO_DETECTOR.items():
        if old in head:
            top[new] = head.pop(old)
    for old, new in T.TRANSFORMER_TO_DETECTOR.items():
        if old in tr:
            top[new] = tr.pop(old)
    if "two_stage_num_proposals" in tr:
        n = tr.pop("two_stage_num_proposals")
        if top.get("as_two_stage") and n != top.get("num_queries", 100):
            raise Unmapped("model.bbox_head.transformer.two_stage_num_proposals",
                           "mmdet 3.x proposes num_queries boxes in the two-stage variant")
    inner = {k: tr.pop(k) for k in ("encoder", "decoder") if k in tr}
    for k in list(tr):
        if k == "type" or (k in T.TRANSFORMER_DROPPED and (k != "init_cfg" or tr[k] is None)):
            tr.pop(k)
    if tr:
        raise Unmapped("model.bbox_head.transformer", f"arguments {sorted(tr)} have no mmdet "
                       "3.x counterpart")
    pe = head.pop("positional_encoding", T.HEAD_DEFAULT_POSITIONAL)
    in_channels = head.pop("in_channels", None)
    fields = T.TRANSFORMER_FIELDS[m["type"]]
    enc = sequence(inner.get("encoder"), fields["encoder"], "model.bbox_head.transformer.encoder")
    dec = sequence(inner.get("decoder"), fields["decoder"], "model.bbox_head.transformer.decoder")
    embed = (enc.get("layer_cfg", {}).get("self_attn_cfg", {}).get("embed_dims", 256)
             if isinstance(enc, dict) else 256)
    neck: Optional[Dict[str, Any]] = None
    if input_proj:
        if "neck" in m:
            raise Unmapped("model.bbox_head.in_channels", "DETRHead projected the neck's "
                           "output; mmdet 3.x DETR has no projection after its neck")
        neck = {"type": "ChannelMapper", "in_channels": [in_channels], "kernel_size": 1,
                "out_channels": embed, "act_cfg": None, "norm_cfg": None, "num_outs": 1}
    head = {"type": head["type"], **({"num_classes": head["num_classes"]}
                                     if "num_classes" in head else {}),
            "embed_dims": embed, **head}
    out: Dict[str, Any] = {}
    for k, v in m.items():
        if k == "bbox_head":
            out.update(encoder=enc, decoder=dec,
                       positional_encoding=positional(pe, "model.bbox_head.positional_encoding"))
            out["bbox_head"] = head
            continue
        out[k] = v
        if k == "type":
            out.update(top)
        if k == "backbone" and neck is not None:
            out["neck"] = neck
    return out


def _walk(v: Any, where: str) -> Any:
    if isinstance(v, dict):
        v = module(v, where)
        return {k: _walk(x, f"{where}.{k}") for k, x in v.items()}
    if isinstance(v, list):
        return [_walk(x, f"{where}[{i}]") for i, x in enumerate(v)]
    return v


def apply(cfg: Dict[str, Any], ctx) -> Dict[str, Any]:
    model = cfg.get("model")
    if not isinstance(model, dict):
        return cfg
    try:
        new = detector(model) if model.get("type") in T.DETR_DETECTORS else model
        new = _walk(new, "model")
    except Unmapped as e:
        field, why = e.args
        ctx.todo(field, f"{why}: the transformer was left in its mmdet 2.x form; port it from "
                 "the 3.x config of this model", anchor="model")
        return cfg
    if new == model:
        return cfg
    ctx.report.applied(NAME)
    return {**cfg, "model": new}
