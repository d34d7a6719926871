"""Optimisation (MMEngine's `mmengine.optim`): optimizer wrappers, the paramwise optimizer
constructor and parameter schedulers, replacing MMCV 1.x's OptimizerHook/Fp16OptimizerHook,
DefaultOptimizerConstructor and lr/momentum updater hooks. Importing this package registers all
torch optimizers, wrappers, constructors and schedulers in the runtime registries."""
from runtime.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIMIZERS

from .optimizer import (AmpOptimWrapper, BaseOptimWrapper, DefaultOptimWrapperConstructor,
                        MultiOptimWrapperConstructor, OptimWrapper, OptimWrapperDict,
                        build_optim_wrapper)
from .scheduler import *  # noqa: F401,F403
from .scheduler import __all__ as _scheduler_all

__all__ = ["OPTIM_WRAPPER_CONSTRUCTORS", "OPTIMIZERS", "AmpOptimWrapper", "BaseOptimWrapper",
           "DefaultOptimWrapperConstructor", "MultiOptimWrapperConstructor", "OptimWrapper",
           "OptimWrapperDict", "build_optim_wrapper", *_scheduler_all]
