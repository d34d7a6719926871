"""`mmrun dry-run --full`: the converted config run by the real Runner, with logged stand-ins.

MMEngine behaviour exercised for real (runtime.runner / runtime.hooks / runtime.optim): Runner
construction from the config, EpochBasedTrainLoop / IterBasedTrainLoop, ValLoop, the optimizer
wrapper and its constructor (paramwise_cfg), parameter schedulers stepped by ParamSchedulerHook,
CheckpointHook writing real checkpoints into a temporary work_dir, LoggerHook, auto_scale_lr.
MMCV counterpart: none here; the trace is compared with migrator/verify's model of MMCV 1.x.

Replaced, each logged on stderr and listed in trace["stand_ins"]:
  * model -> `DryRunModel`: a probe parameter first (parameter group 0 keeps the optimizer's own
    lr whatever paramwise_cfg's custom_keys say), then small `backbone` / `neck` / `head`
    conv+BN+bias modules so paramwise_cfg builds several groups; zero loss. It records
    lr/momentum of group 0 in `forward(mode='loss')`, i.e. inside `train_step` of that iteration,
    before `optim_wrapper.update_params` steps and before after_train_iter moves the schedulers:
    exactly the values the optimizer uses for that step.
  * datasets -> `DryRunDataset` of ceil(N / world_size) indices for training (rank 0's share
    under a DistributedSampler-style sampler: the same length as N on W ranks), 1 for
    validation; transforms/pipelines ignored; codebase samplers / batch samplers / collate
    functions unknown to our registries -> DefaultSampler / none / pseudo_collate; 0 workers.
  * evaluators -> `DryRunMetric` returning constants for the keys hooks monitor (save_best ...).
  * visualizer -> plain Visualizer; hooks whose type is not in HOOKS are dropped;
    data_preprocessor dropped; codebase default_scope -> root registry; test split dropped.
  * world size: the Runner's `world_size` (auto_scale_lr) is the modelled one; no process group.
"""
from __future__ import annotations

import copy
import math
import os
import sys
import tempfile
from typing import Any, Dict, List, Optional

import torch
from torch import nn

from runtime.evaluator import BaseMetric
from runtime.model import BaseModel
from runtime.registry import (DATA_SAMPLERS, DATASETS, FUNCTIONS, HOOKS, METRICS, MODELS,
                              OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, PARAM_SCHEDULERS)
from runtime.runner import Runner

from .dryrun import _get, loop_info, root_type


@DATASETS.register_module(force=True)
class DryRunDataset(torch.utils.data.Dataset):
    def __init__(self, length: int = 1, **_ignored):
        self.length = int(length)
        self.metainfo: Dict[str, Any] = {}

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, idx: int) -> Dict[str, Any]:
        return {"inputs": idx}


@METRICS.register_module(force=True)
class DryRunMetric(BaseMetric):
    def __init__(self, keys=("dryrun/constant",), **kwargs):
        super().__init__(**kwargs)
        self.keys = list(keys)

    def process(self, data_batch, data_samples) -> None:
        self.results.extend(1 for _ in data_samples)

    def compute_metrics(self, results: list) -> dict:
        return {k: 0.0 for k in self.keys}


def _block() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 1, 1), nn.BatchNorm2d(1))


@MODELS.register_module(force=True)
class DryRunModel(BaseModel):
    def __init__(self, **_ignored):
        super().__init__()
        self.dryrun_probe = nn.Parameter(torch.zeros(1))
        self.backbone, self.neck, self.head = _block(), _block(), _block()
        self.records: List[Dict[str, Any]] = []
        self.runner: Optional[Runner] = None

    def _group0(self) -> Dict[str, Any]:
        ow = self.runner.optim_wrapper
        if hasattr(ow, "optim_wrappers"):
            ow = next(iter(ow.optim_wrappers.values()))
        return ow.optimizer.param_groups[0]

    def forward(self, inputs, data_samples=None, mode: str = "tensor"):
        if mode == "loss":
            g = self._group0()
            mom = g["momentum"] if "momentum" in g else (g["betas"][0] if "betas" in g else None)
            self.records.append({"iter": self.runner.iter, "epoch": self.runner.epoch,
                                 "lr": g["lr"], "momentum": mom})
            return {"loss": sum(p.sum() for p in self.parameters()) * 0.0}
        if mode == "predict":
            return [{"idx": i} for i in inputs]
        return torch.zeros(len(inputs))


class DryRunner(Runner):
    """Runner with the modelled world size and a record of CheckpointHook's saves."""
    modelled_world_size = 1

    def setup_env(self, env_cfg: dict) -> None:
        super().setup_env(env_cfg)
        self._world_size = self.modelled_world_size
        self.ckpt_records: List[tuple] = []
        self.val_records: List[int] = []

    def call_hook(self, fn_name: str, **kwargs) -> None:
        super().call_hook(fn_name, **kwargs)
        if fn_name == "after_val_epoch":          # the loop counter is already incremented
            by_epoch = not type(self.train_loop).__name__.endswith("IterBasedTrainLoop")
            self.val_records.append(self.epoch if by_epoch else self.iter)

    def save_checkpoint(self, out_dir, filename, *args, **kwargs):
        by_epoch = kwargs.get("by_epoch", args[4] if len(args) > 4 else True)
        if not os.path.basename(str(filename)).startswith("best_"):
            self.ckpt_records.append((bool(by_epoch), self.epoch, self.iter))
        return super().save_checkpoint(out_dir, filename, *args, **kwargs)


def _known(registry, type_) -> bool:
    return not isinstance(type_, str) or registry.get(type_) is not None


def _monitored_keys(cfg: Dict[str, Any]) -> List[str]:
    keys = []
    ck = (_get(cfg, "default_hooks", {}) or {}).get("checkpoint") or {}
    best = ck.get("save_best")
    if isinstance(best, str) and best != "auto":
        keys.append(best)
    elif isinstance(best, (list, tuple)):
        keys.extend(b for b in best if b != "auto")
    for h in list(_get(cfg, "custom_hooks", []) or []) + list(_listify(cfg.get("param_scheduler"))):
        if isinstance(h, dict) and isinstance(h.get("monitor"), str):
            keys.append(h["monitor"])
    return keys or ["dryrun/constant"]


def _listify(v) -> list:
    if v is None:
        return []
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _loader(loader: Dict[str, Any], length: int, note) -> Dict[str, Any]:
    out = {k: v for k, v in loader.items() if k not in ("dataset", "persistent_workers",
                                                        "worker_init_fn")}
    out["dataset"] = dict(type="DryRunDataset", length=length)
    out["num_workers"] = 0
    sampler = dict(out.get("sampler") or dict(type="DefaultSampler", shuffle=True))
    if not _known(DATA_SAMPLERS, sampler.get("type")):
        note(f"sampler {sampler['type']} -> DefaultSampler")
        sampler = dict(type="DefaultSampler", shuffle=sampler.get("shuffle", True))
    out["sampler"] = sampler
    bs = out.get("batch_sampler")
    if isinstance(bs, dict) and not _known(DATA_SAMPLERS, bs.get("type")):
        note(f"batch_sampler {bs['type']} dropped (plain batching, same length)")
        out.pop("batch_sampler")
    coll = out.get("collate_fn")
    if isinstance(coll, dict) and not _known(FUNCTIONS, coll.get("type")):
        note(f"collate_fn {coll['type']} -> pseudo_collate")
        out.pop("collate_fn")
    return out


def prepare(cfg: Dict[str, Any], dataset_len: int, world_size: int, work_dir: str):
    """The config the DryRunner is built from, and the list of stand-ins used."""
    notes: List[str] = []
    note = notes.append
    cfg = copy.deepcopy(dict(cfg))
    note("model -> DryRunModel (probe parameter + backbone/neck/head conv+BN)")
    cfg["model"] = dict(type="DryRunModel")
    for key in ("data_preprocessor", "model_wrapper_cfg", "load_from"):
        if cfg.pop(key, None) is not None:
            note(f"{key} dropped")
    cfg["resume"] = False
    per_rank = math.ceil(dataset_len / world_size)
    note(f"train dataset -> DryRunDataset({per_rank}) (rank 0 of {dataset_len} samples on "
         f"{world_size} GPU(s)); pipelines ignored")
    cfg["train_dataloader"] = _loader(dict(cfg["train_dataloader"]), per_rank, note)
    if cfg.get("val_dataloader") is not None and cfg.get("val_cfg") is not None \
            and cfg.get("val_evaluator") is not None:
        cfg["val_dataloader"] = _loader(dict(cfg["val_dataloader"]), 1, note)
        note("val_evaluator -> DryRunMetric (constant)")
        cfg["val_evaluator"] = dict(type="DryRunMetric", keys=_monitored_keys(cfg))
    else:
        for k in ("val_dataloader", "val_cfg", "val_evaluator"):
            cfg[k] = None
    for k in ("test_dataloader", "test_cfg", "test_evaluator"):
        cfg[k] = None
    if cfg.get("visualizer") is not None:
        note(f"visualizer {cfg['visualizer'].get('type')} -> Visualizer")
    cfg["visualizer"] = None
    scope = cfg.get("default_scope")
    if scope not in (None, "mmengine", "runtime"):
        note(f"default_scope {scope!r} -> root registry")
    cfg["default_scope"] = "mmengine"
    hooks = dict(cfg.get("default_hooks") or {})
    for name, h in list(hooks.items()):
        if isinstance(h, dict) and not _known(HOOKS, h.get("type")):
            note(f"default_hooks.{name} ({h.get('type')}) dropped")
            hooks.pop(name)
    cfg["default_hooks"] = hooks
    custom = []
    for h in cfg.get("custom_hooks") or []:
        if isinstance(h, dict) and not _known(HOOKS, h.get("type")):
            note(f"custom hook {h.get('type')} dropped")
        else:
            custom.append(h)
    cfg["custom_hooks"] = custom
    ow = dict(cfg.get("optim_wrapper") or {})
    if ow.get("type") == "AmpOptimWrapper":
        note("AmpOptimWrapper -> OptimWrapper (CPU; loss scaling does not move lr)")
        ow["type"] = "OptimWrapper"
        ow.pop("loss_scale", None)
    if not _known(OPTIM_WRAPPERS, ow.get("type")):
        note(f"optim wrapper {ow['type']} -> OptimWrapper")
        ow["type"] = "OptimWrapper"
    if "constructor" in ow and not _known(OPTIM_WRAPPER_CONSTRUCTORS, ow["constructor"]):
        note(f"constructor {ow['constructor']} -> DefaultOptimWrapperConstructor (no paramwise_cfg)")
        ow.pop("constructor")
        ow.pop("paramwise_cfg", None)
    cfg["optim_wrapper"] = ow
    scheds = [dict(s, type=root_type(PARAM_SCHEDULERS, s.get("type"))) if isinstance(s, dict)
              else s for s in _listify(cfg.get("param_scheduler"))]
    if cfg.get("param_scheduler") is not None:
        cfg["param_scheduler"] = scheds
    for s in scheds:
        if isinstance(s, dict) and not _known(PARAM_SCHEDULERS, s.get("type")):
            raise ValueError(f"parameter scheduler {s['type']} is unknown to the runtime")
    cfg["work_dir"] = work_dir
    cfg["launcher"] = "none"
    cfg["log_level"] = "ERROR"
    cfg.pop("env_cfg", None)
    return cfg, notes


def full_trace(cfg: Dict[str, Any], dataset_len: int, world_size: int = 1,
               config_path: Optional[str] = None, quiet: bool = False) -> Dict[str, Any]:
    """Run `cfg` (plain new-style config dict) with the real Runner and stand-ins -> trace."""
    from runtime.config import Config

    info = loop_info(cfg)
    with tempfile.TemporaryDirectory(prefix="mmrun-dryrun-") as work_dir:
        run_cfg, notes = prepare(cfg, dataset_len, world_size, work_dir)
        if not quiet:
            for n in notes:
                print(f"dry-run: stand-in: {n}", file=sys.stderr)
        DryRunner.modelled_world_size = world_size
        conf = Config(run_cfg)
        runner = DryRunner.from_cfg(conf)
        model = runner.model
        model.runner = runner
        runner.train()
        by_epoch = info["by_epoch"]
        epoch_len = len(runner.train_dataloader)
        max_iters = runner.max_iters
        val = list(runner.val_records)
        ckpt_at, iter_saves_in_epoch_loop = [], False
        for hook_by_epoch, epoch, it in runner.ckpt_records:
            if by_epoch and hook_by_epoch:
                ckpt_at.append(epoch + 1)
            elif by_epoch:
                ckpt_at.append(it + 1)
                iter_saves_in_epoch_loop = True
            else:                           # iteration loop: by-epoch saves come after max_iters
                ckpt_at.append(it if hook_by_epoch else it + 1)
        out = {"max_iters": max_iters, "by_epoch": by_epoch, "epoch_len": epoch_len,
               "iters": list(model.records), "val_at": val, "ckpt_at": ckpt_at,
               "stand_ins": notes}
        if iter_saves_in_epoch_loop:
            out["ckpt_by_epoch"] = False
        _close(runner)
        return out


def _close(runner) -> None:
    """Release the per-run logger file handlers (many runs share one process in tests)."""
    import logging
    logger = getattr(runner, "logger", None)
    for h in list(getattr(logger, "handlers", [])):
        if isinstance(h, logging.FileHandler):
            h.close()
            logger.removeHandler(h)
