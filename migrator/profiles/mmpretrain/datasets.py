"""mmpretrain datasets: mmcls 0.25 dataset fields -> mmpretrain 1.2 ones.

Old behaviour (mmcls/datasets): BaseDataset(data_prefix, pipeline, classes, ann_file, test_mode,
file_client_args); CIFAR/MNIST/StanfordCars read `data_prefix` and pick the test set by
`test_mode` (True by default for data.val/data.test: build_dataset's default_args); CUB takes
the three annotation files; VOC takes `data_prefix` + an ImageSets/Main/<split>.txt `ann_file`;
a top-level `sampler=dict(type='RepeatAugSampler')` was the train sampler; the val and test loaders used `data.samples_per_gpu` too (mmcls apis/train.py,
tools/test.py: the common loader settings, then `data.val_dataloader`/`test_dataloader`);
IPU configs set `mode` for mmcv's IPUDataLoader.
New behaviour (mmpretrain/datasets): BaseDataset(ann_file, metainfo, data_root, data_prefix, ...)
- ImageNet/CustomDataset keep data_prefix/ann_file (data_root='' keeps them relative to the
working directory), CIFAR/MNIST/StanfordCars/CUB/VOC take `data_root` + `split`, `classes` (a
list) becomes `metainfo=dict(classes=...)`, `file_client_args` has no dataset argument (the disk
default is dropped), the sampler is `train_dataloader.sampler`, val/test batch_size is the
train one unless `data.<split>_dataloader` said otherwise; StanfordCars derives test_mode from
split itself (a test_mode argument is a duplicate keyword there); VOC's `difficult_as_postive` is
VOCMultiLabelMetric/VOCAveragePrecision(difficult_as_positive).
"""
from __future__ import annotations

import posixpath
import re

from ..common.datasets import map_datasets
from . import tables as T

NAME = "mmpretrain.datasets"
VOC_SPLIT = re.compile(r"ImageSets/Main/(train|val|trainval|test)\.txt$")


def _convert(ds, field, split, ctx):
    out = dict(ds)
    form = T.DATASETS.get(out.get("type"))
    if isinstance(out.get("classes"), (list, tuple)):
        out["metainfo"] = {**(out.get("metainfo") or {}), "classes": out.pop("classes")}
    fca = out.pop("file_client_args", None)
    if fca is not None and not (isinstance(fca, dict) and fca.get("backend", "disk") == "disk"
                                and set(fca) <= {"backend"}):
        ctx.todo(f"{field}.file_client_args", "mmpretrain datasets take no file backend; set "
                 "backend_args on LoadImageFromFile", original=fca, anchor=field.split(".")[0])
    for k, only in T.DROPPED_DATASET_ARGS.items():
        if k in out and out[k] == only:
            out.pop(k)
    out.pop("difficult_as_postive", None)     # VOC: a metric argument now (evaluation rule)
    # mmcls 0.25 built data.val/data.test with default_args test_mode=True (apis/train.py,
    # tools/test.py): a val/test MNIST/CIFAR without test_mode read the test set
    test = bool(out.get("test_mode", split in ("val", "test")))
    if form == "split" and "data_prefix" in out and "data_root" not in out:
        out = _front(out, data_root=out.pop("data_prefix"), split="test" if test else "train")
        if test:        # MNIST picks its files by test_mode (no Runner default sets it)
            out["test_mode"] = True
        if out["type"] in T.TEST_MODE_FROM_SPLIT:
            out.pop("test_mode", None)
    elif form == "cub" and "ann_file" in out:
        root = posixpath.dirname(str(out["ann_file"]))
        for k in ("ann_file", "image_class_labels_file", "train_test_split_file", "data_prefix"):
            out.pop(k, None)
        out = _front(out, data_root=root, split="test" if test else "train")
    elif form == "voc" and "data_prefix" in out:
        root, ann = out.pop("data_prefix"), out.pop("ann_file", None)
        extra = {}
        m = VOC_SPLIT.search(str(ann or ""))
        if m:
            extra["split"] = m.group(1)
        elif ann is not None:
            extra["image_set_path"] = posixpath.relpath(str(ann), str(root))
        out = _front(out, data_root=root, **extra)
    return out


def _front(ds, **first):
    return {"type": ds["type"], **first, **{k: v for k, v in ds.items() if k != "type"}}


def apply(cfg, ctx):
    out = map_datasets(cfg, lambda d, f, s: _convert(d, f, s, ctx))
    sampler = out.get("sampler")
    if isinstance(sampler, dict) and "type" in sampler and isinstance(out.get("train_dataloader"), dict):
        loader = dict(out["train_dataloader"])
        loader["sampler"] = {"shuffle": True, **sampler}
        out = {k: (loader if k == "train_dataloader" else v) for k, v in out.items() if k != "sampler"}
    out = _eval_batch(out, ctx)
    for split in ("train", "val", "test"):
        loader = out.get(f"{split}_dataloader")
        if isinstance(loader, dict) and any(k in loader for k in T.IPU_LOADER_KEYS):
            for k in T.IPU_LOADER_KEYS:
                if k in loader:
                    ctx.todo(f"data.{split}_dataloader.{k}", f"`{k}` configured mmcv's "
                             "IPUDataLoader; a torch DataLoader has no such argument",
                             original=loader[k], anchor=f"{split}_dataloader")
            out[f"{split}_dataloader"] = {k: v for k, v in loader.items()
                                          if k not in T.IPU_LOADER_KEYS}
    if out != cfg:
        ctx.report.applied(NAME)
    return out


def _eval_batch(cfg, ctx):
    data = (getattr(ctx, "old", None) or {}).get("data")
    if not isinstance(data, dict) or "samples_per_gpu" not in data:
        return cfg
    out = dict(cfg)
    for split in ("val", "test"):
        loader = cfg.get(f"{split}_dataloader")
        over = data.get(f"{split}_dataloader") or {}
        inner = data.get(split) if isinstance(data.get(split), dict) else {}
        if isinstance(loader, dict) and "samples_per_gpu" not in over \
                and "samples_per_gpu" not in inner:
            out[f"{split}_dataloader"] = {**loader, "batch_size": data["samples_per_gpu"]}
    return out
