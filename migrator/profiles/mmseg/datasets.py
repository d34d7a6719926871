"""mmseg datasets: mmseg 0.30 CustomDataset fields -> mmseg 1.2.2 BaseSegDataset fields.

Old behaviour: CustomDataset(pipeline, img_dir, img_suffix, ann_dir, seg_map_suffix, split,
data_root, test_mode, ignore_index, reduce_zero_label, classes, palette, gt_seg_map_loader_cfg,
file_client_args); `img_dir`/`ann_dir`/`split` are joined to data_root unless absolute; lists of
img_dir/ann_dir/split build a ConcatDataset (mmseg datasets/builder._concat_dataset: a scalar is
shared, lists are zipped), and so does a list of dataset dicts; ConcatDataset(separate_eval=True) evaluated each part apart.
New behaviour: BaseSegDataset(data_root, data_prefix=dict(img_path, seg_map_path), ann_file,
metainfo=dict(classes, palette), backend_args, ...), the same path joining (mmengine
BaseDataset._join_prefix); CustomDataset is BaseSegDataset (and FaceOccludedDataset, gone in 1.2.2, the BaseSegDataset it
was); PascalVOCDataset/PascalContextDataset require ann_file; MMEngine's
ConcatDataset evaluates the concatenation as one.
"""
from __future__ import annotations

from typing import Any, Dict

from ..common.datasets import map_datasets
from . import tables as T

NAME = "mmseg.datasets"


def _leaf(ds: Dict[str, Any], field: str, ctx) -> Dict[str, Any]:
    lists = [k for k in ("img_dir", "ann_dir", "split") if isinstance(ds.get(k), (list, tuple))]
    if lists:
        n = len(ds[lists[0]])
        parts = [{k: (v[i] if k in lists else v) for k, v in ds.items()} for i in range(n)]
        return {"type": "ConcatDataset",
                "datasets": [_leaf(p, f"{field}.{lists[0]}[{i}]", ctx) for i, p in enumerate(parts)]}
    out: Dict[str, Any] = {}
    prefix = {T.PREFIX[k]: ds[k] for k in T.PREFIX if ds.get(k) is not None}
    placed = False
    for k, v in ds.items():
        if k in T.PREFIX:
            if not placed and prefix:
                out["data_prefix"] = prefix
                placed = True
            continue
        if k == "split":
            if v is not None:
                out[T.SPLIT_TO] = v
            continue
        if k in ("classes", "palette"):
            out.setdefault("metainfo", {})[k] = v
            continue
        if k == "file_client_args":
            if not (isinstance(v, dict) and set(v) <= {"backend"} and v.get("backend", "disk") == "disk"):
                out["backend_args"] = v
            continue
        if k in T.DROPPED:
            ctx.warn(f"{field}.{k}", T.DROPPED[k], original=v, anchor=field.split(".")[0])
            continue
        out[k] = v
    t = out.get("type")
    if t in T.RENAMED_DATASETS:
        out["type"] = t = T.RENAMED_DATASETS[t]
    if t in T.NEEDS_ANN_FILE and "ann_file" not in out and "img_dir" in ds:
        ctx.todo(f"{field}.split", f"{t} needs ann_file (the image list) in mmseg 1.x",
                 anchor=field.split(".")[0])
    if t in T.REPLACED_DATASETS:
        if "classes" in ds:
            ctx.todo(f"{field}.classes", f"{t}(classes=...) selected a subset of its classes and "
                     "remapped the labels; mmseg 1.2.2 has no such dataset (written as the "
                     "BaseSegDataset it was, with its own classes): set metainfo and a label map "
                     "by hand", original=ds["classes"], anchor=field.split(".")[0])
        spec = dict(T.REPLACED_DATASETS[t])
        own = spec.pop("metainfo", {})
        user = dict(out.get("metainfo") or {})
        meta = user if "classes" in ds else {**own, **user}
        out = {**out, **spec, **({"metainfo": meta} if meta else {})}
    if t in T.REMOVED_DATASETS:
        ctx.todo(f"{field}.type", T.REMOVED_DATASETS[t], original=t, anchor=field.split(".")[0])
    return out


def _wrappers(ds: Any, field: str, ctx) -> Any:
    if isinstance(ds, dict) and ds.get("type") == "ConcatDataset" and "separate_eval" in ds:
        if ds["separate_eval"]:
            ctx.warn(f"{field}.separate_eval", "MMEngine's ConcatDataset is evaluated as one "
                     "dataset (mmseg 0.30 evaluated each part apart by default)",
                     original=ds["separate_eval"], anchor=field.split(".")[0])
        ds = {k: v for k, v in ds.items() if k != "separate_eval"}
    if isinstance(ds, dict):
        for k in ("dataset", "datasets"):
            if isinstance(ds.get(k), (dict, list)):
                inner = ds[k]
                ds = {**ds, k: ([_wrappers(d, f"{field}.{k}[{i}]", ctx) for i, d in enumerate(inner)]
                                if isinstance(inner, list) else _wrappers(inner, f"{field}.{k}", ctx))}
    return ds


def apply(cfg, ctx):
    out = dict(cfg)
    for split in ("train", "val", "test"):
        loader = out.get(f"{split}_dataloader")
        if isinstance(loader, dict) and "dataset" in loader:
            ds = loader["dataset"]
            if isinstance(ds, list):          # mmseg build_dataset: a list is a ConcatDataset
                ds = {"type": "ConcatDataset", "datasets": ds}
            out[f"{split}_dataloader"] = {**loader, "dataset": _wrappers(ds, f"data.{split}", ctx)}
    out = map_datasets(out, lambda d, f, s: _leaf(d, f, ctx))
    if out != cfg:
        ctx.report.applied(NAME)
    return out
