"""New side of data verification, and the comparison: runs in the new env (mmcv 2.1.0, mmengine
0.10.7, mmdet 3.3.0 / mmpretrain 1.2.0 / mmseg 1.2.2), never in `migrate`'s process.

`python -P harness_new.py OUT.jsonl -` with one JSON item per stdin line: {"id", "new" (config
path), "old" (the old harness's result for the pair: codebase, dataset manifest, saved samples),
"out"}. Per variant: the new dataset of `<split>_dataloader` with only its paths pointed at the
generated data, `dataset[0]`, the dataloader's `collate_fn` on a one-sample batch, then the
model's `data_preprocessor` alone (`training` True for train, False for test); the result is
compared with the old sample (dv_compare.py). Writes one verdict record (the shared contract's
format, without old/new paths and seconds: the host adds them).
"""
from __future__ import annotations

import copy
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if sys.path and os.path.abspath(sys.path[0]) == _HERE:
    sys.path.pop(0)
sys.path.insert(0, _HERE)

import dv_common as C  # noqa: E402
import dv_compare  # noqa: E402
import dv_gen_cls  # noqa: E402

SCOPE = {"mmdet": "mmdet", "mmcls": "mmpretrain", "mmseg": "mmseg"}


def _point(codebase, leaf, data):
    """Only the paths of a leaf dataset config change."""
    if codebase == "mmdet" and data["format"] == "xml":
        leaf.update(data_root=data["root"] + "/")       # the layout is the real one below it
    elif codebase == "mmdet" and data["format"] == "openimages":
        leaf.update(data_root="", data_prefix=dict(img=data["img_prefix"]),
                    **{k: v for k, v in data["files"].items()
                       if k in ("ann_file", "label_file", "hierarchy_file") or leaf.get(k)})
    elif codebase == "mmdet":
        prefix = dict(leaf.get("data_prefix") or {})
        prefix["img"] = data["img_prefix"]
        if prefix.get("seg"):
            prefix["seg"] = data["seg_prefix"]
        leaf.update(data_root="", ann_file=data["ann_file"], data_prefix=prefix)
        if leaf.get("proposal_file"):
            leaf["proposal_file"] = data["proposals_new"]
    elif codebase == "mmcls" and data["format"] != "imagenet":
        # the dataset classes build every path below data_root (split picks the files)
        leaf.update(data_root=data["root"])
        if "md5" in data:
            from mmpretrain.registry import DATASETS
            dv_gen_cls.patch_md5(DATASETS.get(leaf["type"]), data["md5"])
    elif codebase == "mmcls":
        leaf.update(data_root="", data_prefix=data["img_prefix"],
                    ann_file=data["ann_file"] if leaf.get("ann_file") else "")
        leaf.pop("split", None)
    else:
        leaf.update(data_root="", data_prefix=dict(img_path=data["img_dir"],
                                                   seg_map_path=data["ann_dir"]),
                    ann_file=data["split"] if leaf.get("ann_file") else "")


def _preprocessor(cfg, codebase):
    from mmengine.registry import MODELS
    model = cfg.get("model") or {}
    dp = copy.deepcopy(model.get("data_preprocessor") or cfg.get("data_preprocessor") or {})
    if "type" not in dp:
        # mmpretrain's classifiers default to ClsDataPreprocessor, BaseModel to the base one
        dp["type"] = "ClsDataPreprocessor" if codebase == "mmcls" else "BaseDataPreprocessor"
    return MODELS.build(dp)


def _norm_of(dp):
    """(mean, std, to_rgb) the data_preprocessor applies, or None."""
    if not getattr(dp, "_enable_normalize", False):
        return None
    return {"mean": [round(float(x), 4) for x in dp.mean.flatten()],
            "std": [round(float(x), 4) for x in dp.std.flatten()],
            "to_rgb": bool(getattr(dp, "to_rgb", getattr(dp, "_channel_conversion", False)))}


def _collate(loader):
    from functools import partial
    from mmengine.registry import FUNCTIONS
    cfg = dict(loader.get("collate_fn") or dict(type="pseudo_collate"))
    fn = cfg.pop("type")
    fn = FUNCTIONS.get(fn) if isinstance(fn, str) else fn
    return partial(fn, **cfg)


def extract(out, codebase) -> dict:
    """What the model receives from the preprocessed one-sample batch."""
    inputs = out["inputs"]
    sample = out["data_samples"][0]
    res = {"img": inputs[0].float(), "meta": C.jsonable(dict(sample.metainfo))}
    if codebase == "mmdet" and "gt_instances" in sample:
        gi = sample.gt_instances
        if "bboxes" in gi:
            b = gi.bboxes
            res["gt_bboxes"] = b.tensor if hasattr(b, "tensor") else b
        if "labels" in gi:
            res["gt_labels"] = gi.labels
        if "masks" in gi:
            import torch
            m = gi.masks
            # PolygonMasks (poly2mask False) are rasterised, as bitmaps compared
            res["gt_masks"] = torch.from_numpy(
                m.to_ndarray() if type(m).__name__ == "PolygonMasks" else
                m.masks if hasattr(m, "masks") else m.to_ndarray())
    if codebase == "mmseg" and "gt_sem_seg" in sample:
        res["gt_semantic_seg"] = sample.gt_sem_seg.data
    if codebase == "mmdet" and "gt_sem_seg" in sample:
        res["gt_semantic_seg"] = sample.gt_sem_seg.sem_seg
    if codebase == "mmdet" and "proposals" in sample:
        res["proposals"] = sample.proposals.bboxes
    if codebase == "mmcls" and "gt_label" in sample:
        res["gt_label"] = sample.gt_label
    return res


def run_one(item) -> dict:
    import torch
    from mmengine.config import Config
    from mmengine.registry import DATASETS, init_default_scope
    old = item["old"]
    codebase = old["codebase"]
    cfg = Config.fromfile(item["new"])
    init_default_scope(cfg.get("default_scope", SCOPE[codebase]))
    dp = _preprocessor(cfg, codebase)
    checked, deviations = [], []
    for t in old.get("old_applied", []):        # old-side only (MultiScaleFlipAug, iSAID)
        dv_compare.deviate(deviations, t, *C.why(t, codebase))
    for split, p in C.VARIANTS:
        name = C.variant_name(split, p)
        if name in old.get("errors", {}):
            e = old["errors"][name]
            return dv_compare.record("ERROR", None, checked, deviations,
                                     stopped_at=f"{name}: old side: {e['error']}: {e['message']}")
        loader = cfg.get(f"{split}_dataloader") or cfg.get("val_dataloader")
        if not loader:
            return dv_compare.record("ERROR", None, checked, deviations,
                                     stopped_at=f"{name}: the new config has no {split}_dataloader")
        ds_cfg = copy.deepcopy(loader["dataset"])
        try:
            for leaf in C.leaves(ds_cfg):
                _point(codebase, leaf, old["dataset"])
            for pl in C.pipelines(ds_cfg):
                for t in C.set_extremes(pl, "new", codebase):
                    size, why = C.why(t, codebase)
                    if t in old.get("bridge_sizes", {}):
                        size += f"; the cast changed values by up to " \
                                f"{old['bridge_sizes'][t]:.3g} grey levels"
                    dv_compare.deviate(deviations, t, size, why)
                if p is not None:
                    C.set_flip(pl, "prob", p)
            ds = DATASETS.build(ds_cfg)
            C.seed_transforms(ds)
            C.seed_all()
            batch = _collate(loader)([ds[0]])
            from mmengine.logging import MessageHub
            # batch augments (YOLOX's BatchSyncRandomResize) read the runner's iteration
            MessageHub.get_current_instance().update_info("iter", 0)
            with torch.no_grad():
                out = dp(batch, split == "train")
            new = extract(out, codebase)
            new["norm"] = _norm_of(dp)
        except Exception as e:  # noqa: BLE001 - named per variant
            err = C.error(e, f"new {name}")
            return dv_compare.record("ERROR", None, checked, deviations,
                                     stopped_at=f"{name}: new side: {err['error']}: "
                                                f"{err['message']} ({err['at']})")
        oldt = torch.load(old["samples"][name], weights_only=False)
        first = dv_compare.compare(name, codebase, oldt, new, checked, deviations)
        if first:
            return dv_compare.record("DIFFERS", first, checked, deviations)
    return dv_compare.record("VERIFIED", None, checked, deviations)


if __name__ == "__main__":
    sys.exit(C.main(sys.argv[1:], run_one))
