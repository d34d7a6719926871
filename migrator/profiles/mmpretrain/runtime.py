"""mmpretrain runtime names: default_scope 'mmcls' -> 'mmpretrain', ClsVisualizer ->
UniversalVisualizer, `custom_imports` of `mmcls.*` -> `mmpretrain.*` (mmcls 0.25 had no scope; the
generic env rule wrote 'mmcls', which mmpretrain 1.2 does not register)."""
from __future__ import annotations

from ..common.runtime import apply_runtime
from . import tables as T

NAME = "mmpretrain.runtime"


def apply(cfg, ctx):
    out = apply_runtime(cfg, ctx, T.SCOPE, T.VISUALIZERS["ClsVisualizer"], T.OLD_SCOPES,
                        T.VISUALIZERS, T.PACKAGES)
    if out != cfg:
        ctx.report.applied(NAME)
    return out
