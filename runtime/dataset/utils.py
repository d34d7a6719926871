"""Collate functions and worker seeding, mirroring `mmengine.dataset.utils`.

`pseudo_collate` transposes a list of samples into a structure of lists without stacking anything
(MMEngine's default for dataloaders); `default_collate` does the same transposition but hands the
leaves to torch's default_collate, so tensors/numbers/arrays get stacked. `worker_init_fn` seeds
worker `i` of rank `r` with `num_workers * r + i + seed` for random, numpy (if present) and torch.
Both collate functions are registered in FUNCTIONS under their own names.
"""
from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch.utils.data import get_worker_info
from torch.utils.data._utils.collate import collate_tensor_fn, default_collate_fn_map
from torch.utils.data._utils.collate import default_collate as torch_default_collate

from runtime.registry import FUNCTIONS

COLLATE_FUNCTIONS = FUNCTIONS


def worker_init_fn(worker_id: int, num_workers: int, rank: int, seed: int,
                   disable_subprocess_warning: bool = False) -> None:
    worker_seed = num_workers * rank + worker_id + seed
    try:
        import numpy as np
        np.random.seed(worker_seed)
    except ImportError:
        pass
    random.seed(worker_seed)
    torch.manual_seed(worker_seed)
    if disable_subprocess_warning and worker_id != 0:
        import warnings
        warnings.simplefilter("ignore")


def _transpose(data_batch, leaf):
    item = data_batch[0]
    kind = type(item)
    # the usual shapes first (a dict of tensors): same results as the general checks below
    if kind is dict:
        return {key: _transpose([d[key] for d in data_batch], leaf) for key in item}
    if kind is torch.Tensor:
        return leaf(data_batch)
    if isinstance(item, (str, bytes)):
        return data_batch
    if isinstance(item, tuple) and hasattr(item, "_fields"):
        return kind(*(_transpose(list(s), leaf) for s in zip(*data_batch)))
    if isinstance(item, Sequence):
        size = len(item)
        if any(len(d) != size for d in data_batch):
            raise RuntimeError("each data element in list of batch should be of equal size")
        columns = [_transpose(list(s), leaf) for s in zip(*data_batch)]
        if isinstance(item, tuple):
            return columns
        try:
            return kind(columns)
        except TypeError:
            return columns
    if isinstance(item, Mapping):
        return kind({key: _transpose([d[key] for d in data_batch], leaf) for key in item})
    return leaf(data_batch)


@FUNCTIONS.register_module()
def pseudo_collate(data_batch: Sequence) -> Any:
    """Transpose a batch without stacking: a list of dicts becomes a dict of lists."""
    return _transpose(data_batch, lambda batch: batch)


def _default_leaf(batch):
    elem = batch[0]
    if type(elem) is torch.Tensor:
        # torch's default_collate for a batch whose first element is a plain tensor: the
        # registered collate_tensor_fn, which stacks along dim 0 (into shared memory in a
        # worker, and refusing nested/sparse tensors). The same torch.stack, minus the type
        # dispatch, when nothing about that path has been changed or applies.
        if default_collate_fn_map.get(torch.Tensor) is collate_tensor_fn and not elem.is_nested \
                and elem.layout is torch.strided and get_worker_info() is None:
            return torch.stack(batch, 0)
        return torch_default_collate(batch)
    if type(elem).__name__.endswith("DataElement"):   # data samples stay a list, as MMEngine
        return batch
    return torch_default_collate(batch)


@FUNCTIONS.register_module()
def default_collate(data_batch: Sequence) -> Any:
    """Transpose a batch and stack its tensor/number/array leaves with torch's default_collate."""
    return _transpose(data_batch, _default_leaf)
