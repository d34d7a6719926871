"""Registry helpers (MMEngine's `mmengine.registry.utils`): `init_default_scope` sets the process
default scope the way MMEngine's Runner does for `default_scope` in a config (MMCV 1.x had none)."""
from __future__ import annotations

from datetime import datetime
from typing import List, Optional

from .default_scope import DefaultScope


def init_default_scope(scope: str) -> None:
    """Make `scope` the current default scope unless it already is."""
    current = DefaultScope.get_current_instance()
    if current is not None and current.scope_name == scope:
        return
    name = f"{scope}-{datetime.now().strftime('%Y%m%d-%H%M%S-%f')}"
    while DefaultScope.check_instance_created(name):
        name += "_"
    DefaultScope.get_instance(name, scope_name=scope)


def traverse_registry_tree(registry, verbose: bool = False) -> List[dict]:
    """One row per node of `registry`'s tree: scope, registry name and registered count."""
    rows, stack = [], [registry.root]
    while stack:
        reg = stack.pop()
        rows.append(dict(scope=reg.scope, name=reg.name, num_modules=len(reg)))
        stack.extend(reg.children.values())
    if verbose:
        for r in rows:
            print(f"{r['scope']}::{r['name']}: {r['num_modules']} modules")
    return rows
