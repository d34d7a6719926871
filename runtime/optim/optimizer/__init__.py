"""Optimizer wrappers and constructors (MMEngine's `mmengine.optim.optimizer`), replacing MMCV 1.x
optimizer hooks and optimizer constructors."""
from .amp_optimizer_wrapper import AmpOptimWrapper
from .base import BaseOptimWrapper
from .builder import TORCH_OPTIMIZERS, build_optim_wrapper, register_torch_optimizers
from .default_constructor import DefaultOptimWrapperConstructor, MultiOptimWrapperConstructor
from .optimizer_wrapper import OptimWrapper
from .optimizer_wrapper_dict import OptimWrapperDict

__all__ = ["AmpOptimWrapper", "BaseOptimWrapper", "TORCH_OPTIMIZERS", "build_optim_wrapper",
           "register_torch_optimizers", "DefaultOptimWrapperConstructor",
           "MultiOptimWrapperConstructor", "OptimWrapper", "OptimWrapperDict"]
