"""Whole-tree conversion: which files, in which order, staged and self-checked before writing.

`migrate configs/ -o new/` and `migrate configs/x/child.py -o new/` both convert a set of files
plus everything they inherit from. Files are ordered so every base is emitted before its
children (levels of the inheritance graph; one level runs in parallel with `--jobs`). Every output
is written first to a staging directory that mirrors the tree (in memory, staging.py, unless
worker processes share it), loaded back from there with the static loader and compared with the
flat conversion of its input; only then is it accepted.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set

from . import staging
from .check import old_fields
from .convert import convert_kept
from .emit.lazy import clear_statements
from .emit.tree import NEW_FROM_OLD, emit_tree_file, same
from .errors import Location, MigrateError
from .io import UTF8, SourceText, read_source, walk_configs
from .load import few_collections, load_config, load_file

CONFLICT_MARKERS = ("<<<<<<< ", ">>>>>>> ")


@dataclass
class TreeResult:
    src: str
    rel: str
    status: str = "unchanged"          # converted | unchanged | new-style | error
    text: Optional[str] = None
    error: Optional[str] = None
    report: dict = field(default_factory=dict)
    old_fields: List[str] = field(default_factory=list)
    root: str = ""
    source: SourceText = UTF8          # encoding and line endings of the input
    bases: List[str] = field(default_factory=list)


def discover(paths: Sequence[Path], exclude: Sequence[Path] = (), skip=None) -> Dict[str, List[str]]:
    """Every config file to convert (absolute path) -> its bases, including inherited files.
    Directories under `exclude` (an output directory inside the input tree) are skipped, and so
    are the files in `skip` (code, not configs: migrator/code)."""
    skip_dirs = [os.path.abspath(e) for e in exclude]
    todo: List[str] = []
    for p in paths:
        if p.is_dir():
            todo += [_real(f) for f in walk_configs(p)
                     if not any(_under(os.path.abspath(f), e) for e in skip_dirs)
                     and _real(f) not in (skip or ())]
        else:
            todo.append(_real(p))
    graph: Dict[str, List[str]] = {}
    while todo:
        f = todo.pop()
        if f in graph:
            continue
        bases = _bases_of(f)
        graph[f] = bases
        todo += [b for b in bases if b not in graph]
    return graph


def _bases_of(f: str) -> List[str]:
    """The files `f` names in `_base_`, even when one of them (or `f` itself) cannot be loaded,
    so that its children are reported as failed because of it."""
    try:
        return list(load_file(f).bases)
    except Exception:               # noqa: BLE001 - reported when the file itself is converted
        pass
    try:
        from .load import _find_base_spec, _parse, _resolve_bases
        kind, parsed, _text = _parse(f)
        spec, line = (parsed.get("_base_"), None) if kind == "data" else _find_base_spec(parsed, f)
        return _resolve_bases(spec, f, line)
    except Exception:               # noqa: BLE001
        return []


def _real(p) -> str:
    try:
        return str(Path(p).resolve())
    except (OSError, RuntimeError):  # a symlink loop: reported when the file is read
        return os.path.abspath(p)


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def levels(graph: Dict[str, List[str]]) -> List[List[str]]:
    depth: Dict[str, int] = {}

    def d(f: str, seen=()) -> int:
        if f not in depth:
            if f in seen:
                raise MigrateError("circular _base_ inheritance", file=f)
            depth[f] = 1 + max((d(b, seen + (f,)) for b in graph.get(f, []) if b in graph), default=-1)
        return depth[f]
    for f in graph:
        try:
            d(f)
        except MigrateError:        # a cycle: each file in it fails when loaded
            depth.setdefault(f, 0)
    out: List[List[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for f in sorted(graph):
        out[depth[f]].append(f)
    return out


def common_root(files: Sequence[str], paths: Sequence[Path]) -> Path:
    anchors = [str(p.resolve()) if p.is_dir() else str(p.resolve().parent) for p in paths]
    return Path(os.path.commonpath(list(files) + anchors))


def check_source(src: str, text: str) -> None:
    for i, line in enumerate(text.splitlines(), 1):
        if line.startswith(CONFLICT_MARKERS):
            raise MigrateError("unresolved merge conflict marker", file=src, line=i)


# Fields only an MMEngine config has: an unchanged file holding one is "already MMEngine-style".
NEW_STYLE_FIELDS = {n for news in NEW_FROM_OLD.values() for n in news} - {"model", "load_from"}

# The old field whose file "owns" a new field when two sibling bases would both set it.
from migrator.rules.ownership import OWNER_OLD  # noqa: E402 (the one ownership table)


def sibling_conflicts(graph: Dict[str, List[str]], keys_old: Dict[str, Set[str]],
                      keys_new: Dict[str, Set[str]]) -> Dict[str, Dict[str, str]]:
    """New fields that two bases of one file would both set (MMEngine refuses duplicate keys
    among bases) although their old configs did not collide: `cudnn_benchmark` in a model base
    and `dist_params` in the runtime base both become `env_cfg`; a schedule base with
    `checkpoint_config` and the runtime base both get `default_scope`. Any new field is handled
    alike. The field stays in one base, the owner: the one where the user wrote it, else the one
    whose old field produces it (OWNER_OLD), else the last. Every file that the other bases
    inherit (and the owner does not) withholds it, and configs that inherit both restate it.
    Returns {file: {withheld field: owner file}}."""
    closures: Dict[str, List[str]] = {}

    def closure(f: str) -> List[str]:
        if f not in closures:
            out, todo = [], [f]
            while todo:
                g = todo.pop()
                if g not in out and g in graph:
                    out.append(g)
                    todo += graph[g]
            closures[f] = out
        return closures[f]

    withheld: Dict[str, Dict[str, str]] = {}
    for child, bases in graph.items():
        bases = [b for b in bases if b in keys_new]
        for k in sorted(set().union(*[keys_new[b] for b in bases]) if bases else ()):
            setters = [b for b in bases if k in keys_new[b]]
            if len(setters) < 2 or sum(k in keys_old[b] for b in setters) >= 2:
                continue
            owners = [b for b in setters if k in keys_old[b]] or \
                [b for b in setters if set(OWNER_OLD.get(k, ())) & keys_old[b]] or setters
            owner = owners[-1]
            owned = set(closure(owner))
            for b in setters:
                if b == owner:
                    continue
                for f in closure(b):
                    if f not in owned and k in keys_new.get(f, ()):
                        withheld.setdefault(f, {})[k] = owner
    return withheld


def _errors_in(src: str, stage: str, root: str, exc: MigrateError) -> str:
    """The error as the user should read it: staging paths replaced by the user's files."""
    return str(exc).replace(stage.rstrip(os.sep) + os.sep, root.rstrip(os.sep) + os.sep)


def convert_one(src: str, rel: str, stage: str, root: str, codebase: Optional[str],
                allow_exec: bool, withheld: Optional[Dict[str, str]] = None,
                memory: bool = False) -> TreeResult:
    """Emit `src` into `stage/rel` (in memory when `memory`), its bases being staged already.
    Self-checked. Never raises: any failure becomes an error result naming the file."""
    res = TreeResult(src, rel, root=root)
    try:
        _convert_one(res, Path(stage) / rel, stage, root, codebase, allow_exec, withheld, memory)
    except MigrateError as exc:
        res.status, res.error, res.text = "error", _errors_in(src, stage, root, exc), None
    except Exception as exc:    # noqa: BLE001 - one file never stops a tree
        res.status, res.text = "error", None
        res.error = (f"{src}: internal error: {type(exc).__name__}: {exc}; this file was not "
                     f"converted (please report this bug)")
    return res


def _convert_one(res: TreeResult, out: Path, stage: str, root: str, codebase: Optional[str],
                 allow_exec: bool, withheld: Optional[Dict[str, str]], memory: bool) -> None:
    src = res.src
    res.source = read_source(src)
    text = res.source.text
    check_source(src, text)
    res.old_fields = [str(f) for f in old_fields(src, text)]
    fc = load_file(src, allow_exec=allow_exec)
    loaded = load_config(src, allow_exec=allow_exec, copy=False)   # read (convert_kept copies)
    conv = convert_kept(loaded.cfg, src, loaded.sources, codebase, loaded.files)
    have: Dict = {}
    for b in fc.bases:
        have.update(load_config(Path(stage) / os.path.relpath(b, root), copy=False).cfg)
    want = dict(conv.new)
    for k, owner in sorted((withheld or {}).items()):
        want.pop(k, None)
        conv.report.warn(k, f"not written here: the sibling base {os.path.relpath(owner, root)} "
                            f"also sets it, and MMEngine refuses duplicate keys among bases; "
                            f"configs inheriting both restate it", location=Location(src))
    res.report = conv.report.to_dict()
    new_text = text
    if conv.changed or res.old_fields or withheld or _absolute_bases(fc, src):
        forced: set = set()
        for _ in range(2):
            new_text = emit_tree_file(Path(src), text, fc.own, have, want, conv.report, forced,
                                      root=root, trace=fc.trace)
            _stage(out, new_text, res.source, memory)  # the loader's cache checks the stamp
            got = load_config(out, copy=False).cfg
            bad = {k for k in set(got) | set(want) if not same(got.get(k), want.get(k))}
            if not bad:
                break
            forced |= bad
        else:
            raise MigrateError(f"internal: tree output differs from the flat conversion in "
                               f"{sorted(bad)}; please report this bug", file=src)
    else:
        _stage(out, text, res.source, memory)
    res.text = new_text
    if new_text != text:
        res.status = "converted"
    elif NEW_STYLE_FIELDS & set(loaded.cfg):
        res.status = "new-style"


def _absolute_bases(fc, src: str) -> bool:
    """`src` names a base by absolute path (rewritten relative, see emit.tree)."""
    return fc.base_line is not None and any(
        os.path.isabs(s) for s in _string_literals(read_source(src).text, fc.base_line))


def _string_literals(text: str, line: int) -> List[str]:
    import ast
    for node in ast.parse(text).body:
        if getattr(node, "lineno", None) == line:
            return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant)
                    and isinstance(n.value, str)]
    return []


def plan_withheld(graph: Dict[str, List[str]], codebase: Optional[str],
                  allow_exec: bool, progress=None) -> Dict[str, Dict[str, str]]:
    """Key sets of every file before and after conversion, for `sibling_conflicts`."""
    keys_old: Dict[str, Set[str]] = {}
    keys_new: Dict[str, Set[str]] = {}
    for i, f in enumerate(graph):
        if progress:
            progress(i, len(graph), "reading")
        try:
            loaded = load_config(f, allow_exec=allow_exec, copy=False)   # convert_kept copies
            new = set(convert_kept(loaded.cfg, f, loaded.sources, codebase, loaded.files,
                                   keep=True).new)
        except Exception:           # noqa: BLE001 - reported when the file is converted
            continue
        keys_old[f], keys_new[f] = set(loaded.cfg), new
    if progress:
        progress(len(graph), len(graph), "reading")
    return sibling_conflicts(graph, keys_old, keys_new)


def _stage(out: Path, text: str, source: SourceText = UTF8, memory: bool = False) -> None:
    if memory:
        staging.put(os.path.abspath(out), source.encode(text))
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(source.encode(text))


@few_collections()
def convert_tree(paths: Sequence[Path], *, jobs: int = 1, codebase: Optional[str] = None,
                 allow_exec: bool = False, progress=None, stage: Optional[Path] = None,
                 exclude: Sequence[Path] = (), skip=None) -> List[TreeResult]:
    """Convert every file under/inherited by `paths`. Nothing is written outside `stage` (a
    scratch directory; a temporary one when None): the caller commits `res.text` for each
    result. A file that cannot be converted is an error result, and so is every file that
    inherits from it; the others are converted."""
    clear_statements()
    graph = discover(paths, exclude, skip)
    root = str(common_root(list(graph), paths)) if graph else os.getcwd()
    # `codebase` is the --codebase override or None: each file's own is decided per file
    withheld = plan_withheld(graph, codebase, allow_exec, progress)
    own_stage = stage is None
    stage_dir = tempfile.mkdtemp(prefix="mmmigrate-") if own_stage else str(stage)
    results: List[TreeResult] = []
    failed: Dict[str, str] = {}
    pool = ProcessPoolExecutor(max_workers=jobs) if jobs > 1 and len(graph) > 16 else None
    try:
        for level in levels(graph):
            todo = []
            for f in level:
                bad = [b for b in graph[f] if b in failed]
                if bad:
                    results.append(TreeResult(f, os.path.relpath(f, root), "error", root=root, error=(
                        f"{f}: not converted: its base {bad[0]} could not be converted")))
                else:
                    todo.append((f, os.path.relpath(f, root), stage_dir, root, codebase,
                                 allow_exec, withheld.get(f), pool is None))
            done: List[TreeResult] = []

            def add(r: TreeResult) -> None:     # one progress step per file converted
                done.append(r)
                if progress:
                    progress(len(results) + len(done), len(graph))
            if pool and len(todo) > 1:
                try:
                    chunk = 1 if progress else max(1, len(todo) // (4 * jobs))
                    for r in pool.map(_convert_star, todo, chunksize=chunk):
                        add(r)
                except BrokenProcessPool:       # a worker died (e.g. out of memory): go serial
                    pool, done = None, []
            if not (pool and len(todo) > 1):
                for a in todo:
                    add(convert_one(*a))
            for r in done:
                if r.status == "error":
                    failed[r.src] = r.error
            results += done
            if progress:
                progress(len(results), len(graph))
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
        staging.drop_under(stage_dir)
        clear_statements()
        if own_stage:
            shutil.rmtree(stage_dir, ignore_errors=True)
    for r in results:
        r.bases = list(graph.get(r.src, ()))
    return sorted(results, key=lambda r: r.rel)


def _convert_star(a):
    return convert_one(*a)
