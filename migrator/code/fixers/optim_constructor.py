"""MC303 optimizer constructors: `DefaultOptimizerConstructor` subclasses ->
`DefaultOptimWrapperConstructor`.

MMCV 1.x (mmcv/runner/optimizer/default_constructor.py): registered in `OPTIMIZER_BUILDERS`,
built with `(optimizer_cfg, paramwise_cfg)`; `__call__(model)` returns a torch optimizer.
MMEngine 0.10 (mmengine/optim/optimizer/default_constructor.py): registered in
`OPTIM_WRAPPER_CONSTRUCTORS`, built with `(optim_wrapper_cfg, paramwise_cfg)` (it keeps
`self.optimizer_cfg = optim_wrapper_cfg.pop('optimizer')`), and `__call__(model)` returns an
OptimWrapper built around the optimizer. Base and registry are renamed by MC101 (tables.NAMES);
here each `return <optimizer>` of `__call__` wraps the optimizer the way MMEngine's own
`__call__` does; `add_params(params, module, prefix='', is_dcn_module=None)` is unchanged.
"""
from __future__ import annotations

import libcst as cst

from ._util import code_of

CODE = "MC303"
_WRAP = ("optim_wrapper_cfg = self.optim_wrapper_cfg.copy()\n"
         "optim_wrapper_cfg.setdefault('type', 'OptimWrapper')\n"
         "return OPTIM_WRAPPERS.build(optim_wrapper_cfg, default_args=dict(optimizer={opt}))\n")


class OptimConstructorFixer:
    def leave_SimpleStatementLine(self, ctx, original, updated):
        cls, m = ctx.cls(), ctx.method()
        if cls is None or cls.kind != "constructor" or m is None or \
                m.node.name.value != "__call__" or len(updated.body) != 1 or \
                not isinstance(updated.body[0], cst.Return) or updated.body[0].value is None:
            return updated
        value = updated.body[0].value
        if "OPTIM_WRAPPERS" in code_of(value):
            return updated
        if not ctx.can_import("mmengine.registry", "OPTIM_WRAPPERS"):
            return updated
        ctx.add_import("mmengine.registry", "OPTIM_WRAPPERS")
        ctx.applied(CODE)
        stmts = list(cst.parse_module(_WRAP.format(opt=code_of(value))).body)
        stmts[0] = stmts[0].with_changes(leading_lines=updated.leading_lines)
        return cst.FlattenSentinel(stmts)

    def _init_param(self, ctx):
        """The first parameter of the constructor's __init__ when it is not yet
        `optim_wrapper_cfg` (MMEngine builds constructors with that keyword)."""
        cls, m = ctx.cls(), ctx.method()
        if cls is None or cls.kind != "constructor" or m is None or \
                m.node.name.value != "__init__" or len(m.node.params.params) < 2:
            return None
        name = m.node.params.params[1].name.value
        return None if name == "optim_wrapper_cfg" else name

    def leave_Name(self, ctx, original, updated):
        old = self._init_param(ctx)
        if old is None or original.value != old:
            return updated
        parent = ctx.parent(original)
        if isinstance(parent, cst.Attribute) and parent.attr is original or \
                isinstance(parent, cst.Arg) and parent.keyword is original:
            return updated
        return updated.with_changes(value="optim_wrapper_cfg")

    def leave_FunctionDef(self, ctx, original, updated):
        m = ctx.method()
        if m is None or m.node is not original or self._init_param(ctx) is None:
            return updated
        ctx.note(original, CODE, "__init__(optimizer_cfg, ...) -> __init__(optim_wrapper_cfg, ...): "
                                 "the whole optim_wrapper config, passed by keyword; "
                                 "self.optimizer_cfg is its 'optimizer'")
        return updated
