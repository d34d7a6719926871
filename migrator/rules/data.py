"""Data rule: `data=dict(samples_per_gpu, workers_per_gpu, train, val, test, ...)` -> dataloaders.

MMCV/mmdet 2.x behaviour read (mmdet utils/compat_config.compat_loader_args + apis/train.py +
tools/test.py + datasets/builder.build_dataloader):
  train: samples_per_gpu (default 2; `imgs_per_gpu` wins when both are set), workers_per_gpu
         (default 2), persistent_workers (default False), then `data.train_dataloader` overrides;
         shuffle=True (GroupSampler in epoch runs, InfiniteGroupBatchSampler in iteration runs).
  val/test: samples_per_gpu from `data.val`/`data.test` (`samples_per_gpu` key inside the dataset
         dict, for a list of test datasets the max of them) or `data.<split>_dataloader`, default 1;
         workers_per_gpu shared with train (default 2); persistent_workers default False (the
         top-level one only affected train); shuffle=False.
  Other DataLoader kwargs (drop_last, pin_memory, ...) pass through build_dataloader.
MMEngine behaviour produced: `<split>_dataloader=dict(batch_size, num_workers, persistent_workers,
  sampler=dict(type='DefaultSampler'|'InfiniteSampler', shuffle), dataset=<unchanged>, ...)`.
The dataset dicts (and RepeatDataset/ConcatDataset wrappers, pipelines) are kept as they are:
dataset translation is a separate concern.
Collation: MMCV 1.x's build_dataloader (mmdet/mmcls/mmseg and project copies) always passed
`collate_fn=partial(mmcv.parallel.collate, samples_per_gpu=...)`, which stacks tensors;
MMEngine 0.10's Runner.build_dataloader defaults to `pseudo_collate` (lists, stacked later by
the model's data_preprocessor). A codebase profile brings a model with a data_preprocessor; a
config of no known codebase keeps its own model (its migrated `train_step(data, optim_wrapper)`
calls no data_preprocessor), so its loaders get `collate_fn=dict(type='default_collate')`, the
stacking collate (mmengine/dataset/utils.py), unless the model already has a data_preprocessor.
"""
from __future__ import annotations

from typing import Any, Dict, List

from ..copying import deep_copy
from .base import Context
from .ownership import old_fields
from .placement import replace_keys

NAME = "data"

# mmdet 2.x `train_detector` (and the other codebases' train APIs): samples_per_gpu when the
# config does not set it. The one definition: the data rule and the MMCV model both use it.
DEFAULT_SAMPLES_PER_GPU = 2

SPLITS = ("train", "val", "test")
TOP_LOADER_KEYS = {"samples_per_gpu", "imgs_per_gpu", "workers_per_gpu", "persistent_workers"}
SAMPLER_KEYS = {"shuffle", "seed"}
DROPPED_KEYS = {"dist", "num_gpus", "runner_type"}


def _int(ctx: Context, field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ctx.error(field, f"expected an int, got {value!r}")
    return value


def _loader(split: str, data: Dict[str, Any], ctx: Context) -> Dict[str, Any]:
    ds = deep_copy(data[split])        # copy.deepcopy, faster
    over = data.get(f"{split}_dataloader") or {}
    if not isinstance(over, dict):
        raise ctx.error(f"data.{split}_dataloader", "expected a dict")
    over = dict(over)
    if split == "train":
        batch = data.get("imgs_per_gpu", data.get("samples_per_gpu", DEFAULT_SAMPLES_PER_GPU))
        batch_field = "data.imgs_per_gpu" if "imgs_per_gpu" in data else "data.samples_per_gpu"
        persistent = data.get("persistent_workers", None)
    else:
        batch, batch_field, persistent = 1, f"data.{split}_dataloader.samples_per_gpu", None
        inner: List[Any] = [ds] if isinstance(ds, dict) else list(ds) if isinstance(ds, list) else []
        sizes = [d.pop("samples_per_gpu") for d in inner if isinstance(d, dict) and "samples_per_gpu" in d]
        if sizes:
            batch, batch_field = max(sizes), f"data.{split}.samples_per_gpu"
        if isinstance(ds, list):
            ctx.todo(f"data.{split}", f"a list of {split} datasets: wrap them in "
                     f"dict(type='ConcatDataset', datasets=[...]) or run them one by one",
                     original=data[split], anchor=f"{split}_dataloader")
    workers = data.get("workers_per_gpu", 2)
    if "samples_per_gpu" in over:
        batch, batch_field = over.pop("samples_per_gpu"), f"data.{split}_dataloader.samples_per_gpu"
    if "workers_per_gpu" in over:
        workers = over.pop("workers_per_gpu")
    if "persistent_workers" in over:
        persistent = over.pop("persistent_workers")
    loader: Dict[str, Any] = {"batch_size": _int(ctx, batch_field, batch),
                              "num_workers": _int(ctx, "data.workers_per_gpu", workers)}
    if persistent is not None:
        loader["persistent_workers"] = persistent
    shuffle = over.pop("shuffle", split == "train")
    seed = over.pop("seed", None)
    if split == "train" and not ctx.run.by_epoch:
        sampler = {"type": "InfiniteSampler", "shuffle": shuffle}
    else:
        sampler = {"type": "DefaultSampler", "shuffle": shuffle}
    if seed is not None:
        sampler["seed"] = seed
    cas = over.pop("class_aware_sampler", None)
    if cas is not None:        # mmdet ClassAwareSampler(num_sample_class=...) in both versions
        sampler = {"type": "ClassAwareSampler", **cas}
    for k in sorted(DROPPED_KEYS & set(over)):
        ctx.warn(f"data.{split}_dataloader.{k}", f"`{k}` is decided by MMEngine's runner/launcher; "
                 "dropped", original=over.pop(k), anchor=f"{split}_dataloader")
    loader.update(over)            # drop_last, pin_memory, ... are DataLoader kwargs in both
    loader["sampler"] = sampler
    loader["dataset"] = ds
    model = ctx.old.get("model") if isinstance(ctx.old, dict) else None
    if ctx.codebase is None and "collate_fn" not in loader and not (
            isinstance(model, dict) and "data_preprocessor" in model):
        loader["collate_fn"] = {"type": "default_collate"}     # as mmcv.parallel.collate stacked
    return loader


def apply(cfg: Dict[str, Any], ctx: Context) -> Dict[str, Any]:
    if "data" not in cfg:
        return cfg
    data = cfg["data"]
    if not isinstance(data, dict):
        raise ctx.error("data", f"`data` must be a dict, got {type(data).__name__}")
    new: Dict[str, Any] = {}
    for split in SPLITS:
        if split in data:
            new[f"{split}_dataloader"] = _loader(split, data, ctx)
        elif f"{split}_dataloader" in data:
            ctx.todo(f"data.{split}_dataloader", f"loader settings for `{split}` without a "
                     f"`data.{split}` dataset; merge them into {split}_dataloader where the "
                     "dataset is defined", original=data[f"{split}_dataloader"],
                     anchor=None)
    known = TOP_LOADER_KEYS | set(SPLITS) | {f"{s}_dataloader" for s in SPLITS}
    rest = {k: v for k, v in data.items() if k not in known}
    if rest:
        ctx.todo("data", f"unknown `data` keys {sorted(rest)} not converted", original=rest,
                 anchor=next(iter(new), None))
    if not new and any(k in data for k in TOP_LOADER_KEYS):
        ctx.todo("data", "batch/worker settings without any dataset: set batch_size/num_workers "
                 "on the dataloaders where the datasets are defined",
                 original={k: data[k] for k in TOP_LOADER_KEYS if k in data}, anchor=None)
    ctx.report.applied(NAME)
    return replace_keys(cfg, list(old_fields(NAME)), new)
