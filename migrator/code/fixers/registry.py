"""MC106 a project's own root registries -> MMEngine's root registries.

MMCV 1.x: a project made its own root registry, `DATASETS = Registry('dataset')`
(mmcv.utils.Registry), and built from it in its own train API (`build_dataset(cfg)`).
MMEngine 0.10: the Runner builds datasets, hooks, loops, ... from MMEngine's registries
(`mmengine.registry.DATASETS` etc.), switching to a child registry only when the config's
`default_scope` names one (`Registry.switch_scope_and_registry`; a root registry never searches
its children). OpenMMLab's 3.x codebases therefore declare `Registry('dataset',
parent=MMENGINE_DATASETS, locations=[...])` *and* set `default_scope` in every config; a
migrated project's configs have no scope, so the registry becomes MMEngine's root registry
itself: `DATASETS = MMENGINE_DATASETS` with `from mmengine.registry import DATASETS as
MMENGINE_DATASETS`, and the Runner finds every class the project registers. Which registry a
name means is the table `tables.ROOT_REGISTRIES`. A class of this file registered under a name
MMEngine's root registry holds already (`tables.MMENGINE_REGISTERED`: ConcatDataset, ...) would
collide: then the registry stays, with a TODO (a child registry with `parent=` and a
`default_scope`). A registry with `parent=`/`scope=`/`build_func=` arguments stays as it is
(MC101 maps its `parent`).
"""
from __future__ import annotations

from typing import Optional

import libcst as cst

from .. import tables
from ._util import string_value

CODE = "MC106"
_REGISTRY = {f"{m}.Registry" for m in tables.UTILS_MODULES}


def _root_registry(ctx, call: cst.BaseExpression) -> Optional[str]:
    if not isinstance(call, cst.Call) or ctx.qname_in(call.func, _REGISTRY) is None:
        return None
    if len(call.args) != 1 or call.args[0].keyword is not None and \
            call.args[0].keyword.value != "name":
        return None
    name = string_value(call.args[0].value)
    return tables.ROOT_REGISTRIES.get(name) if name else None


def _registered(module: cst.Module, var: str):
    """Class names registered in `var` by decorator in this module."""
    out = set()
    for stmt in module.body:
        if not isinstance(stmt, cst.ClassDef):
            continue
        for d in stmt.decorators:
            f = d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator
            if isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name) and \
                    f.value.value == var and f.attr.value == "register_module":
                name = stmt.name.value
                if isinstance(d.decorator, cst.Call):
                    for a in d.decorator.args:
                        if a.keyword and a.keyword.value == "name" and string_value(a.value):
                            name = string_value(a.value)
                out.add(name)
    return out


class RegistryFixer:
    def visit_Module(self, ctx, node: cst.Module):
        self.module = node

    def leave_Assign(self, ctx, original: cst.Assign, updated: cst.Assign):
        if ctx.stack or len(original.targets) != 1 or \
                not isinstance(original.targets[0].target, cst.Name):
            return updated
        new = _root_registry(ctx, original.value)
        if new is None:
            return updated
        var = original.targets[0].target.value
        clash = sorted(_registered(self.module, var) & tables.MMENGINE_REGISTERED.get(new, set()))
        if clash:
            ctx.todo(original, CODE, f"{var}: MMEngine's {new} already holds {', '.join(clash)}: "
                                     f"make it Registry(..., parent=mmengine.registry.{new}) and "
                                     f"set default_scope in the configs")
            return updated
        if not ctx.can_import("mmengine.registry", new):
            return updated
        alias = f"MMENGINE_{new}"
        ctx.add_import("mmengine.registry", new, alias)
        for m in tables.UTILS_MODULES:
            ctx.drop_if_unused(m, "Registry")
        ctx.drop_if_unused(ctx.module("mmengine.registry"), "Registry")
        ctx.note(original, CODE, f"{var} is MMEngine's root {new} registry (the Runner builds "
                                 f"from it)")
        return updated.with_changes(value=cst.Name(alias))
