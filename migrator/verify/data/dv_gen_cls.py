"""Generate mmcls's non-folder dataset formats (runs inside an env: numpy, cv2, scipy).

The layouts are those mmcls 0.25.0 and mmpretrain 1.2.0 both read (their dataset classes'
`load_annotations` / `load_data_list`), under one root:

  cifar         `<base_folder>/<file>` pickles {'data': uint8 (N, 3072) CHW rows,
                'labels' | 'fine_labels', 'batch_label'} for every train/test file of the class,
                plus the meta pickle {<meta key>: class names}. Both versions check the files'
                md5 against the published archive's: the manifest carries the generated files'
                md5 and `patch_md5` puts them in the class table (the check still runs).
  mnist         `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-...` (idx format:
                big-endian magic 0x0803 / 0x0801, then the dimensions), 28 x 28 uint8.
  voc           `JPEGImages/<id>.jpg`, `Annotations/<id>.xml` (objects with name and
                difficult 0), `ImageSets/Main/{train,val,trainval,test}.txt`.
  cub           `images/<path>`, `images.txt`, `image_class_labels.txt`, `train_test_split.txt`.
  stanfordcars  `cars_train/`, `cars_test/`, `devkit/cars_train_annos.mat`,
                `devkit/cars_test_annos_withlabels.mat` (struct array `annotations` with
                bbox_x1, bbox_y1, bbox_x2, bbox_y2, class (1-based), fname).
The train split and the test split hold different images in a different order (so a converted
config that reads the wrong split shows at `[0]`).
"""
from __future__ import annotations

import hashlib
import os
import pickle

import numpy as np

from dv_gen import SIZES, _image, _write

# format -> the leaf dataset keys holding paths in the old config (rebased onto the root)
OLD_PATH_KEYS = {
    "cifar": ("data_prefix",), "mnist": ("data_prefix",), "stanfordcars": ("data_prefix",
                                                                         "ann_file"),
    "voc": ("data_prefix", "ann_file"),
    "cub": ("data_prefix", "ann_file", "image_class_labels_file", "train_test_split_file"),
}
# the old class names (and their subclasses) per format
CLASS_FORMATS = (("CIFAR10", "cifar"), ("MNIST", "mnist"), ("VOC", "voc"), ("CUB", "cub"),
                 ("StanfordCars", "stanfordcars"))
TEST_OFFSET = 10      # test-split images are generated with seeds 10, 11 (train: 0, 1)


def _md5(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def _manifest(fmt, root, **kw) -> dict:
    return dict({"format": fmt, "root": root, "num": len(SIZES)}, **kw)


def cifar(root: str, base_folder: str, train_list, test_list, meta: dict,
          num_classes: int) -> dict:
    label_key = "fine_labels" if "100" in base_folder else "labels"
    folder = os.path.join(root, base_folder)
    os.makedirs(folder, exist_ok=True)
    md5 = {}
    for files, offset in ((train_list, 0), (test_list, TEST_OFFSET)):
        for j, (name, _) in enumerate(files):
            # the first file holds the two images, the others none (np.vstack takes empty rows)
            idx = range(len(SIZES)) if j == 0 else ()
            data = np.zeros((len(idx), 3 * 32 * 32), np.uint8)
            labels = []
            for r, i in enumerate(idx):
                img = _image(i + offset, 32, 32)
                data[r] = img.transpose(2, 0, 1).reshape(-1)
                labels.append((i + offset) % num_classes)
            path = os.path.join(folder, name)
            with open(path, "wb") as f:
                pickle.dump({"data": data, label_key: labels, "batch_label": name}, f)
            md5[name] = _md5(path)
    path = os.path.join(folder, meta["filename"])
    with open(path, "wb") as f:
        pickle.dump({meta["key"]: [f"class{k}" for k in range(num_classes)]}, f)
    md5[meta["filename"]] = _md5(path)
    return _manifest("cifar", root, md5=md5)


def patch_md5(cls, md5: dict) -> None:
    """Point a CIFAR class's integrity table at the generated files' md5 (in this process)."""
    for attr in ("train_list", "test_list"):
        setattr(cls, attr, [[name, md5.get(name, m)] for name, m in getattr(cls, attr)])
    if isinstance(getattr(cls, "meta", None), dict) and cls.meta["filename"] in md5:
        cls.meta = dict(cls.meta, md5=md5[cls.meta["filename"]])


def _idx(path: str, arr: np.ndarray) -> None:
    magic = 0x0800 + arr.ndim
    head = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    with open(path, "wb") as f:
        f.write(head + arr.astype(np.uint8).tobytes())


def mnist(root: str, num_classes: int = 10) -> dict:
    os.makedirs(root, exist_ok=True)
    for prefix, offset in (("train", 0), ("t10k", TEST_OFFSET)):
        imgs = np.stack([_image(i + offset, 28, 28)[..., 0] for i in range(len(SIZES))])
        labels = np.array([(i + offset) % num_classes for i in range(len(SIZES))], np.uint8)
        _idx(os.path.join(root, f"{prefix}-images-idx3-ubyte"), imgs)
        _idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte"), labels)
    return _manifest("mnist", root)


def _split_images(offset):
    return [(f"img{i + offset}", i + offset, SIZES[i]) for i in range(len(SIZES))]


def voc(root: str, classes) -> dict:
    k = len(classes)
    main = os.path.join(root, "ImageSets", "Main")
    os.makedirs(main, exist_ok=True)
    os.makedirs(os.path.join(root, "Annotations"), exist_ok=True)
    splits = {"trainval": _split_images(0), "test": _split_images(TEST_OFFSET)}
    splits["train"], splits["val"] = splits["trainval"][:1], splits["trainval"][1:]
    for stem, seed, (h, w) in splits["trainval"] + splits["test"]:
        _write(os.path.join(root, "JPEGImages", stem + ".jpg"), _image(seed, h, w))
        # two or three objects of distinct classes (one repeated: the label set dedupes it)
        names = [classes[seed % k], classes[(seed + 3) % k], classes[seed % k]]
        objs = "".join(f"<object><name>{n}</name><difficult>0</difficult></object>"
                       for n in names)
        with open(os.path.join(root, "Annotations", stem + ".xml"), "w") as f:
            f.write(f"<annotation><filename>{stem}.jpg</filename>{objs}</annotation>")
    for name, items in splits.items():
        with open(os.path.join(main, name + ".txt"), "w") as f:
            f.write("".join(stem + "\n" for stem, _, _ in items))
    return _manifest("voc", root, num_classes=k)


def cub(root: str, num_classes: int) -> dict:
    rows = []
    for is_train, offset in ((1, 0), (0, TEST_OFFSET)):
        for stem, seed, (h, w) in _split_images(offset):
            rel = f"{seed % num_classes:03d}.class/{stem}.jpg"
            _write(os.path.join(root, "images", rel), _image(seed, h, w))
            rows.append((rel, seed % num_classes + 1, is_train))
    # interleaved (train, test, train, test): the split file decides
    rows = [rows[0], rows[2], rows[1], rows[3]]
    for name, col in (("images.txt", 0), ("image_class_labels.txt", 1),
                      ("train_test_split.txt", 2)):
        with open(os.path.join(root, name), "w") as f:
            f.write("".join(f"{i + 1} {r[col]}\n" for i, r in enumerate(rows)))
    return _manifest("cub", root)


def stanfordcars(root: str, num_classes: int) -> dict:
    import scipy.io
    os.makedirs(os.path.join(root, "devkit"), exist_ok=True)
    fields = ["bbox_x1", "bbox_y1", "bbox_x2", "bbox_y2", "class", "fname"]
    for folder, mat, offset in (("cars_train", "cars_train_annos.mat", 0),
                                ("cars_test", "cars_test_annos_withlabels.mat", TEST_OFFSET)):
        items = _split_images(offset)
        ann = np.zeros((1, len(items)), dtype=[(f, "O") for f in fields])
        for j, (stem, seed, (h, w)) in enumerate(items):
            _write(os.path.join(root, folder, stem + ".jpg"), _image(seed, h, w))
            ann[0, j] = (np.array([[1]]), np.array([[1]]), np.array([[w - 1]]),
                         np.array([[h - 1]]), np.array([[seed % num_classes + 1]]),
                         np.array([stem + ".jpg"]))
        scipy.io.savemat(os.path.join(root, "devkit", mat), {"annotations": ann})
    return _manifest("stanfordcars", root)


def format_of(cls, mmcls_datasets):
    """The generated format of an mmcls 0.25 dataset class, or None."""
    for name, fmt in CLASS_FORMATS:
        base = getattr(mmcls_datasets, name, None)
        if base is not None and issubclass(cls, base):
            return fmt
    return None


def generate(fmt: str, cls, root: str) -> dict:
    k = len(cls.CLASSES or ()) or 2
    if fmt == "cifar":
        return cifar(root, cls.base_folder, cls.train_list, cls.test_list, cls.meta, k)
    if fmt == "mnist":
        return mnist(root, k)
    if fmt == "voc":       # mmcls 0.25 VOC reads the year from the path
        return voc(os.path.join(root, "VOCdevkit", "VOC2007"), list(cls.CLASSES))
    if fmt == "cub":
        return cub(root, k)
    return stanfordcars(root, k)


def rebase_old(leaf: dict, data: dict) -> None:
    """Move the old leaf's path keys from the config's root onto the generated root (the part
    below the common root, e.g. `ImageSets/Main/test.txt`, is kept)."""
    keys = [k for k in OLD_PATH_KEYS[data["format"]] if isinstance(leaf.get(k), str)]
    if not keys:
        return
    vals = [os.path.normpath(leaf[k]) for k in keys]
    common = os.path.commonpath(vals) if len(vals) > 1 else vals[0]
    for k, v in zip(keys, vals):
        leaf[k] = os.path.join(data["root"], os.path.relpath(v, common)) if v != common \
            else data["root"]
