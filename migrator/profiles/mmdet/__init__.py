"""The mmdet profile: mmdet 2.28.2 configs -> mmdet 3.3.0.

Rules run after the generic ones, in this order: datasets (leaf fields; the evaluation rule reads
the old ones from ctx.old), pipelines (and the data preprocessor they feed), evaluation (metrics,
save_best keys), model (pretrained, assigners, YOLOX batch resizing), detr (DETR-family
transformers), runtime (batch sampler, hooks)."""
from . import datasets, detr, evaluation, model, pipelines, runtime
from .tables import SCOPE, VISUALIZER

NAME = "mmdet"
RULES = [datasets, pipelines, evaluation, model, detr, runtime]

__all__ = ["NAME", "SCOPE", "VISUALIZER", "RULES"]
