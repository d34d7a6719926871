"""Hooks (MMEngine's `mmengine.hooks`). Importing this package registers every hook in
`runtime.registry.HOOKS` (it is the registry's lazy location) and the averaged models
(ExponentialMovingAverage, MomentumAnnealingEMA, StochasticWeightAverage) in MODELS."""
from .checkpoint_hook import CheckpointHook
from .early_stopping_hook import EarlyStoppingHook
from .ema_hook import (BaseAveragedModel, EMAHook, ExponentialMovingAverage,
                       MomentumAnnealingEMA, StochasticWeightAverage)
from .hook import Hook
from .iter_timer_hook import IterTimerHook
from .logger_hook import LoggerHook
from .misc_hooks import EmptyCacheHook, SyncBuffersHook
from .param_scheduler_hook import ParamSchedulerHook
from .priority import Priority, get_priority
from .runtime_info_hook import RuntimeInfoHook
from .sampler_seed_hook import DistSamplerSeedHook

__all__ = ["Hook", "CheckpointHook", "EarlyStoppingHook", "EMAHook", "IterTimerHook",
           "LoggerHook", "EmptyCacheHook", "SyncBuffersHook", "ParamSchedulerHook",
           "RuntimeInfoHook", "DistSamplerSeedHook", "Priority", "get_priority",
           "BaseAveragedModel", "ExponentialMovingAverage", "MomentumAnnealingEMA",
           "StochasticWeightAverage"]
