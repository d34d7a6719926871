"""What the bundled runtime really provides, read statically from runtime/'s sources.

`--target runtime` turns `mmengine.X` imports into `runtime.X`; before emitting one, the engine
asks `runtime_provides('runtime.hooks', 'Hook')`. The answer comes from the module's source
(top-level definitions, assignments and `from ... import` names, following `runtime/X/__init__.py`),
so `migrate` never imports runtime/ (which imports torch).
"""
from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path
from typing import FrozenSet, Optional

ROOT = Path(__file__).resolve().parents[2]          # the repository: runtime/ lives next to migrator/


def _source(module: str) -> Optional[Path]:
    base = ROOT.joinpath(*module.split("."))
    for p in (base / "__init__.py", base.with_suffix(".py")):
        if p.is_file():
            return p
    return None


@lru_cache(maxsize=None)
def module_names(module: str) -> FrozenSet[str]:
    """Names defined or imported at the top level of `module` (empty: no such module)."""
    src = _source(module)
    if src is None:
        return frozenset()
    names = set()
    for node in ast.parse(src.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
            if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                pkg = module if src.name == "__init__.py" else module.rpartition(".")[0]
                parent = pkg.split(".")[: len(pkg.split(".")) - max(node.level - 1, 0)]
                sub = ".".join(parent + ([node.module] if node.module else []))
                names |= star_names(sub if node.level else node.module or "")
    return frozenset(names | _all_names(module, src))


def _all_names(module: str, src: Path) -> set:
    """The names `__all__` promises, lazily provided ones (PEP 562 `__getattr__`) included:
    string items, `*TUPLE` of a module-level literal, `*X` of a submodule's imported `__all__`."""
    tree = ast.parse(src.read_text(encoding="utf-8"))
    literals, sub_all = {}, {}
    pkg = module if src.name == "__init__.py" else module.rpartition(".")[0]
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name):
            try:
                literals[node.targets[0].id] = list(ast.literal_eval(node.value))
            except ValueError:
                pass
        elif isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            for a in node.names:
                if a.name == "__all__":
                    sub_all[a.asname or a.name] = f"{pkg}.{node.module}"
    items = next((n.value.elts for n in tree.body if isinstance(n, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets)
                  and isinstance(n.value, (ast.List, ast.Tuple))), [])
    out = set()
    for e in items:
        if isinstance(e, ast.Constant) and isinstance(e.value, str):
            out.add(e.value)
        elif isinstance(e, ast.Starred) and isinstance(e.value, ast.Name):
            name = e.value.id
            if name in literals:
                out.update(x for x in literals[name] if isinstance(x, str))
            elif name in sub_all:
                out |= star_names(sub_all[name])
    return out


@lru_cache(maxsize=None)
def star_names(module: str) -> FrozenSet[str]:
    """What `from module import *` binds: `__all__` when the module lists it."""
    src = _source(module)
    if src is None:
        return frozenset()
    for node in ast.parse(src.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__"
                                                for t in node.targets):
            try:
                return frozenset(ast.literal_eval(node.value))
            except ValueError:
                return frozenset(_all_names(module, src))
    return frozenset(n for n in module_names(module) if not n.startswith("_"))


def runtime_provides(module: str, name: Optional[str]) -> bool:
    if _source(module) is None:
        return False
    return name is None or name in module_names(module)
