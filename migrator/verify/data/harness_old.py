"""Old side of data verification: runs in the old-codebases env (MMCV 1.7.2 + mmdet 2.28.2 /
mmcls 0.25.0 / mmseg 0.30.0, MMEngine blocked), never in `migrate`'s process.

`python -P harness_old.py OUT.jsonl -` with one JSON item per stdin line: {"id", "old" (config
path), "data_dir" (where to generate the dataset), "out" (where to save tensors)}. Per config:
the codebase is the one whose DATASETS registry knows `data.train`'s leaf type; the dataset is
generated in its format (dv_gen.py); the leaf datasets of `data.train` and `data.test` get only
their paths changed; for each variant (dv_common.VARIANTS) `build_dataset(cfg.data.<split>)[0]`
is taken as the model would see it (the `img` DataContainer's data, `img_metas`, gt fields) and
saved with torch.save. Writes {"status": "ok", "codebase", "dataset": manifest, "samples":
{variant: file}} or {"status": "skipped"|"error", ...}.
"""
from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if sys.path and os.path.abspath(sys.path[0]) == _HERE:
    sys.path.pop(0)
sys.path.insert(0, _HERE)     # dv_common, dv_gen (names that shadow nothing)

import copy  # noqa: E402

import dv_common as C  # noqa: E402
import dv_gen  # noqa: E402
import dv_gen_cls  # noqa: E402

FLIP_KEY = {"mmdet": "flip_ratio", "mmcls": "flip_prob", "mmseg": "prob"}


def _codebases():
    import mmcls.datasets
    import mmdet.datasets
    import mmseg.datasets
    return {"mmdet": mmdet.datasets, "mmcls": mmcls.datasets, "mmseg": mmseg.datasets}


def _which(cfg, mods):
    """(codebase, leaf dataset class): the codebase is the one whose model registry knows
    `model.type` (dataset names such as CityscapesDataset exist in two codebases)."""
    import mmcls.models
    import mmdet.models
    import mmseg.models
    registries = {"mmdet": mmdet.models.DETECTORS, "mmcls": mmcls.models.CLASSIFIERS,
                  "mmseg": mmseg.models.SEGMENTORS}
    mtype = (cfg.get("model") or {}).get("type")
    leaf = next(C.leaves(cfg.data.train), None)
    typ = (leaf or {}).get("type")
    for name, reg in registries.items():
        if reg.get(mtype) is not None:
            cls = mods[name].DATASETS.get(typ)
            if cls is None:
                raise KeyError(f"data.train type {typ!r} is not in {name}'s DATASETS")
            return name, cls
    raise KeyError(f"model type {mtype!r} is in none of mmdet/mmcls/mmseg's model registries")


def _generate(codebase, cls, cfg, mods, root):
    """The dataset for this config, or (None, reason) when its format is not generated."""
    if codebase == "mmdet":
        layout = next((k.__name__ for k in cls.__mro__ if k.__name__ in dv_gen.XML_LAYOUTS), None)
        if issubclass(cls, mods["mmdet"].OpenImagesDataset):
            return dv_gen.openimages(root, issubclass(cls, mods["mmdet"].OpenImagesChallengeDataset)), \
                None
        if not issubclass(cls, mods["mmdet"].CocoDataset) and layout is None:
            return None, f"{cls.__name__}: on-disk format not generated (COCO json and panoptic, " \
                         f"LVIS, VOC and WIDERFace XML, OpenImages only)"
        leaf = next(C.leaves(cfg.data.train))
        classes = cls.CLASSES if leaf.get("classes") is None else leaf["classes"]
        if isinstance(classes, str):
            return None, f"classes from a file ({classes}) not generated"
        if layout is not None:
            return dv_gen.xml(root, list(classes), layout), None
        if issubclass(cls, mods["mmdet"].CocoPanopticDataset):
            return dv_gen.panoptic(root, list(classes), set(cls.THING_CLASSES)), None
        return dv_gen.coco(root, list(classes)), None
    if codebase == "mmcls":
        fmt = dv_gen_cls.format_of(cls, mods["mmcls"])
        if fmt is not None:
            data = dv_gen_cls.generate(fmt, cls, root)
            if "md5" in data:
                dv_gen_cls.patch_md5(cls, data["md5"])
            return data, None
        if not issubclass(cls, (mods["mmcls"].ImageNet, mods["mmcls"].CustomDataset)):
            return None, f"{cls.__name__}: on-disk format not generated"
        return dv_gen.imagenet(root, len(cls.CLASSES or ()) or 2), None
    # mmseg: build the leaf over empty dirs first to learn its suffixes and classes
    for d in ("img_dir", "ann_dir"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    open(os.path.join(root, "split.txt"), "w").close()
    # the train leaf gives the classes; every split's leaf its file suffixes (a test set of
    # another type, e.g. Dark Zurich after Cityscapes training, reads other names)
    suffixes, classes = {}, None
    for split in ("train", "val", "test"):
        for leaf in C.leaves(copy.deepcopy(cfg.data.get(split) or [])):
            if "type" not in leaf:
                continue
            leaf.update(img_dir=os.path.join(root, "img_dir"), data_root=None, pipeline=[],
                        ann_dir=os.path.join(root, "ann_dir"))
            if leaf.get("split"):
                leaf["split"] = os.path.join(root, "split.txt")
            probe = mods["mmseg"].build_dataset(leaf)
            classes = classes or len(probe.CLASSES)
            seg = probe.seg_map_suffix
            if type(probe).__name__ == "iSAIDDataset":    # <name>_instance_color_RGB<suffix>
                seg = "_instance_color_RGB" + seg
            suffixes.setdefault((probe.img_suffix, seg), None)
    for img_suffix, seg in suffixes:
        data = dv_gen.segmap(root, classes, img_suffix, seg)
    return data, None


class _NumpyRandom:
    """python `random`'s randint drawn from numpy over the same inclusive range."""

    @staticmethod
    def randint(a, b):
        import numpy as np
        return int(np.random.randint(a, b + 1))


def bridge_rng() -> None:
    """dv_common.BRIDGED: mmcls 0.25's RandomCrop.get_params draws its offsets from
    `_NumpyRandom` (once per process; the crop itself is the old code's)."""
    T = sys.modules["mmcls.datasets.pipelines.transforms"]
    if getattr(T.RandomCrop, "_dv_bridged", False):
        return
    orig = T.RandomCrop.get_params

    def get_params(img, output_size):
        saved, T.random = T.random, _NumpyRandom
        try:
            return orig(img, output_size)
        finally:
            T.random = saved

    T.RandomCrop.get_params = staticmethod(get_params)
    T.RandomCrop._dv_bridged = True
    light = T.Lighting.__call__

    def lighting(self, results):
        dtypes = {k: results[k].dtype for k in results.get("img_fields", ["img"])}
        results = light(self, results)
        for k, dt in dtypes.items():
            lit = results[k]
            results[k] = lit.astype(dt)
            # the size of the deviation: the largest change the cast makes
            BRIDGE_SIZES["Lighting"] = max(BRIDGE_SIZES.get("Lighting", 0.0),
                                           float(abs(lit - results[k]).max()))
        return results

    T.Lighting.__call__ = lighting


BRIDGE_SIZES: dict = {}     # bridged transform -> the largest value change the bridge made


def _plus_one(dataset) -> None:
    """dv_common.BRIDGED WIDERFaceDataset: the old boxes + 1 px (undoing XMLDataset's - 1)."""
    get = dataset.get_ann_info

    def get_ann_info(idx):
        ann = dict(get(idx))
        for k in ("bboxes", "bboxes_ignore"):
            if len(ann.get(k, ())):
                ann[k] = ann[k] + 1
        return ann

    dataset.get_ann_info = get_ann_info


def _point(codebase, leaf, data):
    """Only the paths of a leaf dataset config change."""
    if codebase == "mmdet" and data["format"] == "xml":
        for key in ("ann_file", "img_prefix"):
            v = leaf.get(key)
            leaf[key] = [dv_gen.rebase(x, data["root"], data["markers"]) for x in v] \
                if isinstance(v, (list, tuple)) else dv_gen.rebase(v, data["root"], data["markers"])
        leaf["data_root"] = None
    elif codebase == "mmdet" and data["format"] == "openimages":
        leaf.update(img_prefix=data["img_prefix"], data_root=None,
                    **{k: v for k, v in data["files"].items()
                       if k in ("ann_file", "label_file", "hierarchy_file") or leaf.get(k)})
    elif codebase == "mmdet":
        leaf.update(ann_file=data["ann_file"], img_prefix=data["img_prefix"], data_root=None)
        if leaf.get("seg_prefix"):
            leaf["seg_prefix"] = data["seg_prefix"]
        if leaf.get("proposal_file"):
            leaf["proposal_file"] = data["proposals_old"]
    elif codebase == "mmcls" and data["format"] != "imagenet":
        dv_gen_cls.rebase_old(leaf, data)
    elif codebase == "mmcls":
        leaf.update(data_prefix=data["img_prefix"],
                    ann_file=data["ann_file"] if leaf.get("ann_file") else None)
    else:
        leaf.update(img_dir=data["img_dir"], ann_dir=data["ann_dir"], data_root=None,
                    split=data["split"] if leaf.get("split") else None)


def _normalize_cfg(ds_cfg):
    """(mean, std, to_rgb) of the last Normalize in the variant's pipelines, or None."""
    found = None
    for pl in C.pipelines(ds_cfg):
        for t in C.walk(pl):
            if t.get("type") == "Normalize":
                found = {"mean": [float(x) for x in t["mean"]],
                         "std": [float(x) for x in t["std"]],
                         "to_rgb": bool(t.get("to_rgb", True))}
    return found


def _unwrap(v):
    from mmcv.parallel import DataContainer
    if isinstance(v, list) and len(v) == 1:      # MultiScaleFlipAug: one scale, no flip
        v = v[0]
    if isinstance(v, DataContainer):
        v = v.data
    return v


def extract(sample) -> dict:
    """What the model receives from one old sample."""
    import numpy as np
    import torch
    img = _unwrap(sample["img"])
    out = {"img": img.float(), "img_dtype": str(img.dtype).replace("torch.", ""),
           "meta": C.jsonable(_unwrap(sample["img_metas"]))}
    for key in ("gt_bboxes", "gt_labels", "gt_label", "gt_semantic_seg", "proposals"):
        if key in sample:
            v = _unwrap(sample[key])
            out[key] = v if isinstance(v, torch.Tensor) else torch.as_tensor(np.asarray(v))
    if "gt_masks" in sample:
        m = _unwrap(sample["gt_masks"])
        out["gt_masks"] = torch.from_numpy(np.asarray(
            m.to_ndarray() if type(m).__name__ == "PolygonMasks" else
            m.masks if hasattr(m, "masks") else m.to_ndarray()))
    return out


def run_one(item) -> dict:
    import torch
    from mmcv import Config
    mods = _codebases()
    bridge_rng()
    cfg = Config.fromfile(item["old"])
    if not cfg.get("data") or not cfg.data.get("train"):
        return {"status": "skipped", "reason": "no data.train"}
    codebase, cls = _which(cfg, mods)
    os.makedirs(item["data_dir"], exist_ok=True)
    data, why = _generate(codebase, cls, cfg, mods, item["data_dir"])
    if data is None:
        return {"status": "skipped", "codebase": codebase, "reason": why}
    os.makedirs(item["out"], exist_ok=True)
    samples, errors, applied = {}, {}, set()
    BRIDGE_SIZES.clear()
    for split, p in C.VARIANTS:
        name = C.variant_name(split, p)
        ds_cfg = copy.deepcopy(cfg.data.get(split) or cfg.data.get("val"))
        try:
            if isinstance(ds_cfg, (list, tuple)):
                ds_cfg = ds_cfg[0]
            for leaf in C.leaves(ds_cfg):
                _point(codebase, leaf, data)
            for pl in C.pipelines(ds_cfg):
                # old-side only ones; the new side records the others with their sizes
                applied.update(t for t in C.set_extremes(pl, "old", codebase)
                               if t in C.OLD_ONLY)
                if p is not None:
                    C.set_flip(pl, FLIP_KEY[codebase], p)
            if split == "test" and codebase == "mmcls":
                # mmcls 0.25 tools/test.py: build_dataset(cfg.data.test, default_args=
                # dict(test_mode=True)), a default the config can override
                for leaf in C.leaves(ds_cfg):
                    leaf.setdefault("test_mode", True)
            elif split == "test":
                ds_cfg["test_mode"] = True
            ds = mods[codebase].build_dataset(ds_cfg)
            for d in C.wrapped(ds):
                if type(d).__name__ == "iSAIDDataset" and hasattr(d, "img_infos"):
                    d.img_infos.sort(key=lambda info: info["filename"])     # iSAID
                    applied.add(type(d).__name__)
                if type(d).__name__ == "WIDERFaceDataset":
                    _plus_one(d)
                    applied.add(type(d).__name__)
            C.seed_transforms(ds)
            C.seed_all()
            sample = ds[0]
            if sample is None:
                raise RuntimeError("dataset[0] is None (the pipeline dropped the sample)")
            path = os.path.join(item["out"], f"old-{split}-{'x' if p is None else int(p)}.pt")
            out = extract(sample)
            out["norm"] = _normalize_cfg(ds_cfg)
            torch.save(out, path)
            samples[name] = path
        except Exception as e:  # noqa: BLE001 - named per variant
            errors[name] = C.error(e, f"old {name}")
    return {"status": "ok", "codebase": codebase, "dataset": data, "samples": samples,
            "errors": errors, "bridge_sizes": dict(BRIDGE_SIZES), "old_applied": sorted(applied)}


if __name__ == "__main__":
    sys.exit(C.main(sys.argv[1:], run_one))
