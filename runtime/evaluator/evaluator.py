"""`Evaluator`, mirroring `mmengine.evaluator.Evaluator`: a list of metrics sharing `dataset_meta`;
`process` converts data elements with `to_dict()` and forwards to every metric, `evaluate(size)`
merges their dicts and refuses duplicate metric names."""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

from runtime.registry import EVALUATOR, METRICS

from .metric import BaseMetric


@EVALUATOR.register_module()
class Evaluator:
    def __init__(self, metrics: Union[dict, BaseMetric, Sequence]):
        self._dataset_meta: Optional[dict] = None
        if not isinstance(metrics, Sequence):
            metrics = [metrics]
        self.metrics = [METRICS.build(m) if isinstance(m, dict) else m for m in metrics]

    @property
    def dataset_meta(self) -> Optional[dict]:
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: dict) -> None:
        self._dataset_meta = dataset_meta
        for metric in self.metrics:
            metric.dataset_meta = dataset_meta

    def process(self, data_samples: Sequence, data_batch: Optional[Any] = None) -> None:
        samples = [s.to_dict() if hasattr(s, "to_dict") and hasattr(s, "metainfo") else s
                   for s in data_samples]
        for metric in self.metrics:
            metric.process(data_batch, samples)

    def evaluate(self, size: int) -> dict:
        metrics: dict = {}
        for metric in self.metrics:
            result = metric.evaluate(size)
            for name in result:
                if name in metrics:
                    raise ValueError("There are multiple evaluation results with the same metric "
                                     f"name {name}. Please make sure all metrics have different "
                                     "prefixes.")
            metrics.update(result)
        return metrics
