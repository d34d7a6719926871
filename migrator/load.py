"""Load an MMCV 1.x config file the way `mmcv.Config.fromfile` sees it, without executing it.

MMCV behaviour (mmcv/utils/config.py, 1.7.2):
  * `{{ fileDirname }}`, `{{ fileBasename }}`, `{{ fileBasenameNoExtension }}`, `{{ fileExtname }}`
    are replaced textually before the file is parsed;
  * `_base_` (a path or a list of paths, relative to the file) names files loaded first; their
    top-level keys must be disjoint ("Duplicate key is not allowed among bases");
  * the child is merged into the merged bases: dicts recursively, everything else (lists too)
    replaced; a child dict carrying `_delete_=True` replaces the base dict instead; base keys keep
    their position, new keys are appended in the child's order;
  * `{{ _base_.a.b }}` stands for a value of the merged bases;
  * top-level dunder names, modules and functions are not config keys; `_deprecation_` is dropped.
MMEngine behaviour also supported: the name `_base_` bound to the merged bases in the child.

Differences, on purpose: `_delete_` is removed from every dict reachable through dicts of the
result (MMCV leaves it in place when the key is new or when the file has no bases; such a key
would only break the builder), and the supersets listed in `static_eval`.

Files are evaluated by `static_eval.Interpreter`; `allow_exec=True` executes the files that the
static subset rejects, in a fresh namespace (as MMCV would). `.json`/`.yaml` configs are read as
data. Parsed trees and results are cached per process, keyed by absolute path,
mtime and a checksum of the text.
"""
from __future__ import annotations

import ast
import contextlib
import copy
import gc
import json
import os
import re
import time
import types
import zlib
from dataclasses import dataclass, field as dc_field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

from . import staging
from .copying import clone as _clone
from .errors import Location, MigrateError
from .provenance import Trace, TracingInterpreter
from .static_eval import Interpreter, Unsupported
from .static_limits import MAX_VALUE_NODES, Refused, dotted, inspect_value

BASE_KEY = "_base_"
DELETE_KEY = "_delete_"
DEPRECATION_KEY = "_deprecation_"
PREDEFINED = ("fileDirname", "fileBasename", "fileBasenameNoExtension", "fileExtname")
BASE_PLACEHOLDER = re.compile(r"\{\{\s*" + BASE_KEY + r"\.([\w.]+)\s*\}\}")

PathLike = Union[str, Path]


@dataclass
class FileConfig:
    """One config file, unmerged: what it assigns itself and which files it builds on."""
    path: str
    bases: List[str] = dc_field(default_factory=list)
    own: Dict[str, Any] = dc_field(default_factory=dict)
    sources: Dict[str, Location] = dc_field(default_factory=dict)
    base_line: Optional[int] = None           # line of the `_base_ = ...` assignment
    trace: Trace = dc_field(default_factory=Trace)   # base references, string expressions


@dataclass
class Loaded:
    """The merged config of a file and its bases, as MMCV's `Config` holds it."""
    cfg: Dict[str, Any]
    sources: Dict[str, Location]
    files: List[str]


# --------------------------------------------------------------------------- public API
def load_config(path: PathLike, allow_exec: bool = False, copy: bool = True) -> Loaded:
    """Merged config of `path` (see the module docstring). Raises MigrateError.
    `copy=False`: the cached config itself, for a caller that only reads it."""
    result = _load(_abspath(path), allow_exec, ())
    return Loaded(cfg=_clone(result.cfg) if copy else dict(result.cfg),
                  sources=dict(result.sources), files=list(result.files))


def load_file(path: PathLike, allow_exec: bool = False) -> FileConfig:
    """`path` alone: its own assignments evaluated against its (merged) bases."""
    _load(_abspath(path), allow_exec, ())       # evaluated once per process (cached with its bases)
    fc = _LOADED[(_abspath(path), allow_exec)][2]
    return FileConfig(path=fc.path, bases=list(fc.bases), own=_clone(fc.own),
                      sources=dict(fc.sources), base_line=fc.base_line, trace=fc.trace)


def clear_cache() -> None:
    _TREES.clear()
    _SEEN.clear()
    _PARSED.clear()
    _LOADED.clear()


@contextlib.contextmanager
def few_collections(threshold: int = 50_000):
    """Cyclic garbage collection at most every `threshold` new objects (instead of 700) for a
    whole-tree run: the loader's caches hold every config of the tree, and with Python's default
    thresholds the collector kept walking them (~18% of a tree conversion of mmdet 2.28.2, in
    1,500 collections). Config data and syntax trees hold no reference cycles; the previous
    thresholds are restored on exit. Also a decorator."""
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], threshold), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


# --------------------------------------------------------------------------- caches
Stamp = Tuple[int, int, int]
_PARSED: Dict[str, Tuple[Stamp, Any]] = {}          # path -> (stamp, (tree|data, text))
_LOADED: Dict[Tuple[str, bool], Tuple[List[Tuple[str, Stamp]], Loaded, FileConfig]] = {}


def _abspath(path: PathLike) -> str:
    return os.path.abspath(os.path.expanduser(str(path)))


def _stamp(path: str) -> Stamp:
    """mtime, size and a checksum: a file rewritten within the clock's granularity is still seen
    (stat first: a write after the stat changes the mtime). A file staged in memory has its own."""
    staged = staging.stamp(path)
    if staged is not None:
        return staged
    st = os.stat(path)
    with open(path, "rb") as f:
        data = f.read()
    stamp = (st.st_mtime_ns, st.st_size, zlib.crc32(data))
    _SEEN[path] = (stamp, time.time_ns())
    return stamp


_SEEN: Dict[str, Tuple[Stamp, int]] = {}     # path -> (stamp, when it was read)
_RACY_NS = 2_000_000_000    # coarser than any file system clock (FAT: 2 s)


def _fresh(path: str, stamp: Stamp) -> bool:
    """The file still has `stamp`. Its content is read again only when its mtime is close to
    the time it was read at (a write in the same clock tick keeps the mtime, as git's "racily
    clean" entries): a file last modified well before it was read keeps its content while its
    mtime and size stay."""
    staged = staging.stamp(path)
    if staged is not None:
        return staged == stamp
    seen = _SEEN.get(path)
    if seen is not None and seen[0] == stamp and stamp[0] < seen[1] - _RACY_NS:
        st = os.stat(path)
        if (st.st_mtime_ns, st.st_size) == stamp[:2]:
            return True
    return _stamp(path) == stamp


def _load(path: str, allow_exec: bool, stack: Tuple[str, ...]) -> Loaded:
    key = (path, allow_exec)
    hit = _LOADED.get(key)
    if hit is not None:
        deps, loaded, _fc = hit
        try:
            if all(_fresh(p, s) for p, s in deps):
                return loaded
        except OSError:
            pass
    fc, merged, files = _evaluate(path, allow_exec, stack)
    sources: Dict[str, Location] = dict(merged[1])
    cfg = _merge(fc.own, merged[0], fc, ())
    for k in fc.own:
        sources[k] = fc.sources[k]
    cfg.pop(DEPRECATION_KEY, None)
    sources.pop(DEPRECATION_KEY, None)
    loaded = Loaded(cfg=cfg, sources={k: sources[k] for k in cfg if k in sources}, files=files)
    # the stamps of the texts that were evaluated (not read again)
    _LOADED[key] = ([(p, _PARSED[p][0] if p in _PARSED else _stamp(p)) for p in files], loaded, fc)
    return loaded


def _evaluate(path: str, allow_exec: bool, stack: Tuple[str, ...]):
    """Returns (FileConfig, (merged_base_cfg_after_child_ran, base_sources), files)."""
    if path in stack:
        cycle = " -> ".join(os.path.basename(p) for p in stack + (path,))
        parent = stack[-1]
        raise MigrateError(f"circular _base_ inheritance: {cycle} ({' -> '.join(stack + (path,))})",
                           file=parent, line=_base_line_of(parent), field=BASE_KEY)
    kind, parsed, text = _parse(path)
    stack = stack + (path,)
    fc = FileConfig(path=path)

    if kind == "data":
        base_spec, base_line = parsed.pop(BASE_KEY, None), None
    else:
        base_spec, base_line = _find_base_spec(parsed, path)
    fc.base_line = base_line
    fc.bases = _resolve_bases(base_spec, path, base_line)

    base_cfg: Dict[str, Any] = {}
    base_sources: Dict[str, Location] = {}
    files: List[str] = []
    owner: Dict[str, str] = {}
    for b in fc.bases:
        sub = _load(b, allow_exec, stack)
        dup = [k for k in sub.cfg if k in base_cfg]
        if dup:
            raise MigrateError(
                f"Duplicate key is not allowed among bases: {', '.join(sorted(dup))} "
                f"(set in both {owner[dup[0]]} and {b})",
                file=path, line=base_line, field=dup[0])
        for k in sub.cfg:
            owner[k] = b
        base_cfg.update(_clone(sub.cfg))
        base_sources.update(sub.sources)
        files.extend(f for f in sub.files if f not in files)
    files.append(path)

    if kind == "data":
        lines: Dict[str, Optional[int]] = {}
        _check_values(parsed, lines, path)      # before walking it (yaml aliases may loop)
        fc.own = _substitute_placeholders(parsed, base_cfg, path)
    else:
        fc.own, lines, fc.trace = _run(parsed, text, path, base_cfg, base_line, allow_exec)
    _check_values(fc.own, lines, path)
    fc.sources = {k: Location(path, lines.get(k)) for k in fc.own}
    return fc, (base_cfg, base_sources), files


def _parse(path: str):
    """(kind, tree-or-data, text) with predefined variables substituted; cached by mtime."""
    hit = _PARSED.get(path)
    try:
        stamp = hit[0] if hit is not None and _fresh(path, hit[0]) else _stamp(path)
    except OSError:
        raise MigrateError(f"config file not found: {path}", file=path) from None
    if hit is not None and hit[0] == stamp:
        kind, parsed, text = hit[1]
        return kind, (copy.deepcopy(parsed) if kind == "data" else parsed), text
    ext = os.path.splitext(path)[1]
    if ext not in (".py", ".json", ".yaml", ".yml"):
        raise MigrateError(f"unsupported config type '{ext}' (py/json/yaml/yml only)", file=path)
    from .io import decode_source, read_text   # encoding cookie, clean error on bad bytes
    staged = staging.content(path)
    text = read_text(path) if staged is None else decode_source(staged, path).text
    text = _substitute_predefined(text, path)
    if ext == ".py":
        parsed = parse_python(text, path)
        kind = "py"
    else:
        parsed = _load_data(text, ext, path)
        kind = "data"
    _PARSED[path] = (stamp, (kind, parsed, text))
    return kind, (copy.deepcopy(parsed) if kind == "data" else parsed), text


_TREES: Dict[str, ast.Module] = {}     # the last few parsed texts (the tree depends on the text only)


def parse_python(text: str, path: str) -> ast.Module:
    """The file's syntax tree, with every error Python itself reports before running a file
    (compiling it without running: `dict(lr=0.1, lr=0.2)` is "keyword argument repeated", as
    under MMCV and MMEngine, which import/exec the file). The caller must not modify the tree
    (`--check` and the loader parse the same text one after the other, a tree run loads back
    an output equal to its input: parsed once)."""
    key = text
    hit = _TREES.get(key)
    if hit is not None:
        return hit
    try:
        tree = ast.parse(text, filename=path)
        compile(tree, path, "exec", dont_inherit=True)
    except SyntaxError as e:
        raise MigrateError(f"syntax error: {e.msg}", file=path, line=e.lineno) from None
    except (RecursionError, MemoryError):
        raise MigrateError("syntax error: the file is nested too deeply to parse",
                           file=path) from None
    except ValueError as e:            # e.g. "source code string cannot contain null bytes"
        raise MigrateError(f"syntax error: {e}", file=path) from None
    if len(_TREES) >= 4096:          # a whole tree: `old_fields` and the loader share them
        _TREES.pop(next(iter(_TREES)))
    _TREES[key] = tree
    return tree


def _check_values(own: Dict[str, Any], lines: Dict[str, Optional[int]], path: str) -> None:
    """Every value a file defines must be one an MMEngine config can hold (static_limits)."""
    budget = MAX_VALUE_NODES                 # shared by the file's values
    for name, value in own.items():
        try:
            budget -= inspect_value(value, max_nodes=budget)
        except Refused as e:
            raise MigrateError(e.message, file=path, line=lines.get(name),
                               field=dotted(name, e.path)) from None


def _substitute_predefined(text: str, path: str) -> str:
    basename = os.path.basename(path)
    values = {
        "fileDirname": os.path.dirname(path),
        "fileBasename": basename,
        "fileBasenameNoExtension": os.path.splitext(basename)[0],
        "fileExtname": os.path.splitext(path)[1],
    }
    for name in PREDEFINED:
        if name in text:
            value = values[name].replace("\\", "/")
            text = re.sub(r"\{\{\s*" + name + r"\s*\}\}", lambda m: value, text)
    return text


def _load_data(text: str, ext: str, path: str) -> Dict[str, Any]:
    try:
        if ext == ".json":
            data = json.loads(text)
        else:
            import yaml   # optional dependency, only for yaml configs
            data = yaml.safe_load(text)
    except Exception as e:
        line = getattr(e, "lineno", None)
        mark = getattr(e, "problem_mark", None)
        if mark is not None:
            line = mark.line + 1
        raise MigrateError(f"cannot parse {ext[1:]} config: {e}", file=path, line=line) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise MigrateError(f"a config must be a mapping, got {type(data).__name__}", file=path)
    return data


def _find_base_spec(tree: ast.Module, path: str):
    """The first top-level `_base_ = ...` (as MMEngine reads it): a literal, evaluated alone."""
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name) \
                and stmt.targets[0].id == BASE_KEY:
            try:
                return Interpreter().eval(stmt.value), stmt.lineno
            except Unsupported as e:
                raise MigrateError(f"_base_ must be a literal path or list of paths: {e.message}",
                                   file=path, line=stmt.lineno, field=BASE_KEY) from None
    return None, None


def _base_line_of(path: str) -> Optional[int]:
    try:
        kind, tree, _ = _parse(path)
    except MigrateError:
        return None
    return _find_base_spec(tree, path)[1] if kind == "py" else None


def _resolve_bases(spec: Any, path: str, line: Optional[int]) -> List[str]:
    if spec is None:
        return []
    specs = spec if isinstance(spec, list) else [spec]
    out = []
    for s in specs:
        if not isinstance(s, str):
            raise MigrateError(f"_base_ entries must be path strings, got {s!r}",
                               file=path, line=line, field=BASE_KEY)
        if "::" in s:
            raise MigrateError(f"cross-package base '{s}' is not supported (MMEngine-only syntax)",
                               file=path, line=line, field=BASE_KEY)
        full = os.path.normpath(os.path.join(os.path.dirname(path), s))
        if not os.path.isfile(full) and staging.stamp(full) is None:
            raise MigrateError(f"_base_ file not found: {s} (resolved to {full})",
                               file=path, line=line, field=BASE_KEY)
        out.append(full)
    return out


# --------------------------------------------------------------------------- evaluation
def _is_base_assign(stmt: ast.stmt) -> bool:
    return (isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name)
            and stmt.targets[0].id == BASE_KEY)


def _top_name(stmt: ast.stmt) -> Optional[str]:
    """The config key a statement sets (the error's `field`)."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return (stmt.names[0].asname or stmt.names[0].name).split(".")[0]
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return stmt.name
    targets = getattr(stmt, "targets", None) or [getattr(stmt, "target", None)]
    node = targets[0] if targets else None
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _run(tree: ast.Module, text: str, path: str, base_cfg: Dict[str, Any],
         base_line: Optional[int], allow_exec: bool):
    interp = TracingInterpreter(fallback=base_cfg, base=base_cfg, source_size=len(text))
    try:
        for stmt in tree.body:
            if _is_base_assign(stmt):
                continue
            try:
                interp.exec_stmt(stmt)
            except Unsupported as e:
                node = e.node if getattr(e.node, "lineno", None) else stmt
                raise MigrateError(e.message, file=path, line=node.lineno,
                                   field=_top_name(stmt)) from None
            except RecursionError:
                raise MigrateError("expression nested too deeply", file=path, line=stmt.lineno,
                                   field=_top_name(stmt)) from None
    except MigrateError as err:
        if not allow_exec or not _rejected_construct(err):
            raise
        return _exec(tree, text, path, base_cfg) + (Trace(),)
    own = {k: v for k, v in interp.ns.items() if not k.startswith("__") and k != BASE_KEY}
    return own, interp.lines, interp.finish()


def _rejected_construct(err: MigrateError) -> bool:
    msg = err.message
    return ("outside the static" in msg or "is not allowed in a config" in msg
            or "is not defined" in msg)


def _exec(tree: ast.Module, text: str, path: str, base_cfg: Dict[str, Any]):
    """allow_exec: run the file like MMCV/MMEngine do, in a fresh namespace."""
    refs: Dict[str, str] = {}

    def placeholder(m: "re.Match") -> str:
        token = f"__mmmigrate_base_{len(refs)}__"
        refs[token] = m.group(1)
        return repr(token)

    src = BASE_PLACEHOLDER.sub(placeholder, text)
    try:
        module = ast.parse(src, filename=path)
    except SyntaxError as e:
        raise MigrateError(f"syntax error: {e.msg}", file=path, line=e.lineno) from None
    module.body = [s for s in module.body if not _is_base_assign(s)]
    ns: Dict[str, Any] = {BASE_KEY: _AttrDict.wrap(copy.deepcopy(base_cfg)), "__file__": path}
    try:
        exec(compile(module, path, "exec"), ns)   # noqa: S102 - explicitly requested by the caller
    except Exception as e:   # report any failure of the user's code as a config error
        line = _traceback_line(e, path)
        raise MigrateError(f"executing the config failed: {type(e).__name__}: {e}",
                           file=path, line=line) from None
    own = {}
    for k, v in ns.items():
        if k.startswith("__") or k == BASE_KEY or isinstance(
                v, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type)):
            continue
        try:
            own[k] = _plain(_replace_refs(v, refs, base_cfg, path))
        except RecursionError:
            raise MigrateError("value nested too deeply (or containing itself)", file=path,
                               field=k) from None
    lines: Dict[str, int] = {}
    for stmt in tree.body:
        name = _top_name(stmt)
        if name in own:
            lines[name] = stmt.lineno
    return own, lines


def _traceback_line(e: BaseException, path: str) -> Optional[int]:
    tb, line = e.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == path:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _replace_refs(v: Any, refs: Dict[str, str], base: Dict[str, Any], path: str) -> Any:
    if isinstance(v, str) and v in refs:
        cur: Any = base
        for part in refs[v].split("."):
            try:
                cur = cur[part]
            except (KeyError, TypeError, IndexError):
                raise MigrateError(f"{{{{_base_.{refs[v]}}}}} not found in the bases",
                                   file=path) from None
        return copy.deepcopy(cur)
    if isinstance(v, dict):
        return {k: _replace_refs(x, refs, base, path) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_replace_refs(x, refs, base, path) for x in v)
    return v


class _AttrDict(dict):
    """A dict whose keys read as attributes (MMEngine's ConfigDict), for executed configs."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        self[name] = value

    @classmethod
    def wrap(cls, v):
        if isinstance(v, dict):
            return cls({k: cls.wrap(x) for k, x in v.items()})
        if isinstance(v, (list, tuple)):
            return type(v)(cls.wrap(x) for x in v)
        return v


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, tuple):
        return tuple(_plain(x) for x in v)
    return v


def _substitute_placeholders(v: Any, base: Dict[str, Any], path: str) -> Any:
    """`{{ _base_.x }}` written as a whole string value in a json/yaml config."""
    if isinstance(v, str):
        m = BASE_PLACEHOLDER.fullmatch(v.strip())
        if m:
            return _replace_refs("t", {"t": m.group(1)}, base, path)
        return v
    if isinstance(v, dict):
        return {k: _substitute_placeholders(x, base, path) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_substitute_placeholders(x, base, path) for x in v)
    return v


# --------------------------------------------------------------------------- merging
def _merge(child: Dict[str, Any], base: Dict[str, Any], fc: FileConfig,
           prefix: Tuple[str, ...]) -> Dict[str, Any]:
    """MMCV's `_merge_a_into_b`: the child wins, dicts merge unless `_delete_`, lists replace."""
    out = dict(base)
    for k, v in child.items():
        if isinstance(v, dict):
            if k in out and not v.get(DELETE_KEY, False):
                if not isinstance(out[k], dict):
                    top = prefix[0] if prefix else k
                    loc = fc.sources.get(top) or Location(fc.path)
                    dotted = ".".join(prefix + (str(k),))
                    raise MigrateError(
                        f"{dotted} is a dict in the child config but a "
                        f"{type(out[k]).__name__} ({out[k]!r:.60}) in its base; set "
                        f"`_delete_=True` to replace the base value",
                        file=loc.file, line=loc.line, field=dotted)
                out[k] = _merge({a: b for a, b in v.items() if a != DELETE_KEY}, out[k], fc,
                                prefix + (str(k),))
            else:
                out[k] = _strip_delete(v)
        else:
            out[k] = v
    return out


def _strip_delete(v: Dict[str, Any]) -> Dict[str, Any]:
    return {k: (_strip_delete(x) if isinstance(x, dict) else x)
            for k, x in v.items() if k != DELETE_KEY}
