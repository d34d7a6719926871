"""MC201 hook signatures: MMCV's `stage(self, runner)` -> MMEngine's stage arguments.

MMCV 1.x (mmcv/runner/hooks/hook.py): every stage is `stage(self, runner)`. MMEngine 0.10
(mmengine/hooks/hook.py) calls `before_train_iter(runner, batch_idx, data_batch=None)`,
`after_train_iter(runner, batch_idx, data_batch=None, outputs=None)` (val/test alike) and
`after_val_epoch(runner, metrics=None)` by keyword (hook migration guide, "Mount Point
Comparison"), so an MMCV signature raises TypeError there. The missing parameters are added
(`tables.STAGE_PARAMS`); MMCV's generic helpers get the ones their callers pass (MC202).
"""
from __future__ import annotations

import libcst as cst

from .. import tables

CODE = "MC201"
HOOK_KINDS = ("hook", "lr_hook", "policy_hook")


def wanted_params(name: str):
    if name in tables.STAGE_PARAMS:
        return tables.STAGE_PARAMS[name]
    if name in tables.GENERIC_PARAMS:
        return tuple((p, "None") for p in tables.GENERIC_PARAMS[name])
    return ()


def effective_params(ctx, fn: cst.FunctionDef):
    """The parameter names of a hook method once MC201 has run (names used by MC203/MC204)."""
    names = [p.name.value for p in (*fn.params.params, *fn.params.kwonly_params)]
    cls = ctx.cls()
    if cls is not None and cls.kind in HOOK_KINDS and len(fn.params.params) >= 2 and \
            not isinstance(fn.params.star_kwarg, cst.Param):
        names += [n for n, _ in wanted_params(fn.name.value) if n not in names]
    return names


class HookSignaturesFixer:
    def leave_FunctionDef(self, ctx, original: cst.FunctionDef, updated: cst.FunctionDef):
        cls = ctx.cls()
        if cls is None or cls.kind not in HOOK_KINDS or ctx.method() is None or \
                ctx.method().node is not original:
            return updated
        want = wanted_params(original.name.value)
        p = updated.params
        have = {x.name.value for x in (*p.params, *p.kwonly_params)}
        if not want or isinstance(p.star_kwarg, cst.Param) or len(p.params) < 2:
            return updated
        missing = [(n, d) for n, d in want if n not in have]
        if not missing:
            return updated
        params = list(p.params)
        defaulted = any(x.default is not None for x in params)
        for n, d in missing:
            if d is None and defaulted:
                d = "None"
            defaulted = defaulted or d is not None
            params.append(cst.Param(cst.Name(n), default=cst.parse_expression(d) if d else None,
                                    equal=cst.AssignEqual(cst.SimpleWhitespace(""),
                                                          cst.SimpleWhitespace(""))
                                    if d else cst.MaybeSentinel.DEFAULT))
        params = [x.with_changes(comma=cst.MaybeSentinel.DEFAULT) for x in params]
        ctx.applied(CODE)
        return updated.with_changes(params=p.with_changes(params=params))
