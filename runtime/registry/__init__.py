"""Registries (MMEngine's `mmengine.registry`): Registry with scopes, lazy `locations`, the root
registries, DefaultScope and the build functions. MMCV 1.x had per-package registries without a
default scope; MMEngine's tree of scoped registries is what converted configs rely on."""
from .default_scope import DefaultScope
from .registry import (Registry, UnknownTypeError, build_from_cfg, build_model_from_cfg,
                       build_optimizer_from_cfg, build_runner_from_cfg, build_scheduler_from_cfg,
                       count_registered_modules)
from .root import (DATA_SAMPLERS, DATASETS, EVALUATOR, FUNCTIONS, HOOKS, INFERENCERS,
                   LOG_PROCESSORS, LOOPS, METRICS, MODEL_WRAPPERS, MODELS,
                   OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS, PARAM_SCHEDULERS,
                   ROOT_REGISTRIES, RUNNER_CONSTRUCTORS, RUNNERS, STRATEGIES, TASK_UTILS,
                   TRANSFORMS, VISBACKENDS, VISUALIZERS, WEIGHT_INITIALIZERS)
from .utils import init_default_scope, traverse_registry_tree

__all__ = ["Registry", "UnknownTypeError", "DefaultScope", "build_from_cfg",
           "build_model_from_cfg", "build_optimizer_from_cfg", "build_runner_from_cfg",
           "build_scheduler_from_cfg", "count_registered_modules", "init_default_scope",
           "traverse_registry_tree", "ROOT_REGISTRIES",
           "DATA_SAMPLERS", "DATASETS", "EVALUATOR", "FUNCTIONS", "HOOKS", "INFERENCERS",
           "LOG_PROCESSORS", "LOOPS", "METRICS", "MODEL_WRAPPERS", "MODELS",
           "OPTIM_WRAPPER_CONSTRUCTORS", "OPTIM_WRAPPERS", "OPTIMIZERS", "PARAM_SCHEDULERS",
           "RUNNER_CONSTRUCTORS", "RUNNERS", "STRATEGIES", "TASK_UTILS", "TRANSFORMS",
           "VISBACKENDS", "VISUALIZERS", "WEIGHT_INITIALIZERS"]
