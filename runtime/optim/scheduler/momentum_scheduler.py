"""Momentum schedulers (MMEngine's `mmengine.optim.scheduler.momentum_scheduler`).

Replace MMCV 1.x `momentum_config=dict(policy=...)` (MomentumUpdaterHook subclasses). As in MMEngine,
optimizers with a `momentum` default (SGD, RMSprop) are scheduled on `momentum`; Adam-style
optimizers (a `betas` default) get a mirror `momentum` key equal to `betas[0]` in every param group,
which is scheduled and written back into `betas[0]` after each step. There is no OneCycleMomentum in
MMEngine 0.10.7 (its OneCycle scheduler only drives the lr), so none here either.
"""
from runtime.registry import PARAM_SCHEDULERS

from .param_scheduler import (ConstantParamScheduler, CosineAnnealingParamScheduler,
                              CosineRestartParamScheduler, ExponentialParamScheduler,
                              LinearParamScheduler, MultiStepParamScheduler, PolyParamScheduler,
                              ReduceOnPlateauParamScheduler, StepParamScheduler)


class MomentumSchedulerMixin:
    """Schedules `momentum`, or `betas[0]` through a `momentum` mirror key."""

    def __init__(self, optimizer, *args, **kwargs):
        self.use_betas = False
        if "momentum" not in optimizer.defaults:
            if "betas" not in optimizer.defaults:
                raise ValueError("optimizer must support momentum when using momentum scheduler")
            self.use_betas = True
            for group in optimizer.param_groups:
                group["momentum"] = group["betas"][0]
        super().__init__(optimizer, "momentum", *args, **kwargs)

    def step(self, *args, **kwargs):
        super().step(*args, **kwargs)
        if self.use_betas:
            for group in self.optimizer.param_groups:
                group["betas"] = (group["momentum"], group["betas"][1])


@PARAM_SCHEDULERS.register_module()
class ConstantMomentum(MomentumSchedulerMixin, ConstantParamScheduler):
    """`ConstantParamScheduler` applied to the momentum (or `betas[0]`)."""


@PARAM_SCHEDULERS.register_module()
class CosineAnnealingMomentum(MomentumSchedulerMixin, CosineAnnealingParamScheduler):
    """`CosineAnnealingParamScheduler` applied to the momentum (or `betas[0]`)."""


@PARAM_SCHEDULERS.register_module()
class ExponentialMomentum(MomentumSchedulerMixin, ExponentialParamScheduler):
    """`ExponentialParamScheduler` applied to the momentum (or `betas[0]`)."""


@PARAM_SCHEDULERS.register_module()
class LinearMomentum(MomentumSchedulerMixin, LinearParamScheduler):
    """`LinearParamScheduler` applied to the momentum (or `betas[0]`)."""


@PARAM_SCHEDULERS.register_module()
class MultiStepMomentum(MomentumSchedulerMixin, MultiStepParamScheduler):
    """`MultiStepParamScheduler` applied to the momentum (or `betas[0]`)."""


@PARAM_SCHEDULERS.register_module()
class StepMomentum(MomentumSchedulerMixin, StepParamScheduler):
    """`StepParamScheduler` applied to the momentum (or `betas[0]`)."""


@PARAM_SCHEDULERS.register_module()
class PolyMomentum(MomentumSchedulerMixin, PolyParamScheduler):
    """`PolyParamScheduler` applied to the momentum (or `betas[0]`)."""


@PARAM_SCHEDULERS.register_module()
class CosineRestartMomentum(MomentumSchedulerMixin, CosineRestartParamScheduler):
    """`CosineRestartParamScheduler` applied to the momentum (or `betas[0]`)."""


@PARAM_SCHEDULERS.register_module()
class ReduceOnPlateauMomentum(MomentumSchedulerMixin, ReduceOnPlateauParamScheduler):
    """`ReduceOnPlateauParamScheduler` applied to the momentum (or `betas[0]`)."""
