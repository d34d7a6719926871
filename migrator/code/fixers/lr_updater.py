"""MC302 LR updater hooks: `class X(LrUpdaterHook)` with `get_lr(runner, base_lr)`.

MMCV 1.x (mmcv/runner/hooks/lr_updater.py): `LrUpdaterHook` records each group's `initial_lr`
in `before_run`, sets `get_lr(runner, base_lr)` per group in `before_train_epoch` (by_epoch) or
`before_train_iter` (by iteration) and applies constant/linear/exp warmup over `warmup_iters`
(or `warmup_by_epoch` epochs); the runner registers it at priority VERY_HIGH. MMEngine 0.10 has
no LrUpdaterHook: its parameter schedulers (`param_scheduler`, mmengine/optim/scheduler) are
closed formulas, so a user's `get_lr` has no scheduler to plug into (param-scheduler migration
guide). The fixer therefore writes, once per file, an MMEngine `Hook` named `LrUpdaterHook`
that reproduces MMCV's mechanics step for step on `runner.optim_wrapper.optimizer` (MMEngine
calls the same stages with the same `runner.epoch`/`runner.iter` values), and the user's
subclass keeps its `get_lr` unchanged. The config must then not also set a `param_scheduler`
for lr.

A subclass of one of MMCV's policy hooks (`class YOLOXLrUpdaterHook(CosineAnnealingLrUpdaterHook)`
overriding `get_lr`/`get_warmup_lr`, mmdet 2.x) gets that policy class written into the file as
well, on the same shim (`_lr_policies.POLICY_SHIMS`: Step, Poly, CosineAnnealing with
`annealing_cos`); other policies -> TODO naming MMEngine's scheduler of that policy.
"""
from __future__ import annotations

import libcst as cst

from .. import tables
from ._lr_policies import POLICY_SHIMS
from ._util import dotted

CODE = "MC302"

SHIM = '''
class LrUpdaterHook(Hook):
    """MMCV 1.x's LrUpdaterHook on MMEngine's hook API (written by mmmigrate, MC302).

    Same arguments and formulas as MMCV 1.7.2's LrUpdaterHook; subclasses implement
    get_lr(runner, base_lr). A single optimizer (runner.optim_wrapper.optimizer).
    """
    priority = 'VERY_HIGH'

    def __init__(self, by_epoch=True, warmup=None, warmup_iters=0, warmup_ratio=0.1,
                 warmup_by_epoch=False):
        if warmup is not None:
            if warmup not in ('constant', 'linear', 'exp'):
                raise ValueError(f'"{warmup}" is not a supported type for warming up, valid '
                                 'types are "constant", "linear" and "exp"')
            assert warmup_iters > 0, '"warmup_iters" must be a positive integer'
            assert 0 < warmup_ratio <= 1.0, '"warmup_ratio" must be in range (0,1]'
        self.by_epoch = by_epoch
        self.warmup = warmup
        self.warmup_ratio = warmup_ratio
        self.warmup_by_epoch = warmup_by_epoch
        self.warmup_epochs = warmup_iters if warmup_by_epoch else None
        self.warmup_iters = None if warmup_by_epoch else warmup_iters
        self.base_lr = []
        self.regular_lr = []

    def _set_lr(self, runner, lr_groups):
        for group, lr in zip(runner.optim_wrapper.optimizer.param_groups, lr_groups):
            group['lr'] = lr

    def get_lr(self, runner, base_lr):
        raise NotImplementedError

    def get_regular_lr(self, runner):
        return [self.get_lr(runner, base_lr) for base_lr in self.base_lr]

    def get_warmup_lr(self, cur_iters):
        if self.warmup == 'constant':
            return [lr * self.warmup_ratio for lr in self.regular_lr]
        if self.warmup == 'linear':
            k = (1 - cur_iters / self.warmup_iters) * (1 - self.warmup_ratio)
            return [lr * (1 - k) for lr in self.regular_lr]
        k = self.warmup_ratio ** (1 - cur_iters / self.warmup_iters)
        return [lr * k for lr in self.regular_lr]

    def before_run(self, runner):
        groups = runner.optim_wrapper.optimizer.param_groups
        for group in groups:
            group.setdefault('initial_lr', group['lr'])
        self.base_lr = [group['initial_lr'] for group in groups]

    def before_train_epoch(self, runner):
        if self.warmup_iters is None:
            self.warmup_iters = self.warmup_epochs * len(runner.train_dataloader)
        if not self.by_epoch:
            return
        self.regular_lr = self.get_regular_lr(runner)
        self._set_lr(runner, self.regular_lr)

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        cur_iter = runner.iter
        if not self.by_epoch:
            self.regular_lr = self.get_regular_lr(runner)
            if self.warmup is None or cur_iter >= self.warmup_iters:
                self._set_lr(runner, self.regular_lr)
            else:
                self._set_lr(runner, self.get_warmup_lr(cur_iter))
        elif self.warmup is not None and cur_iter <= self.warmup_iters:
            if cur_iter == self.warmup_iters:
                self._set_lr(runner, self.regular_lr)
            else:
                self._set_lr(runner, self.get_warmup_lr(cur_iter))
'''


class LrUpdaterFixer:
    def leave_Module(self, ctx, original: cst.Module, updated: cst.Module):
        if "lr_hooks" not in ctx.flags or not ctx.can_import("mmengine.hooks", "Hook"):
            return updated
        policies = sorted(f[len("policy:"):] for f in ctx.flags if f.startswith("policy:"))
        shimmed = {"LrUpdaterHook", *policies}
        for p in policies:
            shimmed.update(POLICY_SHIMS[p][1])
        body, first = [], None
        for i, s in enumerate(updated.body):           # drop the shimmed names from their import
            if isinstance(s, cst.SimpleStatementLine) and isinstance(s.body[0], cst.ImportFrom) \
                    and (dotted(s.body[0].module) or "") in tables.RUNNER_MODULES \
                    and not isinstance(s.body[0].names, cst.ImportStar):
                names = [a for a in s.body[0].names if dotted(a.name) not in shimmed]
                if not names:
                    continue
                names[-1] = names[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                s = s.with_changes(body=[s.body[0].with_changes(names=names)])
            if first is None and isinstance(s, (cst.ClassDef, cst.FunctionDef)) or \
                    first is None and not _is_import(s) and i > 0 and _is_import(updated.body[i - 1]):
                first = len(body)
            body.append(s)
        sources = [SHIM]
        for p in policies:
            cls_src, helpers, from_math = POLICY_SHIMS[p]
            sources += [*helpers.values(), cls_src]
            for name in from_math:
                ctx.add_import("math", name)
        first = len(body) if first is None else first
        for src in reversed(sources):
            body.insert(first, cst.parse_module(src).body[0].with_changes(
                leading_lines=[cst.EmptyLine(indent=False), cst.EmptyLine(indent=False)]))
        ctx.add_import("mmengine.hooks", "Hook")
        ctx.applied(CODE)
        return updated.with_changes(body=body)

    def leave_ClassDef(self, ctx, original: cst.ClassDef, updated: cst.ClassDef):
        s = ctx.cls()
        if s is not None and s.kind == "policy_hook" and s.node is original:
            for a in original.bases:
                for q in ctx.api_qnames(a.value):
                    policy = q.rpartition(".")[2]
                    if q.startswith("mmcv.runner") and policy in POLICY_SHIMS:
                        ctx.flags.update({"lr_hooks", f"policy:{policy}"})
                        ctx.note(original, CODE, f"{original.name.value}: MMCV's {policy} (and "
                                 "LrUpdaterHook) mechanics are written into this file as MMEngine "
                                 "Hooks; do not also set an lr param_scheduler")
                        for m in tables.RUNNER_MODULES:
                            ctx.drop_if_unused(m, policy)
                        return updated
                    if q.startswith("mmcv.runner") and policy in tables.POLICY_SCHEDULERS:
                        new = tables.POLICY_SCHEDULERS[policy]
                        ctx.todo(original, CODE, f"{original.name.value} subclasses MMCV's "
                                 f"{policy}: " + (f"MMEngine's {new} parameter scheduler "
                                 "(param_scheduler) is the base to port it to" if new else
                                 "MMEngine has no scheduler of this policy: port get_lr onto a "
                                 "_ParamScheduler subclass"))
                        return updated
            return updated
        if s is None or s.kind != "lr_hook" or s.node is not original:
            return updated
        bases = [a for a in original.bases if ctx.qnames(a.value) & tables.LR_HOOK_BASES]
        if bases:
            ctx.flags.add("lr_hooks")
            ctx.note(original, CODE, f"{original.name.value}: MMCV's LrUpdaterHook mechanics are "
                                     "written into this file as an MMEngine Hook; do not also "
                                     "set an lr param_scheduler")
            return updated.with_changes(bases=[a.with_changes(value=cst.Name("LrUpdaterHook"))
                                               if a in bases else a for a in updated.bases])
        return updated


def _is_import(s) -> bool:
    return isinstance(s, cst.SimpleStatementLine) and isinstance(s.body[0], (cst.Import,
                                                                            cst.ImportFrom))
