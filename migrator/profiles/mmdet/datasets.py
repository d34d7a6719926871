"""mmdet datasets: 2.28.2 CustomDataset fields -> 3.3.0 BaseDetDataset fields.

Old behaviour (mmdet 2.x datasets/custom.py): `ann_file`, `img_prefix`, `seg_prefix`,
`proposal_file` are joined to `data_root` when relative; `classes` replaces the class names;
outside `test_mode` every dataset drops images smaller than 32 px and, with `filter_empty_gt`
(default True), images without boxes; `file_client_args` picks the storage backend.
New behaviour (mmdet 3.x / mmengine BaseDataset): `data_root` + `data_prefix=dict(img=, seg=)`
(XML datasets: `sub_data_root`), `ann_file`/`proposal_file` relative to `data_root`,
`metainfo=dict(classes=...)`, filtering only through `filter_cfg=dict(filter_empty_gt,
min_size, bbox_min_size)` (bbox_min_size: 2.x XMLDataset's `min_size`, boxes marked ignored),
`backend_args`; OpenImages' label/hierarchy/meta files relative to `data_root` too, and a
training `meta_file` (3.x reads image sizes from it for every split). Wrappers (RepeatDataset,
ConcatDataset, ClassBalancedDataset, MultiImageMixDataset) keep their structure; a dataset
whose `ann_file`/`img_prefix` are lists
(2.x builder concatenated them, zipping lists and sharing scalars) becomes a ConcatDataset.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from ..common.datasets import WRAPPERS
from . import tables as T

NAME = "mmdet.datasets"


def _under(path: str, root: str) -> bool:
    """`path` starts with the directory `root` (`data/fld/a.json` is under `data/fld`, not under
    `data/fl`)."""
    return path.startswith(root) and (root.endswith("/") or path[len(root):][:1] in ("", "/"))


def _strip(path: Any, root: Optional[str]) -> Any:
    """`path` relative to `root` (what MMEngine joins to data_root: never absolute)."""
    if isinstance(path, str) and root and _under(path, root):
        return path[len(root):].lstrip("/")
    return path


def _root(ds: Dict[str, Any], top_root: Any) -> Optional[str]:
    """The data_root the new dataset uses: its own, else the config's `data_root` variable when
    every path of the dataset starts with it."""
    if isinstance(ds.get("data_root"), str):
        return None            # 2.x joined relative paths to it too: nothing to strip
    if not isinstance(top_root, str) or not top_root:
        return None
    paths = [ds[k] for k in (*T.PREFIX, *T.RELATIVE, *T.RELATIVE_BY_TYPE.get(ds.get("type"), ()))
             if isinstance(ds.get(k), str)]
    if paths and all(_under(p, top_root) for p in paths):
        return top_root
    return None


def leaf(ds: Dict[str, Any], field: str, split: str, top_root: Any, ctx) -> Dict[str, Any]:
    lists = [k for k in ("ann_file", "img_prefix", "seg_prefix", "proposal_file")
             if isinstance(ds.get(k), (list, tuple))]
    if lists:     # 2.x builder._concat_dataset: lists are zipped, scalars shared
        n = len(ds[lists[0]])
        parts = [{k: (v[i] if k in lists else v) for k, v in ds.items()} for i in range(n)]
        out = {"type": "ConcatDataset",
               "datasets": [leaf(p, f"{field}.{lists[0]}[{i}]", split, top_root, ctx)
                            for i, p in enumerate(parts)]}
        if ds.get("type") in T.CONCAT_IGNORE_KEYS:
            out["ignore_keys"] = list(T.CONCAT_IGNORE_KEYS[ds["type"]])
        return out
    if not any(k in ds for k in ("img_prefix", "seg_prefix", "classes", "filter_empty_gt",
                                 "file_client_args", "seg_suffix")) and "data_prefix" in ds:
        return ds                                                 # already 3.x style
    prefix_keys = {**T.PREFIX, **T.PREFIX_BY_TYPE.get(ds.get("type"), {})}
    root = _root(ds, top_root)
    out: Dict[str, Any] = {}
    if "type" in ds:
        out["type"] = T.RENAMED_DATASETS.get(ds["type"], ds["type"])
    if root is not None:
        out["data_root"] = root
    prefix = {prefix_keys[k]: _strip(ds[k], root) for k in prefix_keys
              if ds.get(k) is not None}
    if "img_prefix" not in ds:          # 2.x default img_prefix='' (3.x Coco reads prefix['img'])
        prefix = {prefix_keys["img_prefix"]: "", **prefix}
    test_mode = ds.get("test_mode", split != "train")
    filter_empty = ds.get("filter_empty_gt", True)
    for k, v in ds.items():
        if k == "type":
            continue
        if k in prefix_keys:
            if prefix and "data_prefix" not in out:
                out["data_prefix"] = prefix
            continue
        if k in T.RELATIVE or k in T.RELATIVE_BY_TYPE.get(ds.get("type"), ()):
            out[k] = _strip(v, root)
        elif k == "classes":
            out["metainfo"] = {**out.get("metainfo", {}), "classes": v}
        elif k == "filter_empty_gt" or k in T.FILTER_ARGS:
            continue
        elif k == "test_mode" or k in T.TO_METRIC_ARGS:
            continue
        elif k == "file_client_args":
            if not (isinstance(v, dict) and set(v) <= {"backend"}
                    and v.get("backend", "disk") == "disk"):
                out["backend_args"] = v
        elif k in T.DROPPED_ARGS:
            if v != T.DROPPED_ARGS[k]:
                ctx.todo(f"{field}.{k}", f"mmdet 3.x datasets read only "
                         f"{T.DROPPED_ARGS[k]!r} files", original=v, anchor=field.split(".")[0])
        else:
            out[k] = v
    if prefix and "data_prefix" not in out:
        out["data_prefix"] = prefix
    if test_mode:
        out["test_mode"] = True
        for k in T.FILTER_ARGS:
            if ds.get(k):
                ctx.todo(f"{field}.{k}", f"2.x asserted `not test_mode` with {k} (a training "
                         f"filter); 3.x filter_cfg.{T.FILTER_ARGS[k]} also trains only",
                         original=ds[k], anchor=field.split(".")[0])
    elif "filter_cfg" not in out:
        out["filter_cfg"] = {"filter_empty_gt": filter_empty, "min_size": T.FILTER_MIN_SIZE,
                             **{new: ds[k] for k, new in T.FILTER_ARGS.items() if ds.get(k)}}
    need = T.REQUIRED_FILES.get(ds.get("type"))
    if need and split == "train" and need[0] not in out and isinstance(out.get("ann_file"), str):
        arg, name, why = need
        head = out["ann_file"].rpartition("/")[0]
        out[arg] = f"{head}/{name}" if head else name
        ctx.warn(f"{field}.{arg}", why, anchor=field.split(".")[0])
    if "pipeline" in out:                       # the 3.x configs write it last but one
        out["pipeline"] = out.pop("pipeline")
    return out


def _visit(ds: Any, field: str, split: str, top_root: Any, ctx) -> Any:
    if isinstance(ds, list):
        return [_visit(d, f"{field}[{i}]", split, top_root, ctx) for i, d in enumerate(ds)]
    if not isinstance(ds, dict):
        return ds
    if ds.get("type") in WRAPPERS or ("type" not in ds and ("dataset" in ds or "datasets" in ds)):
        new = dict(ds)
        for k, why in T.WRAPPER_ARGS.get(ds.get("type"), {}).items():
            if k in new:
                v = new.pop(k)
                if why:
                    ctx.warn(f"{field}.{k}", why, original=v, anchor=field.split(".")[0])
        for k in ("dataset", "datasets"):
            if k in ds:
                new[k] = _visit(ds[k], f"{field}.{k}", split, top_root, ctx)
        return new
    return leaf(ds, field, split, top_root, ctx)


def apply(cfg: Dict[str, Any], ctx) -> Dict[str, Any]:
    out = dict(cfg)
    top_root = cfg.get("data_root")
    for split in ("train", "val", "test"):
        loader = cfg.get(f"{split}_dataloader")
        if isinstance(loader, dict) and "dataset" in loader:
            new = _visit(loader["dataset"], f"data.{split}", split, top_root, ctx)
            if new != loader["dataset"]:
                out[f"{split}_dataloader"] = {**loader, "dataset": new}
    for k, v in cfg.items():          # top-level dataset variables (train_dataset = dict(...))
        if k.endswith("_dataset") and isinstance(v, dict) and "type" in v:
            split = "train" if "train" in k else "test"
            out[k] = _visit(v, k, split, top_root, ctx)
    if out != cfg:
        ctx.report.applied(NAME)
    return out
