"""Rename tables of the code fixers: where each MMCV 1.x runner API went in MMEngine 0.10.

Data only. `NAMES` maps a fully qualified MMCV name (as libcst's QualifiedNameProvider spells it
for the user's import) to a `Target`:

* `Target("mmengine.registry", "HOOKS")`: the same object lives there (renamed if the name differs);
* `Target(None, None, todo=...)`: no MMEngine equivalent; the use stays under a TODO naming the
  replacement.

Facts: mmcv 1.7.2 `mmcv/runner/__init__.py`, `mmcv/utils/__init__.py`, `mmcv/parallel/__init__.py`
(what each module exports) against mmengine 0.10.7's packages (where the replacement lives);
the MMEngine migration guides (runner: "Migrate the training script", hook: "Function Comparison").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, Optional, Tuple


@dataclass(frozen=True)
class Target:
    module: Optional[str]          # mmengine module the name is imported from (None: no equivalent)
    name: Optional[str]            # name in that module
    todo: str = ""                 # why/what instead, when there is no drop-in equivalent
    kind: str = "rename"           # rename | todo | call (a fixer rewrites the call itself)


# The MMCV modules a runner-API name may be imported from (re-exports included).
RUNNER_MODULES = ("mmcv.runner", "mmcv.runner.hooks", "mmcv.runner.hooks.hook",
                  "mmcv.runner.checkpoint", "mmcv.runner.dist_utils", "mmcv.runner.base_module",
                  "mmcv.runner.builder", "mmcv.runner.priority", "mmcv.runner.fp16_utils",
                  "mmcv.runner.optimizer", "mmcv.runner.optimizer.builder",
                  "mmcv.runner.optimizer.default_constructor", "mmcv.runner.utils",
                  "mmcv.runner.epoch_based_runner", "mmcv.runner.iter_based_runner",
                  "mmcv.runner.base_runner", "mmcv.runner.hooks.lr_updater",
                  "mmcv.runner.hooks.checkpoint", "mmcv.runner.hooks.logger",
                  "mmcv.runner.hooks.evaluation", "mmcv.runner.hooks.optimizer",
                  "mmcv.runner.log_buffer")
UTILS_MODULES = ("mmcv", "mmcv.utils", "mmcv.utils.config", "mmcv.utils.logging",
                 "mmcv.utils.registry", "mmcv.utils.path", "mmcv.utils.misc",
                 "mmcv.utils.progressbar", "mmcv.utils.timer", "mmcv.utils.env",
                 "mmcv.utils.version_utils", "mmcv.fileio")
PARALLEL_MODULES = ("mmcv.parallel", "mmcv.parallel.data_parallel",
                    "mmcv.parallel.distributed", "mmcv.parallel.data_container",
                    "mmcv.parallel.utils", "mmcv.parallel.collate", "mmcv.parallel.registry")

# name -> (mmengine module, new name)
_RUNNER: Dict[str, Tuple[str, str]] = {
    "BaseModule": ("mmengine.model", "BaseModule"),
    "ModuleList": ("mmengine.model", "ModuleList"),
    "ModuleDict": ("mmengine.model", "ModuleDict"),
    "Sequential": ("mmengine.model", "Sequential"),
    "load_checkpoint": ("mmengine.runner", "load_checkpoint"),
    "save_checkpoint": ("mmengine.runner", "save_checkpoint"),
    "load_state_dict": ("mmengine.runner", "load_state_dict"),
    "weights_to_cpu": ("mmengine.runner", "weights_to_cpu"),
    "_load_checkpoint": ("mmengine.runner.checkpoint", "_load_checkpoint"),
    "CheckpointLoader": ("mmengine.runner", "CheckpointLoader"),
    "get_dist_info": ("mmengine.dist", "get_dist_info"),
    "init_dist": ("mmengine.dist", "init_dist"),
    "master_only": ("mmengine.dist", "master_only"),
    "HOOKS": ("mmengine.registry", "HOOKS"),
    "RUNNERS": ("mmengine.registry", "RUNNERS"),
    "OPTIMIZERS": ("mmengine.registry", "OPTIMIZERS"),
    "OPTIMIZER_BUILDERS": ("mmengine.registry", "OPTIM_WRAPPER_CONSTRUCTORS"),
    "DefaultOptimizerConstructor": ("mmengine.optim", "DefaultOptimWrapperConstructor"),
    "Hook": ("mmengine.hooks", "Hook"),
    "CheckpointHook": ("mmengine.hooks", "CheckpointHook"),
    "DistSamplerSeedHook": ("mmengine.hooks", "DistSamplerSeedHook"),
    "IterTimerHook": ("mmengine.hooks", "IterTimerHook"),
    "SyncBuffersHook": ("mmengine.hooks", "SyncBuffersHook"),
    "EMAHook": ("mmengine.hooks", "EMAHook"),
    "LoggerHook": ("mmengine.hooks", "LoggerHook"),
    "Priority": ("mmengine.runner", "Priority"),
    "get_priority": ("mmengine.runner", "get_priority"),
    "set_random_seed": ("mmengine.runner", "set_random_seed"),
}
# Runner classes: a subclass becomes a loop (MC301), `isinstance(runner, EpochBasedRunner)` tests
# the runner's train loop, an annotation names mmengine.runner.Runner; any other use is a TODO.
RUNNER_CLASSES = {"EpochBasedRunner": "EpochBasedTrainLoop", "IterBasedRunner": "IterBasedTrainLoop",
                  "BaseRunner": None, "Runner": "EpochBasedTrainLoop"}
_RUNNER_TODO: Dict[str, str] = {
    "auto_fp16": "MMEngine has no auto_fp16: train with optim_wrapper=dict(type='AmpOptimWrapper', ...) "
                 "(mmengine.optim.AmpOptimWrapper) or torch.autocast",
    "force_fp32": "MMEngine has no force_fp32: run the block under torch.autocast(..., enabled=False) "
                  "and cast inputs with .float()",
    "wrap_fp16_model": "MMEngine has no wrap_fp16_model: use optim_wrapper=dict(type='AmpOptimWrapper')",
    "LossScaler": "use mmengine.optim.AmpOptimWrapper(loss_scale=...)",
    "build_runner": "build the runner with mmengine.runner.Runner.from_cfg(cfg)",
    "build_optimizer": "mmengine.optim.build_optim_wrapper(model, cfg.optim_wrapper) returns an OptimWrapper",
    "build_optimizer_constructor": "mmengine.registry.OPTIM_WRAPPER_CONSTRUCTORS.build(cfg)",
    "BaseRunner": "mmengine.runner.Runner; custom training logic goes in a loop (mmengine.registry.LOOPS)",
    "Runner": "mmengine.runner.Runner (built from the config) with train_cfg=dict(by_epoch=True, ...)",
    "EpochBasedRunner": "mmengine.runner.Runner with train_cfg=dict(type='EpochBasedTrainLoop', ...)",
    "IterBasedRunner": "mmengine.runner.Runner with train_cfg=dict(type='IterBasedTrainLoop', ...)",
    "LogBuffer": "runner.message_hub (mmengine.logging.MessageHub: update_scalar/get_scalar)",
    "OptimizerHook": "backward and step live in the OptimWrapper: optim_wrapper=dict(clip_grad=...)",
    "Fp16OptimizerHook": "optim_wrapper=dict(type='AmpOptimWrapper', loss_scale=...)",
    "GradientCumulativeOptimizerHook": "optim_wrapper=dict(accumulative_counts=N)",
    "EvalHook": "validation is a loop: val_cfg=dict(type='ValLoop') + val_evaluator",
    "DistEvalHook": "validation is a loop: val_cfg=dict(type='ValLoop') + val_evaluator",
    "TextLoggerHook": "default_hooks.logger=dict(type='LoggerHook') prints and writes the log",
    "TensorboardLoggerHook": "vis_backends=[dict(type='TensorboardVisBackend')] in the visualizer",
    "WandbLoggerHook": "vis_backends=[dict(type='WandbVisBackend')] in the visualizer",
    "LrUpdaterHook": "a parameter scheduler (mmengine.optim._ParamScheduler) in param_scheduler",
    "MomentumUpdaterHook": "a momentum scheduler in param_scheduler",
    "IterLoader": "mmengine.runner.IterBasedTrainLoop cycles the dataloader itself",
    "allreduce_grads": "mmengine.dist.all_reduce on each gradient",
    "allreduce_params": "mmengine.dist.all_reduce_params",
    "get_host_info": "no public MMEngine equivalent (socket.gethostname())",
    "get_time_str": "time.strftime('%Y%m%d_%H%M%S', time.localtime())",
    "obj_from_dict": "a registry's build(cfg)",
    "ClosureHook": "no MMEngine equivalent: write a Hook subclass",
}
_UTILS: Dict[str, Tuple[str, str]] = {
    "Config": ("mmengine.config", "Config"),
    "ConfigDict": ("mmengine.config", "ConfigDict"),
    "DictAction": ("mmengine.config", "DictAction"),
    "Registry": ("mmengine.registry", "Registry"),
    "build_from_cfg": ("mmengine.registry", "build_from_cfg"),
    "print_log": ("mmengine.logging", "print_log"),
    "mkdir_or_exist": ("mmengine.utils", "mkdir_or_exist"),
    "is_str": ("mmengine.utils", "is_str"),
    "is_list_of": ("mmengine.utils", "is_list_of"),
    "is_seq_of": ("mmengine.utils", "is_seq_of"),
    "concat_list": ("mmengine.utils", "concat_list"),
    "is_tuple_of": ("mmengine.utils", "is_tuple_of"),
    "check_file_exist": ("mmengine.utils", "check_file_exist"),
    "import_modules_from_strings": ("mmengine.utils", "import_modules_from_strings"),
    "digit_version": ("mmengine.utils", "digit_version"),
    "ProgressBar": ("mmengine.utils", "ProgressBar"),
    "track_iter_progress": ("mmengine.utils", "track_iter_progress"),
    "Timer": ("mmengine.utils", "Timer"),
    "get_git_hash": ("mmengine.utils", "get_git_hash"),
    "is_method_overridden": ("mmengine.utils", "is_method_overridden"),
    "deprecated_api_warning": ("mmengine.utils", "deprecated_api_warning"),
    "scandir": ("mmengine.utils", "scandir"),
    "symlink": ("mmengine.utils", "symlink"),
    "collect_env": ("mmengine.utils.dl_utils", "collect_env"),
    "TORCH_VERSION": ("mmengine.utils.dl_utils", "TORCH_VERSION"),
    "dump": ("mmengine.fileio", "dump"),
    "load": ("mmengine.fileio", "load"),
    "FileClient": ("mmengine.fileio", "FileClient"),
}
_PARALLEL: Dict[str, Tuple[str, str]] = {
    "MMDistributedDataParallel": ("mmengine.model", "MMDistributedDataParallel"),
    "is_module_wrapper": ("mmengine.model", "is_model_wrapper"),
    "MODULE_WRAPPERS": ("mmengine.registry", "MODEL_WRAPPERS"),
}
_PARALLEL_TODO: Dict[str, str] = {
    "DataContainer": "MMEngine has no DataContainer: pack annotations into data_samples "
                     "(mmengine.structures.BaseDataElement) and collate with pseudo_collate",
    "scatter": "the model's data_preprocessor moves data to the device",
    "scatter_kwargs": "the model's data_preprocessor moves data to the device",
}
# mmcv.cnn's root model registry (mmcv/cnn/builder.py): MMEngine's root MODELS.
_CNN = {f"{m}.MODELS": Target("mmengine.registry", "MODELS") for m in ("mmcv.cnn", "mmcv.cnn.builder")}
# Rewritten call by call by a fixer (see fixers/logger.py, fixers/parallel.py).
_CALLS: Dict[str, Tuple[str, str]] = {
    "mmcv.utils.get_logger": ("mmengine.logging", "MMLogger"),
    "mmcv.utils.logging.get_logger": ("mmengine.logging", "MMLogger"),
    "mmcv.get_logger": ("mmengine.logging", "MMLogger"),
    "mmcv.parallel.MMDataParallel": (None, None),
    "mmcv.parallel.collate": ("mmengine.dataset", "default_collate"),
    "mmcv.parallel.collate.collate": ("mmengine.dataset", "default_collate"),
    "mmcv.parallel.data_parallel.MMDataParallel": (None, None),
}
# Codebase helpers built on mmcv's get_logger (mmdet/mmcls/mmseg <= 2.x): `get_root_logger`.
ROOT_LOGGER_MODULES = ("mmdet.utils", "mmdet.utils.logger", "mmcls.utils", "mmcls.utils.logger",
                       "mmseg.utils", "mmseg.utils.logger", "mmdet3d.utils", "mmocr.utils")


def _expand(modules: Iterable[str], table: Dict[str, Tuple[str, str]]) -> Dict[str, Target]:
    return {f"{m}.{k}": Target(*v) for m in modules for k, v in table.items()}


def _expand_todo(modules: Iterable[str], table: Dict[str, str]) -> Dict[str, Target]:
    return {f"{m}.{k}": Target(None, None, v, "todo") for m in modules for k, v in table.items()}


NAMES: Dict[str, Target] = {
    **_expand(RUNNER_MODULES, _RUNNER), **_expand_todo(RUNNER_MODULES, _RUNNER_TODO),
    **_expand(UTILS_MODULES, _UTILS),
    **_expand(PARALLEL_MODULES, _PARALLEL), **_expand_todo(PARALLEL_MODULES, _PARALLEL_TODO),
    **{k: Target(m, n, kind="call") for k, (m, n) in _CALLS.items()},
    **_CNN,
    **{f"{m}.get_root_logger": Target("mmengine.logging", "MMLogger", kind="call")
       for m in ROOT_LOGGER_MODULES},
}
# `mmcv.Config` etc.: the top-level `mmcv` package re-exported mmcv.utils (in UTILS_MODULES);
# what mmcv 2.x still provides (mmcv.imread, mmcv.cnn, ...) is not runner API and stays.

_API_ROOTS = ("mmcv.runner", "mmcv.parallel", "mmcv.utils", "mmcv.fileio")


def lookup(qname: str) -> Optional[str]:
    """The NAMES key for a qualified name, also when it was imported from a submodule that the
    table does not list (`mmcv.runner.hooks.logger.wandb.WandbLoggerHook`)."""
    if qname in NAMES:
        return qname
    for root in _API_ROOTS:
        if qname.startswith(root + "."):
            key = f"{root}.{qname.rpartition('.')[2]}"
            return key if key in NAMES else None
    return None


def is_api_module(module: str) -> bool:
    return any(module == r or module.startswith(r + ".") for r in _API_ROOTS)



# ---- hooks --------------------------------------------------------------------------------
# MMCV hook classes (any base resolving here makes a class an MMCV hook).
HOOK_BASES = {f"{m}.{n}" for m in RUNNER_MODULES
              for n in ("Hook", "CheckpointHook", "DistSamplerSeedHook", "IterTimerHook",
                        "SyncBuffersHook", "EMAHook", "LoggerHook", "EvalHook", "DistEvalHook",
                        "OptimizerHook", "TextLoggerHook", "ClosureHook", "WandbLoggerHook",
                        "TensorboardLoggerHook", "MlflowLoggerHook", "PaviLoggerHook",
                        "NeptuneLoggerHook", "DvcliveLoggerHook", "SegmindLoggerHook",
                        "ClearMLLoggerHook", "Fp16OptimizerHook", "MomentumUpdaterHook",
                        "GradientCumulativeOptimizerHook", "ProfilerHook", "EmptyCacheHook")}
LR_HOOK_BASES = {f"{m}.LrUpdaterHook" for m in RUNNER_MODULES}
# MMCV's built-in policy hooks -> the MMEngine parameter scheduler of the same policy
# (param-scheduler migration guide; None: no MMEngine scheduler of that shape).
POLICY_SCHEDULERS = {
    "FixedLrUpdaterHook": "ConstantLR", "StepLrUpdaterHook": "MultiStepLR / StepLR",
    "ExpLrUpdaterHook": "ExponentialLR", "PolyLrUpdaterHook": "PolyLR",
    "InvLrUpdaterHook": None, "CosineAnnealingLrUpdaterHook": "CosineAnnealingLR",
    "FlatCosineAnnealingLrUpdaterHook": "ConstantLR + CosineAnnealingLR",
    "CosineRestartLrUpdaterHook": "CosineRestartLR", "CyclicLrUpdaterHook": None,
    "OneCycleLrUpdaterHook": "OneCycleLR", "LinearAnnealingLrUpdaterHook": "LinearLR",
    "StepMomentumUpdaterHook": "MultiStepMomentum / StepMomentum",
    "CosineAnnealingMomentumUpdaterHook": "CosineAnnealingMomentum",
    "LinearAnnealingMomentumUpdaterHook": "LinearMomentum", "CyclicMomentumUpdaterHook": None,
    "OneCycleMomentumUpdaterHook": None,
}
RUNNER_BASES = {f"{m}.{n}": n for m in RUNNER_MODULES for n in ("EpochBasedRunner", "IterBasedRunner")}
CONSTRUCTOR_BASES = {f"{m}.DefaultOptimizerConstructor" for m in RUNNER_MODULES}
MODEL_BASES = {f"{m}.BaseModule" for m in RUNNER_MODULES} | {"torch.nn.Module"}

# MMEngine's call signature of each stage (mmengine/hooks/hook.py); MMCV passed `runner` only.
STAGE_PARAMS: Dict[str, Tuple[Tuple[str, Optional[str]], ...]] = {
    "before_train_iter": (("batch_idx", None), ("data_batch", "None")),
    "before_val_iter": (("batch_idx", None), ("data_batch", "None")),
    "before_test_iter": (("batch_idx", None), ("data_batch", "None")),
    "after_train_iter": (("batch_idx", None), ("data_batch", "None"), ("outputs", "None")),
    "after_val_iter": (("batch_idx", None), ("data_batch", "None"), ("outputs", "None")),
    "after_test_iter": (("batch_idx", None), ("data_batch", "None"), ("outputs", "None")),
    "after_val_epoch": (("metrics", "None"),),
    "after_test_epoch": (("metrics", "None"),),
}
# MMCV's generic methods and the stages whose default implementation called them
# (mmcv/runner/hooks/hook.py: Hook.before_train_epoch calls self.before_epoch, ...).
GENERIC_STAGES: Dict[str, Tuple[str, ...]] = {
    "before_epoch": ("before_train_epoch", "before_val_epoch"),
    "after_epoch": ("after_train_epoch", "after_val_epoch"),
    "before_iter": ("before_train_iter", "before_val_iter"),
    "after_iter": ("after_train_iter", "after_val_iter"),
}
# The parameters a generic helper gets so that its body can use what the stage receives.
GENERIC_PARAMS: Dict[str, Tuple[str, ...]] = {
    "before_epoch": (), "after_epoch": (),
    "before_iter": ("batch_idx", "data_batch"), "after_iter": ("batch_idx", "data_batch", "outputs"),
}
# self.<helper>(runner, ...) of MMCV's Hook -> MMEngine's (mmengine/hooks/hook.py).
HOOK_HELPERS = {
    "every_n_iters": "every_n_train_iters",
    "is_last_epoch": "is_last_train_epoch",
    "is_last_iter": "is_last_train_iter",
}
# runner.<attr> in a hook: MMCV BaseRunner attribute -> expression in MMEngine (None: TODO).
RUNNER_ATTRS_SAME = {"epoch", "iter", "max_epochs", "max_iters", "work_dir", "logger", "model",
                     "rank", "world_size", "timestamp", "call_hook", "register_hook",
                     "hooks", "_max_epochs", "_max_iters", "_epoch", "_iter"}
# runner.log_buffer.<attr> beyond update (mmcv/runner/log_buffer.py: val_history/n_history
# lists per key, average(n) fills `output` and sets `ready`, clear_output() empties it) ->
# MMEngine 0.10's MessageHub (mmengine/logging/message_hub.py, history_buffer.py):
# get_scalar('<mode>/<key>') is a HistoryBuffer (.data = (values, counts), .mean(n), .current());
# LogProcessor(window_size=n) does the averaging MMCV's LoggerHook asked average(n) for.
LOG_BUFFER_TODO = {
    "output": "runner.message_hub.get_scalar('<mode>/<key>').mean(n): MMEngine keeps no averaged "
              "output dict (LogProcessor(window_size=n) averages for the logs)",
    "average": "MMEngine's LogProcessor(window_size=n) averages what the logger prints; read "
               "runner.message_hub.get_scalar('<mode>/<key>').mean(n)",
    "clear_output": "MMEngine keeps no averaged output to clear: drop the call",
    "ready": "MMEngine keeps no averaged output: read runner.message_hub.get_scalar(...) directly",
    "clear": "runner.message_hub keeps the whole run's history; nothing to clear per epoch",
    "n_history": "runner.message_hub.get_scalar('<mode>/<key>').data[1] (the counts)",
    "val_history": "runner.message_hub.get_scalar('<mode>/<key>').data[0] (the values)",
}
RUNNER_ATTR_TODO = {
    "log_buffer": "runner.message_hub (update_scalar('train/<key>', value) / get_scalar)",
    "outputs": "the `outputs` argument of after_train_iter/after_val_iter",
    "data_loader": "runner.train_dataloader / runner.val_dataloader (or the loop's .dataloader)",
    "inner_iter": "the `batch_idx` argument of the *_iter stages",
    "mode": "the stage name itself says the mode (train/val/test)",
    "data_batch": "the `data_batch` argument of the *_iter stages",
    "batch_processor": "MMEngine calls model.train_step/val_step",
    "optimizer": "runner.optim_wrapper (its .optimizer is the torch optimizer)",
    "meta": "MMEngine's Runner has no meta: runner.cfg (the config), runner.message_hub "
            "runtime info (update_info/get_info) for what hooks shared there",
}


# ---- registries ---------------------------------------------------------------------------
# The name a project gave its own root mmcv.utils.Registry(name) -> MMEngine's root registry of
# that kind (mmengine/registry/root.py; the names are those of mmcv 1.x/mmdet 2.x/mmcls 0.x/
# mmseg 0.x registries).
ROOT_REGISTRIES = {
    "dataset": "DATASETS", "datasets": "DATASETS", "pipeline": "TRANSFORMS",
    "transform": "TRANSFORMS", "sampler": "DATA_SAMPLERS", "hook": "HOOKS", "runner": "RUNNERS",
    "runner builder": "RUNNER_CONSTRUCTORS", "optimizer": "OPTIMIZERS",
    "optimizer builder": "OPTIM_WRAPPER_CONSTRUCTORS", "model": "MODELS", "models": "MODELS",
    "loop": "LOOPS", "metric": "METRICS", "parameter scheduler": "PARAM_SCHEDULERS",
}
# What MMEngine 0.10.7's root registries hold already (read from the installed registries);
# a project class of the same name would collide.
MMENGINE_REGISTERED = {
    "DATASETS": {"ClassBalancedDataset", "ConcatDataset", "RepeatDataset"},
    "DATA_SAMPLERS": {"DefaultSampler", "InfiniteSampler"},
    "HOOKS": {"CheckpointHook", "DistSamplerSeedHook", "EMAHook", "EarlyStoppingHook",
              "EmptyCacheHook", "IterTimerHook", "LoggerHook", "NPUProfilerHook",
              "NaiveVisualizationHook", "ParamSchedulerHook", "PrepareTTAHook", "ProfilerHook",
              "RuntimeInfoHook", "SyncBuffersHook"},
    "RUNNERS": {"FlexibleRunner", "Runner"},
    "OPTIM_WRAPPER_CONSTRUCTORS": {"DefaultOptimWrapperConstructor"},
    "MODELS": {"BaseDataPreprocessor", "BaseTTAModel", "ExponentialMovingAverage",
               "ImgDataPreprocessor", "MomentumAnnealingEMA", "StochasticWeightAverage"},
    "LOOPS": {"EpochBasedTrainLoop", "IterBasedTrainLoop", "TestLoop", "ValLoop"},
    "OPTIMIZERS": {"ASGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "NAdam",
                   "Optimizer", "RAdam", "RMSprop", "Rprop", "SGD", "SparseAdam"},
}

# MMCV hook classes MMEngine 0.10 does not have (a subclass gets a stand-in base, MC108) and
# what replaces them (hook migration guide, "Function Comparison").
NO_EQUIVALENT_HOOKS = {
    "OptimizerHook": "backward and step live in the OptimWrapper (optim_wrapper=dict(clip_grad=...))",
    "Fp16OptimizerHook": "optim_wrapper=dict(type='AmpOptimWrapper', loss_scale=...)",
    "GradientCumulativeOptimizerHook": "optim_wrapper=dict(accumulative_counts=N)",
    "EvalHook": "validation is a loop: val_cfg=dict(type='ValLoop') with a val_evaluator metric",
    "DistEvalHook": "validation is a loop: val_cfg=dict(type='ValLoop') with a val_evaluator metric",
    "TextLoggerHook": "default_hooks.logger=dict(type='LoggerHook')",
    "TensorboardLoggerHook": "visualizer vis_backends=[dict(type='TensorboardVisBackend')]",
    "WandbLoggerHook": "visualizer vis_backends=[dict(type='WandbVisBackend')]",
    "MomentumUpdaterHook": "a momentum parameter scheduler in param_scheduler",
    "ClosureHook": "a Hook subclass",
}

# ---- image helpers ------------------------------------------------------------------------
# mmcv 1.x colour-order flips (mmcv/image/colorspace.py: cv2.cvtColor(img, COLOR_BGR2RGB /
# RGB2BGR)) -> numpy's `img[..., ::-1]`, which gives the same HxWx3 array (mmcls 0.25.0's own
# wandb hook writes it so); mmcv 2.x still has them, MMEngine has no image ops.
CHANNEL_FLIPS = {f"{m}.{n}" for m in ("mmcv", "mmcv.image", "mmcv.image.colorspace")
                 for n in ("bgr2rgb", "rgb2bgr")}
