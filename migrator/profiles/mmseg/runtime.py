"""mmseg runtime names: mmseg 0.30 configs that borrowed mmcls 0.x backbones
(`custom_imports=dict(imports='mmcls.models')`, `type='mmcls.ConvNeXt'`) name mmpretrain in
mmseg 1.x (`mmpretrain.models`, `type='mmpretrain.ConvNeXt'`)."""
from __future__ import annotations

from ..common.runtime import rename_packages
from . import tables as T

NAME = "mmseg.runtime"


def apply(cfg, ctx):
    out = rename_packages(cfg, T.PACKAGES)
    if out is not cfg:
        ctx.report.applied(NAME)
    return out
