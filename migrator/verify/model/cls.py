"""Classifiers: mmcls 0.25.0 (old env) against mmpretrain 1.2.0 (new env).

Compared, in eval mode: `backbone.out[i]` (the backbone's tuple), `neck.out[i]`,
`head.pre_logits` and `head.cls_score` (old `head.simple_test(x, softmax/sigmoid=False,
post_process=False)`, new `head(feats)`: the raw logits). In train mode: the loss dict of old
`forward_train(img, gt_label)` against new `model.loss(inputs, data_samples)` with
`DataSample.set_gt_label`; old `train_cfg.augments` run inside `forward_train`, the new ones are
the data preprocessor's `batch_augments`, applied (with the preprocessor's own label handling)
to the same batch before `model.loss`.

Batch augments (Mixup, CutMix, ResizeMix) at their extremes: which augment a batch gets is drawn
differently (old `Augments`: a `np.random.RandomState` seeded from Python's `random`; new
`RandomBatchAugment`: the global `np.random.choice`), so both sides are forced to the same one.
Eval compares each augment alone, prob 1, on the same batch right after `seed_all` (both versions
then draw `np.random.beta` and `torch.randperm` alike): `batch_augment[i:Name].img` / `.score`,
and their probabilities, `batch_augment.probs`; train runs with the first augment forced.
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


def _num_classes(model) -> int:
    """`head.num_classes`, else (mmcls CSRAClsHead keeps none) the output width of the head's
    last Linear/1x1 conv, else (LeNet5 classifies in its backbone) the backbone's."""
    import torch.nn as nn
    for part in (model.head, model.backbone):
        if isinstance(getattr(part, "num_classes", None), int) and part.num_classes > 0:
            return part.num_classes
        last = [m for m in part.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
        if part is model.head and last:
            return last[-1].out_features if isinstance(last[-1], nn.Linear) \
                else last[-1].out_channels
    raise ValueError("no num_classes on the head or the backbone")


def make_gt(model, batch: int) -> dict:
    import torch
    num = _num_classes(model)
    g = torch.Generator().manual_seed(34)
    if _is_multilabel(model.head):
        hot = (torch.rand(batch, num, generator=g) < 0.3).long()
        hot[:, 0] = 1                       # at least one positive per sample
        return {"multilabel": hot}
    return {"labels": torch.randint(0, num, (batch,), generator=g)}


def _old_gt(gt):
    return gt["multilabel"] if "multilabel" in gt else gt["labels"]


# old mmcls 0.25.0 augment class -> new mmpretrain 1.2.0 name (None: identity)
OLD_AUGMENTS = {"BatchMixupLayer": "Mixup", "BatchCutMixLayer": "CutMix",
                "BatchResizeMixLayer": "ResizeMix", "Identity": None}


def _augment_table(pairs):
    """[(name, callable, prob)] without identities: the augments in their order."""
    return [(name, aug, float(p)) for name, aug, p in pairs if name is not None]


def _compare_augments(table, img, score_of, out):
    import torch
    from .inenv import SEED_FORWARD, seed_all
    if not table:
        return
    flatten("batch_augment.probs", torch.tensor([p for _, _, p in table], dtype=torch.float64),
            out)
    for i, (name, aug, _) in enumerate(table):
        seed_all(SEED_FORWARD)
        flatten(f"batch_augment[{i}:{name}]", dict(zip(("img", "score"),
                                                        score_of(aug, img.clone()))), out)


TOKENS = ("patch_token?", "cls_token", "dist_token")


def _backbone_out(feats, out, vit: bool):
    """The backbone's outputs by name. Vision transformers changed their output format: mmcls
    0.25.0 gives `[patch_token, cls_token(, dist_token)]` per stage, mmpretrain 1.2.0 (its
    default `out_type='cls_token'`) the cls token alone, or `(cls_token, dist_token)` for DeiT;
    both are named `backbone.out[i].cls_token` / `.dist_token`, the old patch tokens
    `.patch_token?` (compared when both sides have them: `?`)."""
    import torch
    for i, f in enumerate(feats if isinstance(feats, (list, tuple)) else [feats]):
        name = f"backbone.out[{i}]"
        if isinstance(f, (list, tuple)) and f and f[0].dim() == 4 and all(
                t.dim() == 2 for t in f[1:]):
            for tok, t in zip(TOKENS, f):
                flatten(f"{name}.{tok}", t, out)
        elif isinstance(f, torch.Tensor) and f.dim() == 2 and vit:
            flatten(f"{name}.cls_token", f, out)
        elif isinstance(f, (list, tuple)) and f and all(t.dim() == 2 for t in f):
            for tok, t in zip(TOKENS[1:], f):
                flatten(f"{name}.{tok}", t, out)
        else:
            flatten(name, f, out)


def _feats(model, img, out):
    feats = model.backbone(img)
    _backbone_out(feats, out, vit=hasattr(model.backbone, "cls_token"))
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
    _compare_augments(_old_augments(model), img, lambda aug, x: aug(x, _old_gt(gt)), out)


def _old_augments(model):
    a = getattr(model, "augments", None)
    if a is None:
        return []
    return _augment_table((OLD_AUGMENTS.get(type(x).__name__, type(x).__name__), x, p)
                          for x, p in zip(a.augments, a.augment_probs))


class _Forced:
    """An augment forced (prob 1): old `Augments` / new `RandomBatchAugment` stand-in."""

    def __init__(self, aug):
        self.aug = aug

    def __call__(self, x, y):
        return self.aug(x, y)


def old_losses(model, img, gt):
    table, saved = _old_augments(model), getattr(model, "augments", None)
    if table:
        model.augments = _Forced(table[0][1])
    try:
        losses = model.forward_train(img, _old_gt(gt))
    finally:
        model.augments = saved
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


def _new_augments(model):
    a = getattr(model.data_preprocessor, "batch_augments", None)
    if a is None:
        return []
    probs = a.probs if a.probs is not None else [1.0 / len(a.augments)] * len(a.augments)
    return _augment_table((None if x is None else type(x).__name__, x, p)
                          for x, p in zip(a.augments, probs))


def _preprocess(model, img, gt, forced):
    """`ClsDataPreprocessor.forward(training=True)` with `forced` as its batch augment (None:
    none), normalisation and channel flip off: `img` is already what the preprocessor makes."""
    pre = model.data_preprocessor
    saved = pre._enable_normalize, pre.to_rgb, pre.batch_augments
    pre._enable_normalize, pre.to_rgb = False, False
    if forced is not None:
        pre.batch_augments = _Forced(forced)
    try:
        return pre({"inputs": img, "data_samples": new_samples(gt, img.shape[0])}, training=True)
    finally:
        pre._enable_normalize, pre.to_rgb, pre.batch_augments = saved


def new_eval(model, img, gt, out):
    feats = _feats(model, img, out)
    flatten("head.cls_score", model.head(feats), out)

    def mixed(aug, x):
        import torch
        data = _preprocess(model, x, gt, aug)
        return data["inputs"], torch.stack([s.gt_score for s in data["data_samples"]])
    _compare_augments(_new_augments(model), img, mixed, out)


def new_losses(model, img, gt):
    """The data preprocessor's own label handling (one-hot scores) and the first batch augment
    forced, as on the old side."""
    table = _new_augments(model)
    data = _preprocess(model, img, gt, table[0][1] if table else None)
    losses = model.loss(data["inputs"], data["data_samples"])
    return losses, model.parse_losses(losses)[0]
