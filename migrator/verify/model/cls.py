"""Classifiers: mmcls 0.25.0 (old env) against mmpretrain 1.2.0 (new env).

Compared, in eval mode: `backbone.out[i]` (the backbone's tuple), `neck.out[i]`,
`head.pre_logits` and `head.cls_score` (old `head.simple_test(x, softmax/sigmoid=False,
post_process=False)`, new `head(feats)`: the raw logits). In train mode: the loss dict of old
`forward_train(img, gt_label)` against new `model.loss(inputs, data_samples)` with
`DataSample.set_gt_label`; old `train_cfg.augments` run inside `forward_train`, the new ones are
the data preprocessor's `batch_augments`, applied (with the preprocessor's own label handling)
to the same batch before `model.loss`.
"""
from __future__ import annotations

import inspect

from .inenv import flatten


def _is_multilabel(head) -> bool:
    return any("MultiLabel" in c.__name__ for c in type(head).__mro__)


# ---- old (mmcls 0.25.0) ----

def old_build(model_cfg):
    from mmcls.models import build_classifier
    return build_classifier(model_cfg)


def make_gt(model, batch: int) -> dict:
    import torch
    num = model.head.num_classes
    g = torch.Generator().manual_seed(34)
    if _is_multilabel(model.head):
        hot = (torch.rand(batch, num, generator=g) < 0.3).long()
        hot[:, 0] = 1                       # at least one positive per sample
        return {"multilabel": hot}
    return {"labels": torch.randint(0, num, (batch,), generator=g)}


def _old_gt(gt):
    return gt["multilabel"] if "multilabel" in gt else gt["labels"]


def _feats(model, img, out):
    feats = model.backbone(img)
    flatten("backbone.out", feats, out)
    if model.with_neck:
        feats = model.neck(feats)
        flatten("neck.out", feats, out)
    if hasattr(model.head, "pre_logits"):
        flatten("head.pre_logits", model.head.pre_logits(feats), out)
    return feats


def old_eval(model, img, gt, out):
    feats = _feats(model, img, out)
    params = inspect.signature(model.head.simple_test).parameters
    kw = {k: False for k in ("softmax", "sigmoid", "post_process") if k in params}
    flatten("head.cls_score", model.head.simple_test(feats, **kw), out)


def old_losses(model, img, gt):
    losses = model.forward_train(img, _old_gt(gt))
    return losses, model._parse_losses(losses)[0]


# ---- new (mmpretrain 1.2.0) ----

def new_samples(gt, batch: int):
    import torch
    from mmpretrain.structures import DataSample
    samples = []
    for i in range(batch):
        s = DataSample()
        if "multilabel" in gt:
            s.set_gt_label(torch.nonzero(gt["multilabel"][i]).flatten())
        else:
            s.set_gt_label(gt["labels"][i])
        samples.append(s)
    return samples


def new_eval(model, img, gt, out):
    feats = _feats(model, img, out)
    flatten("head.cls_score", model.head(feats), out)


def new_losses(model, img, gt):
    """The data preprocessor's own label handling and batch augments (one-hot scores, Mixup,
    CutMix: `ClsDataPreprocessor.forward(training=True)`), with its normalisation and channel
    flip switched off for the call: `img` is already what the preprocessor would output."""
    pre = model.data_preprocessor
    saved = pre._enable_normalize, pre.to_rgb
    pre._enable_normalize, pre.to_rgb = False, False
    try:
        data = pre({"inputs": img, "data_samples": new_samples(gt, img.shape[0])}, training=True)
    finally:
        pre._enable_normalize, pre.to_rgb = saved
    losses = model.loss(data["inputs"], data["data_samples"])
    return losses, model.parse_losses(losses)[0]
