"""The verdict rules of the model comparison (migrator/verify/model/compare.py) on hand-made
side results: optional names (`?`), a stage both versions refuse, a stage both fail."""
import torch

from migrator.verify.model.compare import compare

CKPT = {"missing": [], "unexpected": [], "shape": []}


def side(eval_=(), errors=()):
    return {"result": {"eval": list(eval_), "eval_stop": None, "losses": [], "total": None,
                       "train_stop": None, "partial": None, "step": None,
                       "errors": list(errors)}}


def err(kind, msg):
    return {"stage": "train", "type": kind, "message": msg, "where": "x.py:1"}


def test_optional_name_compared_when_both_have_it():
    t = torch.ones(2, 3)
    only_old = compare(side([("backbone.out[0].patch_token?", t),
                             ("backbone.out[0].cls_token", t)]),
                       side([("backbone.out[0].cls_token", t)]), CKPT, {}, "mmcls")
    assert only_old["checked"] == ["checkpoint (0 keys)", "eval backbone.out[0].cls_token"]
    both = compare(side([("backbone.out[0].patch_token?", t)]),
                   side([("backbone.out[0].patch_token?", t + 1)]), CKPT, {}, "mmcls")
    assert both["verdict"] == "DIFFERS"
    assert both["first_difference"]["where"] == "eval backbone.out[0].patch_token?"


def test_refused_on_both_sides_is_partial_other_errors_are_not():
    t = torch.ones(1)
    no = err("NotImplementedError", "doesn't support to train the distilled version")
    rec = compare(side([("x", t)], [no]), side([("x", t)], [no]), CKPT, {}, "mmcls")
    assert rec["verdict"] == "PARTIAL" and rec["first_difference"] is None
    assert rec["stopped_at"].startswith("train: both versions raise NotImplementedError")
    te = err("TypeError", "forward() missing 1 required positional argument")
    rec = compare(side([("x", t)], [te]), side([("x", t)], [te]), CKPT, {}, "mmcls")
    assert rec["verdict"] == "ERROR" and rec["first_difference"]["where"] == "train"
    rec = compare(side([("x", t)], [no]), side([("x", t)]), CKPT, {}, "mmcls")
    assert rec["verdict"] == "DIFFERS"
    assert rec["first_difference"]["message"] == "train raised on the old side only"
