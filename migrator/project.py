"""Whole-tree conversion: which files, in which order, staged and self-checked before writing.

`migrate configs/ -o new/` and `migrate configs/x/child.py -o new/` both convert a set of files
plus everything they inherit from. Files are ordered so every base is emitted before its
children (levels of the inheritance graph; one level runs in parallel with `--jobs`). Every output
is written first to a staging directory that mirrors the tree, loaded back from there with the
static loader and compared with the flat conversion of its input; only then is it accepted.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

from .check import old_fields
from .convert import convert_dict, detect_codebase
from .emit.tree import NEW_FROM_OLD, emit_tree_file, normalize
from .errors import Location, MigrateError
from .load import load_config, load_file

CONFLICT_MARKERS = ("<<<<<<< ", ">>>>>>> ")


@dataclass
class TreeResult:
    src: str
    rel: str
    status: str = "unchanged"          # converted | unchanged | error
    text: Optional[str] = None
    error: Optional[str] = None
    report: dict = field(default_factory=dict)
    old_fields: List[str] = field(default_factory=list)
    root: str = ""


def discover(paths: Sequence[Path], skip=None) -> Dict[str, List[str]]:
    """Every config file to convert (absolute path) -> its bases, including inherited files.
    `skip`: files that are code, not configs (migrator/code)."""
    todo: List[str] = []
    for p in paths:
        if p.is_dir():
            todo += [str(f.resolve()) for f in sorted(p.rglob("*.py"))
                     if not any(part.startswith(".") for part in f.relative_to(p).parts)
                     and str(f.resolve()) not in (skip or ())]
        else:
            todo.append(str(p.resolve()))
    graph: Dict[str, List[str]] = {}
    while todo:
        f = todo.pop()
        if f in graph:
            continue
        try:
            bases = list(load_file(f).bases)
        except MigrateError:
            bases = []              # reported when the file itself is converted
        graph[f] = bases
        todo += [b for b in bases if b not in graph]
    return graph


def levels(graph: Dict[str, List[str]]) -> List[List[str]]:
    depth: Dict[str, int] = {}

    def d(f: str, seen=()) -> int:
        if f not in depth:
            if f in seen:
                raise MigrateError("circular _base_ inheritance", file=f)
            depth[f] = 1 + max((d(b, seen + (f,)) for b in graph.get(f, []) if b in graph), default=-1)
        return depth[f]
    for f in graph:
        d(f)
    out: List[List[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for f in sorted(graph):
        out[depth[f]].append(f)
    return out


def common_root(files: Sequence[str], paths: Sequence[Path]) -> Path:
    anchors = [str(p.resolve()) if p.is_dir() else str(p.resolve().parent) for p in paths]
    return Path(os.path.commonpath(list(files) + anchors))


def tree_codebase(files: Sequence[str]) -> Optional[str]:
    votes = Counter()
    for f in files:
        try:
            cb = detect_codebase(load_config(f).cfg, f)
        except MigrateError:
            continue
        if cb:
            votes[cb] += 1
    return votes.most_common(1)[0][0] if votes else None


def check_source(src: str, text: str) -> None:
    for i, line in enumerate(text.splitlines(), 1):
        if line.startswith(CONFLICT_MARKERS):
            raise MigrateError("unresolved merge conflict marker", file=src, line=i)


# The old field whose file "owns" a new field when two sibling bases would both set it.
OWNER_OLD: Dict[str, Tuple[str, ...]] = {
    "env_cfg": ("dist_params",), "default_hooks": ("checkpoint_config", "log_config"),
    "train_cfg": ("runner", "total_epochs"), "optim_wrapper": ("optimizer",),
    "param_scheduler": ("lr_config",), "randomness": ("seed", "deterministic"),
    "val_cfg": ("data",), "test_cfg": ("data",), "val_evaluator": ("evaluation",),
    "test_evaluator": ("evaluation",), "log_processor": ("log_config",),
    "vis_backends": ("log_config",), "visualizer": ("log_config",),
    "load_from": ("load_from", "resume_from"), "resume": ("resume_from", "load_from"),
}


def sibling_conflicts(graph: Dict[str, List[str]], keys_old: Dict[str, Set[str]],
                      keys_new: Dict[str, Set[str]], own_old: Dict[str, Set[str]]) -> Dict[str, Dict[str, str]]:
    """New fields that two bases of one file would both set (MMEngine refuses duplicate keys
    among bases) although their old fields did not collide: e.g. `cudnn_benchmark` in a model
    base and `dist_params` in the runtime base both become `env_cfg`. The field stays in the base
    that owns it (OWNER_OLD); in the other, the file writing the old field withholds it, and
    configs that inherit both restate it. Returns {file: {withheld field: owner file}}."""
    def closure(f: str) -> List[str]:
        out, todo = [], [f]
        while todo:
            g = todo.pop()
            if g not in out and g in graph:
                out.append(g)
                todo += graph[g]
        return out

    withheld: Dict[str, Dict[str, str]] = {}
    for child, bases in graph.items():
        bases = [b for b in bases if b in keys_new]
        for k in sorted(set().union(*[keys_new[b] for b in bases]) if bases else ()):
            setters = [b for b in bases if k in keys_new[b]]
            if len(setters) < 2 or sum(k in keys_old[b] for b in setters) >= 2:
                continue
            owners = [b for b in setters if set(OWNER_OLD.get(k, ())) & keys_old[b]] or setters
            owner = owners[-1]
            owned = set(closure(owner))
            for b in setters:
                if b == owner:
                    continue
                for f in closure(b):
                    if f in owned:
                        continue
                    if any(k in NEW_FROM_OLD.get(o, ()) or k == o for o in own_old.get(f, ())) \
                            or k in own_old.get(f, ()):
                        withheld.setdefault(f, {})[k] = owner
    return withheld


def convert_one(src: str, rel: str, stage: str, root: str, codebase: Optional[str],
                allow_exec: bool, withheld: Optional[Dict[str, str]] = None) -> TreeResult:
    """Emit `src` into `stage/rel`, its bases being staged already. Self-checked."""
    res = TreeResult(src, rel, root=root)
    out = Path(stage) / rel
    try:
        text = Path(src).read_text(encoding="utf-8")
        check_source(src, text)
        res.old_fields = [str(f) for f in old_fields(src, text)]
        fc = load_file(src, allow_exec=allow_exec)
        loaded = load_config(src, allow_exec=allow_exec)
        conv = convert_dict(loaded.cfg, src, loaded.sources, codebase)
        res.report = conv.report.to_dict()
        have: Dict = {}
        for b in fc.bases:
            have.update(load_config(Path(stage) / os.path.relpath(b, root)).cfg)
        want = dict(conv.new)
        for k, owner in sorted((withheld or {}).items()):
            want.pop(k, None)
            conv.report.warn(k, f"not written here: the sibling base {os.path.relpath(owner, root)} "
                                f"also sets it, and MMEngine refuses duplicate keys among bases; "
                                f"configs inheriting both restate it", location=Location(src))
        res.report = conv.report.to_dict()
        new_text = text
        if conv.changed or res.old_fields or withheld:
            forced: set = set()
            for _ in range(2):
                new_text = emit_tree_file(Path(src), text, fc.own, have, want, conv.report, forced)
                _stage(out, new_text)      # the loader's cache checks mtime and content
                got = load_config(out).cfg
                bad = {k for k in set(got) | set(want) if normalize(got.get(k)) != normalize(want.get(k))}
                if not bad:
                    break
                forced |= bad
            else:
                raise MigrateError(f"internal: tree output differs from the flat conversion in "
                                   f"{sorted(bad)}; please report this bug", file=src)
        else:
            _stage(out, text)
        res.text = new_text
        res.status = "converted" if new_text != text else "unchanged"
    except MigrateError as exc:
        res.status, res.error = "error", str(exc)
        _stage(out, Path(src).read_text(encoding="utf-8") if Path(src).exists() else "")
    return res


def plan_withheld(graph: Dict[str, List[str]], codebase: Optional[str],
                  allow_exec: bool) -> Dict[str, Dict[str, str]]:
    """Key sets of every file before and after conversion, for `sibling_conflicts`."""
    keys_old: Dict[str, Set[str]] = {}
    keys_new: Dict[str, Set[str]] = {}
    own_old: Dict[str, Set[str]] = {}
    for f in graph:
        try:
            loaded = load_config(f, allow_exec=allow_exec)
            keys_old[f] = set(loaded.cfg)
            keys_new[f] = set(convert_dict(loaded.cfg, f, loaded.sources, codebase).new)
            own_old[f] = {o.field for o in old_fields(f)}
        except MigrateError:
            continue
    return sibling_conflicts(graph, keys_old, keys_new, own_old)


def _stage(out: Path, text: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")


def convert_tree(paths: Sequence[Path], *, jobs: int = 1, codebase: Optional[str] = None,
                 allow_exec: bool = False, progress=None, skip=None) -> List[TreeResult]:
    """Convert every file under/inherited by `paths`. Nothing is written outside a temp dir:
    the caller writes `res.text` for each result (atomically)."""
    graph = discover(paths, skip)
    root = common_root(list(graph), paths)
    codebase = codebase or tree_codebase(list(graph))
    withheld = plan_withheld(graph, codebase, allow_exec)
    stage = tempfile.mkdtemp(prefix="mmmigrate-")
    results: List[TreeResult] = []
    try:
        pool = ProcessPoolExecutor(max_workers=jobs) if jobs > 1 and len(graph) > 16 else None
        for level in levels(graph):
            args = [(f, os.path.relpath(f, root), stage, str(root), codebase, allow_exec,
                     withheld.get(f)) for f in level]
            if pool:
                done = list(pool.map(_convert_star, args, chunksize=max(1, len(args) // (4 * jobs))))
            else:
                done = [convert_one(*a) for a in args]
            results += done
            if progress:
                progress(len(results), len(graph))
        if pool:
            pool.shutdown()
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return sorted(results, key=lambda r: r.rel)


def _convert_star(a):
    return convert_one(*a)
