"""MC401 model steps: MMCV's `train_step(data, optimizer)` -> MMEngine's `train_step(data,
optim_wrapper)`.

MMCV 1.x (mmcv/runner/epoch_based_runner.py, hooks/optimizer.py): the runner calls
`model.train_step(data_batch, optimizer)`, which returns `dict(loss, log_vars, num_samples)`; the
OptimizerHook then does `zero_grad(); loss.backward(); step()`. `val_step(data, optimizer)` is
called the same way. MMEngine 0.10 (mmengine/model/base_model/base_model.py; model migration
guide): the loop calls `model.train_step(data_batch, optim_wrapper=...)`, which updates the
parameters itself (`optim_wrapper.update_params(loss)`: backward, step, zero_grad) and returns
the dict of logged values; `val_step(data)` takes no optimizer. The rewrite keeps the body,
renames the parameter, and turns each `return dict(loss=L, log_vars=V, ...)` (or `return
outputs`) into `optim_wrapper.update_params(L)` + `return V`. Any other use of the optimizer
gets a TODO (several optimizers: an OptimWrapperDict).

A call `model.train_step(data)` without an optimizer (MMCV's `optimizer=None`: the losses of a
train-mode forward, no update; mmcls' precise BN) -> `model._run_forward(
model.data_preprocessor(data, True), mode='loss')`, the forward half of MMEngine's train_step
(its own update would need an optim_wrapper). The model must be the bare model (a wrapper has
no data_preprocessor: use `.module`); a note says so.
"""
from __future__ import annotations

import libcst as cst

from ._util import code_of, dotted

CODE = "MC401"


class ModelStepsFixer:
    def _step(self, ctx):
        cls, m = ctx.cls(), ctx.method()
        if cls is None or cls.kind != "model" or m is None:
            return None, None
        params = [p.name.value for p in m.node.params.params]
        if m.node.name.value not in ("train_step", "val_step") or len(params) < 3 or \
                params[2] == "optim_wrapper":
            return None, None
        return m.node.name.value, params[2]

    def leave_Name(self, ctx, original: cst.Name, updated: cst.Name):
        step, opt = self._step(ctx)
        if step == "train_step" and original.value == opt:
            parent = ctx.parent(original)
            if not isinstance(parent, cst.Param) and not (
                    isinstance(parent, cst.Attribute) and parent.attr is original):
                ctx.todo(original, CODE, f"{opt}: train_step now receives an OptimWrapper "
                                         "(optim_wrapper.update_params(loss) / .optimizer)")
        return updated

    def leave_SimpleStatementLine(self, ctx, original, updated):
        step, opt = self._step(ctx)
        if step != "train_step" or len(updated.body) != 1 or \
                not isinstance(updated.body[0], cst.Return) or updated.body[0].value is None:
            return updated
        value = updated.body[0].value
        if isinstance(value, cst.Call) and dotted(value.func) == "dict":
            kw = {a.keyword.value: code_of(a.value) for a in value.args if a.keyword}
            if "loss" not in kw or "log_vars" not in kw:
                return updated
            loss, log_vars = kw["loss"], kw["log_vars"]
        elif isinstance(value, cst.Name):
            loss, log_vars = f"{value.value}['loss']", f"{value.value}['log_vars']"
        else:
            return updated
        ctx.applied(CODE)
        return cst.FlattenSentinel([
            updated.with_changes(body=[cst.Expr(cst.parse_expression(
                f"optim_wrapper.update_params({loss})"))]),
            cst.parse_statement(f"return {log_vars}")])

    def leave_Call(self, ctx, original: cst.Call, updated: cst.Call):
        f = updated.func
        if not (isinstance(f, cst.Attribute) and f.attr.value == "train_step") or \
                dotted(f.value) is None or len(updated.args) != 1 or updated.args[0].keyword \
                or updated.args[0].star:
            return updated
        model, data = code_of(f.value), code_of(updated.args[0].value)
        ctx.applied(CODE)
        ctx.note(original, CODE, f"{model}.train_step({data}) (no optimizer: forward only) -> "
                                 f"{model}._run_forward(...data_preprocessor..., mode='loss'); "
                                 "for a wrapped model use its .module")
        return cst.parse_expression(
            f"{model}._run_forward({model}.data_preprocessor({data}, True), mode='loss')")

    def leave_FunctionDef(self, ctx, original: cst.FunctionDef, updated: cst.FunctionDef):
        m = ctx.method()
        cls = ctx.cls()
        if cls is not None and cls.kind == "model" and m is not None and m.node is original \
                and original.name.value == "forward_train":
            ctx.todo(original, CODE, "forward_train: MMEngine's BaseModel calls forward(inputs, "
                                     "data_samples, mode='loss') after its data_preprocessor")
            return updated
        step, opt = self._step(ctx)
        if step is None or m.node is not original:
            return updated
        params = list(updated.params.params)
        if step == "train_step":
            params[2] = params[2].with_changes(name=cst.Name("optim_wrapper"), default=None,
                                               equal=cst.MaybeSentinel.DEFAULT)
            ctx.note(original, CODE, "train_step(data, optimizer) -> train_step(data, "
                                     "optim_wrapper): backward and step moved into the step")
        else:
            if params[2].default is not None:
                return updated
            params[2] = params[2].with_changes(default=cst.Name("None"), equal=cst.AssignEqual(
                cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
            ctx.todo(original, CODE, "val_step(data): MMEngine's ValLoop passes the batch only and "
                                     "hands the returned outputs to val_evaluator.process")
        ctx.applied(CODE)
        return updated.with_changes(params=updated.params.with_changes(params=params))
