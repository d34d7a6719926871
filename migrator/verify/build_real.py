"""Build converted configs in the real codebases, part by part, the way MMEngine's Runner would.

Runs *inside* the new-codebase venv (`migrator/envs/new.py`), never in `migrate`'s process:
`python build_real.py OUT.jsonl CONFIG...` (or `-` and one path per stdin line). For each config
it writes one JSON line `{"path", "status", "stages": {stage: "ok" | {"error", "message"}},
"first": {...}}`; status is "ok", "error" or "fragment" (no `model`: a `_base_` fragment that
cannot be built alone) or "optional" (every failure is a missing optional package).

What is built, per stage (MMEngine 0.10.7 Runner semantics):
  scope       `default_scope` initialised (`init_default_scope`), as `Runner.__init__` does.
  model       `MODELS.build(model)`, the top-level `data_preprocessor` merged in first (as
              `Runner.__init__` does); `tta_model` wrapped around it.
  datasets    every `*_dataloader.dataset` with `lazy_init=True` set on it and every wrapped
              dataset inside (no annotation file is read), so every pipeline transform is built;
              a wrapper that takes len() of its dataset when built (MultiImageMixDataset) then
              fails with FileNotFoundError after everything was built: "ok (data missing)".
  dataloaders `Runner.build_dataloader` itself, given a sized stand-in dataset: sampler,
              batch_sampler, collate_fn, worker_init_fn and every DataLoader keyword.
  evaluators  `Runner.build_evaluator` (a metric that needs an absent annotation file fails with
              FileNotFoundError after its arguments were checked: "ok (data missing)").
  optim       `build_optim_wrapper(model, optim_wrapper)` (skipped when the model failed).
  schedulers  every `param_scheduler` built on that optimizer (`epoch_length` given).
  visualizer  `VISUALIZERS.build(visualizer)` under a unique instance name.
  hooks       every `default_hooks` entry and every `custom_hooks` entry (`priority` removed
              first, as `Runner.register_hook` does).
  loops       the loop class the Runner would choose (EpochBased/IterBased/Val/Test when `type` is
              absent), its constructor bound to the config's arguments (`inspect.signature`).
  log         `LogProcessor(**log_processor)`.
"""
from __future__ import annotations

import os
import sys

# run as a script: its directory (migrator/verify: html.py, trace.py) must not shadow the stdlib
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import copy
import gc
import inspect
import json
import re
import traceback

DATA_MISSING = "ok (data missing)"
SKIPPED = "skipped (needs the model)"
# packages the codebases treat as optional extras (not installed in the new venv)
OPTIONAL = ("transformers", "lvis", "panopticapi", "fairscale", "timm", "mmtrack",
            "cityscapesscripts", "emoji", "albumentations", "imagecorruptions", "instaboostfast",
            "motmetrics", "sklearn", "clip", "open_clip", "nltk", "mmocr", "mmpose",
            "mmdet3d", "mmrazor", "mmcv-full", "pytorch_lightning", "deepspeed")
# a codebase's own "please install X" message names the missing optional package
INSTALL_MSG = re.compile(r"\binstall", re.I)


def _error(exc: BaseException) -> dict:
    msg = str(exc).splitlines()[0][:300] if str(exc) else ""
    out = {"error": type(exc).__name__, "message": msg}
    name = getattr(exc, "name", None)
    if isinstance(exc, AssertionError) and "only available training on gpu" in msg:
        out["missing"] = "gpu"                 # AmpOptimWrapper refuses a CPU-only machine
    elif type(exc).__name__ == "URLError":
        out["missing"] = "network"             # a checkpoint fetched while building (LAD teacher)
    elif isinstance(exc, ImportError) and name:
        out["missing"] = name.split(".")[0]
    else:
        words = set(re.findall(r"[\w-]+", msg)) if INSTALL_MSG.search(msg) else set()
        for pkg in OPTIONAL:
            if pkg in words:
                out["missing"] = pkg
                break
    tb = traceback.extract_tb(exc.__traceback__)
    if tb:
        out["where"] = f"{tb[-1].filename.rsplit('site-packages/', 1)[-1]}:{tb[-1].lineno}"
    return out


def _lazy(ds):
    """Copy of a dataset config with lazy_init=True on it and on every dataset it wraps."""
    if isinstance(ds, list):
        return [_lazy(d) for d in ds]
    if not isinstance(ds, dict):
        return ds
    ds = dict(ds)
    ds["lazy_init"] = True
    for key in ("dataset", "datasets"):
        if key in ds:
            ds[key] = _lazy(ds[key])
    return ds


class _Sized:
    """A stand-in dataset for the dataloader stage (8 items of one class)."""
    metainfo: dict = {"classes": ("object",)}

    def get_cat_ids(self, i):
        return [0]

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return i

    def get_data_info(self, i):
        return {"width": 2, "height": 1}


def _loop_class(kind, cfg, registry):
    cfg = dict(cfg)
    if "type" in cfg:
        return registry.get(cfg.pop("type")), cfg
    if kind == "train":
        name = "EpochBasedTrainLoop" if cfg.pop("by_epoch", True) else "IterBasedTrainLoop"
        return registry.get(name), cfg
    return registry.get({"val": "ValLoop", "test": "TestLoop"}[kind]), cfg


def build_one(path: str, index: int) -> dict:
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import (DATASETS, HOOKS, LOOPS, MODELS, PARAM_SCHEDULERS,
                                   VISUALIZERS, init_default_scope)
    from mmengine.runner import LogProcessor, Runner

    stages = {}
    try:
        cfg = Config.fromfile(path)
    except BaseException as e:  # noqa: BLE001 - reported, never raised
        err = _error(e)
        return {"path": path, "status": "error", "stages": {"config": err},
                "first": dict(err, stage="config")}
    if "model" not in cfg:
        return {"path": path, "status": "fragment", "stages": {}}

    def stage(name, fn):
        try:
            fn()
            stages[name] = "ok"
        except FileNotFoundError as e:
            # an annotation file read after every argument was checked (metrics, or a wrapper
            # such as MultiImageMixDataset that takes len() of its dataset when built)
            stages[name] = DATA_MISSING if name in ("evaluators", "datasets") else _error(e)
        except AssertionError as e:
            # mmseg's PascalVOC/PascalContext/DRIVE/... datasets assert that their image
            # directory exists in __init__, even with lazy_init: the data is missing, not the
            # config wrong (the last frame's source line is that `fileio.exists(...)` check)
            last = traceback.extract_tb(e.__traceback__)[-1].line or ""
            missing = name == "datasets" and "exists(" in last
            stages[name] = DATA_MISSING if missing else _error(e)
        except BaseException as e:  # noqa: BLE001
            stages[name] = _error(e)

    state = {}
    stage("scope", lambda: init_default_scope(cfg.get("default_scope", "mmengine")))

    def model():
        model_cfg = copy.deepcopy(cfg.model)
        if cfg.get("data_preprocessor") is not None:      # Runner.__init__ merges it
            model_cfg.setdefault("data_preprocessor", copy.deepcopy(cfg.data_preprocessor))
        m = MODELS.build(model_cfg)
        state["model"] = m
        if cfg.get("tta_model"):
            MODELS.build(dict(copy.deepcopy(cfg.tta_model), module=m))
    stage("model", model)

    def datasets():
        for split in ("train", "val", "test"):
            loader = cfg.get(f"{split}_dataloader")
            if loader and loader.get("dataset") is not None:
                DATASETS.build(_lazy(copy.deepcopy(loader["dataset"])))
    stage("datasets", datasets)

    def dataloaders():
        for split in ("train", "val", "test"):
            loader = cfg.get(f"{split}_dataloader")
            if loader:
                loader = copy.deepcopy(loader)
                loader["dataset"] = _Sized()
                Runner.build_dataloader(loader, seed=0)
    stage("dataloaders", dataloaders)

    def evaluators():
        for split in ("val", "test"):
            ev = cfg.get(f"{split}_evaluator")
            if ev:
                Runner.build_evaluator(None, copy.deepcopy(ev))
    stage("evaluators", evaluators)

    def optim():
        state["optim"] = build_optim_wrapper(state["model"], copy.deepcopy(cfg.optim_wrapper))
    if cfg.get("optim_wrapper"):
        stage("optim", optim) if "model" in state else stages.setdefault("optim", SKIPPED)

    def schedulers():
        scheds = cfg.get("param_scheduler") or []
        if isinstance(scheds, dict):
            scheds = [scheds]
        for s in scheds:
            s = copy.deepcopy(s)
            if s.get("convert_to_iter_based"):
                s.setdefault("epoch_length", 100)
            PARAM_SCHEDULERS.build(s, default_args=dict(optimizer=state["optim"]))
    if cfg.get("param_scheduler"):
        if "optim" in state:
            stage("schedulers", schedulers)
        else:
            stages["schedulers"] = SKIPPED

    def visualizer():
        vis = copy.deepcopy(cfg.visualizer)
        vis["name"] = f"mmmigrate-build-{index}"
        VISUALIZERS.build(vis)
    if cfg.get("visualizer"):
        stage("visualizer", visualizer)

    def hooks():
        for name, h in (cfg.get("default_hooks") or {}).items():
            if h is not None:
                HOOKS.build(copy.deepcopy(h))
        for h in cfg.get("custom_hooks") or []:
            h = copy.deepcopy(h)
            h.pop("priority", None)          # Runner.register_hook consumes it
            HOOKS.build(h)
    stage("hooks", hooks)

    def loops():
        for kind in ("train", "val", "test"):
            loop = cfg.get(f"{kind}_cfg")
            if loop is None:
                continue
            cls, args = _loop_class(kind, loop, LOOPS)
            if cls is None:
                raise KeyError(f"{kind}_cfg: loop type {loop.get('type')!r} is not registered")
            bound = dict(runner=None, dataloader=None, **args)
            if kind != "train":
                bound["evaluator"] = None
            inspect.signature(cls).bind(**bound)
            if kind != "train" and not cfg.get(f"{kind}_evaluator"):
                raise ValueError(f"{kind}_cfg is set but {kind}_evaluator is missing: the Runner "
                                 f"refuses the {kind} loop")
    stage("loops", loops)

    if cfg.get("log_processor"):
        stage("log", lambda: LogProcessor(**{k: v for k, v in cfg.log_processor.items()
                                             if k != "type"}))
    state.clear()
    gc.collect()
    failed = {k: v for k, v in stages.items() if isinstance(v, dict)}
    out = {"path": path, "status": "error" if failed else "ok", "stages": stages}
    if failed:
        name = next(iter(failed))
        out["first"] = dict(failed[name], stage=name)
        if all(v.get("missing") for v in failed.values()):
            out["status"] = "optional"
    return out


def _init_dist() -> None:
    """A one-process gloo group, as a launcher would give the Runner: MMSyncBN asks for the
    world size when it is constructed."""
    import tempfile
    import torch.distributed as dist
    if dist.is_available() and not dist.is_initialized():
        handle, name = tempfile.mkstemp(prefix="mmmigrate-pg-")
        os.close(handle)
        os.unlink(name)
        dist.init_process_group("gloo", init_method=f"file://{name}", rank=0, world_size=1)


def main(argv) -> int:
    out_path, paths = argv[0], argv[1:]
    if paths == ["-"]:
        paths = [line.strip() for line in sys.stdin if line.strip()]
    import warnings
    import logging
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    _init_dist()
    with open(out_path, "a") as out:
        for i, p in enumerate(paths):
            res = build_one(p, i)
            out.write(json.dumps(res) + "\n")
            out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


# ---- host side (runs in `migrate`'s interpreter; no torch, no codebase imports) ----

def _crash(path, why):
    return {"path": path, "status": "error", "stages": {},
            "first": {"error": "crash", "message": why, "stage": "harness"}}


def build_in_env(paths, python, batch: int = 60, jobs: int = 1, timeout: float = 1800.0,
                 cwd=None):
    """Build `paths` with the harness under `python` (the new venv), `batch` files per process,
    `jobs` processes at a time, in `cwd` (paths such as LD's `teacher_config='configs/...'` are
    relative to the repository root the codebases are run from). Returns one result dict per
    path, in order; a batch whose process dies or times out gets an "error" result (`crash`) for
    each file it had not reported (the batch runner is `xenv.run_many`)."""
    from .xenv import run_many
    return run_many(__file__, [str(p) for p in paths], python, batch=batch, jobs=jobs,
                    timeout=timeout, cwd=cwd, key="path", missing=_crash)


def cause(result) -> str:
    """A short grouping key for a failed result: stage, error type and message head."""
    first = result.get("first") or {}
    msg = re.sub(r"0x[0-9a-f]+", "…", first.get("message", ""))[:110]
    return f"{first.get('stage')}: {first.get('error')}: {msg}"
