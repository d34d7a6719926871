"""Optimisation (MMEngine's `mmengine.optim`): optimizer wrappers, the paramwise optimizer
constructor and parameter schedulers, replacing MMCV 1.x's OptimizerHook/Fp16OptimizerHook,
DefaultOptimizerConstructor and lr/momentum updater hooks.

The parameter schedulers (`.scheduler`, torch-free) are imported with this package; the optimizer
side (`.optimizer`: wrappers, constructors, registration of the torch optimizers) is imported on
first use of one of its names (PEP 562), so that schedule-only dry runs never load torch. The
registries import `runtime.optim.optimizer` / `runtime.optim.scheduler` themselves on first
lookup (runtime/registry/root.py)."""
from runtime.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIMIZERS

from .scheduler import *  # noqa: F401,F403
from .scheduler import __all__ as _scheduler_all

_OPTIMIZER_NAMES = ("AmpOptimWrapper", "BaseOptimWrapper", "DefaultOptimWrapperConstructor",
                    "MultiOptimWrapperConstructor", "OptimWrapper", "OptimWrapperDict",
                    "build_optim_wrapper")

__all__ = ["OPTIM_WRAPPER_CONSTRUCTORS", "OPTIMIZERS", *_OPTIMIZER_NAMES, *_scheduler_all]


def __getattr__(name: str):
    if name in _OPTIMIZER_NAMES:
        from . import optimizer
        return getattr(optimizer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
