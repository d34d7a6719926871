"""Segmentors: mmseg 0.30.0 (old env) against mmseg 1.2.2 (new env).

Compared, in eval mode: `backbone.out[i]`, `neck.out[i]`, the decode head's logits
(`decode_head.out`; a cascade's stages `decode_head[i].out`, a stage after the first given the
previous stage's logits, as both versions' CascadeEncoderDecoder do; PointRend's point head,
whose `forward` takes sampled points, is compared in train mode only) and each auxiliary head's
logits (`auxiliary_head.out` / `auxiliary_head[i].out`). In train mode: the loss dict of old
`forward_train(img, img_metas, gt_semantic_seg)` against new `model.loss(inputs, data_samples)`
(SegDataSample with `gt_sem_seg`), key by key.
"""
from __future__ import annotations

import inspect

from .inenv import flatten


def _heads(model):
    import torch.nn as nn
    out = []
    for name in ("decode_head", "auxiliary_head"):
        head = getattr(model, name, None)
        if head is not None:
            out.append((name, head, isinstance(head, nn.ModuleList)))
    return out


def _takes_prev(head) -> bool:
    params = list(inspect.signature(head.forward).parameters)
    return len(params) >= 2 and params[1] == "prev_output"


def _eval(model, img, out):
    feats = model.backbone(img)
    flatten("backbone.out", feats, out)
    if model.with_neck:
        feats = model.neck(feats)
        flatten("neck.out", feats, out)
    for name, head, many in _heads(model):
        if not many:
            flatten(f"{name}.out", head(feats), out)
        elif name == "decode_head":            # a cascade: stage i sees stage i-1's logits
            prev = head[0](feats)
            flatten(f"{name}[0].out", prev, out)
            for i in range(1, len(head)):
                if not _takes_prev(head[i]):
                    break
                prev = head[i](feats, prev)
                flatten(f"{name}[{i}].out", prev, out)
        else:
            for i, h in enumerate(head):
                flatten(f"{name}[{i}].out", h(feats), out)


def make_gt(model, batch: int, size) -> dict:
    import torch
    head = model.decode_head[-1] if hasattr(model.decode_head, "__len__") else model.decode_head
    num = head.num_classes
    g = torch.Generator().manual_seed(56)
    seg = torch.randint(0, num, (batch,) + tuple(size), generator=g)
    ignore = torch.rand((batch,) + tuple(size), generator=g) < 0.05
    seg[ignore] = 255
    return {"seg": seg}


# ---- old (mmseg 0.30.0) ----

def old_build(model_cfg, train_cfg=None, test_cfg=None):
    from mmseg.models import build_segmentor
    return build_segmentor(model_cfg, train_cfg=train_cfg, test_cfg=test_cfg)


def old_metas(img):
    h, w = img.shape[-2:]
    return [{"img_shape": (h, w, 3), "ori_shape": (h, w, 3), "pad_shape": (h, w, 3),
             "scale_factor": 1.0, "flip": False, "flip_direction": None,
             "filename": f"{i}.png", "ori_filename": f"{i}.png"} for i in range(img.shape[0])]


def old_eval(model, img, gt, out):
    _eval(model, img, out)


def old_losses(model, img, gt):
    losses = model.forward_train(img, old_metas(img), gt["seg"].unsqueeze(1))
    return losses, model._parse_losses(losses)[0]


# ---- new (mmseg 1.2.2) ----

def new_samples(img, gt):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    h, w = img.shape[-2:]
    out = []
    for i in range(img.shape[0]):
        s = SegDataSample(metainfo={"img_shape": (h, w), "ori_shape": (h, w),
                                    "pad_shape": (h, w), "scale_factor": (1.0, 1.0),
                                    "flip": False, "flip_direction": None,
                                    "img_path": f"{i}.png"})
        s.gt_sem_seg = PixelData(data=gt["seg"][i].unsqueeze(0))
        out.append(s)
    return out


def new_eval(model, img, gt, out):
    _eval(model, img, out)


def new_losses(model, img, gt):
    losses = model.loss(img, new_samples(img, gt))
    return losses, model.parse_losses(losses)[0]
