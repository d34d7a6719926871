"""The root registries (MMEngine's `mmengine.registry.root`), scope 'runtime' (alias 'mmengine').

MMCV 1.x spread its registries over mmcv.runner/mmcv.cnn; MMEngine gathers 20+ roots here, with
special build functions for RUNNERS (`runner_type` + `from_cfg`), MODELS (lists -> Sequential) and
PARAM_SCHEDULERS (`convert_to_iter_based`). `locations` are imported on the first lookup so that
importing the registry stays cheap; each listed module registers its classes on import.
"""
from .registry import (Registry, build_model_from_cfg, build_optimizer_from_cfg,
                       build_runner_from_cfg, build_scheduler_from_cfg)

_S = "runtime"
RUNNERS = Registry("runner", build_func=build_runner_from_cfg, scope=_S,
                   locations=["runtime.runner"])
RUNNER_CONSTRUCTORS = Registry("runner constructor", scope=_S)
LOOPS = Registry("loop", scope=_S, locations=["runtime.runner.loops"])
HOOKS = Registry("hook", scope=_S, locations=["runtime.hooks"])
STRATEGIES = Registry("strategy", scope=_S)
DATASETS = Registry("dataset", scope=_S, locations=["runtime.dataset"])
DATA_SAMPLERS = Registry("data sampler", scope=_S, locations=["runtime.dataset"])
TRANSFORMS = Registry("transform", scope=_S, locations=["runtime.dataset"])
MODELS = Registry("model", build_model_from_cfg, scope=_S, locations=["runtime.model"])
MODEL_WRAPPERS = Registry("model_wrapper", scope=_S, locations=["runtime.model"])
WEIGHT_INITIALIZERS = Registry("weight initializer", scope=_S, locations=["runtime.model"])
OPTIMIZERS = Registry("optimizer", build_func=build_optimizer_from_cfg, scope=_S,
                      locations=["runtime.optim.optimizer"])
OPTIM_WRAPPERS = Registry("optim_wrapper", scope=_S, locations=["runtime.optim.optimizer"])
OPTIM_WRAPPER_CONSTRUCTORS = Registry("optimizer wrapper constructor", scope=_S,
                                      locations=["runtime.optim.optimizer"])
# the schedulers import without torch (schedule-only dry runs rely on it)
PARAM_SCHEDULERS = Registry("parameter scheduler", build_func=build_scheduler_from_cfg, scope=_S,
                            locations=["runtime.optim.scheduler"])
METRICS = Registry("metric", scope=_S, locations=["runtime.evaluator"])
EVALUATOR = Registry("evaluator", scope=_S, locations=["runtime.evaluator"])
TASK_UTILS = Registry("task util", scope=_S)
VISUALIZERS = Registry("visualizer", scope=_S, locations=["runtime.visualization"])
VISBACKENDS = Registry("vis_backend", scope=_S, locations=["runtime.visualization"])
LOG_PROCESSORS = Registry("log_processor", scope=_S, locations=["runtime.runner.log_processor"])
INFERENCERS = Registry("inferencer", scope=_S)
FUNCTIONS = Registry("function", scope=_S, locations=["runtime.dataset"])

ROOT_REGISTRIES = [RUNNERS, RUNNER_CONSTRUCTORS, LOOPS, HOOKS, STRATEGIES, DATASETS, DATA_SAMPLERS,
                   TRANSFORMS, MODELS, MODEL_WRAPPERS, WEIGHT_INITIALIZERS, OPTIMIZERS,
                   OPTIM_WRAPPERS, OPTIM_WRAPPER_CONSTRUCTORS, PARAM_SCHEDULERS, METRICS,
                   EVALUATOR, TASK_UTILS, VISUALIZERS, VISBACKENDS, LOG_PROCESSORS, INFERENCERS,
                   FUNCTIONS]
