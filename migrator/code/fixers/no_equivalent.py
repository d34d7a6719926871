"""MC108 subclasses of MMCV hooks that MMEngine does not have: a stand-in base.

MMCV 1.x: `class DistOptimizerHook(OptimizerHook)`, `class EvalHook(BaseEvalHook)`,
`class MMDetWandbHook(WandbLoggerHook)` (mmdet/mmcls/mmseg 2.x/0.x core/). MMEngine 0.10 has no
OptimizerHook (backward/step live in the OptimWrapper), no EvalHook (validation is ValLoop +
val_evaluator metrics), no logger hooks per backend (LoggerHook + the visualizer's
vis_backends); the maintainers' 3.x/1.x code bases dropped these classes. The subclass cannot
be ported mechanically, but the rest of its module (helpers such as mmdet's `all_reduce_dict`,
other modules importing them) should keep importing without mmcv. So the MMCV base, when it is
used as a class base or in an `isinstance` test, becomes a class written into the file under its
local name, and the use keeps MC101's TODO. For OptimizerHook, EvalHook and DistEvalHook it is a
working port of MMCV's behaviour onto MMEngine's runner (`_stand_ins.py`, which says what each
keeps and what not), so the code bases' subclasses run; for the other bases an MMEngine `Hook`
whose constructor raises NotImplementedError naming the replacement
(`tables.NO_EQUIVALENT_HOOKS`): building such a hook fails with that message, not with an
ImportError; an OptimizerHook subclass whose `after_train_iter` is MMCV's own step
(`zero_grad()`, `<loss>.backward()`, `self.clip_grads(...)` when `grad_clip` is set, `step()`,
nothing else: mmcls' DistOptimizerHook) loses that method, since MMEngine's
`optim_wrapper.update_params` does exactly that in train_step (the stand-in hands `grad_clip`
to the wrapper); any other override makes the stand-in refuse to run; `isinstance(hook, EvalHook)` against
a working stand-in is true for any hook deriving from an EvalHook stand-in, whichever module
wrote it (`_MMCVStandIn`, written once per module; mmcls' wandb hook finds mmcls' EvalHook this
way, as under MMCV where both derived from mmcv's class).
"""
from __future__ import annotations

import libcst as cst

from .. import tables
from ._stand_ins import META, REQUIRES, TEMPLATES
from ._util import dotted

CODE = "MC108"

_STONE = '''
class {local}(Hook):
    """Stand-in for mmcv.runner.{name}, which MMEngine 0.10 does not have (mmmigrate, MC108)."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError({message!r})
'''


class NoEquivalentFixer:
    def __init__(self):
        self.stones = {}           # local name -> MMCV name

    def _stand_in(self, ctx, node) -> None:
        if not isinstance(node, cst.Name):
            return
        q = ctx.qname_in(node, tables.NAMES)
        name = q.rpartition(".")[2] if q else None
        if q and q.startswith("mmcv.") and name in tables.NO_EQUIVALENT_HOOKS:
            self.stones[node.value] = name

    def leave_ClassDef(self, ctx, original: cst.ClassDef, updated: cst.ClassDef):
        for a in original.bases:
            self._stand_in(ctx, a.value)
        if any(self.stones.get(a.value.value) == "OptimizerHook" for a in original.bases
               if isinstance(a.value, cst.Name)):
            body = [s for s in updated.body.body if not _is_mmcv_step(s)]
            if len(body) != len(updated.body.body):
                ctx.applied(CODE)
                ctx.note(original, CODE, f"{original.name.value}.after_train_iter dropped: it "
                                         "was MMCV's zero_grad/backward/clip/step, which "
                                         "MMEngine's optim_wrapper.update_params does")
                if not body:
                    body = [cst.SimpleStatementLine([cst.Pass()])]
                updated = updated.with_changes(body=updated.body.with_changes(body=body))
        return updated

    def leave_Call(self, ctx, original: cst.Call, updated: cst.Call):
        if dotted(original.func) == "isinstance" and len(original.args) == 2:
            cls = original.args[1].value
            for n in (e.value for e in cls.elements) if isinstance(cls, cst.Tuple) else (cls,):
                self._stand_in(ctx, n)
        return updated

    def leave_Module(self, ctx, original: cst.Module, updated: cst.Module):
        if not self.stones or not ctx.can_import("mmengine.hooks", "Hook"):
            return updated
        body, first = [], None
        for s in updated.body:
            if isinstance(s, cst.SimpleStatementLine) and isinstance(s.body[0], cst.ImportFrom) \
                    and not isinstance(s.body[0].names, cst.ImportStar) \
                    and tables.is_api_module(dotted(s.body[0].module) or ""):
                names = [a for a in s.body[0].names if _local(a) not in self.stones]
                if not names:
                    continue
                if len(names) != len(s.body[0].names):
                    names[-1] = names[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                    s = s.with_changes(body=[s.body[0].with_changes(names=names)])
            if first is None and not _is_import(s) and body:
                first = len(body)
            body.append(s)
        first = len(body) if first is None else first
        stones = dict(self.stones)
        for name, needed in REQUIRES.items():          # DistEvalHook's stand-in needs EvalHook's
            if name in stones.values() and needed not in stones.values():
                stones[f"_{needed}StandIn"] = needed
        local_of = {name: local for local, name in stones.items()}
        # emitted in dependency order, then by name
        order = sorted(stones.items(), key=lambda kv: (kv[1] in REQUIRES, kv[0]))
        if any(name in TEMPLATES for name in stones.values()):
            order = [("_MMCVStandIn", None)] + order
        for local, name in reversed(order):
            if name is None:
                text = META
            elif name in TEMPLATES:
                text = TEMPLATES[name].format(local=local, eval_local=local_of.get("EvalHook"),
                                              dist_module=ctx.module("mmengine.dist"))
                ctx.note(original, CODE, f"{local}: a stand-in porting mmcv.runner.{name} onto "
                                         "MMEngine's runner (MMEngine has no such hook)")
            else:
                msg = f"mmcv.runner.{name} has no MMEngine 0.10 counterpart: " \
                      f"{tables.NO_EQUIVALENT_HOOKS[name]}"
                text = _STONE.format(local=local, name=name, message=msg)
                ctx.note(original, CODE, f"{local}: a stand-in class raising NotImplementedError "
                                         f"({name} has no MMEngine counterpart)")
            body.insert(first, cst.parse_module(text).body[0].with_changes(
                leading_lines=[cst.EmptyLine(indent=False), cst.EmptyLine(indent=False)]))
        ctx.add_import("mmengine.hooks", "Hook")
        return updated.with_changes(body=body)


def _step_call(s):
    """'zero_grad' / 'backward' / 'step' for a statement `<x>.zero_grad()` & co., else None."""
    if isinstance(s, cst.SimpleStatementLine) and len(s.body) == 1 and \
            isinstance(s.body[0], cst.Expr) and isinstance(s.body[0].value, cst.Call):
        call = s.body[0].value
        if not call.args and isinstance(call.func, cst.Attribute) and \
                call.func.attr.value in ("zero_grad", "backward", "step"):
            return call.func.attr.value
    return None


def _is_clip(s) -> bool:
    """`if self.grad_clip is not None: self.clip_grads(...)`."""
    if not (isinstance(s, cst.If) and s.orelse is None and len(s.body.body) == 1 and
            isinstance(s.test, cst.Comparison)):
        return False
    return dotted(s.test.left) == "self.grad_clip" and "self.clip_grads(" in cst.Module([s]).code


def _is_mmcv_step(node) -> bool:
    """`def after_train_iter(...)` whose body is MMCV OptimizerHook's step and nothing else."""
    if not isinstance(node, cst.FunctionDef) or node.name.value != "after_train_iter":
        return False
    seen = []
    for s in node.body.body:
        if _step_call(s):
            seen.append(_step_call(s))
        elif _is_clip(s):
            seen.append("clip")
        else:
            return False
    return seen in (["zero_grad", "backward", "step"], ["zero_grad", "backward", "clip", "step"])


def _local(alias: cst.ImportAlias) -> str:
    return alias.asname.name.value if alias.asname else dotted(alias.name)


def _is_import(s) -> bool:
    return isinstance(s, cst.SimpleStatementLine) and isinstance(s.body[0], (cst.Import,
                                                                            cst.ImportFrom))
