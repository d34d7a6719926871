"""MC105 `mmcv.parallel.collate` -> `mmengine.dataset.default_collate`.

MMCV 1.x: `collate(batch, samples_per_gpu=1)` (mmcv/parallel/collate.py) stacks a list of
samples: Mappings key by key, Sequences element by element, other leaves through torch's
`default_collate` (tensors stacked, numbers and arrays turned into tensors); only
`DataContainer` leaves are grouped per `samples_per_gpu` chunk. Loaders used it as
`collate_fn=partial(collate, samples_per_gpu=n)`. MMEngine 0.10: `default_collate(data_batch)`
(mmengine/dataset/utils.py, registered in FUNCTIONS) stacks the same way and has no
`samples_per_gpu` (nor DataContainer: MMEngine packs annotations in data_samples). So
`partial(collate, samples_per_gpu=n)` -> `default_collate`, `collate(b, n)` ->
`default_collate(b)`, any other reference -> `default_collate`, with a note that a batch
holding DataContainer needs data_samples instead.
"""
from __future__ import annotations

import libcst as cst

from .. import tables
from .imports import _drop_root_import

CODE = "MC105"
_COLLATE = {f"{m}.collate" for m in tables.PARALLEL_MODULES}
_NOTE = ("mmcv.parallel.collate -> mmengine.dataset.default_collate (same stacking; "
         "samples_per_gpu only grouped DataContainer, which MMEngine replaces by data_samples)")


class CollateFixer:
    def _is_collate(self, ctx, node) -> bool:
        return ctx.qname_in(node, _COLLATE) is not None

    def _use(self, ctx, node):
        if not ctx.can_import("mmengine.dataset", "default_collate"):
            return False
        ctx.add_import("mmengine.dataset", "default_collate")
        for q in ctx.qnames(node):
            if q in _COLLATE:
                ctx.drop_if_unused(q.rpartition(".")[0], "collate")
        return True

    def leave_Name(self, ctx, original: cst.Name, updated: cst.Name):
        parent = ctx.parent(original)
        if isinstance(parent, (cst.ImportAlias, cst.Attribute)) or not \
                self._is_collate(ctx, original):
            return updated
        if self._use(ctx, original):
            return cst.Name("default_collate")
        return updated

    def leave_Attribute(self, ctx, original: cst.Attribute, updated: cst.Attribute):
        if self._is_collate(ctx, original) and self._use(ctx, original):
            _drop_root_import(ctx, original)
            return cst.Name("default_collate")
        return updated

    def leave_Call(self, ctx, original: cst.Call, updated: cst.Call):
        fq = ctx.qnames(original.func)
        if "functools.partial" in fq and original.args and \
                self._is_collate(ctx, original.args[0].value):
            rest = [a for a in original.args[1:]]
            if all(a.keyword is not None and a.keyword.value == "samples_per_gpu" for a in rest):
                ctx.note(original, CODE, _NOTE)
                ctx.drop_if_unused("functools", "partial")
                return updated.args[0].value
            return updated
        if self._is_collate(ctx, original.func) and original.args:
            ctx.note(original, CODE, _NOTE)
            return updated.with_changes(args=[updated.args[0].with_changes(
                comma=cst.MaybeSentinel.DEFAULT)])
        return updated
