"""MC900 residual imports: what is still imported from MMCV's runner API after the walk.

Runs once after the fixers and the import visitors: an import from `mmcv.runner`,
`mmcv.parallel` or `mmcv.utils` that survived (its name has no MMEngine equivalent, or a use
could not be rewritten) gets a TODO naming the replacement, and is a finding. MMCV 2.x still
provides `mmcv.cnn`, `mmcv.ops`, image and video functions; those are not flagged.
"""
from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from .. import tables
from ..engine import TODO_PREFIX, Finding, _with_comments
from ._util import dotted

CODE = "MC900"


def _describe(mod: str, name: str) -> str:
    key = tables.lookup(f"{mod}.{name}")
    t = tables.NAMES.get(key) if key else None
    if t is None and tables.POLICY_SCHEDULERS.get(name):
        return f"{name}: MMEngine's {tables.POLICY_SCHEDULERS[name]} parameter scheduler"
    if t is None:
        return f"{mod}.{name}: no MMEngine equivalent known"
    if t.kind == "todo":
        return f"{name}: {t.todo}"
    return f"{name}: use {t.module}.{t.name}"


class _Residual(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, ctx):
        super().__init__()
        self.ctx = ctx
        self.header = ()

    def visit_Module(self, node):
        self.header = node.header

    def leave_SimpleStatementLine(self, original, updated):
        notes = []
        for s in original.body:
            if isinstance(s, cst.ImportFrom) and not s.relative and \
                    not isinstance(s.names, cst.ImportStar):
                mod = dotted(s.module) or ""
                if tables.is_api_module(mod) or (mod == "mmcv" and any(
                        f"mmcv.{dotted(a.name)}" in tables.NAMES for a in s.names)):
                    notes += [_describe(mod, dotted(a.name)) for a in s.names
                              if mod != "mmcv" or f"mmcv.{dotted(a.name)}" in tables.NAMES]
            elif isinstance(s, cst.Import):
                notes += [f"import {dotted(a.name)}: MMCV 1.x runner API; see mmengine"
                          for a in s.names if tables.is_api_module(dotted(a.name) or "")]
        if not notes:
            return updated
        line = self.get_metadata(PositionProvider, original).start.line
        for n in notes:
            self.ctx.findings.append(Finding(CODE, line, n, todo=True))
        return _with_comments(updated, [f"{TODO_PREFIX}{n} [{CODE}]" for n in notes], self.header)


def residual_imports(module: cst.Module, ctx) -> cst.Module:
    if not any("mmcv" in cst.Module([]).code_for_node(s) for s in module.body
               if isinstance(s, cst.SimpleStatementLine)):
        return module
    return MetadataWrapper(module).visit(_Residual(ctx))
