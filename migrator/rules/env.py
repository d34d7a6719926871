"""Env rule: process/distributed settings, randomness, checkpoint loading, model wrapper, scope.

MMCV behaviour read (mmdet 2.x tools/train.py + mmcv runner):
  dist_params -> init_dist(**dist_params); cudnn_benchmark -> torch.backends.cudnn.benchmark;
  mp_start_method / opencv_num_threads -> setup_multi_processes; seed / deterministic / diff_seed
  -> set_random_seed (seed + rank when diff_seed); resume_from -> runner.resume (wins over
  load_from), load_from -> runner.load_checkpoint, auto_resume -> resume from the latest checkpoint
  in work_dir if any (else fall back to load_from); find_unused_parameters -> MMDistributedDataParallel;
  gpu_ids / device set by the training script.
MMEngine behaviour produced: env_cfg=dict(cudnn_benchmark, mp_cfg=dict(mp_start_method,
  opencv_num_threads), dist_cfg), randomness=dict(seed, deterministic, diff_rank_seed),
  load_from + resume (resume=True with load_from=None searches work_dir for the latest checkpoint),
  model_wrapper_cfg=dict(type='MMDistributedDataParallel', find_unused_parameters=...),
  auto_scale_lr / log_level / work_dir unchanged (default_scope: the codebase profiles).
"""
from __future__ import annotations

from typing import Any, Dict

from .base import Context, deep_merge
from .placement import replace_keys

NAME = "env"

ENV_KEYS = ["dist_params", "cudnn_benchmark", "mp_start_method", "opencv_num_threads"]
RANDOM_KEYS = ["seed", "deterministic", "diff_seed"]
LOAD_KEYS = ["resume_from", "auto_resume", "load_from"]


def _env(cfg: Dict[str, Any], ctx: Context) -> Dict[str, Any]:
    present = [k for k in ENV_KEYS if k in cfg]
    if not present:
        return cfg
    env: Dict[str, Any] = {}
    if "cudnn_benchmark" in cfg:
        env["cudnn_benchmark"] = cfg["cudnn_benchmark"]
    mp = {k: cfg[k] for k in ("mp_start_method", "opencv_num_threads") if k in cfg}
    if mp:
        env["mp_cfg"] = mp
    if "dist_params" in cfg:
        dist = cfg["dist_params"]
        if dist is not None and not isinstance(dist, dict):
            raise ctx.error("dist_params", f"expected a dict, got {type(dist).__name__}")
        if dist:
            env["dist_cfg"] = dict(dist)
        elif dist is None:
            ctx.warn("dist_params", "dist_params=None: MMEngine falls back to dist_cfg "
                                    "backend='nccl'", original=dist, anchor="env_cfg")
    if isinstance(cfg.get("env_cfg"), dict):
        env = deep_merge(cfg["env_cfg"], env)
    return replace_keys(cfg, present, {"env_cfg": env})


def _randomness(cfg: Dict[str, Any], ctx: Context) -> Dict[str, Any]:
    present = [k for k in RANDOM_KEYS if k in cfg]
    if not present:
        return cfg
    rnd: Dict[str, Any] = {}
    if "seed" in cfg:
        rnd["seed"] = cfg["seed"]
    if "deterministic" in cfg:
        rnd["deterministic"] = cfg["deterministic"]
    if "diff_seed" in cfg:
        rnd["diff_rank_seed"] = cfg["diff_seed"]
    if isinstance(cfg.get("randomness"), dict):
        rnd = deep_merge(cfg["randomness"], rnd)
    return replace_keys(cfg, present, {"randomness": rnd})


def _loading(cfg: Dict[str, Any], ctx: Context) -> Dict[str, Any]:
    present = [k for k in LOAD_KEYS if k in cfg]
    if not present:
        return cfg
    resume_from = cfg.get("resume_from")
    load_from = cfg.get("load_from")
    auto = cfg.get("auto_resume", False)
    if resume_from:
        if load_from:
            ctx.warn("load_from", "resume_from and load_from are both set; MMCV resumed from "
                                  "resume_from and ignored load_from", original=load_from,
                     anchor="load_from")
        if auto:
            ctx.warn("auto_resume", "auto_resume=True: MMCV resumed from the latest checkpoint in "
                                    "work_dir when one existed, else from resume_from; MMEngine "
                                    "resumes from load_from", original=auto, anchor="load_from")
        new = {"load_from": resume_from, "resume": True}
    elif auto:
        if load_from:
            ctx.warn("auto_resume", "auto_resume with load_from: MMCV resumed from the latest "
                                    "checkpoint in work_dir if one existed and otherwise only loaded "
                                    "load_from weights; MMEngine resume=True resumes the full "
                                    "training state from load_from", original=auto,
                     anchor="load_from")
        new = {"load_from": load_from, "resume": True}
    else:
        new = {"load_from": load_from, "resume": False}
    return replace_keys(cfg, present, new)


def apply(cfg: Dict[str, Any], ctx: Context) -> Dict[str, Any]:
    before = cfg
    cfg = _env(cfg, ctx)
    cfg = _randomness(cfg, ctx)
    cfg = _loading(cfg, ctx)
    if "find_unused_parameters" in cfg:
        wrapper = {"type": "MMDistributedDataParallel",
                   "find_unused_parameters": cfg["find_unused_parameters"]}
        if isinstance(cfg.get("model_wrapper_cfg"), dict):
            wrapper = deep_merge(cfg["model_wrapper_cfg"], wrapper)
        cfg = replace_keys(cfg, ["find_unused_parameters"], {"model_wrapper_cfg": wrapper})
    asl = cfg.get("auto_scale_lr")
    if isinstance(asl, dict) and asl.get("enable") and "base_batch_size" not in asl:
        ctx.warn("auto_scale_lr", "auto_scale_lr.enable=True without base_batch_size: MMEngine "
                                  "asserts on it at runtime", original=asl, anchor="auto_scale_lr")
    if "gpu_ids" in cfg:
        ctx.warn("gpu_ids", "gpu_ids dropped: MMEngine takes the devices from the launcher "
                            "(one process per GPU)", original=cfg["gpu_ids"], anchor=None)
        cfg = replace_keys(cfg, ["gpu_ids"], {})
    if "device" in cfg:
        ctx.warn("device", "device dropped: MMEngine picks the device itself (cuda when "
                           "available)", original=cfg["device"], anchor=None)
        cfg = replace_keys(cfg, ["device"], {})
    if cfg is not before:
        ctx.report.applied(NAME)
    return cfg
