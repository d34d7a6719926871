"""Train converted configs for a few iterations in the real codebases on generated mini datasets.

Runs inside the new-codebase venv (`migrator/envs/new.py`):
`python -P train_real.py OUT.json WORK_DIR ITERS CONFIG...`. The codebase of each config is its
`default_scope`; for each one a mini dataset in that codebase's on-disk format is written once:
  mmdet       COCO: `images/*.jpg` and `ann.json`, 1-3 boxes per image (the 80 COCO class
              names from mmdet's own CocoDataset);
  mmpretrain  ImageNet-style: `train/<class>/<n>.JPEG` and the list `meta/train.txt`
              ("<class>/<n>.JPEG <label>" lines, read by mmpretrain's ImageNet/CustomDataset);
  mmseg       ADE20K-style: `images/training/*` and `annotations/training/*` label maps, with
              the suffixes and label range of the config's dataset (ADE20K '.jpg'/'.png', labels
              1..150, reduce_zero_label; DRIVE '.png'/'_manual1.png', labels 0..1).
Every leaf training dataset of each config is pointed at it (data_root, ann_file, data_prefix;
nothing else of the config changes), `Runner.from_cfg(cfg).train()` runs an IterBasedTrainLoop
of ITERS iterations on CPU with batches of 2, and the losses MMEngine logged are recorded.
Validation and testing are switched off (mmdet's metrics need NMS, a compiled kernel this venv
does not have); pretrained weights (`init_cfg=dict(type='Pretrained')`, mmseg's segmentor-level
`pretrained`) are dropped (nothing is downloaded), so the models start from their own init.
"""
from __future__ import annotations

import os
import sys

if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)        # migrator/verify holds html.py/trace.py: never shadow the stdlib

import json
import traceback

IMAGES = 4


def make_coco(root: str) -> None:
    """`root/images/*.jpg` and `root/ann.json`: IMAGES images, 1-3 boxes each."""
    import cv2
    import numpy as np
    from mmdet.datasets import CocoDataset
    rng = np.random.RandomState(0)
    os.makedirs(os.path.join(root, "images"), exist_ok=True)
    classes = CocoDataset.METAINFO["classes"]
    images, anns = [], []
    for i in range(IMAGES):
        h, w = 96 + 16 * i, 128
        cv2.imwrite(os.path.join(root, "images", f"{i}.jpg"),
                    rng.randint(0, 255, (h, w, 3), dtype=np.uint8))
        images.append({"id": i, "file_name": f"{i}.jpg", "height": h, "width": w})
        for j in range(1 + i % 3):
            x, y = float(rng.randint(0, w // 2)), float(rng.randint(0, h // 2))
            bw, bh = float(rng.randint(16, w // 2)), float(rng.randint(16, h // 2))
            anns.append({"id": len(anns) + 1, "image_id": i, "category_id": 1 + (i + j) % 80,
                         "bbox": [x, y, bw, bh], "area": bw * bh, "iscrowd": 0,
                         "segmentation": [[x, y, x + bw, y, x + bw, y + bh, x, y + bh]]})
    cats = [{"id": k + 1, "name": n} for k, n in enumerate(classes)]
    with open(os.path.join(root, "ann.json"), "w") as f:
        json.dump({"images": images, "annotations": anns, "categories": cats}, f)


def make_imagenet(root: str) -> None:
    """`root/train/<class>/<n>.JPEG` and `root/meta/train.txt`: IMAGES images, labels 0..3."""
    import cv2
    import numpy as np
    rng = np.random.RandomState(0)
    lines = []
    for i in range(IMAGES):
        d = os.path.join(root, "train", f"class{i % 4}")
        os.makedirs(d, exist_ok=True)
        h, w = 96 + 16 * i, 128
        cv2.imwrite(os.path.join(d, f"{i}.JPEG"), rng.randint(0, 255, (h, w, 3), dtype=np.uint8))
        lines.append(f"class{i % 4}/{i}.JPEG {i % 4}")
    os.makedirs(os.path.join(root, "meta"), exist_ok=True)
    with open(os.path.join(root, "meta", "train.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def _seg_format(ds: dict):
    """(img_suffix, seg_map_suffix, reduce_zero_label, number of classes) of an mmseg dataset
    config: its own arguments, else its class's defaults (ADE20KDataset '.jpg'/'.png'/True,
    DRIVEDataset '.png'/'_manual1.png'/False, ...)."""
    import inspect
    from mmseg.registry import DATASETS as REG
    cls = REG.get(ds["type"])
    params = inspect.signature(cls.__init__).parameters

    def arg(k, default):
        return ds.get(k, params[k].default if k in params else default)
    classes = (ds.get("metainfo") or {}).get("classes") or cls.METAINFO["classes"]
    return (arg("img_suffix", ".jpg"), arg("seg_map_suffix", ".png"),
            arg("reduce_zero_label", False), len(classes))


def make_seg(root: str, ds: dict) -> None:
    """ADE20K's layout, `images/training/<n><img_suffix>` and `annotations/training/<n>
    <seg_map_suffix>` (uint8 label maps of rectangles), with the suffixes and label range of the
    config's dataset (labels 1..N where reduce_zero_label turns 0 into 255, else 0..N-1)."""
    import cv2
    import numpy as np
    img_suffix, seg_suffix, reduce_zero, n = _seg_format(ds)
    rng = np.random.RandomState(0)
    for sub in ("images", "annotations"):
        os.makedirs(os.path.join(root, sub, "training"), exist_ok=True)
    for i in range(IMAGES):
        h, w = 160 + 32 * i, 192
        name = f"{i:08d}"
        cv2.imwrite(os.path.join(root, "images", "training", name + img_suffix),
                    rng.randint(0, 255, (h, w, 3), dtype=np.uint8))
        seg = np.full((h, w), 1 if reduce_zero else 0, np.uint8)
        for _ in range(3):
            y, x = rng.randint(0, h // 2), rng.randint(0, w // 2)
            seg[y:y + h // 2, x:x + w // 2] = rng.randint(1, n + 1) if reduce_zero else \
                rng.randint(0, n)
        cv2.imwrite(os.path.join(root, "annotations", "training", name + seg_suffix), seg)


# codebase (default_scope) -> (generator(root, first leaf training dataset), fields every leaf
# training dataset gets)
DATASETS = {
    "mmdet": (lambda root, ds: make_coco(root), lambda ds: {"ann_file": "ann.json", "data_prefix": {
        **(ds.get("data_prefix") or {}), "img": "images/"}}),
    "mmpretrain": (lambda root, ds: make_imagenet(root),
                   lambda ds: {"ann_file": "meta/train.txt", "data_prefix": "train"}),
    "mmseg": (make_seg, lambda ds: {"ann_file": "", "data_prefix": {
        "img_path": "images/training", "seg_map_path": "annotations/training"}}),
}


def _first_leaf(ds):
    while isinstance(ds, dict) and ("dataset" in ds or "datasets" in ds):
        ds = ds.get("dataset") or ds["datasets"][0]
    return ds[0] if isinstance(ds, list) else ds


def _point_at(ds, root: str, fields):
    if isinstance(ds, list):
        return [_point_at(d, root, fields) for d in ds]
    if not isinstance(ds, dict):
        return ds
    if "dataset" in ds or "datasets" in ds:
        return {k: _point_at(v, root, fields) if k in ("dataset", "datasets") else v
                for k, v in ds.items()}
    return {**ds, "data_root": root, **fields(ds)}


def _no_pretrained(v):
    """Drop `init_cfg=dict(type='Pretrained', ...)` and mmseg's segmentor-level `pretrained`
    (which mmseg turns into one): no weights are downloaded here."""
    if isinstance(v, dict):
        ic = v.get("init_cfg")
        out = {k: _no_pretrained(x) for k, x in v.items()
               if not (k == "init_cfg" and isinstance(ic, dict) and ic.get("type") == "Pretrained")
               and not (k == "pretrained" and isinstance(x, str))}
        return out
    if isinstance(v, list):
        return [_no_pretrained(x) for x in v]
    return v


def train_one(path: str, work_dir: str, iters: int) -> dict:
    from mmengine.config import Config
    from mmengine.runner import Runner
    try:
        cfg = Config.fromfile(path)
        scope = cfg.get("default_scope")
        if scope not in DATASETS:
            raise ValueError(f"default_scope {scope!r}: no mini dataset for it")
        make, fields = DATASETS[scope]
        loader = cfg.train_dataloader
        ds = loader.dataset.to_dict() if hasattr(loader.dataset, "to_dict") else loader.dataset
        leaf = _first_leaf(ds)
        data_root = os.path.join(work_dir, f"mini_{scope}_{leaf['type']}") + "/"
        if not os.path.isdir(data_root):
            from mmengine.registry import init_default_scope
            init_default_scope(scope)                  # the codebase's registries, for make_seg
            make(data_root, leaf)
        loader.dataset = _point_at(ds, data_root, fields)
        loader.batch_size, loader.num_workers, loader.persistent_workers = 2, 0, False
        cfg.train_cfg = dict(type="IterBasedTrainLoop", max_iters=iters, val_interval=iters + 1)
        for k in ("val_dataloader", "val_cfg", "val_evaluator", "test_dataloader", "test_cfg",
                  "test_evaluator"):
            cfg[k] = None
        cfg.default_hooks.checkpoint = dict(type="CheckpointHook", interval=iters + 1)
        cfg.default_hooks.logger = dict(type="LoggerHook", interval=1)
        cfg.model = _no_pretrained(cfg.model.to_dict())
        cfg.work_dir = os.path.join(work_dir, os.path.splitext(os.path.basename(path))[0])
        cfg.load_from, cfg.resume = None, False
        runner = Runner.from_cfg(cfg)
        runner.train()
        hub = runner.message_hub
        loss = hub.get_scalar("train/loss")
        return {"path": path, "status": "ok", "iters": runner.iter, "scope": scope,
                "losses": [float(x) for x in loss.data[0]]}
    except BaseException as e:  # noqa: BLE001 - reported, never raised
        tb = traceback.extract_tb(e.__traceback__)
        return {"path": path, "status": "error", "error": type(e).__name__,
                "message": str(e).splitlines()[0][:300] if str(e) else "",
                "where": f"{tb[-1].filename.rsplit('site-packages/', 1)[-1]}:{tb[-1].lineno}"
                if tb else ""}


def main(argv) -> int:
    out_path, work_dir, iters, paths = argv[0], argv[1], int(argv[2]), argv[3:]
    results = [train_one(p, work_dir, iters) for p in paths]
    with open(out_path, "w") as f:
        json.dump(results, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
