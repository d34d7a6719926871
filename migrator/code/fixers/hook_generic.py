"""MC202 generic hook methods: MMCV's `before_epoch`/`after_epoch`/`before_iter`/`after_iter`.

MMCV 1.x (mmcv/runner/hooks/hook.py): `Hook.before_train_epoch` and `before_val_epoch` call
`self.before_epoch(runner)`; likewise after_epoch, before_iter (train and val iter) and
after_iter. MMEngine 0.10 never calls these names, so a hook that only defines `after_iter` runs
and silently does nothing. For each generic method the hook defines, every stage MMCV called it
from and the hook does not define itself gets a method forwarding to it with the stage's
arguments; a stage override calling `super().<stage>(runner)` (which ran the generic method in
MMCV) calls the generic method directly.
"""
from __future__ import annotations

from typing import List

import libcst as cst

from .. import tables
from .hook_signatures import HOOK_KINDS, wanted_params

CODE = "MC202"
_STAGE_TO_GENERIC = {s: g for g, stages in tables.GENERIC_STAGES.items() for s in stages}


def _forwarder(stage: str, generic: str, runner: str) -> cst.FunctionDef:
    sig = ", ".join([runner] + [n if d is None else f"{n}={d}" for n, d in wanted_params(stage)])
    call = ", ".join([runner] + list(tables.GENERIC_PARAMS[generic]))
    fn = cst.parse_statement(f"def {stage}(self, {sig}):\n    self.{generic}({call})\n")
    return fn.with_changes(leading_lines=[cst.EmptyLine(indent=False)])


class HookGenericFixer:
    def leave_Call(self, ctx, original: cst.Call, updated: cst.Call):
        cls, m = ctx.cls(), ctx.method()
        if cls is None or cls.kind not in HOOK_KINDS or m is None:
            return updated
        f = original.func
        if not (isinstance(f, cst.Attribute) and isinstance(f.value, cst.Call)
                and isinstance(f.value.func, cst.Name) and f.value.func.value == "super"):
            return updated
        stage = f.attr.value
        generic = _STAGE_TO_GENERIC.get(stage)
        defined = {s.name.value for s in cls.node.body.body if isinstance(s, cst.FunctionDef)}
        if generic is None or generic not in defined or stage != m.node.name.value:
            return updated
        ctx.applied(CODE)
        call = ", ".join([a.value.value if isinstance(a.value, cst.Name) else "runner"
                          for a in original.args[:1]] + list(tables.GENERIC_PARAMS[generic]))
        return cst.parse_expression(f"self.{generic}({call})")

    def leave_ClassDef(self, ctx, original: cst.ClassDef, updated: cst.ClassDef):
        if ctx.cls() is None or ctx.cls().kind not in HOOK_KINDS:
            return updated
        body: List[cst.BaseStatement] = list(updated.body.body)
        defined = {s.name.value for s in body if isinstance(s, cst.FunctionDef)}
        out: List[cst.BaseStatement] = []
        for s in body:
            out.append(s)
            if not isinstance(s, cst.FunctionDef) or s.name.value not in tables.GENERIC_STAGES:
                continue
            params = [p.name.value for p in s.params.params]
            runner = params[1] if len(params) > 1 else "runner"
            for stage in tables.GENERIC_STAGES[s.name.value]:
                if stage not in defined:
                    out.append(_forwarder(stage, s.name.value, runner))
                    defined.add(stage)
                    ctx.applied(CODE)
        if len(out) == len(body):
            return updated
        return updated.with_changes(body=updated.body.with_changes(body=out))
