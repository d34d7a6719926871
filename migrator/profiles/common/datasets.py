"""Visit every dataset dict of the dataloaders (and top-level dataset variables), wrappers
included, so a profile's dataset rule converts each one the same way.

Old behaviour: `data.<split>` held a dataset or a wrapper (RepeatDataset/ClassBalancedDataset
`dataset`, ConcatDataset `datasets`, MultiImageMixDataset `dataset`); the generic data rule moved
it, unchanged, to `<split>_dataloader.dataset`.
New behaviour: the wrappers keep their structure (MMEngine's RepeatDataset/ConcatDataset/
ClassBalancedDataset take the same arguments); only the leaf datasets change.
"""
from __future__ import annotations

import copy
import re
from typing import Any, Callable, Dict, List, Optional

from .walk import SPLITS, old_field

WRAPPERS = {"RepeatDataset", "ConcatDataset", "ClassBalancedDataset", "MultiImageMixDataset",
            "KFoldDataset"}


def map_datasets(cfg: Dict[str, Any], fn: Callable[[Dict[str, Any], str, str], Dict[str, Any]]
                 ) -> Dict[str, Any]:
    """Apply `fn(dataset, old_field, split)` to every leaf dataset; returns a new config."""
    out = dict(cfg)
    for split in SPLITS:
        loader = cfg.get(f"{split}_dataloader")
        if isinstance(loader, dict) and "dataset" in loader:
            path = (f"{split}_dataloader", "dataset")
            out[path[0]] = {**loader, "dataset": _visit(loader["dataset"], fn, path, split)}
    return out


def _visit(ds: Any, fn, path, split):
    if isinstance(ds, list):
        return [_visit(d, fn, path + (i,), split) for i, d in enumerate(ds)]
    if not isinstance(ds, dict):
        return ds
    if ds.get("type") in WRAPPERS or ("type" not in ds and ("dataset" in ds or "datasets" in ds)):
        new = dict(ds)
        for k in ("dataset", "datasets"):
            if k in ds:
                new[k] = _visit(ds[k], fn, path + (k,), split)
        return new
    return fn(copy.deepcopy(ds), old_field(path), split)


# the generic loops rule's TODO for a metric only a codebase profile knows (rules/loops.py _metric)
GENERIC_METRIC_TODO = "no known {split} metric for dataset type "


def drop_metric_todo(ctx, split: str, upto: Optional[int]) -> None:
    """The profile wrote `<split>_evaluator`: remove exactly the generic rule's TODO for that
    split's metric (on `evaluation`, or `data.<split>` without one), nothing else."""
    pattern = re.escape(GENERIC_METRIC_TODO.format(split=split))
    for f in ("evaluation", f"data.{split}"):
        drop_resolved(ctx, f, pattern, upto=upto)


def drop_resolved(ctx, field: str, pattern: str, upto: Optional[int] = None) -> None:
    """Remove the findings on exactly `field` whose message starts with the regular expression
    `pattern`, among the first `upto` findings (those made before the profile's own rule ran,
    so a finding the profile itself just made is never removed)."""
    found = ctx.report.findings
    upto = len(found) if upto is None else upto
    ctx.report.findings = [f for i, f in enumerate(found)
                           if not (i < upto and f.field == field and re.match(pattern, f.message))]


def leaf_datasets(cfg: Dict[str, Any], split: str) -> List[Dict[str, Any]]:
    found: List[Dict[str, Any]] = []
    map_datasets({f"{split}_dataloader": cfg.get(f"{split}_dataloader")},
                 lambda d, f, s: found.append(d) or d)
    return found
