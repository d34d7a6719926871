"""Train converted mmdet configs for a few iterations in real mmdet 3.3.0 on a generated mini COCO.

Runs inside the new-codebase venv (`migrator/envs/new.py`):
`python -P train_real.py OUT.json WORK_DIR ITERS CONFIG...`. It writes a COCO-format dataset of a
few random images with boxes (the 80 COCO class names from mmdet's own CocoDataset), points
every leaf training dataset of each config at it (data_root, ann_file, data_prefix.img; nothing
else of the config changes), runs `Runner.from_cfg(cfg).train()` with an IterBasedTrainLoop of
ITERS iterations on CPU, and records the losses MMEngine logged. Validation and testing are
switched off (their metrics need NMS, a compiled kernel this venv does not have); pretrained
`init_cfg`s are dropped (nothing is downloaded), so the models start from their own init.
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


def _point_at(ds, root: str):
    if isinstance(ds, list):
        return [_point_at(d, root) for d in ds]
    if not isinstance(ds, dict):
        return ds
    if "dataset" in ds or "datasets" in ds:
        return {k: _point_at(v, root) if k in ("dataset", "datasets") else v
                for k, v in ds.items()}
    return {**ds, "data_root": root, "ann_file": "ann.json",
            "data_prefix": {**(ds.get("data_prefix") or {}), "img": "images/"}}


def _no_pretrained(v):
    """Drop `init_cfg=dict(type='Pretrained', ...)`: no weights are downloaded here."""
    if isinstance(v, dict):
        ic = v.get("init_cfg")
        out = {k: _no_pretrained(x) for k, x in v.items()
               if not (k == "init_cfg" and isinstance(ic, dict) and ic.get("type") == "Pretrained")}
        return out
    if isinstance(v, list):
        return [_no_pretrained(x) for x in v]
    return v


def train_one(path: str, data_root: str, work_dir: str, iters: int) -> dict:
    from mmengine.config import Config
    from mmengine.runner import Runner
    try:
        cfg = Config.fromfile(path)
        loader = cfg.train_dataloader
        loader.dataset = _point_at(loader.dataset.to_dict() if hasattr(loader.dataset, "to_dict")
                                   else loader.dataset, data_root)
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
        return {"path": path, "status": "ok", "iters": runner.iter,
                "losses": [float(x) for x in loss.data[0]]}
    except BaseException as e:  # noqa: BLE001 - reported, never raised
        tb = traceback.extract_tb(e.__traceback__)
        return {"path": path, "status": "error", "error": type(e).__name__,
                "message": str(e).splitlines()[0][:300] if str(e) else "",
                "where": f"{tb[-1].filename.rsplit('site-packages/', 1)[-1]}:{tb[-1].lineno}"
                if tb else ""}


def main(argv) -> int:
    out_path, work_dir, iters, paths = argv[0], argv[1], int(argv[2]), argv[3:]
    import mmdet  # noqa: F401  (registers the scope)
    data_root = os.path.join(work_dir, "mini_coco") + "/"
    make_coco(data_root)
    results = [train_one(p, data_root, work_dir, iters) for p in paths]
    with open(out_path, "w") as f:
        json.dump(results, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
