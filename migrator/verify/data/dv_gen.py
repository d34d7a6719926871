"""Generate a small dataset in a config's on-disk format (runs inside an env: numpy, cv2).

Written by the old-side harness once per config into its own directory, then read by both
sides. Three formats:

  coco     `images/img{i}.jpg` + `annotations.json` (COCO: images, categories = the dataset's
           classes with ids 1..K, three boxes per image with labels 0, 1 and K-1, each with a
           polygon inside its box, area, iscrowd 0; each image names its `segm_file`, as
           Cityscapes' converted json does), beside it the semantic maps `stuffthingmaps/img{i}.png`
           (COCO-stuff style: uint8 labels, 255 ignored) and proposal files in both versions'
           formats: `proposals_old.pkl` (mmdet 2.x: a list in image order of (N, 5) float32
           arrays x1, y1, x2, y2, score) and `proposals_new.pkl` (mmdet 3.x: a dict keyed
           `<image dir>/<file name>` of {"bboxes": (N, 4), "scores": (N,)}), the same boxes.
  openimages  OpenImages v6 (`train/img{i}.jpg`, the boxes csv with normalised coordinates, the
           class-description csv, the hierarchy json, image-level labels, image metas pkl) or
           the 2019 challenge variant (the boxes txt, the 3-column class csv, the hierarchy
           as a pickled numpy matrix `.np`); three classes.
  xml      Pascal VOC / WIDERFace layouts (xml_layout below): `<sub>/JPEGImages/img{i}.jpg` (VOC)
           or `<sub>/imgs/img{i}.jpg` (WIDERFace, `folder` imgs), `<sub>/Annotations/img{i}.xml`
           (size, objects with name, difficult 0, bndbox: the coco boxes), image-id lists.
  imagenet `train/n{k:08d}/img{i}.JPEG` class folders (one per class, all but two empty) + `meta/train.txt` ("path label" lines,
           in the sorted order a folder scan gives).
  segmap   `img_dir/img{i}{img_suffix}` + `ann_dir/img{i}{seg_map_suffix}` (uint8 PNG label
           maps of rectangles with values in 0..K-1, a 255 border strip; value 0 present, so
           reduce_zero_label matters) + `split.txt` (stems).

Images are deterministic (seeded gradients and noise, uniform corner patches), stored as PNG
content under every suffix, and of two sizes with different aspect ratios (h x w = 120 x 160 and
100 x 90), so keep_ratio, padding and flips all show.
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
    # uniform corner patches (BGR), so the pixel at (0, 0) after any resize is known by hand:
    # unflipped TOP_LEFT, flipped horizontally TOP_RIGHT, vertically BOTTOM_LEFT
    img[: h // 3, : w // 4] = TOP_LEFT
    img[: h // 3, -(w // 4):] = TOP_RIGHT
    img[-(h // 3):, : w // 4] = BOTTOM_LEFT
    return np.clip(img, 0, 255).astype(np.uint8)


TOP_LEFT, TOP_RIGHT, BOTTOM_LEFT = (250, 10, 30), (20, 200, 60), (90, 40, 220)


def _write(path: str, img: np.ndarray) -> None:
    """PNG content whatever the suffix (decoders read the content): lossless, so every pixel
    value is known, also behind a `.jpg` name."""
    import cv2
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ok, buf = cv2.imencode(".png", img)
    if not ok:
        raise OSError(f"cv2.imencode failed for {path}")
    with open(path, "wb") as f:
        f.write(buf.tobytes())


def _boxes(h: int, w: int):
    return [(8, 10, w // 2, h // 2), (w // 3, h // 4, w - 5, h - 6), (4, h // 2, w // 3, h - 2)]


def _semantic(h: int, w: int) -> np.ndarray:
    """A COCO-stuff style map: four label rectangles (0, 1, 5, 90) and a 255 (ignored) strip."""
    label = np.zeros((h, w), np.uint8)
    label[: h // 2, w // 2:] = 1
    label[h // 2:, : w // 3] = 5
    label[h // 2:, w // 3:] = 90
    label[:, -3:] = 255
    return label


def _proposals(h: int, w: int) -> np.ndarray:
    """Five proposals (x1, y1, x2, y2, score), scores descending (as dumped)."""
    rows = [(2, 3, w // 2 + 4, h // 2 + 1, 0.97), (w // 4, h // 5, w - 3, h - 4, 0.9),
            (0, 0, w - 1, h - 1, 0.55), (5.5, h / 2, w / 3, h - 1.5, 0.31),
            (w / 2, 1, w - 2, h / 3, 0.05)]
    return np.array(rows, np.float32)


def coco(root: str, classes) -> dict:
    import pickle
    images, anns = [], []
    k = len(classes)
    old_props, new_props = [], {}
    for i, (h, w) in enumerate(SIZES):
        name = f"img{i}.jpg"
        _write(os.path.join(root, "images", name), _image(i, h, w))
        _write(os.path.join(root, "stuffthingmaps", f"img{i}.png"), _semantic(h, w))
        images.append({"id": i + 1, "file_name": name, "height": h, "width": w,
                       "segm_file": f"img{i}.png",
                       # LVIS v1 names the image by its COCO url (both versions strip the host)
                       "coco_url": f"http://images.cocodataset.org/{name}"})
        props = _proposals(h, w)
        old_props.append(props)
        new_props[f"images/{name}"] = {"bboxes": props[:, :4].copy(), "scores": props[:, 4].copy()}
        boxes = _boxes(h, w)
        for j, ((x1, y1, x2, y2), label) in enumerate(zip(boxes, (0, 1 % k, k - 1))):
            poly = [x1, y1, x2, y1 + (y2 - y1) // 3, x2 - (x2 - x1) // 4, y2, x1, y2]
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": label + 1,
                         "bbox": [x1, y1, x2 - x1, y2 - y1], "area": float((x2 - x1) * (y2 - y1)),
                         "iscrowd": 0, "segmentation": [[float(v) for v in poly]]})
    cats = [{"id": c + 1, "name": name} for c, name in enumerate(classes)]
    ann = os.path.join(root, "annotations.json")
    with open(ann, "w") as f:
        json.dump({"images": images, "annotations": anns, "categories": cats}, f)
    files = {}
    for side, props in (("old", old_props), ("new", new_props)):
        files[side] = os.path.join(root, f"proposals_{side}.pkl")
        with open(files[side], "wb") as f:
            pickle.dump(props, f)
    return {"format": "coco", "ann_file": ann, "img_prefix": os.path.join(root, "images") + "/",
            "seg_prefix": os.path.join(root, "stuffthingmaps") + "/",
            "proposals_old": files["old"], "proposals_new": files["new"], "num": len(images)}


def panoptic(root: str, classes, things) -> dict:
    """COCO panoptic: `images/img{i}.jpg`, `panoptic/img{i}.png` (segment ids as RGB, id =
    R + 256 G + 256^2 B; 0 void) and `panoptic.json` (images; annotations with file_name and
    segments_info: id, category_id, iscrowd 0, bbox, area; categories with isthing). Per image
    two thing segments (the first two thing classes, on the coco boxes), one stuff segment (the
    first stuff class) on the rest of the bottom half, void elsewhere."""
    # names as the real json spells them: mmdet 2.28.2's CLASSES has ' truck' (a leading space)
    # where THING_CLASSES, mmdet 3.3's metainfo and COCO have 'truck'; 3.x maps categories by name
    classes = [n.strip() for n in classes]
    things = {n.strip() for n in things}
    thing_ids = [c + 1 for c, n in enumerate(classes) if n in things]
    stuff_ids = [c + 1 for c, n in enumerate(classes) if n not in things]
    images, anns = [], []
    for i, (h, w) in enumerate(SIZES):
        name = f"img{i}.jpg"
        _write(os.path.join(root, "images", name), _image(i, h, w))
        ids = np.zeros((h, w), np.int64)
        ids[h // 2:, :] = 3000 + i                     # stuff (written first: things on top)
        b = _boxes(h, w)
        for k, (x1, y1, x2, y2) in enumerate(b[:2]):
            ids[y1:y2, x1:x2] = 1000 * (k + 1) + i
        segs = []
        for sid, cat in ((1000 + i, thing_ids[0]), (2000 + i, thing_ids[min(1, len(thing_ids) - 1)]),
                         (3000 + i, (stuff_ids or thing_ids)[0])):
            ys, xs = np.nonzero(ids == sid)
            x1, y1, x2, y2 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
            segs.append({"id": sid, "category_id": cat, "iscrowd": 0,
                         "bbox": [x1, y1, x2 - x1, y2 - y1], "area": int(len(xs))})
        rgb = np.stack([ids % 256, ids // 256 % 256, ids // 65536 % 256], -1).astype(np.uint8)
        _write(os.path.join(root, "panoptic", f"img{i}.png"), rgb[..., ::-1])   # cv2 is BGR
        images.append({"id": i + 1, "file_name": name, "height": h, "width": w})
        anns.append({"image_id": i + 1, "file_name": f"img{i}.png", "segments_info": segs})
    cats = [{"id": c + 1, "name": n, "isthing": int(n in things)} for c, n in enumerate(classes)]
    ann = os.path.join(root, "panoptic.json")
    with open(ann, "w") as f:
        json.dump({"images": images, "annotations": anns, "categories": cats}, f)
    return {"format": "coco", "ann_file": ann, "img_prefix": os.path.join(root, "images") + "/",
            "seg_prefix": os.path.join(root, "panoptic") + "/", "num": len(images)}


def openimages(root: str, challenge: bool) -> dict:
    import pickle
    mids = ["/m/c0", "/m/c1", "/m/c2"]
    names = ["thing0", "thing1", "thing2"]
    a = os.path.join(root, "annotations")
    os.makedirs(a, exist_ok=True)
    metas, rows, txt = [], [], []
    for i, (h, w) in enumerate(SIZES):
        _write(os.path.join(root, "train", f"img{i}.jpg"), _image(i, h, w))
        metas.append({"filename": os.path.join(root, "train", f"img{i}.jpg"),
                      "ori_shape": (h, w, 3)})
        txt += [f"train/img{i}.jpg", f"{h} {w}", "3"]
        for (x1, y1, x2, y2), k in zip(_boxes(h, w), (0, 1, 2)):
            nx1, ny1, nx2, ny2 = x1 / w, y1 / h, x2 / w, y2 / h
            rows.append(f"img{i},xclick,{mids[k]},1,{nx1!r},{nx2!r},{ny1!r},{ny2!r},0,0,"
                        f"{int(k == 2)},0,0")
            txt.append(f"{k + 1} {nx1!r} {ny1!r} {nx2!r} {ny2!r} {int(k == 2)}")
    files = {"meta_file": os.path.join(a, "metas.pkl"),
             "image_level_ann_file": os.path.join(a, "image-labels.csv")}
    with open(files["meta_file"], "wb") as f:
        pickle.dump(metas, f)
    with open(files["image_level_ann_file"], "w") as f:     # the challenge has no Source
        f.write(("ImageID,LabelName,Confidence\n" if challenge else
                 "ImageID,Source,LabelName,Confidence\n") + "".join(
            f"img{i},{'' if challenge else 'verification,'}{mids[k]},{1 - k % 2}\n"
            for i in range(len(SIZES)) for k in range(3)))
    if challenge:
        files["ann_file"] = os.path.join(a, "boxes.txt")
        with open(files["ann_file"], "w") as f:
            f.write("\n".join(txt) + "\n")
        files["label_file"] = os.path.join(a, "cls-label-description.csv")
        with open(files["label_file"], "w") as f:
            f.write("".join(f"{m},{n},{k + 1}\n" for k, (m, n) in enumerate(zip(mids, names))))
        files["hierarchy_file"] = os.path.join(a, "class_label_tree.np")
        tree = np.eye(len(mids) + 1)
        tree[3, 2] = 1                       # thing2 is a kind of thing1 (row 0: the root)
        with open(files["hierarchy_file"], "wb") as f:
            np.save(f, tree)
    else:
        files["ann_file"] = os.path.join(a, "boxes.csv")
        with open(files["ann_file"], "w") as f:
            f.write("ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,"
                    "IsTruncated,IsGroupOf,IsDepiction,IsInside\n" + "\n".join(rows) + "\n")
        files["label_file"] = os.path.join(a, "class-descriptions-boxable.csv")
        with open(files["label_file"], "w") as f:
            f.write("".join(f"{m},{n}\n" for m, n in zip(mids, names)))
        files["hierarchy_file"] = os.path.join(a, "hierarchy.json")
        with open(files["hierarchy_file"], "w") as f:
            json.dump({"LabelName": "/m/0bl9f", "Subcategory": [
                {"LabelName": mids[0]},
                {"LabelName": mids[1], "Subcategory": [{"LabelName": mids[2]}]}]}, f)
    prefix = root + "/" if challenge else os.path.join(root, "train") + "/"
    return {"format": "openimages", "files": files, "img_prefix": prefix, "num": len(SIZES)}


# XML layouts: dataset class -> (sub-directories, the image folder inside one, image-id lists
# (path relative to the root: kept relative to the sub-directory if it starts with "<sub>/"))
XML_LAYOUTS = {
    "VOCDataset": (("VOC2007", "VOC2012"), "JPEGImages",
                   ("{sub}/ImageSets/Main/trainval.txt", "{sub}/ImageSets/Main/test.txt",
                    "{sub}/ImageSets/Main/train.txt", "{sub}/ImageSets/Main/val.txt")),
    "WIDERFaceDataset": (("WIDER_train", "WIDER_val"), "imgs", ("train.txt", "val.txt")),
}


def xml(root: str, classes, layout: str) -> dict:
    subs, folder, lists = XML_LAYOUTS[layout]
    k = len(classes)
    ids = [f"img{i}" for i in range(len(SIZES))]
    for sub in subs:
        for i, (h, w) in enumerate(SIZES):
            _write(os.path.join(root, sub, folder, f"img{i}.jpg"), _image(i, h, w))
            objs = "".join(
                f"<object><name>{classes[label]}</name><difficult>0</difficult><bndbox>"
                f"<xmin>{x1}</xmin><ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax>"
                f"</bndbox></object>"
                for (x1, y1, x2, y2), label in zip(_boxes(h, w), (0, 1 % k, k - 1)))
            text = (f"<annotation><folder>{folder}</folder><filename>img{i}.jpg</filename>"
                    f"<size><width>{w}</width><height>{h}</height><depth>3</depth></size>"
                    f"{objs}</annotation>")
            os.makedirs(os.path.join(root, sub, "Annotations"), exist_ok=True)
            with open(os.path.join(root, sub, "Annotations", f"img{i}.xml"), "w") as f:
                f.write(text)
        for lst in lists:
            path = os.path.join(root, lst.format(sub=sub))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write("\n".join(ids) + "\n")
    return {"format": "xml", "layout": layout, "root": root, "markers": list(subs) +
            [lst for lst in lists if "{sub}" not in lst], "num": len(ids)}


def rebase(path: str, root: str, markers) -> str:
    """An old config's path moved under the generated root: the part from the first marker
    (`VOC2007`, `WIDER_val`, `val.txt`, ...) on is kept (`data/VOCdevkit/VOC2007/x` ->
    `<root>/VOC2007/x`); a path without a marker is returned unchanged."""
    parts = path.replace("\\", "/").split("/")
    for i, p in enumerate(parts):
        if p in markers:
            return os.path.join(root, *parts[i:])
    return path


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
