"""What a module's project-local imports refer to: the runner classes other files define.

The code fixers see one file at a time, but a rename made in one module (MC301: runner `X` ->
loop `loop_name(X)`) must reach the modules that import `X` (a package `__init__.py`
re-exporting it, a train script importing it). `runner_renames(importer, module, level)` reads
the imported module from disk (relative imports from the importer's directory; absolute ones
from the first ancestor directory holding the top package), follows re-exports
(`from .runner import X` in a package `__init__.py`) a few levels deep, and returns
`{old class name: loop name}` for the MMCV runner subclasses found there. A module that was
migrated already (it defines the loop name, no longer the runner) maps the same way, so the
importer can be migrated after the module it imports. Only reads files; results are cached per
(path, mtime).
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional, Tuple

import libcst as cst
from libcst.metadata import MetadataWrapper, QualifiedNameProvider

from . import tables

_MAX_DEPTH = 4          # re-export levels followed
_MAX_UP = 4             # ancestor directories searched for an absolute import's top package
_MAX_BYTES = 1 << 20


def module_file(importer: str, module: str, level: int) -> Optional[Path]:
    """The file an `import` in `importer` refers to, if it is in the project on disk."""
    here = Path(importer).resolve().parent
    parts = module.split(".") if module else []
    if level:
        base = here
        for _ in range(level - 1):
            base = base.parent
        return _as_file(base.joinpath(*parts))
    if not parts:
        return None
    base = here
    for _ in range(_MAX_UP):
        if (base / parts[0]).is_dir() or (base / f"{parts[0]}.py").is_file():
            return _as_file(base.joinpath(*parts))
        base = base.parent
    return None


def _as_file(p: Path) -> Optional[Path]:
    if p.with_suffix(".py").is_file() and not p.is_dir():
        return p.with_suffix(".py")
    if (p / "__init__.py").is_file():
        return p / "__init__.py"
    return None


def runner_renames(importer: str, module: str, level: int) -> Dict[str, str]:
    f = module_file(importer, module, level)
    if f is None:
        return {}
    try:
        st = f.stat()
    except OSError:
        return {}
    return dict(_renames(str(f), st.st_mtime_ns, 0))


@lru_cache(maxsize=512)
def _renames(path: str, mtime: int, depth: int) -> Tuple[Tuple[str, str], ...]:
    from .fixers.runner_loop import loop_name
    try:
        if os.path.getsize(path) > _MAX_BYTES:
            return ()
        text = Path(path).read_text(encoding="utf-8")
        module = cst.parse_module(text)
    except (OSError, UnicodeDecodeError, cst.ParserSyntaxError):
        return ()
    if "Runner" not in text and "TrainLoop" not in text:
        return ()
    wrapper = MetadataWrapper(module)
    qnames = _BaseNames.of(wrapper)
    out: Dict[str, str] = {}
    classes = {}
    for stmt in wrapper.module.body:
        if isinstance(stmt, cst.ClassDef):
            classes[stmt.name.value] = stmt
    for name, node in classes.items():              # runner subclasses defined here
        base = _runner_base(node, qnames, classes)
        if base:
            out[name] = loop_name(name, base)
    for name in classes:                            # already migrated: X -> XEpochBasedTrainLoop
        for suffix in ("EpochBasedTrainLoop", "IterBasedTrainLoop"):
            stem = name[: -len(suffix)] if name.endswith(suffix) else ""
            for old in (stem + "Runner", stem) if stem else ():
                if old not in classes:
                    out.setdefault(old, name)
    if depth < _MAX_DEPTH:                           # re-exports
        for stmt in wrapper.module.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for s in stmt.body:
                if isinstance(s, cst.ImportFrom) and not isinstance(s.names, cst.ImportStar):
                    mod = _dotted(s.module) if s.module else ""
                    target = module_file(path, mod, len(s.relative))
                    if target is None:
                        continue
                    sub = dict(_renames(str(target), target.stat().st_mtime_ns, depth + 1))
                    for a in s.names:
                        n = _dotted(a.name)
                        if n in sub and a.asname is None:
                            out.setdefault(n, sub[n])
    return tuple(sorted(out.items()))


class _BaseNames(cst.CSTVisitor):
    """Qualified names of every class base expression of a module."""
    METADATA_DEPENDENCIES = (QualifiedNameProvider,)

    def __init__(self):
        super().__init__()
        self.names = {}

    def visit_ClassDef(self, node: cst.ClassDef):
        for a in node.bases:
            self.names[a.value] = {q.name for q in
                                   self.get_metadata(QualifiedNameProvider, a.value, set())}

    @classmethod
    def of(cls, wrapper: MetadataWrapper):
        v = cls()
        wrapper.visit(v)
        return v.names


def _runner_base(node: cst.ClassDef, qnames, classes, seen=()) -> Optional[str]:
    for arg in node.bases:
        for q in qnames.get(arg.value, ()):
            key = tables.lookup(q) or q
            if key in tables.RUNNER_BASES:
                return tables.RUNNER_BASES[key]
        if isinstance(arg.value, cst.Name) and arg.value.value in classes and \
                arg.value.value not in seen:
            b = _runner_base(classes[arg.value.value], qnames, classes, (*seen, node.name.value))
            if b:
                return b
    return None


def _dotted(node) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""
