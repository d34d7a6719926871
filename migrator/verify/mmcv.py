"""What MMCV 1.7.2 (driven by mmdet 2.x `train_detector`) did with an old config: the trace.

MMCV behaviour modelled, without MMCV installed:
  * run length: `EpochBasedRunner` (`runner.max_epochs`, or mmdet's `total_epochs` compat) sets
    `max_iters = max_epochs * len(train_loader)`; `IterBasedRunner` uses `runner.max_iters`.
  * iterations per epoch = len(train_loader) of mmdet's `build_dataloader`. Modelled sampler:
    `DistributedGroupSampler` (shuffle=True, the training default), which pads every aspect-ratio
    group to a multiple of samples_per_gpu * world_size: sum over groups of
    ceil(group / (samples_per_gpu * world_size)). With one group (the default when
    `group_sizes` is not given) this equals MMCV's plain `DistributedSampler` +
    DataLoader(drop_last=False): ceil(ceil(len / world) / samples_per_gpu). `drop_last=True`
    (passed, or the config's `data.train_dataloader.drop_last`, a DataLoader kwarg that mmdet's
    build_dataloader passes through) models floor(ceil(len / world) / samples_per_gpu).
    samples_per_gpu comes from
    `data.imgs_per_gpu` > `data.train_dataloader.samples_per_gpu` > `data.samples_per_gpu` > 2
    (mmdet's `compat_cfg` and default).
  * lr per iteration: `LrUpdaterHook.before_train_epoch` / `before_train_iter` (see mmcv_lr.py):
    by_epoch=True computes the regular lr once per epoch (progress = runner.epoch), warmup is
    still per iteration; by_epoch=False recomputes every iteration from runner.iter. Under an
    `IterBasedRunner`, `before_train_epoch` is never called, so a by_epoch=True hook never changes
    the lr and `warmup_by_epoch` fails (we raise ValueError).
  * momentum: `MomentumUpdaterHook` the same way; without a momentum hook the optimizer value
    stays. OneCycleLrUpdaterHook does NOT cycle momentum in MMCV (unlike torch's OneCycleLR).
  * base values: `optimizer.lr` (x batch/base_batch_size when `auto_scale_lr.enable`), the
    optimizer's `momentum` or `betas[0]`, with torch's defaults (SGD/RMSprop momentum 0, Adam
    family betas (0.9, 0.999)). paramwise_cfg multipliers are not applied: the trace is group 0
    with the optimizer's own lr.
  * events: see mmcv_events.py.

MMEngine counterpart: the same trace recorded by the runtime (`mmrun dry-run`) from the converted
`param_scheduler`, `train_cfg` and `default_hooks`; trace.compare() checks they agree.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from ..rules.data import DEFAULT_SAMPLES_PER_GPU
from .mmcv_events import checkpoint_events, kept_after, val_events
from .mmcv_lr import RunShape, Warmup, build_lr, build_momentum, warmup_lr, warmup_momentum

# torch defaults for the first-moment hyper-parameter MMCV's momentum hooks touch
_MOMENTUM_DEFAULT = {"SGD": 0.0, "RMSprop": 0.0}
_BETAS_OPTIMS = ("Adam", "AdamW", "Adamax", "NAdam", "RAdam", "SparseAdam",
                 "Lamb")      # mmcls 0.25 / mmpretrain 1.2 Lamb: betas=(0.9, 0.999)


def samples_per_gpu(cfg: Dict[str, Any]) -> int:
    data = cfg.get("data") or {}
    if "imgs_per_gpu" in data:
        return data["imgs_per_gpu"]
    loader = data.get("train_dataloader") or {}
    return loader.get("samples_per_gpu", data.get("samples_per_gpu", DEFAULT_SAMPLES_PER_GPU))


def config_drop_last(cfg: Dict[str, Any]) -> bool:
    """`data.train_dataloader.drop_last` (default False, torch's DataLoader default)."""
    data = cfg.get("data") if isinstance(cfg.get("data"), dict) else {}
    loader = data.get("train_dataloader") or {}
    return bool(loader.get("drop_last", False)) if isinstance(loader, dict) else False


def epoch_length(dataset_len: int, samples_per_gpu: int, world_size: int = 1,
                 drop_last: bool = False, group_sizes: Optional[List[int]] = None) -> int:
    """len(train_loader) on one rank (see the module docstring for the sampler modelled)."""
    per_step = samples_per_gpu * world_size
    if group_sizes is not None:
        return sum(-(-g // per_step) for g in group_sizes)
    per_rank = -(-dataset_len // world_size)
    return per_rank // samples_per_gpu if drop_last else -(-per_rank // samples_per_gpu)


def run_shape(cfg: Dict[str, Any], epoch_len: int):
    """(runner_by_epoch, max_epochs, max_iters) as MMCV's runner had them."""
    runner = cfg.get("runner")
    if runner is None:
        if cfg.get("total_epochs") is None:
            raise ValueError("old config has neither `runner` nor `total_epochs`")
        runner = {"type": "EpochBasedRunner", "max_epochs": cfg["total_epochs"]}
    rtype = runner.get("type", "EpochBasedRunner")
    if rtype == "IterBasedRunner":
        return False, None, runner["max_iters"]
    if rtype != "EpochBasedRunner":
        raise ValueError(f"runner type {rtype!r} is not modelled")
    return True, runner["max_epochs"], runner["max_epochs"] * epoch_len


def base_values(cfg: Dict[str, Any], world_size: int, spg: int):
    """(base lr, base momentum or None) of param group 0 before any hook ran."""
    opt = cfg.get("optimizer") or {}
    if opt and "type" not in opt and all(isinstance(v, dict) and "type" in v
                                         for v in opt.values()):
        # a dict of optimizers (mmpose's GAN-style models): LrUpdaterHook schedules each one
        # from its own base lr (lr_updater.py before_run / _set_lr); the trace follows the first,
        # as the new side follows the first wrapper of its MultiOptimWrapperConstructor
        opt = next(iter(opt.values()))
    if not opt or "type" not in opt:
        raise ValueError("old config has no optimizer")
    if "lr" not in opt:
        raise ValueError("optimizer.lr is not set")
    lr = opt["lr"]
    scale = cfg.get("auto_scale_lr") or {}
    if scale.get("enable", False) and scale.get("base_batch_size") is not None:
        batch = world_size * spg
        if batch != scale["base_batch_size"]:
            lr = (batch / scale["base_batch_size"]) * lr
    otype = str(opt["type"])
    if "momentum" in opt:
        mom = opt["momentum"]
    elif "betas" in opt:
        mom = opt["betas"][0]
    elif otype in _MOMENTUM_DEFAULT:
        mom = _MOMENTUM_DEFAULT[otype]
    elif otype in _BETAS_OPTIMS:
        mom = 0.9
    else:
        mom = None
    return lr, mom


def _schedule(n: int, epoch_len: int, runner_by_epoch: bool, policy, warmup: Warmup, base,
              warm_fn) -> List[float]:
    """Value used at each of the n iterations by one updater hook (lr or momentum)."""
    if policy is None:
        return [base] * n
    if warmup.iters is None:                       # warmup_by_epoch under IterBasedRunner
        raise ValueError("warmup_by_epoch under IterBasedRunner: MMCV never resolves "
                         "warmup_iters (before_train_epoch is not called) and fails")
    w_kind, w_iters, w_ratio = warmup.kind, warmup.iters, warmup.ratio
    if w_kind == "yolox":                          # YOLOX warms up from the base lr itself
        def warm_fn(kind, _regular, i, iters, ratio, _f=warm_fn):
            return _f(kind, base, i, iters, ratio)
    val = policy.value
    if not policy.by_epoch:
        if policy.breaks is not None:              # piecewise constant: one value per piece
            cuts = sorted(set(policy.breaks(n))) + [n]
            out = []
            for a, b in zip(cuts, cuts[1:]):
                out.extend([val(base, a)] * (b - a))
        else:
            out = [val(base, i) for i in range(n)]
        if w_kind is not None:
            for i in range(min(w_iters, n)):
                out[i] = warm_fn(w_kind, out[i], i, w_iters, w_ratio)
        return out
    if not runner_by_epoch:
        return [base] * n                          # by_epoch hook under IterBasedRunner: inert
    out = []
    for e in range(-(-n // epoch_len)):
        out.extend([val(base, e)] * epoch_len)
    del out[n:]
    if w_kind is not None:
        for i in range(min(w_iters, n)):
            out[i] = warm_fn(w_kind, out[i], i, w_iters, w_ratio)
    return out


def register_training_defaults(cfg: Dict[str, Any]) -> Dict[str, Any]:
    """MMCV `IterBasedRunner.register_training_hooks` defaults `by_epoch` to False in
    `lr_config` and `checkpoint_config` (and the logger hooks; not in momentum_config) before
    building the hooks. Returns a copy with those defaults applied."""
    runner = cfg.get("runner") or {}
    if not isinstance(runner, dict) or runner.get("type") != "IterBasedRunner":
        return cfg
    cfg = dict(cfg)
    for key in ("lr_config", "checkpoint_config"):
        if isinstance(cfg.get(key), dict):
            cfg[key] = dict(cfg[key])
            cfg[key].setdefault("by_epoch", False)
    return cfg


def mmcv_columns(cfg: Dict[str, Any], dataset_len: int, world_size: int = 1, base_lr=None,
                 base_momentum=None, drop_last: Optional[bool] = None, group_sizes=None,
                 validate: bool = True, samples_per_gpu_override: Optional[int] = None):
    """The trace as columns: dict with max_iters, by_epoch, epoch_len, lr (list), momentum
    (list or None), val_at, ckpt_at and optional ckpt_by_epoch / notes. mmcv_trace() wraps it."""
    cfg = register_training_defaults(cfg)
    spg = samples_per_gpu_override or samples_per_gpu(cfg)
    drop_last = config_drop_last(cfg) if drop_last is None else drop_last
    elen = epoch_length(dataset_len, spg, world_size, drop_last, group_sizes)
    if elen <= 0:
        raise ValueError("empty train loader")
    runner_by_epoch, max_epochs, max_iters = run_shape(cfg, elen)
    run = RunShape(max_epochs, max_iters, elen, runner_by_epoch)
    lr0, mom0 = base_values(cfg, world_size, spg)
    if base_lr is not None:
        lr0 = base_lr
    if base_momentum is not None:
        mom0 = base_momentum
    notes: List[str] = []

    lr_policy, lr_warm = None, None
    if cfg.get("lr_config") is not None:
        _, lr_policy, lr_warm = build_lr(cfg["lr_config"], run)
        if lr_policy.base is not None:
            lr0 = lr_policy.base                   # OneCycle: initial_lr = max_lr / div_factor
        if lr_policy.by_epoch and not runner_by_epoch:
            notes.append("lr_config.by_epoch=True under IterBasedRunner: MMCV never updated lr")
    lr = _schedule(max_iters, elen, runner_by_epoch, lr_policy, lr_warm, lr0, warmup_lr)

    momentum = None
    if cfg.get("momentum_config") is not None:
        if mom0 is None:
            raise ValueError("momentum_config on an optimizer without momentum/betas "
                             "(MMCV's MomentumUpdaterHook.before_run fails)")
        _, m_policy, m_warm = build_momentum(cfg["momentum_config"], run)
        if m_policy.by_epoch and not runner_by_epoch:
            notes.append("momentum_config.by_epoch=True under IterBasedRunner: never updated")
        momentum = _schedule(max_iters, elen, runner_by_epoch, m_policy, m_warm,
                             mom0 if m_policy.base is None else m_policy.base, warmup_momentum)
    elif mom0 is not None:
        momentum = [mom0] * max_iters

    length = max_epochs if runner_by_epoch else max_iters
    val_at = val_events(cfg.get("evaluation"), runner_by_epoch, length, validate)
    ckpt_at, ckpt_by_epoch = checkpoint_events(cfg.get("checkpoint_config"), runner_by_epoch,
                                               max_epochs, max_iters)
    if cfg.get("checkpoint_config") is not None and ckpt_by_epoch and not runner_by_epoch:
        notes.append("checkpoint_config.by_epoch=True under IterBasedRunner: no checkpoints")
    out = {"max_iters": max_iters, "by_epoch": runner_by_epoch, "epoch_len": elen,
           "lr": lr, "momentum": momentum, "val_at": val_at, "ckpt_at": ckpt_at}
    if ckpt_by_epoch != runner_by_epoch and ckpt_at:
        out["ckpt_by_epoch"] = ckpt_by_epoch
    if notes:
        out["notes"] = notes
    return out


def columns_to_trace(cols: Dict[str, Any]) -> Dict[str, Any]:
    """Column form -> the shared trace format (list of per-iteration dicts)."""
    lr, mom, elen, n = cols["lr"], cols["momentum"], cols["epoch_len"], cols["max_iters"]
    if mom is None:
        mom = [None] * n
    iters = [{"iter": i, "epoch": i // elen, "lr": a, "momentum": b}
             for i, a, b in zip(range(n), lr, mom)]
    out = {k: v for k, v in cols.items() if k not in ("lr", "momentum")}
    out["iters"] = iters
    return out


def mmcv_trace(cfg: Dict[str, Any], dataset_len: int, world_size: int = 1, base_lr=None,
               base_momentum=None, drop_last: Optional[bool] = None, group_sizes=None,
               validate: bool = True) -> Dict[str, Any]:
    """What MMCV 1.7.2 did with `cfg` (a plain old-style config dict) on `dataset_len` training
    samples and `world_size` GPUs. `iters[i].epoch` is MMCV's data pass (`i // epoch_len`; under
    IterBasedRunner that is IterLoader's epoch with a finite sampler)."""
    return columns_to_trace(mmcv_columns(cfg, dataset_len, world_size, base_lr, base_momentum,
                                         drop_last, group_sizes, validate))


def kept_checkpoints(cfg: Dict[str, Any], dataset_len: int = 1, world_size: int = 1,
                     drop_last: Optional[bool] = None, group_sizes=None) -> List[int]:
    """Checkpoints (epoch or iteration numbers, as in ckpt_at) still on disk after MMCV's run,
    given `checkpoint_config.max_keep_ckpts` (<= 0: keep all)."""
    drop_last = config_drop_last(cfg) if drop_last is None else drop_last
    elen = epoch_length(dataset_len, samples_per_gpu(cfg), world_size, drop_last, group_sizes)
    runner_by_epoch, max_epochs, max_iters = run_shape(cfg, elen)
    ck = cfg.get("checkpoint_config")
    saved, _ = checkpoint_events(ck, runner_by_epoch, max_epochs, max_iters)
    if not saved:
        return []
    return kept_after(saved, ck.get("interval", -1), ck.get("max_keep_ckpts", -1))
