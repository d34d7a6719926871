"""MC104 data parallel: `MMDataParallel(model, ...)` -> `model`.

MMCV 1.x: `mmcv.parallel.MMDataParallel(model, device_ids=[...])` wrapped even single-GPU and CPU
models (scattering DataContainers). MMEngine 0.10 has no MMDataParallel: the Runner moves an
unwrapped model to the device and wraps only distributed ones (`MMDistributedDataParallel`,
`mmengine.model.is_model_wrapper`); runner migration guide, "Migrate the training script"
(`model = revert_sync_batchnorm(model)` / `MMDistributedDataParallel`).
"""
from __future__ import annotations

import libcst as cst

CODE = "MC104"
_DP = {"mmcv.parallel.MMDataParallel", "mmcv.parallel.data_parallel.MMDataParallel"}


class ParallelFixer:
    def leave_Call(self, ctx, original: cst.Call, updated: cst.Call):
        q = ctx.qname_in(original.func, _DP)
        if q is None:
            return updated
        first = [a for a in updated.args if a.keyword is None and not a.star] or \
                [a for a in updated.args if a.keyword and a.keyword.value == "module"]
        if not first:
            ctx.todo(original, CODE, "MMDataParallel: MMEngine runs a single-device model unwrapped")
            return updated
        ctx.note(original, CODE, "MMDataParallel(model, ...) -> model: the MMEngine Runner moves "
                                 "an unwrapped model to the device")
        ctx.drop_if_unused(q.rpartition(".")[0], "MMDataParallel")
        return first[0].value
