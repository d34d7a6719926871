"""Registries (MMEngine's `mmengine.registry`). Minimal bootstrap version; to be extended with
scopes, default_scope, lazy locations and helpful errors."""
from .registry import Registry, build_from_cfg
from .root import (DATA_SAMPLERS, DATASETS, EVALUATOR, FUNCTIONS, HOOKS, LOG_PROCESSORS, LOOPS,
                   METRICS, MODEL_WRAPPERS, MODELS, OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS,
                   OPTIMIZERS, PARAM_SCHEDULERS, RUNNERS, TRANSFORMS, VISBACKENDS, VISUALIZERS,
                   WEIGHT_INITIALIZERS)

__all__ = ["Registry", "build_from_cfg", "DATA_SAMPLERS", "DATASETS", "EVALUATOR", "FUNCTIONS",
           "HOOKS", "LOG_PROCESSORS", "LOOPS", "METRICS", "MODEL_WRAPPERS", "MODELS",
           "OPTIM_WRAPPER_CONSTRUCTORS", "OPTIM_WRAPPERS", "OPTIMIZERS", "PARAM_SCHEDULERS",
           "RUNNERS", "TRANSFORMS", "VISBACKENDS", "VISUALIZERS", "WEIGHT_INITIALIZERS"]
