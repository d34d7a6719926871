"""`BaseMetric`, mirroring `mmengine.evaluator.metric.BaseMetric`.

`process(data_batch, data_samples)` appends to `self.results`; `evaluate(size)` collects the
results of all ranks in dataset order (`collect_results`, truncated to `size` so padding added by
the sampler is dropped), calls `compute_metrics` on rank 0, prefixes keys as `prefix/key`,
broadcasts the dict to every rank and clears `self.results`.
"""
from __future__ import annotations

import logging
from abc import ABCMeta, abstractmethod
from typing import Any, List, Optional, Sequence

from runtime.dist import broadcast_object_list, collect_results, is_main_process

logger = logging.getLogger("runtime")


def _to_cpu(data):
    if hasattr(data, "to") and hasattr(data, "device"):
        return data.to("cpu")
    if isinstance(data, list):
        return [_to_cpu(d) for d in data]
    if isinstance(data, tuple):
        return tuple(_to_cpu(d) for d in data)
    if isinstance(data, dict):
        return {k: _to_cpu(v) for k, v in data.items()}
    return data


class BaseMetric(metaclass=ABCMeta):
    default_prefix: Optional[str] = None

    def __init__(self, collect_device: str = "cpu", prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        if collect_dir is not None and collect_device != "cpu":
            raise ValueError("`collec_dir` could only be configured when `collect_device='cpu'`")
        self._dataset_meta: Optional[dict] = None
        self.collect_device = collect_device
        self.results: List[Any] = []
        self.prefix = prefix or self.default_prefix
        self.collect_dir = collect_dir

    @property
    def dataset_meta(self) -> Optional[dict]:
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: dict) -> None:
        self._dataset_meta = dataset_meta

    @abstractmethod
    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Store whatever `compute_metrics` needs for this batch in `self.results`."""

    @abstractmethod
    def compute_metrics(self, results: list) -> dict:
        """Turn the gathered results of the whole dataset into a dict of metrics."""

    def evaluate(self, size: int) -> dict:
        if len(self.results) == 0:
            logger.warning(f"{self.__class__.__name__} got empty `self.results`. Please ensure "
                           "that the processed results are properly added into `self.results` "
                           "in `process` method.")
        results = collect_results(self.results, size, self.collect_device, tmpdir=self.collect_dir)
        if is_main_process():
            metrics = self.compute_metrics(_to_cpu(results))
            if self.prefix:
                metrics = {"/".join((self.prefix, k)): v for k, v in metrics.items()}
            box = [metrics]
        else:
            box = [None]
        broadcast_object_list(box)
        self.results.clear()
        return box[0]
