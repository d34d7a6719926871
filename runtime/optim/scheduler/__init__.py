"""Parameter schedulers (MMEngine's `mmengine.optim.scheduler`), replacing MMCV 1.x lr/momentum
updater hooks. See param_scheduler.py for the shared semantics. Config dicts are built by
`runtime.registry.build_scheduler_from_cfg` (the PARAM_SCHEDULERS build function, as in MMEngine)."""
from . import codebase  # noqa: F401  (registers codebase schedulers, e.g. QuadraticWarmupLR)
from .lr_scheduler import (ConstantLR, CosineAnnealingLR, CosineRestartLR, ExponentialLR, LinearLR,
                           MultiStepLR, OneCycleLR, PolyLR, ReduceOnPlateauLR, StepLR)
from .momentum_scheduler import (ConstantMomentum, CosineAnnealingMomentum, CosineRestartMomentum,
                                 ExponentialMomentum, LinearMomentum, MultiStepMomentum,
                                 PolyMomentum, ReduceOnPlateauMomentum, StepMomentum)
from .param_scheduler import (INF, ConstantParamScheduler, CosineAnnealingParamScheduler,
                              CosineRestartParamScheduler, ExponentialParamScheduler,
                              LinearParamScheduler, MultiStepParamScheduler,
                              OneCycleParamScheduler, PolyParamScheduler,
                              ReduceOnPlateauParamScheduler, StepParamScheduler, _ParamScheduler)

__all__ = [
    "INF", "_ParamScheduler",
    "ConstantLR", "CosineAnnealingLR", "CosineRestartLR", "ExponentialLR", "LinearLR",
    "MultiStepLR", "OneCycleLR", "PolyLR", "ReduceOnPlateauLR", "StepLR",
    "ConstantMomentum", "CosineAnnealingMomentum", "CosineRestartMomentum", "ExponentialMomentum",
    "LinearMomentum", "MultiStepMomentum", "PolyMomentum", "ReduceOnPlateauMomentum",
    "StepMomentum",
    "ConstantParamScheduler", "CosineAnnealingParamScheduler", "CosineRestartParamScheduler",
    "ExponentialParamScheduler", "LinearParamScheduler", "MultiStepParamScheduler",
    "OneCycleParamScheduler", "PolyParamScheduler", "ReduceOnPlateauParamScheduler",
    "StepParamScheduler",
]
