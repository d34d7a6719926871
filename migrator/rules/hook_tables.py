"""Tables for the hooks rule: MMCV logger hooks -> MMEngine vis backends, custom hooks that changed or disappeared.

MMCV behaviour: `log_config.hooks` held LoggerHook subclasses (TextLoggerHook, TensorboardLoggerHook,
WandbLoggerHook, MlflowLoggerHook, PaviLoggerHook, NeptuneLoggerHook, DvcliveLoggerHook,
ClearMLLoggerHook, SegmindLoggerHook; mmdet MMDetWandbHook).
MMEngine behaviour: one LoggerHook writes through the Visualizer's vis backends
(LocalVisBackend, TensorboardVisBackend, WandbVisBackend, MLflowVisBackend, ClearMLVisBackend,
NeptuneVisBackend, DVCLiveVisBackend, AimVisBackend).
"""
from __future__ import annotations

# old logger hook -> (vis backend type, {old kwarg -> new kwarg}); None: no MMEngine backend
LOGGER_BACKENDS = {
    "TensorboardLoggerHook": ("TensorboardVisBackend", {"log_dir": "save_dir"}),
    "WandbLoggerHook": ("WandbVisBackend", {"init_kwargs": "init_kwargs", "define_metric_cfg":
                                            "define_metric_cfg", "commit": "commit",
                                            "log_artifact": "log_code_name"}),
    "MMDetWandbHook": ("WandbVisBackend", {"init_kwargs": "init_kwargs", "define_metric_cfg":
                                           "define_metric_cfg", "commit": "commit"}),
    "MlflowLoggerHook": ("MLflowVisBackend", {"exp_name": "exp_name", "tags": "tags",
                                              "params": "params"}),
    "NeptuneLoggerHook": ("NeptuneVisBackend", {"init_kwargs": "init_kwargs"}),
    "DvcliveLoggerHook": ("DVCLiveVisBackend", {"dir": "save_dir"}),
    "ClearMLLoggerHook": ("ClearMLVisBackend", {"init_kwargs": "init_kwargs"}),
    "PaviLoggerHook": None,
    "SegmindLoggerHook": None,
}
# arguments every MMCV LoggerHook had; handled by LoggerHook/LogProcessor, not the backends
LOGGER_COMMON = {"interval", "ignore_last", "reset_flag", "by_epoch"}

# MMCV hooks that MMEngine no longer has (their job moved into the runner / other configs)
GONE = {
    "OptimizerHook": "use optim_wrapper", "Fp16OptimizerHook": "use optim_wrapper AmpOptimWrapper",
    "GradientCumulativeOptimizerHook": "use optim_wrapper accumulative_counts",
    "GradientCumulativeFp16OptimizerHook": "use optim_wrapper",
    "EvalHook": "use val_cfg/val_evaluator", "DistEvalHook": "use val_cfg/val_evaluator",
    "TextLoggerHook": "use default_hooks.logger", "ClosureHook": "write a Hook subclass",
    "LrUpdaterHook": "use param_scheduler", "MomentumUpdaterHook": "use param_scheduler",
    "SyncRandomSizeHook": "mmdet 3.x uses BatchSyncRandomResize in model.data_preprocessor",
    "YOLOXLrUpdaterHook": "use param_scheduler (QuadraticWarmupLR + CosineAnnealingLR)",
}
