"""The mmpretrain profile: mmcls 0.25.0 configs -> mmpretrain 1.2.0.

Rules run after the generic ones, in this order: runtime names, datasets (before evaluation,
which reads the converted dataset types), pipelines, evaluation, model (which adds num_classes
to the data_preprocessor the pipelines rule created)."""
from . import datasets, evaluation, model, pipelines, runtime

NAME = "mmpretrain"
SCOPE = "mmpretrain"
VISUALIZER = "UniversalVisualizer"
RULES = [runtime, datasets, pipelines, evaluation, model]
