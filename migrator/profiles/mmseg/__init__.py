"""The mmseg profile: mmseg 0.30.0 configs -> mmsegmentation 1.2.2.

Rules run after the generic ones: runtime (mmcls imports and scoped types), datasets, pipelines (LoadAnnotations for evaluation, data
preprocessor), evaluation (IoUMetric for every val/test split), model (pretrained beside a
backbone init_cfg)."""
from . import datasets, evaluation, model, pipelines, runtime

NAME = "mmseg"
SCOPE = "mmseg"
VISUALIZER = "SegLocalVisualizer"
RULES = [runtime, datasets, pipelines, evaluation, model]
