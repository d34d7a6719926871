"""MC301 custom runners -> training loops registered in LOOPS.

MMCV 1.x: `class CustomRunner(EpochBasedRunner)` registered in `RUNNERS`, overriding
`train(self, data_loader, **kwargs)` (one epoch: hooks around `self.run_iter`) or
`run_iter(self, data_batch, train_mode, **kwargs)` (one step, no hooks; mmcv/runner/
epoch_based_runner.py). MMEngine 0.10: `@LOOPS.register_module() class
CustomEpochBasedTrainLoop(EpochBasedTrainLoop)` overriding `run_epoch(self)` or
`run_iter(self, idx, data_batch)`, which calls the iteration hooks itself; the runner is
`self.runner` (runner migration guide, "Customize training process"; mmengine/runner/loops.py).
The config then says `train_cfg=dict(type='CustomEpochBasedTrainLoop', ...)` (`loop_name`).

Rewrites: class name and base, `RUNNERS` -> `LOOPS`; `train` -> `run_epoch` (its `data_loader`
parameter -> `self.dataloader`); `run_iter` -> `run_iter(self, idx, data_batch)` wrapped in the
iteration hooks MMCV's `train` called around it; `self.model/optimizer/logger/work_dir/...` ->
`self.runner.*`; `self.call_hook(stage)` -> `self.runner.call_hook(stage, batch_idx=..., ...)`;
MMCV's bare step `self.run_iter(data_batch, train_mode=True)` inside `train` -> `model.train_step`;
bookkeeping the loop does itself (`self.mode = ...`, `self.data_batch = ...`, `self._inner_iter
= ...`, `self._max_iters = ...`) is dropped.

IterBasedRunner: MMCV's `train(self, data_loader, **kwargs)` runs ONE iteration (`data_batch =
next(data_loader)`, the iteration hooks, `self._iter += 1`; mmcv/runner/iter_based_runner.py);
MMEngine's `IterBasedTrainLoop.run_iter(self, data_batch)` is that iteration (`run` draws the
batch from `self.dataloader_iterator`). So `train` -> `run_iter(self, <batch>)`, the `next(...)`
assignment dropped, hooks get `batch_idx=self._iter`, `data_loader.epoch` (IterLoader's pass
count) -> `self.dataloader_iterator._epoch` (the same count in MMEngine's iterator).
`val` of an EpochBasedRunner (one validation epoch: hooks around `run_iter(batch,
train_mode=False)`) -> a `<stem>ValLoop(ValLoop)` class with `run(self)` (MMEngine also calls
`before_val`/`after_val` around it; `val_cfg=dict(type=...)` names it). An IterBasedRunner's
`val` (one iteration per workflow step) has no MMEngine counterpart: TODO.
`__init__(self, model, ..., extra=...)` calling `super().__init__(...)` with MMCV's own
parameters -> `__init__(self, runner, dataloader, extra=..., **kwargs)` calling
`super().__init__(runner, dataloader, **kwargs)` (the config's train_cfg passes `extra`); an
`__init__` whose other statements use MMCV's parameters directly -> TODO. `run` -> TODO.
"""
from __future__ import annotations

from typing import List

import libcst as cst

from .. import tables
from ._util import code_of, dotted

CODE = "MC301"
_TO_RUNNER = {"model", "logger", "work_dir", "rank", "world_size", "timestamp", "meta",
              "message_hub", "optim_wrapper", "train_dataloader", "val_dataloader"}
_DROP_TARGETS = {"self.mode", "self.data_batch", "self._inner_iter", "self._max_iters",
                 "self.data_loader"}
_LOOP_BASE = {"EpochBasedRunner": "EpochBasedTrainLoop", "IterBasedRunner": "IterBasedTrainLoop"}
_RUNNERS = {f"{m}.RUNNERS" for m in tables.RUNNER_MODULES}
_TRAIN_STEP = "self.runner.model.train_step({batch}, optim_wrapper=self.runner.optim_wrapper)"
_VAL_STEP = "self.runner.model.val_step({batch})"
_STAGE_ARGS = {"before_train_iter": "batch_idx={idx}, data_batch={batch}",
               "after_train_iter": "batch_idx={idx}, data_batch={batch}, outputs=self.outputs",
               "before_val_iter": "batch_idx={idx}, data_batch={batch}",
               "after_val_iter": "batch_idx={idx}, data_batch={batch}, outputs=self.outputs"}


def val_loop_name(runner_class: str) -> str:
    """CustomRunner -> CustomValLoop (its `val` override)."""
    stem = runner_class[: -len("Runner")] if runner_class.endswith("Runner") else runner_class
    return stem + "ValLoop"


def loop_name(runner_class: str, base: str) -> str:
    """CustomRunner -> CustomEpochBasedTrainLoop (the guide's example)."""
    stem = runner_class[: -len("Runner")] if runner_class.endswith("Runner") else runner_class
    return stem + _LOOP_BASE.get(base, "EpochBasedTrainLoop")


def _base_kind(ctx, cls: cst.ClassDef) -> str:
    for a in cls.bases:
        for q in ctx.qnames(a.value):
            if q in tables.RUNNER_BASES:
                return tables.RUNNER_BASES[q]
    return "EpochBasedRunner"


class RunnerLoopFixer:
    def visit_ClassDef(self, ctx, node: cst.ClassDef):
        s = ctx.cls()
        if s is not None and s.node is node and s.kind == "runner":
            s.info["base"] = _base_kind(ctx, node)
            s.info["methods"] = {f.name.value for f in node.body.body
                                 if isinstance(f, cst.FunctionDef)}

    def visit_For(self, ctx, node: cst.For):
        m = self._method(ctx)
        t, it = node.target, node.iter
        if m is not None and isinstance(t, cst.Tuple) and len(t.elements) == 2 and \
                isinstance(it, cst.Call) and dotted(it.func) == "enumerate":
            m.info.setdefault("for", []).append(tuple(code_of(e.value) for e in t.elements))

    def visit_Assign(self, ctx, node: cst.Assign):
        m = self._method(ctx)
        if m is not None and _is_next(node.value) and len(node.targets) == 1 and \
                isinstance(node.targets[0].target, cst.Name):
            m.info["next_var"] = node.targets[0].target.value

    def _method(self, ctx):
        cls, m = ctx.cls(), ctx.method()
        return m if cls is not None and cls.kind == "runner" and m is not None else None

    def _epoch_based(self, ctx) -> bool:
        return ctx.cls().info.get("base") == "EpochBasedRunner"

    def leave_Attribute(self, ctx, original: cst.Attribute, updated: cst.Attribute):
        m = self._method(ctx)
        if m is not None and not self._epoch_based(ctx) and m.node.name.value == "train" and \
                code_of(original) == "data_loader.epoch":
            ctx.note(original, CODE, "data_loader.epoch -> self.dataloader_iterator._epoch: "
                                     "MMCV read it before drawing the batch, MMEngine's loop has "
                                     "drawn it, so on a pass's first batch it is one higher")
            return cst.parse_expression("self.dataloader_iterator._epoch")
        if m is None or not (isinstance(original.value, cst.Name) and original.value.value == "self"):
            return updated
        attr = original.attr.value
        if attr in _TO_RUNNER or attr == "call_hook":
            return cst.parse_expression(f"self.runner.{attr}")
        if attr == "optimizer":
            return cst.parse_expression("self.runner.optim_wrapper")
        if attr == "data_loader":
            return cst.parse_expression("self.dataloader")
        if attr in ("log_buffer", "batch_processor"):
            ctx.todo(original, CODE, f"self.{attr}: {tables.RUNNER_ATTR_TODO[attr]}")
        return updated

    def leave_Name(self, ctx, original: cst.Name, updated: cst.Name):
        m = self._method(ctx)
        if m is not None and m.node.name.value in ("train", "val") and \
                original.value == "data_loader" and self._epoch_based(ctx) and \
                _is_param(m.node, "data_loader"):
            parent = ctx.parent(original)
            if not isinstance(parent, cst.Param) and not (
                    isinstance(parent, cst.Attribute) and parent.attr is original):
                return cst.Name("_DATALOADER_")          # replaced in leave_FunctionDef
        return updated

    def leave_Call(self, ctx, original: cst.Call, updated: cst.Call):
        if dotted(original.func) == "isinstance" and len(original.args) == 2:
            q = ctx.qname_in(original.args[1].value, tables.NAMES)
            loop = tables.RUNNER_CLASSES.get(q.rpartition(".")[2]) if q else None
            if loop and q.startswith("mmcv.") and ctx.can_import("mmengine.runner", loop):
                ctx.add_import("mmengine.runner", loop)
                ctx.drop_if_unused(q.rpartition(".")[0], q.rpartition(".")[2])
                ctx.applied(CODE)
                obj = code_of(updated.args[0].value)
                return cst.parse_expression(f"isinstance({obj}.train_loop, {loop})")
        m = self._method(ctx)
        if m is None:
            return updated
        f = dotted(original.func)
        fors = m.info.get("for") or [("idx", "data_batch")]
        idx, batch = fors[-1]
        if not self._epoch_based(ctx):
            idx, batch = "self._iter", m.info.get("next_var", "data_batch")
        if f == "self.call_hook" and original.args and \
                isinstance(original.args[0].value, cst.SimpleString):
            stage = original.args[0].value.evaluated_value
            extra = _STAGE_ARGS.get(stage)
            if extra and len(original.args) == 1:
                ctx.applied(CODE)
                extra = extra.format(idx=idx, batch=batch)
                return cst.parse_expression(f"self.runner.call_hook({stage!r}, {extra})")
        if f == "self.run_iter" and m.node.name.value == "val" and self._epoch_based(ctx):
            b = code_of(original.args[0].value) if original.args else batch
            return cst.parse_expression(_VAL_STEP.format(batch=b))
        if f == "self.run_iter" and m.node.name.value == "train" and self._epoch_based(ctx):
            if "run_iter" in ctx.cls().info["methods"]:
                return cst.parse_expression(f"self.run_iter({idx}, {batch})")
            b = code_of(original.args[0].value) if original.args else batch
            return cst.parse_expression(_TRAIN_STEP.format(batch=b))
        if f == "self.model.train_step":
            b = code_of(original.args[0].value) if original.args else "data_batch"
            return cst.parse_expression(_TRAIN_STEP.format(batch=b))
        return updated

    def leave_SimpleStatementLine(self, ctx, original, updated):
        m = self._method(ctx)
        if m is None or len(updated.body) != 1 or len(original.body) != 1:
            return updated
        s, o = updated.body[0], original.body[0]
        if isinstance(o, cst.Assign) and len(o.targets) == 1 and \
                code_of(o.targets[0].target) in _DROP_TARGETS:
            return cst.RemoveFromParent()
        if isinstance(o, cst.Del) and code_of(o.target) in _DROP_TARGETS:
            return cst.RemoveFromParent()
        if isinstance(o, cst.AugAssign) and code_of(o.target) == "self._inner_iter":
            return cst.RemoveFromParent()
        if isinstance(o, cst.Assign) and _is_next(o.value) and not self._epoch_based(ctx) and \
                m.node.name.value == "train":
            return cst.RemoveFromParent()             # the loop passes the batch to run_iter
        # MMCV's bare step, called from train/val: keep its outputs for after_*_iter
        if isinstance(s, cst.Expr) and isinstance(s.value, cst.Call) and \
                dotted(s.value.func) in ("self.runner.model.train_step",
                                         "self.runner.model.val_step"):
            return updated.with_changes(body=[cst.Assign(
                [cst.AssignTarget(cst.parse_expression("self.outputs"))], s.value)])
        return updated

    def leave_FunctionDef(self, ctx, original: cst.FunctionDef, updated: cst.FunctionDef):
        m = self._method(ctx)
        if m is None or m.node is not original:
            return updated
        name = original.name.value
        if name == "__init__":
            return _init(ctx, original, updated)
        if not self._epoch_based(ctx) and name == "train" and "next_var" in m.info:
            ctx.applied(CODE)
            return updated.with_changes(name=cst.Name("run_iter"), params=cst.Parameters(
                [cst.Param(cst.Name("self")), cst.Param(cst.Name(m.info["next_var"]))]))
        if not self._epoch_based(ctx) and name in ("train", "run_iter", "val"):
            what = ("MMEngine's ValLoop runs a whole validation pass, not one iteration per "
                    "workflow step" if name == "val" else
                    "move the body into IterBasedTrainLoop.run_iter(self, data_batch)")
            ctx.todo(original, CODE, f"IterBasedRunner.{name}: {what}")
            return updated
        if name == "val":
            ctx.applied(CODE)
            new = updated.with_changes(name=cst.Name("run"), params=cst.Parameters(
                [cst.Param(cst.Name("self"))]))
            ctx.cls().info["val_fn"] = new.visit(_Replace("_DATALOADER_", "self.dataloader"))
            return cst.RemoveFromParent()
        if name == "train":
            ctx.applied(CODE)
            new = updated.with_changes(name=cst.Name("run_epoch"), params=cst.Parameters(
                [cst.Param(cst.Name("self"))]))
            return new.visit(_Replace("_DATALOADER_", "self.dataloader"))
        if name == "run_iter":
            ctx.applied(CODE)
            params = [p.name.value for p in original.params.params]
            batch = params[1] if len(params) > 1 else "data_batch"
            new = updated.with_changes(params=cst.Parameters(
                [cst.Param(cst.Name("self")), cst.Param(cst.Name("idx")),
                 cst.Param(cst.Name(batch))]))
            if "train" in ctx.cls().info["methods"]:
                return new
            pre = cst.parse_statement(
                f"self.runner.call_hook('before_train_iter', batch_idx=idx, data_batch={batch})")
            post = [cst.parse_statement(
                f"self.runner.call_hook('after_train_iter', batch_idx=idx, data_batch={batch}, "
                f"outputs=self.outputs)"), cst.parse_statement("self._iter += 1")]
            body: List = [pre, *new.body.body, *post]
            return new.with_changes(body=new.body.with_changes(body=body))
        if name == "run":
            ctx.todo(original, CODE, "run: MMEngine's Runner.train() runs the loops; move the "
                                     "logic into the loop's run()")
        return updated

    def leave_ClassDef(self, ctx, original: cst.ClassDef, updated: cst.ClassDef):
        s = ctx.cls()
        if s is None or s.kind != "runner":
            return updated
        base = s.info.get("base", "EpochBasedRunner")
        decorators = []
        for d, od in zip(updated.decorators, original.decorators):
            f = od.decorator.func if isinstance(od.decorator, cst.Call) else od.decorator
            if ctx.qname_in(f.value if isinstance(f, cst.Attribute) else f, _RUNNERS) is None:
                decorators.append(d)
        if len(decorators) != len(updated.decorators):
            ctx.drop_if_unused(ctx.module("mmengine.registry"), "RUNNERS")
            for m in tables.RUNNER_MODULES:
                ctx.drop_if_unused(m, "RUNNERS")
        ctx.add_import("mmengine.registry", "LOOPS")
        loop = _LOOP_BASE[base]
        ctx.add_import("mmengine.runner", loop)
        bases = []
        for a, oa in zip(updated.bases, original.bases):
            q = ctx.qname_in(oa.value, tables.NAMES)
            if q and q.rpartition(".")[2] in _LOOP_BASE:
                ctx.drop_if_unused(q.rpartition(".")[0], q.rpartition(".")[2])
                a = a.with_changes(value=cst.Name(loop))
            bases.append(a)
        ctx.applied(CODE)
        new_name = loop_name(original.name.value, base)
        ctx.note(original, CODE, f"runner {original.name.value} -> loop {new_name}: set "
                                 f"train_cfg=dict(type='{new_name}', ...) in the config")
        train = updated.with_changes(
            name=cst.Name(new_name), bases=bases,
            decorators=[cst.Decorator(cst.parse_expression("LOOPS.register_module()")),
                        *decorators])
        val = s.info.get("val_fn")
        if val is None:
            return train
        ctx.add_import("mmengine.runner", "ValLoop")
        val_name = val_loop_name(original.name.value)
        ctx.note(original, CODE, f"{original.name.value}.val -> loop {val_name}: set "
                                 f"val_cfg=dict(type='{val_name}') in the config")
        body = list(val.body.body)
        body.insert(0, cst.parse_statement("self.runner.call_hook('before_val')"))
        body.append(cst.parse_statement("self.runner.call_hook('after_val')"))
        val = val.with_changes(body=val.body.with_changes(body=body),
                               leading_lines=[l for l in val.leading_lines if l.comment])
        if not train.body.body:
            train = train.with_changes(body=train.body.with_changes(body=[cst.parse_statement(
                "pass")]))
        val_cls = cst.ClassDef(
            name=cst.Name(val_name), bases=[cst.Arg(cst.Name("ValLoop"))],
            body=cst.IndentedBlock([val]),
            decorators=[cst.Decorator(cst.parse_expression("LOOPS.register_module()"))],
            leading_lines=[cst.EmptyLine(), cst.EmptyLine()])
        return cst.FlattenSentinel([train, val_cls])


def _is_next(node) -> bool:
    return isinstance(node, cst.Call) and dotted(node.func) == "next" and len(node.args) == 1 \
        and code_of(node.args[0].value) == "data_loader"


# MMCV BaseRunner.__init__'s parameters (mmcv/runner/base_runner.py): the Runner has them now.
_RUNNER_PARAMS = {"model", "batch_processor", "optimizer", "work_dir", "logger", "meta",
                  "max_iters", "max_epochs"}


def _init(ctx, original: cst.FunctionDef, updated: cst.FunctionDef):
    """MMCV runner __init__ -> loop __init__(self, runner, dataloader, <own params>, **kwargs)."""
    ps = original.params
    own = [p for p in ps.params[1:] if p.name.value not in _RUNNER_PARAMS] + list(ps.kwonly_params)
    own_names = {p.name.value for p in own}
    body = list(updated.body.body)
    supers = [i for i, st in enumerate(body) if isinstance(st, cst.SimpleStatementLine) and
              len(st.body) == 1 and isinstance(st.body[0], cst.Expr) and
              isinstance(st.body[0].value, cst.Call) and
              code_of(st.body[0].value.func) in ("super().__init__",)]
    rest = [st for i, st in enumerate(body) if i not in supers]
    used = _names_in(rest)
    dropped = {p.name.value for p in ps.params[1:] if p.name.value in _RUNNER_PARAMS}
    star = ps.star_arg.name.value if isinstance(ps.star_arg, cst.Param) else None
    kw = ps.star_kwarg.name.value if ps.star_kwarg is not None else None
    if len(supers) != 1 or used & (dropped | {star, kw} - {None}) or \
            any(a.keyword is not None and a.keyword.value in own_names
                for a in body[supers[0]].body[0].value.args):
        ctx.todo(original, CODE, "__init__: MMEngine loops take __init__(runner, dataloader, "
                                 "...) and the Runner holds model/optimizer/work_dir/logger")
        return updated
    ctx.applied(CODE)
    new_super = cst.parse_statement("super().__init__(runner, dataloader, **kwargs)")
    body[supers[0]] = new_super.with_changes(leading_lines=body[supers[0]].leading_lines)
    params = [cst.Param(cst.Name("self")), cst.Param(cst.Name("runner")),
              cst.Param(cst.Name("dataloader"))]
    params += [p.with_changes(comma=cst.MaybeSentinel.DEFAULT) for p in own]
    return updated.with_changes(
        params=cst.Parameters(params, star_kwarg=cst.Param(cst.Name("kwargs"))),
        body=updated.body.with_changes(body=body))


def _names_in(stmts) -> set:
    out = set()

    class V(cst.CSTVisitor):
        def visit_Attribute(self, node):
            node.value.visit(self)
            return False

        def visit_Name(self, node):
            out.add(node.value)
    for st in stmts:
        st.visit(V())
    return out


def _is_param(fn: cst.FunctionDef, name: str) -> bool:
    return any(p.name.value == name for p in fn.params.params)


class _Replace(cst.CSTTransformer):
    def __init__(self, old: str, new: str):
        super().__init__()
        self.old, self.new = old, new

    def leave_Name(self, original, updated):
        return cst.parse_expression(self.new) if updated.value == self.old else updated
