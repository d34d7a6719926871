"""Generate a small dataset in a config's on-disk format (runs inside an env: numpy, cv2).

Written by the old-side harness once per config into its own directory, then read by both
sides. Three formats:

  coco     `images/img{i}.jpg` + `annotations.json` (COCO: images, categories = the dataset's
           classes with ids 1..K, three boxes per image with labels 0, 1 and K-1, each with a
           polygon inside its box, area, iscrowd 0).
  imagenet `train/n{k:08d}/img{i}.JPEG` class folders (one per class, all but two empty) + `meta/train.txt` ("path label" lines,
           in the sorted order a folder scan gives).
  segmap   `img_dir/img{i}{img_suffix}` + `ann_dir/img{i}{seg_map_suffix}` (uint8 PNG label
           maps of rectangles with values in 0..K-1, a 255 border strip; value 0 present, so
           reduce_zero_label matters) + `split.txt` (stems).

Images are deterministic (seeded gradients and noise) and of two sizes with different aspect
ratios (h x w = 120 x 160 and 100 x 90), so keep_ratio, padding and flips all show.
"""
from __future__ import annotations

import json
import os

import numpy as np

SIZES = [(120, 160), (100, 90)]


def _image(i: int, h: int, w: int) -> np.ndarray:
    rng = np.random.RandomState(1234 + i)
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([xx * 255.0 / w, yy * 255.0 / h, (xx + yy) * 127.0 / (h + w)], -1)
    img = base + rng.randint(0, 60, size=(h, w, 3))
    img[: h // 3, : w // 4] = (250, 10, 30)          # an asymmetric patch: flips show
    return np.clip(img, 0, 255).astype(np.uint8)


def _write(path: str, img: np.ndarray) -> None:
    import cv2
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not cv2.imwrite(path, img):
        raise OSError(f"cv2.imwrite failed for {path}")


def coco(root: str, classes) -> dict:
    images, anns = [], []
    k = len(classes)
    for i, (h, w) in enumerate(SIZES):
        name = f"img{i}.jpg"
        _write(os.path.join(root, "images", name), _image(i, h, w))
        images.append({"id": i + 1, "file_name": name, "height": h, "width": w})
        boxes = [(8, 10, w // 2, h // 2), (w // 3, h // 4, w - 5, h - 6), (4, h // 2, w // 3, h - 2)]
        for j, ((x1, y1, x2, y2), label) in enumerate(zip(boxes, (0, 1 % k, k - 1))):
            poly = [x1, y1, x2, y1 + (y2 - y1) // 3, x2 - (x2 - x1) // 4, y2, x1, y2]
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": label + 1,
                         "bbox": [x1, y1, x2 - x1, y2 - y1], "area": float((x2 - x1) * (y2 - y1)),
                         "iscrowd": 0, "segmentation": [[float(v) for v in poly]]})
    cats = [{"id": c + 1, "name": name} for c, name in enumerate(classes)]
    ann = os.path.join(root, "annotations.json")
    with open(ann, "w") as f:
        json.dump({"images": images, "annotations": anns, "categories": cats}, f)
    return {"format": "coco", "ann_file": ann, "img_prefix": os.path.join(root, "images") + "/",
            "num": len(images)}


def imagenet(root: str, num_classes: int = 2) -> dict:
    lines = []
    for k in range(num_classes):     # every class folder exists: a folder scan counts them
        os.makedirs(os.path.join(root, "train", f"n{k:08d}"), exist_ok=True)
    for i, (h, w) in enumerate(SIZES):
        rel = f"n{i % num_classes:08d}/img{i}.JPEG"
        _write(os.path.join(root, "train", rel), _image(i, h, w))
        lines.append(f"{rel} {i % num_classes}")
    os.makedirs(os.path.join(root, "meta"), exist_ok=True)
    ann = os.path.join(root, "meta", "train.txt")
    with open(ann, "w") as f:
        f.write("\n".join(sorted(lines)) + "\n")
    return {"format": "imagenet", "ann_file": ann, "img_prefix": os.path.join(root, "train"),
            "num": len(lines)}


def segmap(root: str, num_classes: int, img_suffix: str, seg_map_suffix: str) -> dict:
    stems = []
    for i, (h, w) in enumerate(SIZES):
        stem = f"img{i}"
        _write(os.path.join(root, "img_dir", stem + img_suffix), _image(i, h, w))
        label = np.zeros((h, w), np.uint8)
        vals = [0, 1 % num_classes, (num_classes - 1), (2 % num_classes)]
        label[: h // 2, : w // 2] = vals[0]
        label[: h // 2, w // 2:] = vals[1]
        label[h // 2:, : w // 3] = vals[2]
        label[h // 2:, w // 3:] = vals[3]
        label[:, -3:] = 255
        _write(os.path.join(root, "ann_dir", stem + seg_map_suffix), label)
        stems.append(stem)
    split = os.path.join(root, "split.txt")
    with open(split, "w") as f:
        f.write("\n".join(stems) + "\n")
    return {"format": "segmap", "img_dir": os.path.join(root, "img_dir"),
            "ann_dir": os.path.join(root, "ann_dir"), "split": split, "num": len(stems),
            "img_suffix": img_suffix, "seg_map_suffix": seg_map_suffix}
