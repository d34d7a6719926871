"""MC203 hook helpers: MMCV's `self.every_n_iters(runner, n)` & co. -> MMEngine's.

MMCV 1.x (mmcv/runner/hooks/hook.py) -> MMEngine 0.10 (mmengine/hooks/hook.py):
`every_n_iters(runner, n)` -> `every_n_train_iters(runner, n)` (both `(runner.iter + 1) % n`),
`every_n_inner_iters(runner, n)` -> `every_n_inner_iters(batch_idx, n)`,
`end_of_epoch(runner)` (`runner.inner_iter + 1 == len(runner.data_loader)`) ->
`end_of_epoch(dataloader, batch_idx)`, `is_last_epoch`/`is_last_iter` -> `is_last_train_epoch`/
`is_last_train_iter`; `every_n_epochs(runner, n)` keeps its name and meaning.
"""
from __future__ import annotations

import libcst as cst

from .. import tables
from ._util import code_of
from .hook_signatures import HOOK_KINDS, effective_params

CODE = "MC203"


def stage_mode(method: str) -> str:
    """'train' / 'val' / 'test' for a stage method, '' for anything else."""
    for mode in ("train", "val", "test"):
        if f"_{mode}_" in f"_{method}_":
            return mode
    return ""


class HookHelpersFixer:
    def leave_Call(self, ctx, original: cst.Call, updated: cst.Call):
        cls, m = ctx.cls(), ctx.method()
        f = updated.func
        if cls is None or cls.kind not in HOOK_KINDS or m is None or not (
                isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name)
                and f.value.value == "self"):
            return updated
        name, params = f.attr.value, effective_params(ctx, m.node)
        if name in tables.HOOK_HELPERS:
            ctx.applied(CODE)
            return updated.with_changes(func=f.with_changes(attr=cst.Name(tables.HOOK_HELPERS[name])))
        if name not in ("every_n_inner_iters", "end_of_epoch") or not updated.args:
            return updated
        first = updated.args[0].value
        if not (isinstance(first, cst.Name) and len(params) > 1 and first.value == params[1]):
            return updated                      # already MMEngine's (batch_idx, n) / (loader, idx)
        if "batch_idx" not in params:
            ctx.todo(original, CODE, f"self.{name}(runner, ...): MMEngine's takes the stage's "
                                     f"batch_idx; call it from a *_iter stage")
            return updated
        if name == "every_n_inner_iters":
            ctx.applied(CODE)
            return updated.with_changes(args=[cst.Arg(cst.Name("batch_idx")).with_changes(
                comma=updated.args[0].comma), *updated.args[1:]])
        mode = stage_mode(m.node.name.value)
        if not mode:
            ctx.todo(original, CODE, f"self.end_of_epoch({code_of(first)}): MMEngine's is "
                                     "end_of_epoch(dataloader, batch_idx); the dataloader depends "
                                     "on the stage (runner.train_dataloader / runner.val_dataloader)")
            return updated
        ctx.applied(CODE)
        return cst.parse_expression(
            f"self.end_of_epoch({first.value}.{mode}_dataloader, batch_idx)")
