"""Detectors: mmdet 2.28.2 (old env) against mmdet 3.3.0 (new env).

Compared, in eval mode: `backbone.out[i]`, `neck.out[i]` and the dense head's raw outputs
(single-stage: `bbox_head.out[i][j]` = `bbox_head(feats)`, the per-level cls/bbox(/centerness...)
lists; two-stage: `rpn_head.out[i][j]`; DETR: the per-decoder-layer class scores and boxes,
`bbox_head.out[0|1]`, and the input projection as `neck.out[0]`, see `_detr_old`). Box decoding
and NMS (post-processing) are not compared. In train mode: old `forward_train(img, img_metas, gt_bboxes, gt_labels[, gt_masks])`
against new `model.loss(inputs, data_samples)` (DetDataSample with `gt_instances`), key by key,
each per-level list element apart (`loss_cls[0]`).

Two-stage detectors need `mmcv.ops.nms` for their proposals (and RoIAlign after it): without
compiled kernels the full loss raises the `_ext` stand-in's error, and the comparison goes as far
as it can without them: the RPN's own losses (old `rpn_head.loss(cls, bbox, gt_bboxes,
img_metas)`, new `rpn_head.loss_by_feat(cls, bbox, gt_instances with labels 0, img_metas)`, the
RPN's losses in both versions) and one SGD step on their sum; `stopped_at` says so.
"""
from __future__ import annotations

import inspect

from .inenv import flatten

PAD = (160, 192)                         # batch_input_shape (SSD300's extra layers: 320x320)
LARGE = (320, 320)
# last resort: FPG (retinanet_r50_fpg-chn128_crop640) adds its stride-128 level back onto the
# others: the input must divide by 128 (320 gave 5 vs 6 columns on both sides)
STRIDE_128 = (512, 512)


def _shapes(pad) -> list:
    """img_shape per image: the first fills the batch, the second one is padded."""
    return [tuple(pad), (pad[0] - 16, pad[1] - 16)]


def _two_stage(model) -> bool:
    return getattr(model, "rpn_head", None) is not None and not _rpn_alone(model)


def _branches(model) -> int:
    """TridentNet trains its shared-weight branches as one batch num_branch times as large
    (backbone output: branch-major); its forward_train / loss repeat the gts and metas to match:
    the partial losses repeat them alike (both versions)."""
    return model.num_branch if type(model).__name__ == "TridentFasterRCNN" else 1


def _embedding_rpn(model) -> bool:
    return type(model.rpn_head).__name__ == "EmbeddingRPNHead"


def _rpn_alone(model) -> bool:
    """The RPN detector: mmdet 2.x keeps its head as `rpn_head`, 3.x as `bbox_head`; both are
    compared as `rpn_head.out`, and its loss needs no NMS (no proposals in training)."""
    return type(model).__name__ == "RPN"


DETRS = ("DETR", "DeformableDETR")


def _detr_old(model, img, out):
    """mmdet 2.x DETR / Deformable DETR: the head holds the transformer (DETR also its 1x1 input
    projection, the new ChannelMapper neck: compared as `neck.out[0]`)."""
    feats = model.backbone(img)
    flatten("backbone.out", feats, out)
    if model.with_neck:
        feats = model.neck(feats)
        flatten("neck.out", feats, out)
    else:
        flatten("neck.out", [model.bbox_head.input_proj(feats[-1])], out)
    res = model.bbox_head(feats, old_metas(img))
    if type(model).__name__ == "DETR":            # per level lists: the last (only) level
        res = (res[0][-1], res[1][-1])
    flatten("bbox_head.out", tuple(res[:2]), out)     # every decoder layer's scores and boxes


def _detr_new(model, img, gt, out):
    """mmdet 3.x: `forward_transformer`, then `bbox_head(hidden_states[, references])`."""
    feats = model.backbone(img)
    flatten("backbone.out", feats, out)
    feats = model.neck(feats)
    flatten("neck.out", feats, out)
    head_in = model.forward_transformer(feats, new_samples(gt, img.shape[0]))
    kw = {k: head_in[k] for k in ("hidden_states", "references") if k in head_in}
    flatten("bbox_head.out", tuple(model.bbox_head(**kw)[:2]), out)


def _is_detr(model) -> bool:
    return type(model).__name__ in DETRS


def _cascade_rpn(head, feats, metas, out):
    """mmdet CascadeRPNHead has no forward (both versions): its stages run as its
    simple_test_rpn / predict run them, anchors refined between stages; stage i's scores and
    boxes are `rpn_head.out.s<i>[j][level]` (a stage with an `offset` adaptive conv needs the
    deformable kernel: the comparison stops there)."""
    sizes = [f.size()[-2:] for f in feats]
    anchors, _ = head.stages[0].get_anchors(sizes, metas, device=feats[0].device)
    x = feats
    for i, stage in enumerate(head.stages):
        offsets = (stage.anchor_offset(anchors, stage.anchor_strides, sizes)
                   if stage.adapt_cfg["type"] == "offset" else None)
        x, cls, bbox = stage(x, offsets)
        flatten(f"rpn_head.out.s{i}", (cls, bbox), out)
        if i < len(head.stages) - 1:
            anchors = stage.refine_bboxes(anchors, bbox, metas)


def _cascade(model) -> bool:
    head = getattr(model, "rpn_head", None) or getattr(model, "bbox_head", None)
    return type(head).__name__ == "CascadeRPNHead"


def _eval(model, img, out, metas=None):
    feats = model.backbone(img)
    flatten("backbone.out", feats, out)
    if model.with_neck:
        feats = model.neck(feats)
        flatten("neck.out", feats, out)
    if _two_stage(model) and _embedding_rpn(model):
        return                  # Sparse R-CNN: learned proposals (in the state dict), no forward
    if _two_stage(model) and _cascade(model):
        _cascade_rpn(model.rpn_head, feats, metas, out)
    elif _two_stage(model):
        flatten("rpn_head.out", model.rpn_head(feats), out)
    elif _rpn_alone(model):
        head = getattr(model, "rpn_head", None) or model.bbox_head
        if _cascade(model):
            _cascade_rpn(head, feats, metas, out)
        else:
            flatten("rpn_head.out", head(feats), out)
    else:
        flatten("bbox_head.out", model.bbox_head(feats), out)


def _num_classes(model) -> int:
    head = getattr(model, "bbox_head", None)
    if head is None and getattr(model, "roi_head", None) is not None:
        head = model.roi_head.bbox_head
        head = head[-1] if hasattr(head, "__len__") else head
    return getattr(head, "num_classes", 1) if head is not None else 1


def make_gt(model, batch: int, pad=PAD) -> dict:
    import torch
    g = torch.Generator().manual_seed(78)
    num = _num_classes(model)
    boxes, labels, masks = [], [], []
    shapes = _shapes(pad)
    for i in range(batch):
        h, w = shapes[i % len(shapes)]
        k = 2 + i
        xy = torch.rand(k, 2, generator=g) * torch.tensor([w * 0.6, h * 0.6])
        wh = 16 + torch.rand(k, 2, generator=g) * torch.tensor([w * 0.35, h * 0.35])
        b = torch.cat([xy, xy + wh], 1)
        boxes.append(b)
        labels.append(torch.randint(0, num, (k,), generator=g))
        m = torch.zeros(k, h, w, dtype=torch.uint8)
        for j, (x1, y1, x2, y2) in enumerate(b.round().long().tolist()):
            m[j, y1:y2, x1:x2] = 1
        masks.append(m)
    fwd = inspect.signature(model.forward_train).parameters
    return {"boxes": boxes, "labels": labels, "masks": masks, "with_masks": "gt_masks" in fwd,
            "pad": tuple(pad)}


# ---- old (mmdet 2.28.2) ----

def old_build(model_cfg, train_cfg=None, test_cfg=None):
    from mmdet.models import build_detector
    return build_detector(model_cfg, train_cfg=train_cfg, test_cfg=test_cfg)


def old_metas(img):
    import numpy as np
    out = []
    pad = tuple(img.shape[-2:])
    shapes = _shapes(pad)
    for i in range(img.shape[0]):
        h, w = shapes[i % len(shapes)]
        out.append({"img_shape": (h, w, 3), "ori_shape": (h, w, 3), "pad_shape": pad + (3,),
                    "batch_input_shape": pad, "flip": False, "flip_direction": None,
                    "scale_factor": np.array([1.0, 1.0, 1.0, 1.0], dtype=np.float32),
                    "filename": f"{i}.jpg", "ori_filename": f"{i}.jpg"})
    return out


def old_eval(model, img, gt, out):
    if _is_detr(model):
        return _detr_old(model, img, out)
    _eval(model, img, out, old_metas(img))


def old_losses(model, img, gt):
    from mmdet.core import BitmapMasks
    kw = {}
    if gt["with_masks"]:
        kw["gt_masks"] = [BitmapMasks(m.numpy(), *m.shape[1:]) for m in gt["masks"]]
    if _rpn_alone(model):                # forward_train(img, img_metas, gt_bboxes): no labels
        losses = model.forward_train(img, old_metas(img), list(gt["boxes"]))
    else:
        losses = model.forward_train(img, old_metas(img), list(gt["boxes"]),
                                     list(gt["labels"]), **kw)
    return losses, model._parse_losses(losses)[0]


def old_partial_losses(model, img, gt):
    """Two-stage without NMS: the RPN's losses only (returns None for other detectors, and for
    a cascade RPN: its refined stages need the deformable kernel)."""
    if not _two_stage(model) or _embedding_rpn(model) or _cascade(model):
        return None
    feats = model.extract_feat(img)
    k = _branches(model)
    metas = old_metas(img) * k
    losses = model.rpn_head.loss(*model.rpn_head(feats), list(gt["boxes"]) * k, metas)
    return "rpn_head losses", losses, model._parse_losses(losses)[0]


# ---- new (mmdet 3.3.0) ----

def new_samples(gt, batch: int, rpn: bool = False):
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData
    out = []
    pad = tuple(gt["pad"])
    shapes = _shapes(pad)
    for i in range(batch):
        h, w = shapes[i % len(shapes)]
        s = DetDataSample(metainfo={"img_shape": (h, w), "ori_shape": (h, w), "pad_shape": pad,
                                    "batch_input_shape": pad, "scale_factor": (1.0, 1.0),
                                    "flip": False, "flip_direction": None,
                                    "img_path": f"{i}.jpg", "img_id": i})
        inst = InstanceData()
        inst.bboxes = gt["boxes"][i].clone()
        inst.labels = gt["labels"][i].clone() * (0 if rpn else 1)
        if gt["with_masks"]:
            inst.masks = BitmapMasks(gt["masks"][i].numpy(), h, w)
        s.gt_instances = inst
        s.ignored_instances = InstanceData(bboxes=gt["boxes"][i][:0].clone(),
                                           labels=gt["labels"][i][:0].clone())
        out.append(s)
    return out


def new_eval(model, img, gt, out):
    if _is_detr(model):
        return _detr_new(model, img, gt, out)
    _eval(model, img, out, [s.metainfo for s in new_samples(gt, img.shape[0])]
          if _cascade(model) else None)


def new_losses(model, img, gt):
    losses = model.loss(img, new_samples(gt, img.shape[0]))
    return losses, model.parse_losses(losses)[0]


def new_partial_losses(model, img, gt):
    if not _two_stage(model) or _embedding_rpn(model) or _cascade(model):
        return None
    feats = model.extract_feat(img)
    samples = new_samples(gt, img.shape[0], rpn=True) * _branches(model)
    losses = model.rpn_head.loss_by_feat(
        *model.rpn_head(feats), [s.gt_instances for s in samples],
        [s.metainfo for s in samples])
    return "rpn_head losses", losses, model.parse_losses(losses)[0]
