"""Evaluation (MMEngine's `mmengine.evaluator`): `Evaluator` feeds batches to `BaseMetric`s, which
gather results across ranks and compute on rank 0. In MMCV 1.x evaluation was a hook
(`EvalHook`/`DistEvalHook`) calling `dataset.evaluate(results)`."""
from .evaluator import Evaluator
from .metric import BaseMetric

__all__ = ["Evaluator", "BaseMetric"]
