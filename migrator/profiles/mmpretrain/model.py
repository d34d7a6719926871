"""mmpretrain models: mmcls 0.25 classifier settings -> mmpretrain 1.2.

Old behaviour: ImageClassifier(train_cfg=dict(augments=[BatchMixup(alpha, num_classes, prob),
BatchCutMix(...), ...])): mmcls Augments picks one augment per batch by its `prob` (an Identity
takes the rest when they sum below 1); every augment carries `num_classes` to one-hot the labels.
mmcls 0.25 read only `train_cfg.augments` (a 0.2x `train_cfg.mixup` was silently ignored); its
VAN backbone named archs b0..b6.
New behaviour: ImageClassifier hands `train_cfg` to the data preprocessor as `batch_augments`
(RandomBatchAugment(augments=[Mixup(alpha), CutMix(alpha, cutmix_minmax, correct_lam), ...],
probs=None -> uniform, or a list with the rest as no augment)); num_classes goes to
ClsDataPreprocessor(num_classes) (labels become one-hot once batch augments are on); VAN archs
are tiny/small/base/large or a dict.
"""
from __future__ import annotations

from typing import Any, Dict, List

from . import tables as T

NAME = "mmpretrain.model"


def _augments(augs: List[Dict[str, Any]], ctx, field: str):
    new, probs, classes = [], [], set()
    for a in augs:
        a = dict(a)
        t = a.get("type")
        classes.add(a.pop("num_classes", None))
        if t == "Identity":            # mmcls' explicit "no augment": the rest of the probability
            continue
        if t not in T.AUGMENTS:
            return None, None, None
        a["type"] = T.AUGMENTS[t]
        probs.append(float(a.pop("prob", 1.0)))
        if isinstance(a.get("alpha"), int):
            a["alpha"] = float(a["alpha"])
        new.append(a)
    augments, ps, n = new, probs, len(new)
    uniform = n and all(abs(p - 1.0 / n) < 1e-12 for p in ps) and abs(sum(ps) - 1) < 1e-9
    if n == 1 and ps[0] == 1.0:
        uniform = True
    return augments, (None if uniform else ps), {c for c in classes if c is not None}


def _backbone(model: Dict[str, Any]) -> Dict[str, Any]:
    bb = model.get("backbone")
    table = T.BACKBONE_VALUES.get(bb.get("type")) if isinstance(bb, dict) else None
    if not table:
        return model
    new = dict(bb)
    for arg, values in table.items():
        v = bb.get(arg)
        if isinstance(v, str) and v in values:
            new[arg] = values[v]
    return model if new == bb else {**model, "backbone": new}


def apply(cfg: Dict[str, Any], ctx) -> Dict[str, Any]:
    model = cfg.get("model")
    if not isinstance(model, dict):
        return cfg
    fixed = _backbone(model)
    tc = fixed.get("train_cfg")
    if isinstance(tc, dict) and any(k in tc for k in T.IGNORED_TRAIN_CFG):
        for k in T.IGNORED_TRAIN_CFG:
            if k in tc:
                ctx.warn(f"model.train_cfg.{k}", f"mmcls 0.25's ImageClassifier ignored "
                         f"train_cfg.{k} (only `augments` is read), so no batch augment ran; "
                         "dropped (to enable it: train_cfg=dict(augments=[dict(type='Mixup', "
                         "alpha=...)]))", original=tc[k], anchor="model")
        tc = {k: v for k, v in tc.items() if k not in T.IGNORED_TRAIN_CFG}
        fixed = {**fixed, "train_cfg": tc}
    if fixed is not model:
        cfg = {**cfg, "model": fixed}
        model = fixed
        ctx.report.applied(NAME)
    tc = model.get("train_cfg")
    if not (isinstance(tc, dict) and "augments" in tc):
        return cfg
    listed = tc["augments"] if isinstance(tc["augments"], list) else [tc["augments"]]
    if all(isinstance(a, dict) and a.get("type") in T.AUGMENTS.values() for a in listed):
        return cfg                             # already mmpretrain's
    augs = tc["augments"]
    augs = [augs] if isinstance(augs, dict) else list(augs)
    augments, probs, classes = _augments(augs, ctx, "model.train_cfg.augments")
    if augments is None:
        ctx.todo("model.train_cfg.augments", "unknown batch augment; mmpretrain has Mixup, CutMix, "
                 "ResizeMix", original=tc["augments"], anchor="model")
        return cfg
    new_tc = {**tc, "augments": augments}
    if probs is not None:
        new_tc["probs"] = probs
    out = dict(cfg)
    out["model"] = {**model, "train_cfg": new_tc}
    if len(classes) == 1:
        pre = out.get("data_preprocessor")
        n = classes.pop()
        if isinstance(model.get("data_preprocessor"), dict):
            out["model"]["data_preprocessor"] = {"num_classes": n, **model["data_preprocessor"]}
        elif isinstance(pre, dict):
            # only beside the preprocessor the pipelines produced: a model base alone must not
            # set a top-level data_preprocessor its sibling dataset base also sets (MMEngine
            # refuses the duplicate); the configs that inherit both get it in their conversion
            out["data_preprocessor"] = {"num_classes": n, **pre}
    ctx.report.applied(NAME)
    return out
