"""MMCV 1.7.2's built-in lr policy hooks, on top of MC302's `LrUpdaterHook` shim: data for
`lr_updater` (written into a migrated file whose class subclasses one of them, e.g. mmdet's
`YOLOXLrUpdaterHook(CosineAnnealingLrUpdaterHook)`).

Same arguments and formulas as mmcv/runner/hooks/lr_updater.py (Step, Poly, CosineAnnealing
and its `annealing_cos`); MMEngine's parameter schedulers are closed formulas a subclass
overriding `get_lr`/`get_warmup_lr` cannot extend, so the subclass keeps MMCV's mechanics.
`POLICY_SHIMS[policy] = (source, helper names it defines)`.
"""

_ANNEALING_COS = '''
def annealing_cos(start, end, factor, weight=1.):
    """MMCV 1.x's cosine annealing from `weight * start + (1 - weight) * end` to `end`."""
    cos_out = cos(pi * factor) + 1
    return end + 0.5 * weight * (start - end) * cos_out
'''

_COSINE = '''
class CosineAnnealingLrUpdaterHook(LrUpdaterHook):
    """MMCV 1.x's CosineAnnealingLrUpdaterHook (written by mmmigrate, MC302)."""

    def __init__(self, min_lr=None, min_lr_ratio=None, **kwargs):
        assert (min_lr is None) ^ (min_lr_ratio is None)
        self.min_lr = min_lr
        self.min_lr_ratio = min_lr_ratio
        super().__init__(**kwargs)

    def get_lr(self, runner, base_lr):
        if self.by_epoch:
            progress, max_progress = runner.epoch, runner.max_epochs
        else:
            progress, max_progress = runner.iter, runner.max_iters
        if self.min_lr_ratio is not None:
            target_lr = base_lr * self.min_lr_ratio
        else:
            target_lr = self.min_lr
        return annealing_cos(base_lr, target_lr, progress / max_progress)
'''

_STEP = '''
class StepLrUpdaterHook(LrUpdaterHook):
    """MMCV 1.x's StepLrUpdaterHook (written by mmmigrate, MC302)."""

    def __init__(self, step, gamma=0.1, min_lr=None, **kwargs):
        if isinstance(step, list):
            assert all(isinstance(s, int) and s > 0 for s in step)
        elif isinstance(step, int):
            assert step > 0
        else:
            raise TypeError('"step" must be a list or integer')
        self.step = step
        self.gamma = gamma
        self.min_lr = min_lr
        super().__init__(**kwargs)

    def get_lr(self, runner, base_lr):
        progress = runner.epoch if self.by_epoch else runner.iter
        if isinstance(self.step, int):
            exp = progress // self.step
        else:
            exp = len(self.step)
            for i, s in enumerate(self.step):
                if progress < s:
                    exp = i
                    break
        lr = base_lr * (self.gamma ** exp)
        return lr if self.min_lr is None else max(lr, self.min_lr)
'''

_POLY = '''
class PolyLrUpdaterHook(LrUpdaterHook):
    """MMCV 1.x's PolyLrUpdaterHook (written by mmmigrate, MC302)."""

    def __init__(self, power=1., min_lr=0., **kwargs):
        self.power = power
        self.min_lr = min_lr
        super().__init__(**kwargs)

    def get_lr(self, runner, base_lr):
        if self.by_epoch:
            progress, max_progress = runner.epoch, runner.max_epochs
        else:
            progress, max_progress = runner.iter, runner.max_iters
        coeff = (1 - progress / max_progress) ** self.power
        return (base_lr - self.min_lr) * coeff + self.min_lr
'''

# policy -> (class source, helper sources, names imported from `math` they need)
POLICY_SHIMS = {
    "CosineAnnealingLrUpdaterHook": (_COSINE, {"annealing_cos": _ANNEALING_COS}, ("cos", "pi")),
    "StepLrUpdaterHook": (_STEP, {}, ()),
    "PolyLrUpdaterHook": (_POLY, {}, ()),
}
