"""Find every pipeline of a (new-style, profile-stage) config and rewrite them all consistently.

Old behaviour: pipelines live in top-level variables (`train_pipeline`, `test_pipeline`, ...) and
in the `pipeline` field of every dataset, wrapper datasets included (RepeatDataset/
ClassBalancedDataset `dataset`, ConcatDataset `datasets`, MultiImageMixDataset's own `pipeline`).
New behaviour: the same places hold the converted pipelines; what moved out of them
(Normalize/Pad) is merged into `data_preprocessor`; a test pipeline that held
MultiScaleFlipAug with several scales/flips adds `tta_pipeline` and the profile's `tta_model`.

Every distinct old pipeline is converted once (a cache keyed by its value), so a variable and the
dataset fields that use it stay equal and the emitter keeps writing `pipeline=test_pipeline`.
Findings are reported once per distinct pipeline, at the first place it appears.
"""
from __future__ import annotations

from typing import Any, Dict, Iterator, List, Tuple

from ...copying import deep_copy
from .pipeline import Converted, PipelineSpec, convert

SPLITS = ("train", "val", "test")
Path = Tuple[Any, ...]


def _is_pipeline(name: str, value: Any, spec: PipelineSpec) -> bool:
    if not isinstance(value, list) or not value:
        return False
    if not all(isinstance(t, dict) and isinstance(t.get("type"), str) for t in value):
        return False
    return "pipeline" in name or any(t["type"] in spec.table for t in value)


def _dataset_pipelines(ds: Any, path: Path) -> Iterator[Path]:
    if isinstance(ds, list):
        for i, d in enumerate(ds):
            yield from _dataset_pipelines(d, path + (i,))
        return
    if not isinstance(ds, dict):
        return
    if isinstance(ds.get("pipeline"), list):
        yield path + ("pipeline",)
    for k in ("dataset", "datasets"):
        if k in ds:
            yield from _dataset_pipelines(ds[k], path + (k,))


def find_pipelines(cfg: Dict[str, Any], spec: PipelineSpec) -> List[Path]:
    """Paths of every pipeline in `cfg`, in config order (top-level variables as they come)."""
    paths: List[Path] = []
    for k, v in cfg.items():
        if k == "model":
            continue
        if k.endswith("_dataloader") and isinstance(v, dict):
            paths.extend(_dataset_pipelines(v.get("dataset"), (k, "dataset")))
        elif isinstance(v, dict) and ("pipeline" in v or "dataset" in v or "datasets" in v) \
                and "type" in v:
            paths.extend(_dataset_pipelines(v, (k,)))
        elif _is_pipeline(k, v, spec):
            paths.append((k,))
    return paths


def _get(cfg: Any, path: Path) -> Any:
    for p in path:
        cfg = cfg[p]
    return cfg


def _set(cfg: Any, path: Path, value: Any) -> None:
    for p in path[:-1]:
        cfg = cfg[p]
    cfg[path[-1]] = value


def old_field(path: Path) -> str:
    """The old config's dotted field for a new path: train_dataloader.dataset -> data.train."""
    head, rest = path[0], list(path[1:])
    if isinstance(head, str) and head.endswith("_dataloader") and rest[:1] == ["dataset"]:
        head, rest = f"data.{head[:-len('_dataloader')]}", rest[1:]
    out = str(head)
    for p in rest:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def split_of(path: Path) -> str:
    head = str(path[0])
    for s in SPLITS:
        if head.startswith(s):
            return s
    return "test" if "test" in head or "val" in head else "train" if "train" in head else "other"


# generic preprocessor keys the evaluation pipelines decide when the splits disagree
TEST_FIRST = ("mean", "std", "to_rgb")


def preprocessor_update(found: List[Tuple[Path, Converted]], spec: PipelineSpec, ctx) -> Dict[str, Any]:
    """Merge what left the pipelines into preprocessor arguments; a pipeline that disagrees is
    reported once. Padding and the like: train pipelines first, the others fill only what is
    still unset. Normalisation (TEST_FIRST): val/test pipelines first: one preprocessor serves
    both splits, and a child that rewrites only its test pipeline's Normalize (mmcls tnt,
    repmlp 256px) names what its released weights are evaluated with, over a train pipeline
    inherited unchanged from a dataset base (mmpretrain 1.2.0's own configs choose so too)."""
    merged: Dict[str, Any] = {}
    origin: Dict[str, str] = {}
    clashes: Dict[int, List[str]] = {}
    for test_first in (False, True):
        rank = (lambda pc: 0 if split_of(pc[0]) != "train" else 1) if test_first else \
            (lambda pc: 0 if split_of(pc[0]) == "train" else 1)
        for n, (path, conv) in sorted(enumerate(found), key=lambda ipc: rank(ipc[1])):
            for k, v in conv.preprocessor.items():
                if (k in TEST_FIRST) != test_first:
                    continue
                name = spec.preprocessor_args.get(k)
                if split_of(path) != "train" and k in spec.test_preprocessor_args:
                    name = spec.test_preprocessor_args[k]
                if not name:
                    continue
                if name in merged and merged[name] != v:
                    clashes.setdefault(n, []).append(
                        f"{name}={v!r} (kept: {merged[name]!r} from {origin[name]})")
                    continue
                merged.setdefault(name, v)
                origin.setdefault(name, old_field(path))
    reported = set()
    for n, (path, conv) in enumerate(found):
        key = repr(conv.pipeline)
        if n in clashes and key not in reported:
            reported.add(key)
            ctx.warn(old_field(path), "this pipeline normalises/pads differently from the one "
                     "data_preprocessor follows: " + "; ".join(clashes[n]), anchor=str(path[0]))
    if not merged:
        return merged
    out: Dict[str, Any] = {"type": spec.preprocessor_type}
    for name, v in merged.items():          # dotted names are nested: test_cfg.size_divisor
        head, _, tail = name.partition(".")
        if tail:
            out.setdefault(head, {})[tail] = v
        else:
            out[name] = v
    return out


def _place_preprocessor(cfg: Dict[str, Any], pre: Dict[str, Any], paths: List[Path],
                        on_model: bool = False) -> Dict[str, Any]:
    """Into `model.data_preprocessor` when the model already has one; otherwise the top-level
    `data_preprocessor`, which MMEngine's Runner merges into the model config
    (`model.setdefault('data_preprocessor', cfg.data_preprocessor)`). A file without a model (a
    dataset base) thereby carries its normalisation the way the codebases' own 1.x/3.x dataset
    bases do, and the flat and the tree conversion agree. With `on_model` (mmseg, whose
    init_model builds `cfg.model` alone), a file that has a model also gets the same dict as
    `model.data_preprocessor`, as the codebase's own model bases write it."""
    model = cfg.get("model")
    if isinstance(model, dict) and isinstance(model.get("data_preprocessor"), dict):
        model = dict(model)
        model["data_preprocessor"] = {**pre, **model["data_preprocessor"]}
        return {**cfg, "model": model}
    merged = {**pre, **(cfg.get("data_preprocessor") or {})}
    if on_model and isinstance(model, dict):
        cfg = {**cfg, "model": {**model, "data_preprocessor": deep_copy(merged)}}
    if "data_preprocessor" in cfg:
        return {**cfg, "data_preprocessor": merged}
    before = next((str(p[0]) for p in paths if len(p) == 1), "model" if "model" in cfg else None)
    out: Dict[str, Any] = {}
    for k, v in cfg.items():
        if k == before:
            out["data_preprocessor"] = merged
        out[k] = v
    out.setdefault("data_preprocessor", merged)
    return out


def rewrite_pipelines(cfg: Dict[str, Any], spec: PipelineSpec, ctx) -> Dict[str, Any]:
    """Convert every pipeline of `cfg`; returns a new config (the input is not changed)."""
    paths = find_pipelines(cfg, spec)
    if not paths:
        return cfg
    out = deep_copy(cfg)
    cache: Dict[str, Converted] = {}
    found: List[Tuple[Path, Converted]] = []
    for path in paths:
        old = _get(cfg, path)
        key = repr(old)
        first = key not in cache
        if first:
            cache[key] = convert(old, spec)
        conv = cache[key]
        _set(out, path, deep_copy(conv.pipeline))
        found.append((path, conv))
        if first:
            field, anchor = old_field(path), str(path[0])
            for f in conv.findings:
                report = ctx.todo if f.kind == "todo" else ctx.warn
                report(field + f.where, f.message, original=f.original, anchor=anchor)
    pre = preprocessor_update(found, spec, ctx)
    if pre:
        out = _place_preprocessor(out, pre, paths, spec.preprocessor_on_model)
    ttas = [(p, c) for p, c in found if c.tta is not None]
    if ttas and "tta_pipeline" not in out:
        ttas.sort(key=lambda pc: 0 if split_of(pc[0]) == "test" else 1)
        out["tta_pipeline"] = deep_copy(ttas[0][1].tta)
        if spec.tta_model is not None and "tta_model" not in out:
            out["tta_model"] = deep_copy(dict(spec.tta_model))
    return out
