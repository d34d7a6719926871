"""MC101 imports: MMCV 1.x runner/utils/parallel names -> their MMEngine 0.10 homes.

MMCV 1.x: `from mmcv.runner import Hook, HOOKS, BaseModule, load_checkpoint, get_dist_info, ...`,
`from mmcv.utils import Config, DictAction, Registry`, `mmcv.Config`, `from mmcv.parallel import
MMDistributedDataParallel`. MMEngine 0.10: the same objects in `mmengine.hooks`, `mmengine.registry`
(`OPTIMIZER_BUILDERS` -> `OPTIM_WRAPPER_CONSTRUCTORS`), `mmengine.model`, `mmengine.runner`,
`mmengine.dist`, `mmengine.config`, `mmengine.utils`, `mmengine.fileio` (runner migration guide,
"Migrate the training script"; hook guide, "Function Comparison"). The table is `tables.NAMES`.

Every use is resolved by qualified name: `from mmcv.runner import Hook as H` keeps `H`
(`from mmengine.hooks import Hook as H`); `R.Hook` / `mmcv.runner.Hook` become `Hook` with an
import; a renamed name imported without alias is renamed at every use. Names with no MMEngine
equivalent keep their import and get a TODO at each use naming the replacement.
"""
from __future__ import annotations

import libcst as cst

from .. import tables
from ._util import dotted

CODE = "MC101"


def _in_decorator(ctx, node) -> bool:
    parent = ctx.parent(node)
    if isinstance(parent, cst.Call):
        parent = ctx.parent(parent)
    return isinstance(parent, cst.Decorator)


def _handled_elsewhere(ctx, node) -> bool:
    """Uses another fixer rewrites whole: a decorator (MC103), the base of an LrUpdaterHook or
    runner subclass (MC302, MC301), the class of an isinstance test (MC301)."""
    parent = ctx.parent(node)
    if _in_decorator(ctx, node):
        return True
    cls = ctx.cls()
    if isinstance(parent, cst.Arg) and isinstance(ctx.parent(parent), cst.ClassDef):
        return cls is not None and cls.kind in ("lr_hook", "runner")
    if isinstance(parent, cst.Arg) and isinstance(ctx.parent(parent), cst.Call):
        call = ctx.parent(parent)
        return dotted(call.func) == "isinstance" and len(call.args) == 2 and \
            call.args[1] is parent
    return False


def _drop_root_import(ctx, node: cst.Attribute) -> None:
    """The import that bound the head of `a.b.Name` may now be unused."""
    root = node
    while isinstance(root, cst.Attribute):
        root = root.value
    if not isinstance(root, cst.Name):
        return
    n = root.value
    for q in ctx.qnames(root):
        if q == n or q.split(".")[0] == n:           # import mmcv / import mmcv.runner
            ctx.drop_if_unused(q)
            head = dotted(node.value) or ""
            if head.startswith(q + "."):             # mmcv.runner.Hook with `import mmcv.runner`
                ctx.drop_if_unused(head)
        elif q.endswith("." + n):                    # from mmcv import runner
            ctx.drop_if_unused(q[: -len(n) - 1], n)
        else:                                        # import mmcv.runner as R
            ctx.drop_if_unused(q, None, n)


class ImportsFixer:
    def leave_ImportFrom(self, ctx, original: cst.ImportFrom, updated: cst.ImportFrom):
        if original.relative or isinstance(original.names, cst.ImportStar):
            return updated
        mod = dotted(original.module)
        if not mod or not (mod == "mmcv" or mod.startswith("mmcv.")):
            return updated
        keep = []
        for alias in original.names:
            name = dotted(alias.name)
            asname = alias.asname.name.value if alias.asname else None
            key = tables.lookup(f"{mod}.{name}")
            t = tables.NAMES.get(key) if key else None
            if t is None or t.kind != "rename":
                if t is not None:
                    ctx.drop_if_unused(mod, name, asname)    # its uses are rewritten or TODO
                keep.append(alias)
                continue
            if not ctx.can_import(t.module, t.name):
                ctx.todo(original, CODE, f"{ctx.module(t.module)} has no {t.name}: "
                                         f"use {t.module}.{t.name}")
                keep.append(alias)
                continue
            ctx.add_import(t.module, t.name, asname if asname != t.name else None)
            ctx.applied(CODE)
        if len(keep) == len(original.names):
            return updated
        if not keep:
            return cst.RemoveFromParent()
        keep[-1] = keep[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(names=keep)

    def leave_Name(self, ctx, original: cst.Name, updated: cst.Name):
        q = ctx.qname_in(original, tables.NAMES)
        if q is None:
            return updated
        t = tables.NAMES[q]
        old = q.rpartition(".")[2]
        if t.kind == "todo":
            if old in tables.RUNNER_CLASSES and isinstance(ctx.parent(original), cst.Annotation) \
                    and ctx.can_import("mmengine.runner", "Runner"):
                ctx.add_import("mmengine.runner", "Runner")
                ctx.drop_if_unused(q.rpartition(".")[0], old)
                ctx.applied(CODE)
                return cst.Name("Runner")
            if not _handled_elsewhere(ctx, original):
                ctx.todo(original, CODE, f"{old}: {t.todo}")
            else:
                ctx.drop_if_unused(q.rpartition(".")[0], old)
        elif t.kind == "rename" and original.value == old and t.name != old \
                and ctx.can_import(t.module, t.name):
            ctx.applied(CODE)
            return updated.with_changes(value=t.name)
        return updated

    def leave_Attribute(self, ctx, original: cst.Attribute, updated: cst.Attribute):
        q = ctx.qname_in(original, tables.NAMES)
        if q is None or dotted(original) is None:
            return updated
        t = tables.NAMES[q]
        head = dotted(original.value)
        if t.kind == "todo":
            ctx.todo(original, CODE, f"{q.rpartition('.')[2]}: {t.todo}")
            return updated
        if t.kind != "rename" or not ctx.can_import(t.module, t.name):
            return updated
        ctx.add_import(t.module, t.name)
        _drop_root_import(ctx, original)
        ctx.applied(CODE)
        return cst.Name(t.name)
