"""MC204 runner attributes inside hooks: MMCV's `BaseRunner` state -> MMEngine's.

MMCV 1.x (mmcv/runner/base_runner.py, epoch_based_runner.py) -> MMEngine 0.10
(mmengine/runner/runner.py, loops.py; hook guide, "Mount Point Comparison"):

* `runner.optimizer` (a torch optimizer) -> `runner.optim_wrapper.optimizer` (the same object);
* `runner.outputs` (train_step's `dict(loss, log_vars, num_samples)`) -> the `outputs` argument of
  after_*_iter, which is the parsed-loss dict (MMCV's `outputs['log_vars']`);
* `runner.log_buffer.update(vars, count)` -> `runner.message_hub.update_scalars(...)` under the
  stage's prefix (`train/<key>`, what LogProcessor logs);
* `runner.log_buffer.val_history['k']` / `n_history['k']` -> `runner.message_hub.get_scalar(
  '<mode>/k').data[0]` / `.data[1]` (a HistoryBuffer's values / counts, numpy arrays where MMCV
  had lists); `runner.log_buffer.output['k'] = v` (a value for the next log line, e.g. the eval
  hooks' `eval_iter_num`) -> `runner.message_hub.update_info('k', v)`; the statements
  `runner.log_buffer.clear()` / `clear_output()` are dropped (MMEngine keeps no per-log buffer
  to clear); any other use of `output`, `average`, `ready` -> TODO naming the
  MessageHub/LogProcessor replacement (`tables.LOG_BUFFER_TODO`);
* `runner.data_loader` -> `runner.train_dataloader` / `runner.val_dataloader` by stage (a helper
  method called only from one mode's stage methods takes that mode); `runner.data_loader.
  _dataloader` (the DataLoader inside MMCV's IterLoader) -> the same, MMEngine's is unwrapped;
* `runner.inner_iter` -> `batch_idx`; `runner.data_batch` -> `data_batch`; `runner.mode` -> the
  stage's mode as a string;
* `runner.model.module` -> the bare model whether or not it is wrapped (`is_model_wrapper`);
* `runner.meta` read (MMCV: the dict tools/train.py passed, whose `exp_name` is the config's
  file name, dumped into work_dir) -> `dict(exp_name=basename(runner.cfg.filename))`, or None
  when the runner has no config file (MMEngine's Runner dumps the config as work_dir/<that
  name>; it has no `meta`); a write into it gets a TODO (`tables.RUNNER_ATTR_TODO`);
* `runner.rank`, `world_size`, `epoch`, `iter`, `max_*`, `work_dir`, `logger` are unchanged.
Anything else of MMCV's runner state gets a TODO (`tables.RUNNER_ATTR_TODO`).
"""
from __future__ import annotations

import libcst as cst
import libcst.matchers as mt

from .. import tables
from ._util import code_of, string_value
from .hook_helpers import stage_mode
from .hook_signatures import HOOK_KINDS, effective_params

CODE = "MC204"


def _runner_name(ctx):
    cls, m = ctx.cls(), ctx.method()
    if cls is None or cls.kind not in HOOK_KINDS or m is None:
        return None, None
    params = [p.name.value for p in m.node.params.params]
    return (params[1] if len(params) > 1 else None), m


def _is_runner_attr(node, runner, attr=None):
    return (isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name)
            and node.value.value == runner and (attr is None or node.attr.value == attr))


# LrUpdaterHook methods MMCV only called from train stages (before_train_epoch/iter)
_LR_TRAIN_METHODS = ("get_lr", "get_regular_lr", "get_warmup_lr")


def _mode(ctx, m) -> str:
    mode = stage_mode(m.node.name.value)
    if not mode and ctx.cls().kind in ("lr_hook", "policy_hook") and \
            m.node.name.value in _LR_TRAIN_METHODS:
        return "train"
    return mode or caller_mode(ctx.cls().node, m.node.name.value)


def caller_mode(cls_node: cst.ClassDef, name: str) -> str:
    """The stage mode of a helper method (`self._perform_precise_bn(runner)`) that the class
    calls only from stage methods of one mode (mmcls' PreciseBNHook: from after_train_epoch),
    else ''."""
    modes = set()
    for fn in cls_node.body.body:
        if isinstance(fn, cst.FunctionDef) and fn.name.value != name and mt.findall(
                fn, mt.Call(func=mt.Attribute(value=mt.Name("self"), attr=mt.Name(name)))):
            modes.add(stage_mode(fn.name.value))
    return modes.pop() if len(modes) == 1 else ""


def _history_key(node):
    """'k' of `<x>.val_history['k']` / `<x>.n_history['k']` (a literal key), else None."""
    if not isinstance(node, cst.Subscript) or len(node.slice) != 1 or \
            not isinstance(node.value, cst.Attribute) or \
            node.value.attr.value not in ("val_history", "n_history"):
        return None
    idx = node.slice[0].slice
    return string_value(idx.value) if isinstance(idx, cst.Index) else None


def _statement_of(ctx, attr: cst.Attribute, runner):
    """'assign' for `runner.log_buffer.output[k] = v`, 'clear' for the statement
    `runner.log_buffer.clear()` / `.clear_output()` (attr: the `.output`/`.clear` node)."""
    up = ctx.parent(attr)
    if attr.attr.value == "output" and isinstance(up, cst.Subscript) and \
            isinstance(ctx.parent(up), cst.AssignTarget) and \
            isinstance(ctx.parent(ctx.parent(up)), cst.Assign) and \
            len(ctx.parent(ctx.parent(up)).targets) == 1:
        return "assign"
    if attr.attr.value in ("clear", "clear_output") and isinstance(up, cst.Call) and \
            not up.args and isinstance(ctx.parent(up), cst.Expr):
        return "clear"
    return None


def _written(ctx, node) -> bool:
    """`node` (or a subscript/attribute of it) is an assignment target or deleted."""
    while isinstance(ctx.parent(node), (cst.Subscript, cst.Attribute, cst.SubscriptElement,
                                        cst.Index)):
        node = ctx.parent(node)
    return isinstance(ctx.parent(node), (cst.AssignTarget, cst.AugAssign, cst.Del)) and \
        getattr(ctx.parent(node), "target", None) is node


def _log_buffer_part(node, runner):
    """The `runner.log_buffer.<x>` Attribute inside an assignment target / call, else None."""
    if isinstance(node, cst.Subscript):
        node = node.value
    return node if isinstance(node, cst.Attribute) and \
        _is_runner_attr(node.value, runner, "log_buffer") else None


class HookRunnerAttrsFixer:
    def leave_SimpleStatementLine(self, ctx, original, updated):
        runner, m = _runner_name(ctx)
        if runner is None or len(original.body) != 1:
            return updated
        small = original.body[0]
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            part = _log_buffer_part(small.targets[0].target, runner)
            if part is None or _statement_of(ctx, part, runner) != "assign":
                return updated
            key = small.targets[0].target.slice[0].slice
            if not isinstance(key, cst.Index):
                return updated
            ctx.applied(CODE)
            return updated.with_changes(body=[cst.Expr(cst.parse_expression(
                f"{runner}.message_hub.update_info({code_of(key.value)}, "
                f"{code_of(updated.body[0].value)})"))])
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            part = _log_buffer_part(small.value.func, runner)
            if part is None or _statement_of(ctx, part, runner) != "clear":
                return updated
            ctx.applied(CODE)
            ctx.note(original, CODE, f"{runner}.log_buffer.{part.attr.value}() dropped: "
                                     "MMEngine's message hub keeps no per-log buffer")
            block = ctx.parent(original)
            if isinstance(block, cst.IndentedBlock) and len(block.body) == 1:
                return updated.with_changes(body=[cst.Pass()])
            return cst.RemovalSentinel.REMOVE
        return updated

    def leave_Attribute(self, ctx, original: cst.Attribute, updated: cst.Attribute):
        runner, m = _runner_name(ctx)
        if runner is None:
            return updated
        # runner.model.module -> the bare model
        if original.attr.value == "module" and _is_runner_attr(original.value, runner, "model"):
            if not ctx.can_import("mmengine.model", "is_model_wrapper"):
                return updated
            ctx.add_import("mmengine.model", "is_model_wrapper")
            ctx.applied(CODE)
            return cst.parse_expression(f"({runner}.model.module if is_model_wrapper({runner}.model)"
                                        f" else {runner}.model)")
        # MMCV's IterBasedRunner wraps its loaders in IterLoader (`._dataloader` is the
        # DataLoader); MMEngine's runner.<mode>_dataloader is the DataLoader itself
        if original.attr.value == "_dataloader" and \
                _is_runner_attr(original.value, runner, "data_loader") and \
                not updated.value.deep_equals(original.value):
            return updated.value
        if not _is_runner_attr(original, runner):
            return updated
        attr = original.attr.value
        params = set(effective_params(ctx, m.node))
        mode = _mode(ctx, m)
        parent = ctx.parent(original)
        new = None
        if attr == "optimizer":
            new = f"{runner}.optim_wrapper.optimizer"
        elif attr in ("inner_iter", "data_batch", "outputs"):
            arg = {"inner_iter": "batch_idx"}.get(attr, attr)
            if arg in params and (attr != "outputs" or mode != "val"):
                new = arg
                if attr == "outputs" and not mode:
                    ctx.note(original, CODE, f"{runner}.outputs -> outputs in {m.node.name.value}: "
                                             "in val iterations MMEngine passes the predictions, "
                                             "not a dict of losses")
        elif attr == "data_loader" and mode in ("train", "val", "test"):
            new = f"{runner}.{mode}_dataloader"
        elif attr == "mode" and mode:
            new = repr(mode)
        elif attr == "meta" and not _written(ctx, original):
            ctx.add_import("os")
            new = (f"(dict(exp_name=os.path.basename({runner}.cfg.filename)) "
                   f"if {runner}.cfg.filename else None)")
        elif attr == "log_buffer" and isinstance(parent, cst.Attribute) and \
                parent.attr.value == "update" and isinstance(ctx.parent(parent), cst.Call):
            return updated                    # rewritten with its call (leave_Call)
        elif attr == "log_buffer" and isinstance(parent, cst.Attribute) and \
                _statement_of(ctx, parent, runner) is not None:
            return updated                    # rewritten with its statement
        elif attr == "log_buffer" and isinstance(parent, cst.Attribute) and \
                parent.attr.value in tables.LOG_BUFFER_TODO:
            if parent.attr.value in ("val_history", "n_history") and \
                    _history_key(ctx.parent(parent)) is not None:
                return updated                # rewritten with its subscript (leave_Subscript)
            what = parent.attr.value
            ctx.todo(original, CODE, f"{runner}.log_buffer.{what}: {tables.LOG_BUFFER_TODO[what]}")
            return updated
        if new is not None:
            ctx.applied(CODE)
            return cst.parse_expression(new)
        if attr in tables.RUNNER_ATTR_TODO:
            ctx.todo(original, CODE, f"{runner}.{attr}: {tables.RUNNER_ATTR_TODO[attr]}")
        return updated

    def leave_Subscript(self, ctx, original: cst.Subscript, updated: cst.Subscript):
        runner, m = _runner_name(ctx)
        key = _history_key(original)
        if runner is not None and key is not None and isinstance(original.value, cst.Attribute) \
                and _is_runner_attr(original.value.value, runner, "log_buffer"):
            mode = stage_mode(m.node.name.value) or "train"
            part = 0 if original.value.attr.value == "val_history" else 1
            ctx.applied(CODE)
            return cst.parse_expression(
                f"{runner}.message_hub.get_scalar({f'{mode}/{key}'!r}).data[{part}]")
        if runner is None or not _is_runner_attr(original.value, runner, "outputs") or \
                not isinstance(updated.value, cst.Name) or len(original.slice) != 1:
            return updated
        key = original.slice[0].slice
        key = string_value(key.value) if isinstance(key, cst.Index) else None
        if key == "log_vars":
            return updated.value
        if key == "num_samples":
            ctx.todo(original, CODE, "outputs['num_samples']: MMEngine's outputs hold the parsed "
                                     "losses only; take the batch size from data_batch")
        return updated

    def leave_Call(self, ctx, original: cst.Call, updated: cst.Call):
        runner, m = _runner_name(ctx)
        f = original.func
        if runner is None or not (isinstance(f, cst.Attribute) and f.attr.value == "update"
                                  and _is_runner_attr(f.value, runner, "log_buffer")):
            return updated
        mode = _mode(ctx, m) or "train"
        args = [a for a in updated.args]
        if not args or args[0].keyword is not None or args[0].star or len(args) > 2:
            ctx.todo(original, CODE, f"{runner}.log_buffer.update(...): "
                                     f"{tables.RUNNER_ATTR_TODO['log_buffer']}")
            return updated
        values = cst.Module([]).code_for_node(args[0].value)
        value = "v"
        if len(args) == 2:
            value = f"dict(value=v, count={cst.Module([]).code_for_node(args[1].value)})"
        ctx.applied(CODE)
        return cst.parse_expression(
            f"{runner}.message_hub.update_scalars({{f'{mode}/{{k}}': {value} "
            f"for k, v in ({values}).items()}})")
