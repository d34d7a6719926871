"""What an MMCV-era class is, from its bases (resolved by qualified name) and decorators.

hook        subclasses an MMCV hook (mmcv.runner.Hook, CheckpointHook, ...) or a hook class of
            the same file
lr_hook     subclasses mmcv.runner.LrUpdaterHook
policy_hook subclasses one of MMCV's built-in lr/momentum policy hooks (a TODO: MC302)
runner      subclasses mmcv.runner.EpochBasedRunner / IterBasedRunner
constructor subclasses mmcv.runner.DefaultOptimizerConstructor
model       subclasses mmcv.runner.BaseModule or torch.nn.Module and defines train_step/val_step
''          anything else (MMEngine-style classes included, which keeps the fixers idempotent)
"""
from __future__ import annotations

import libcst as cst

from . import tables

_KINDS = (("lr_hook", tables.LR_HOOK_BASES), ("hook", tables.HOOK_BASES),
          ("runner", set(tables.RUNNER_BASES)), ("constructor", tables.CONSTRUCTOR_BASES))


def classify_class(ctx, node: cst.ClassDef) -> str:
    local = ctx.local_kinds
    kind = ""
    for arg in node.bases:
        names = ctx.qnames(arg.value) | ctx.api_qnames(arg.value)
        for k, table in _KINDS:
            if names & table:
                kind = k
                break
        if not kind and isinstance(arg.value, cst.Name) and local.get(arg.value.value) in \
                ("hook", "lr_hook", "policy_hook", "runner", "constructor"):
            kind = local[arg.value.value]
        if not kind and any(q.startswith("mmcv.runner") and q.rpartition(".")[2] in
                            tables.POLICY_SCHEDULERS for q in names):
            kind = "policy_hook"
        if kind:
            break
    if not kind and any(ctx.qnames(a.value) & tables.MODEL_BASES for a in node.bases):
        methods = {s.name.value for s in node.body.body if isinstance(s, cst.FunctionDef)}
        if methods & {"train_step", "val_step", "forward_train", "_parse_losses"}:
            kind = "model"
    local[node.name.value] = kind
    return kind
