"""Parameter schedulers that OpenMMLab codebases register on top of MMEngine's set.

MMCV behaviour they replace: mmdet 2.x `lr_config=dict(policy='YOLOX', ...)`
(`mmdet/core/hook/yolox_lrupdater_hook.py`, YOLOXLrUpdaterHook) overrides the updater's warmup so
that, whatever `warmup` type is named, iteration i < W runs at `base * warmup_ratio * ((i+1)/W)**2`.

MMEngine-side behaviour mirrored: mmdet 3.x `mmdet/engine/schedulers/quadratic_warmup.py`
(QuadraticWarmupParamScheduler / QuadraticWarmupLR / QuadraticWarmupMomentum). With
`n = end - begin`, the value reached after the k-th step inside the window (k = 0, 1, ...) is
`base * (k+1)**2 / n**2`, written in MMEngine's chainable form: step 0 sets `base / n**2`, every
later step adds `base * (2k+1) / n**2` to the value currently in the group. Epoch-based configs
converted with `convert_to_iter_based=True` scale `begin`/`end` by the epoch length without
rounding (mmdet's own `build_iter_from_epoch`). `end` must be finite.

Registered under their plain names in the root PARAM_SCHEDULERS registry (mmdet configs normally
reach them through `default_scope='mmdet'`).
"""
from __future__ import annotations

from runtime.registry import PARAM_SCHEDULERS

from .lr_scheduler import LRSchedulerMixin
from .momentum_scheduler import MomentumSchedulerMixin
from .param_scheduler import INF, _ParamScheduler


@PARAM_SCHEDULERS.register_module()
class QuadraticWarmupParamScheduler(_ParamScheduler):
    """Quadratic warmup from ~0 to the base value over the window `[begin, end)`."""

    def __init__(self, optimizer, param_name: str, begin: int = 0, end: int = INF,
                 last_step: int = -1, by_epoch: bool = True, verbose: bool = False):
        if end >= INF:
            raise ValueError("QuadraticWarmup schedulers need a finite `end` (the step at which "
                             "the warmup is over)")
        self.total_iters = end - begin
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    @classmethod
    def build_iter_from_epoch(cls, *args, begin=0, end=INF, by_epoch=True, epoch_length=None,
                              **kwargs):
        """Epoch-based window -> iteration-based window (no rounding, as in mmdet 3.x)."""
        assert by_epoch, ("Only epoch-based kwargs whose `by_epoch=True` can be converted to "
                          "iter-based.")
        assert epoch_length is not None and epoch_length > 0, \
            f"`epoch_length` must be a positive integer, but got {epoch_length}."
        begin = begin * epoch_length
        if end != INF:
            end = end * epoch_length
        return cls(*args, begin=begin, end=end, by_epoch=False, **kwargs)

    def _get_value(self):
        k, n2 = self.last_step, self.total_iters ** 2
        if k == 0:
            return [base / n2 for base in self.base_values]
        return [cur + base * (2 * k + 1) / n2
                for base, cur in zip(self.base_values, self._current())]


@PARAM_SCHEDULERS.register_module()
class QuadraticWarmupLR(LRSchedulerMixin, QuadraticWarmupParamScheduler):
    """`QuadraticWarmupParamScheduler` applied to the learning rate."""


@PARAM_SCHEDULERS.register_module()
class QuadraticWarmupMomentum(MomentumSchedulerMixin, QuadraticWarmupParamScheduler):
    """`QuadraticWarmupParamScheduler` applied to the momentum (or `betas[0]`)."""
