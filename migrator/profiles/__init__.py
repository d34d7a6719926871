"""Codebase profiles: what a converted config needs to build in its new codebase.

The generic rules (`migrator/rules/`) convert what MMCV's Runner owned; a profile then converts
what the codebase owned, on the new-style config they produced: `*_dataloader.dataset` (still with
the old dataset fields and pipelines), the top-level pipeline variables, `model`, the evaluators,
`default_scope`, `visualizer`, `custom_hooks`. `ctx.old` holds the original old config.

A profile is a package `migrator/profiles/<name>/` with `NAME`, `SCOPE`, `VISUALIZER` (optional),
`RULES` (ordered rule modules, each `apply(cfg, ctx) -> cfg` without mutating its input) and
`tables.py` (data). The codebase is decided per file (`detect`): the file's own `default_scope`,
then its dataset types, its model type, the names of its `_base_` files, its directories
below its tree's root (or the package of an installed `<pkg>/.mim/configs` tree); `--codebase`
overrides. A codebase without a profile gets no codebase-specific settings, and the report says
so.
"""
from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

from . import detection as D

PROFILES = {"mmdet": "migrator.profiles.mmdet", "mmpretrain": "migrator.profiles.mmpretrain",
            "mmseg": "migrator.profiles.mmseg"}


def _dataset_types(cfg: Dict[str, Any]) -> List[str]:
    out: List[str] = []

    def visit(d):
        if isinstance(d, list):
            for x in d:
                visit(x)
        elif isinstance(d, dict):
            if isinstance(d.get("type"), str):
                out.append(d["type"])
            for k in ("dataset", "datasets"):
                visit(d.get(k))
    data = cfg.get("data")
    if isinstance(data, dict):
        for split in ("train", "val", "test"):
            visit(data.get(split))
    for split in ("train", "val", "test"):
        loader = cfg.get(f"{split}_dataloader")
        if isinstance(loader, dict):
            visit(loader.get("dataset"))
    if isinstance(cfg.get("dataset_type"), str):
        out.append(cfg["dataset_type"])
    return out


def normalise(name: Optional[str]) -> Optional[str]:
    """A scope or package name as a profile name (mmcls -> mmpretrain); others unchanged."""
    if not isinstance(name, str) or not name:
        return None
    return D.ALIASES.get(name, name)


def detect(cfg: Dict[str, Any], path: Optional[str] = None,
           bases: Iterable[str] = (), override: Optional[str] = None) -> Optional[str]:
    """The codebase of one (old or new) config with its bases merged, or None when nothing in it
    says. A name that is not a profile (e.g. a `default_scope='mmpose'`) is returned as it is."""
    if override:
        return normalise(override)
    scope = cfg.get("default_scope")
    if isinstance(scope, str) and scope:
        return normalise(scope)
    for t in _dataset_types(cfg):
        for cb, names in D.DATASETS.items():
            if t in names:
                return cb
    model = cfg.get("model")
    if isinstance(model, dict):
        for cb, names in D.MODELS.items():
            if model.get("type") in names:
                return cb
        if any(model.get("type") in names for names in D.OTHER_MODELS.values()):
            return None         # e.g. an mmpose TopDown: no hint below may make it mmdet
    for b in bases:
        name = Path(str(b)).name
        for cb, hints in D.BASE_NAMES.items():
            if any(h in name for h in hints):
                return cb
    for part in reversed(_path_parts(path, bases)):
        if part in D.PATH_PARTS:
            return D.PATH_PARTS[part]
    return None


def _path_parts(path: Optional[str], bases: Iterable[str] = ()) -> tuple:
    """The path components that may name a codebase: the directories of `path` below the root
    of its config tree (the deepest directory holding it and all its `_base_` files), and the
    package owning an installed tree (`<package>/.mim/configs/...`). Directories above the tree
    (a home or work directory that happens to be called `mmdet`) say nothing."""
    if not path:
        return ()
    p = Path(os.path.abspath(str(path)))
    dirs = [p.parent] + [Path(os.path.abspath(str(b))).parent for b in bases]
    try:
        root = Path(os.path.commonpath([str(d) for d in dirs]))
    except ValueError:                     # different drives
        root = p.parent
    parts = p.parent.parts
    out = list(parts[len(root.parts):])
    if ".mim" in parts:
        at = len(parts) - 1 - parts[::-1].index(".mim")
        if at > 0:
            out.insert(0, parts[at - 1])
    return tuple(out)


def load(name: Optional[str]):
    """The profile package for `name`, or None when there is none."""
    mod = PROFILES.get(normalise(name) or "")
    return importlib.import_module(mod) if mod else None


# what a profile would convert: a file with none of these needs no profile
CODEBASE_KEYS = ("model", "train_dataloader", "val_dataloader", "test_dataloader",
                 "train_pipeline", "test_pipeline", "val_evaluator", "test_evaluator")


def _runtime(cfg: Dict[str, Any], ctx, prof) -> Dict[str, Any]:
    """default_scope where the runtime settings are (as the codebases' default_runtime.py), the
    codebase's visualizer in place of the generic one the hooks rule wrote."""
    out = cfg
    if "default_scope" not in cfg and any(k in cfg for k in ("default_hooks", "log_level")):
        out = dict(out)
        out["default_scope"] = prof.SCOPE
    vis = cfg.get("visualizer")
    new_vis = getattr(prof, "VISUALIZER", None)
    old = ctx.old if isinstance(ctx.old, dict) else {}
    if new_vis and isinstance(vis, dict) and vis.get("type") == "Visualizer" \
            and "visualizer" not in old:
        out = dict(out)
        out["visualizer"] = {**vis, "type": new_vis}
    return out


def apply_profile(cfg: Dict[str, Any], ctx) -> Dict[str, Any]:
    """Run the profile of `ctx.codebase` on a config the generic rules converted."""
    prof = load(ctx.codebase)
    ctx.report.codebase = ctx.codebase
    if prof is None:
        if any(k in cfg for k in CODEBASE_KEYS):
            what = f"codebase {ctx.codebase!r} has no profile" if ctx.codebase else \
                "codebase not recognised"
            ctx.report.codebase_note = (f"{what}: datasets, pipelines, metrics and the model were "
                                        "left as they are (use --codebase to choose one of "
                                        f"{', '.join(sorted(PROFILES))})")
        return cfg
    cfg = _runtime(cfg, ctx, prof)
    for rule in prof.RULES:
        cfg = rule.apply(cfg, ctx)
    return cfg
