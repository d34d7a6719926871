"""The mmseg profile: mmseg 0.30.0 configs -> mmsegmentation 1.2.2.

Rules run after the generic ones: datasets, pipelines (LoadAnnotations for evaluation, data
preprocessor), evaluation (IoUMetric for every val/test split)."""
from . import datasets, evaluation, pipelines

NAME = "mmseg"
SCOPE = "mmseg"
VISUALIZER = "SegLocalVisualizer"
RULES = [datasets, pipelines, evaluation]
