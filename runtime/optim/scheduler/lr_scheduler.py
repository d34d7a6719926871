"""Learning-rate schedulers (MMEngine's `mmengine.optim.scheduler.lr_scheduler`).

Each `XxxLR` is the generic `XxxParamScheduler` with `param_name='lr'` fixed. They replace MMCV
1.x `lr_config=dict(policy=...)` (LrUpdaterHook subclasses: Step, CosineAnnealing, Poly, OneCycle,
CosineRestart, Exp, plus the hook-level `warmup=` option, which becomes a separate LinearLR/ConstantLR
in MMEngine). Constructor arguments are MMEngine's, minus `param_name`.
"""
from runtime.registry import PARAM_SCHEDULERS

from .param_scheduler import (ConstantParamScheduler, CosineAnnealingParamScheduler,
                              CosineRestartParamScheduler, ExponentialParamScheduler,
                              LinearParamScheduler, MultiStepParamScheduler,
                              OneCycleParamScheduler, PolyParamScheduler,
                              ReduceOnPlateauParamScheduler, StepParamScheduler)


class LRSchedulerMixin:
    """Fixes `param_name` to `lr`."""

    def __init__(self, optimizer, *args, **kwargs):
        super().__init__(optimizer, "lr", *args, **kwargs)


@PARAM_SCHEDULERS.register_module()
class ConstantLR(LRSchedulerMixin, ConstantParamScheduler):
    """`ConstantParamScheduler` applied to the learning rate."""


@PARAM_SCHEDULERS.register_module()
class CosineAnnealingLR(LRSchedulerMixin, CosineAnnealingParamScheduler):
    """`CosineAnnealingParamScheduler` applied to the learning rate."""


@PARAM_SCHEDULERS.register_module()
class ExponentialLR(LRSchedulerMixin, ExponentialParamScheduler):
    """`ExponentialParamScheduler` applied to the learning rate."""


@PARAM_SCHEDULERS.register_module()
class LinearLR(LRSchedulerMixin, LinearParamScheduler):
    """`LinearParamScheduler` applied to the learning rate."""


@PARAM_SCHEDULERS.register_module()
class MultiStepLR(LRSchedulerMixin, MultiStepParamScheduler):
    """`MultiStepParamScheduler` applied to the learning rate."""


@PARAM_SCHEDULERS.register_module()
class StepLR(LRSchedulerMixin, StepParamScheduler):
    """`StepParamScheduler` applied to the learning rate."""


@PARAM_SCHEDULERS.register_module()
class PolyLR(LRSchedulerMixin, PolyParamScheduler):
    """`PolyParamScheduler` applied to the learning rate."""


@PARAM_SCHEDULERS.register_module()
class OneCycleLR(LRSchedulerMixin, OneCycleParamScheduler):
    """`OneCycleParamScheduler` applied to the learning rate."""


@PARAM_SCHEDULERS.register_module()
class CosineRestartLR(LRSchedulerMixin, CosineRestartParamScheduler):
    """`CosineRestartParamScheduler` applied to the learning rate."""


@PARAM_SCHEDULERS.register_module()
class ReduceOnPlateauLR(LRSchedulerMixin, ReduceOnPlateauParamScheduler):
    """`ReduceOnPlateauParamScheduler` applied to the learning rate."""
