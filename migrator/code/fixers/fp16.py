"""MC103 fp16 decorators: `@auto_fp16()` / `@force_fp32()` are removed, with a TODO.

MMCV 1.x: `mmcv.runner.auto_fp16(apply_to=..., out_fp32=...)` / `force_fp32(...)` cast a
method's tensor arguments when `fp16_enabled` was set by `wrap_fp16_model`. MMEngine 0.10 has no
such decorators: mixed precision is `optim_wrapper=dict(type='AmpOptimWrapper')`, which runs the
forward under `torch.autocast` (mmengine.optim.AmpOptimWrapper.optim_context). Without fp16 the
decorators did nothing, so removing them is exact for fp32 training; the TODO says what to use
for fp16.
"""
from __future__ import annotations

import libcst as cst

from .. import tables

CODE = "MC103"


class Fp16Fixer:
    def leave_FunctionDef(self, ctx, original: cst.FunctionDef, updated: cst.FunctionDef):
        keep = []
        for dec, odec in zip(updated.decorators, original.decorators):
            target = odec.decorator.func if isinstance(odec.decorator, cst.Call) else odec.decorator
            q = ctx.qname_in(target, tables.NAMES)
            if q and q.rpartition(".")[2] in ("auto_fp16", "force_fp32"):
                name = q.rpartition(".")[2]
                ctx.todo(original, CODE, f"@{name} removed (it only acted under MMCV's fp16 "
                                         f"mode): {tables.NAMES[q].todo}")
                ctx.drop_if_unused(q.rpartition(".")[0], name)
                continue
            keep.append(dec)
        if len(keep) == len(updated.decorators):
            return updated
        return updated.with_changes(decorators=keep)
