"""Dry runs of a converted config: what the schedule and the events do, without real data.

`mmrun dry-run CONFIG --dataset-len N[,N2,...] [--world-size W] [--trace OUT.json] [--full]`
`mmrun dry-run --batch` (stdin: JSON list of {cfg|config, dataset_lens, world_size, full};
stdout: list of {"traces": [compact traces]} | {"error"}), used by `migrate --verify`.

Two paths give the same trace (migrator/verify's format):
* `schedule_trace` (default, fast): builds the optimizer's param group -- torch-free from the
  table of torch's constructor defaults (`StandinOptimizer`) for the torch optimizers, else the
  real optimizer on one stand-in parameter in a real OptimWrapper (custom types) -- and the real
  parameter schedulers from PARAM_SCHEDULERS (which import without torch) exactly as
  `Runner.build_param_scheduler` does (default `end` = run length, `convert_to_iter_based` with the
  dataloader length), then replays MMEngine's control flow: `ParamSchedulerHook` steps
  iteration-based schedulers after every train iteration and epoch-based ones after every epoch;
  `EpochBasedTrainLoop`/`IterBasedTrainLoop` validate when `progress >= val_begin and
  (progress % val_interval == 0 or progress == max)`, the dynamic interval being looked up at
  `progress + 1` (MMEngine bisects after incrementing the counter; MMCV/mmdet 2.x at progress); `CheckpointHook` saves when
  `(progress - save_begin) % interval == 0` (progress 1-based) or, with `save_last`, at the end.
* `full_trace` (`--full`): the real `Runner` with real loops and hooks (runtime.runner), where
  only the model, dataset and metrics are stand-ins; tests assert both paths agree.

The trace: {"max_iters", "by_epoch", "epoch_len", "iters": [{"iter", "epoch", "lr", "momentum"}],
"val_at", "ckpt_at"}; `iter`/`epoch` are 0-based for the iteration being run, `lr`/`momentum` are
those of parameter group 0 while that iteration's optimizer step runs (Adam-style: beta1).
"""
from __future__ import annotations

import copy
import math
import warnings
from typing import Any, Callable, Dict, List, Optional

STAND_INS_NOTE = "stand-ins: one-parameter model, dataset of {n} indices, no metrics"


def _get(cfg: Dict[str, Any], key: str, default=None):
    v = cfg.get(key, default)
    return default if v is None else v


def loop_info(cfg: Dict[str, Any]) -> Dict[str, Any]:
    """by_epoch, max_epochs/max_iters, val_begin, val_interval of `train_cfg` (MMEngine defaults:
    an IterBasedTrainLoop is one "epoch" long, so max_epochs = 1 there)."""
    tc = dict(_get(cfg, "train_cfg", {}) or {})
    if not tc:
        raise ValueError("config has no train_cfg (nothing is trained)")
    ltype = str(tc.pop("type", "") or "")
    by_epoch = tc.pop("by_epoch", None)
    if by_epoch is None:
        by_epoch = not ltype.endswith("IterBasedTrainLoop") if ltype else "max_iters" not in tc
    if ltype and not ltype.endswith(("EpochBasedTrainLoop", "IterBasedTrainLoop")):
        raise ValueError(f"train loop {ltype!r} is not modelled")
    default_interval = 1 if by_epoch else 1000
    max_epochs = tc.get("max_epochs") if by_epoch else 1
    if by_epoch and max_epochs is None:
        raise ValueError("EpochBasedTrainLoop without max_epochs")
    if not by_epoch and tc.get("max_iters") is None:
        raise ValueError("IterBasedTrainLoop without max_iters")
    return dict(by_epoch=bool(by_epoch), max_epochs=max_epochs, max_iters=tc.get("max_iters"),
                val_begin=tc.get("val_begin", 1), val_interval=tc.get("val_interval", default_interval),
                dynamic_intervals=tc.get("dynamic_intervals"))


def epoch_length(loader: Dict[str, Any], dataset_len: int, world_size: int = 1) -> int:
    """len(train_dataloader) on rank 0: DefaultSampler (round_up=True) gives ceil(N/W) samples per
    rank; InfiniteSampler reports len(dataset); batches are ceil (or floor with drop_last)."""
    batch = int(_get(loader, "batch_size", 1))
    sampler = _get(loader, "sampler", {}) or {}
    stype = sampler.get("type", "DefaultSampler") if isinstance(sampler, dict) else "DefaultSampler"
    if stype.endswith("InfiniteSampler"):
        per_rank = dataset_len
    elif sampler.get("round_up", True):
        per_rank = math.ceil(dataset_len / world_size)
    else:
        per_rank = len(range(0, dataset_len, world_size))
    if loader.get("drop_last", False):
        return per_rank // batch
    return math.ceil(per_rank / batch)


def _momentum(group: Dict[str, Any]) -> Optional[float]:
    if "momentum" in group:
        return group["momentum"]
    if "betas" in group:
        return group["betas"][0]
    return None


def _interval_at(progress: int, base: int, dynamic) -> int:
    """MMEngine's `_decide_current_val_interval`: the interval of the last milestone <= progress."""
    if not dynamic:
        return base
    milestones, intervals = [0], [base]
    for m, i in dynamic:
        milestones.append(m)
        intervals.append(i)
    step = sum(1 for m in milestones if m <= progress)   # bisect_right
    return intervals[step - 1]


def val_interval_after(done: int, info: Dict[str, Any]) -> int:
    """The interval the train loop checks after `done` epochs/iterations: MMEngine's loops call
    `_decide_current_val_interval` after incrementing the counter and bisect `counter + 1`."""
    return _interval_at(done + 1, info["val_interval"], info["dynamic_intervals"])


def root_type(registry, type_):
    """A codebase-scoped name (`mmdet.QuadraticWarmupLR`) whose codebase is not installed ->
    the plain name when the root registry has it (the dry run replaces codebase scopes by the
    root registry)."""
    if isinstance(type_, str) and "." in type_:
        bare = type_.rsplit(".", 1)[1]
        try:
            found = registry.get(type_)
        except Exception:
            found = None
        if found is None and registry.get(bare) is not None:
            return bare
    return type_


def build_schedulers(cfg: Dict[str, Any], optim_wrapper, info: Dict[str, Any], epoch_len: int) -> List:
    from runtime.registry import PARAM_SCHEDULERS

    scheds = _get(cfg, "param_scheduler", [])
    if isinstance(scheds, dict):
        scheds = [scheds]
    out = []
    for s in scheds:
        s = copy.deepcopy(dict(s))
        s["type"] = root_type(PARAM_SCHEDULERS, s.get("type"))
        s.setdefault("end", info["max_epochs"] if s.get("by_epoch", True) else info["max_iters"])
        out.append(PARAM_SCHEDULERS.build(s, default_args=dict(optimizer=optim_wrapper,
                                                               epoch_length=epoch_len)))
    return out


def first_optimizer_cfg(ow_cfg: Dict[str, Any]) -> Dict[str, Any]:
    """The optimizer config of the wrapper that owns parameter group 0: the `optimizer` of a
    plain wrapper, or that of the first wrapper of an OptimWrapperDict-style mapping."""
    if isinstance(ow_cfg.get("optimizer"), dict):
        return dict(ow_cfg["optimizer"])
    for value in ow_cfg.values():
        if isinstance(value, dict) and isinstance(value.get("optimizer"), dict):
            return dict(value["optimizer"])
    raise ValueError("optim_wrapper has no optimizer config")


# The constructor defaults of the torch optimizers (torch.optim 2.13, `inspect.signature` of each
# `__init__`, in signature order), keyed by their OPTIMIZERS name. torch builds param group 0 as
# {"params": [...], **defaults}, defaults being these with the config's values; tests check the
# stand-in's group against the real optimizer's for every entry (tests/test_dryrun.py).
# Used whatever torch is installed, or none: the schedulers read only lr, momentum and betas,
# whose defaults and meaning are the same in every torch >= 2.1; releases differ only in
# implementation switches (foreach/fused/capturable/...), which a dry run never reads.
_TORCH_OPTIM_DEFAULTS: Dict[str, Dict[str, Any]] = {
    "ASGD": dict(lr=0.01, lambd=0.0001, alpha=0.75, t0=1000000.0, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False),
    "Adadelta": dict(lr=1.0, rho=0.9, eps=1e-06, weight_decay=0, foreach=None, capturable=False,
                     maximize=False, differentiable=False),
    "TorchAdafactor": dict(lr=0.01, beta2_decay=-0.8, eps=(None, 0.001), d=1.0, weight_decay=0.0,
                           foreach=None, maximize=False),
    "Adagrad": dict(lr=0.01, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                    foreach=None, maximize=False, differentiable=False, fused=None),
    "Adam": dict(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, amsgrad=False,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False),
    "AdamW": dict(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01, amsgrad=False,
                  maximize=False, foreach=None, capturable=False, differentiable=False,
                  fused=None),
    "Adamax": dict(lr=0.002, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, foreach=None,
                   maximize=False, differentiable=False, capturable=False),
    "LBFGS": dict(lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-07, tolerance_change=1e-09,
                  history_size=100, line_search_fn=None),
    "NAdam": dict(lr=0.002, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, momentum_decay=0.004,
                  decoupled_weight_decay=False, foreach=None, maximize=False, capturable=False,
                  differentiable=False),
    "RAdam": dict(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0,
                  decoupled_weight_decay=False, foreach=None, maximize=False, capturable=False,
                  differentiable=False),
    "RMSprop": dict(lr=0.01, alpha=0.99, eps=1e-08, weight_decay=0, momentum=0, centered=False,
                    capturable=False, foreach=None, maximize=False, differentiable=False),
    "Rprop": dict(lr=0.01, etas=(0.5, 1.2), step_sizes=(1e-06, 50), capturable=False,
                  foreach=None, maximize=False, differentiable=False),
    "SGD": dict(lr=0.001, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False,
                foreach=None, differentiable=False, fused=None),
    "SparseAdam": dict(lr=0.001, betas=(0.9, 0.999), eps=1e-08, maximize=False),
}
_NONNEGATIVE = ("lr", "eps", "weight_decay", "momentum", "alpha", "rho", "lr_decay", "lambd")
# implementation switches torch validates against the device/each other: left to torch
_TORCH_CHECKED_FLAGS = ("fused", "foreach", "capturable", "differentiable")


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class StandinOptimizer:
    """What the parameter schedulers see of a torch optimizer, without torch: `defaults` and the
    single param group torch would build for one parameter (`params` left empty), and a no-op
    `step`. Accepted by the schedulers' type check (`_runtime_standin_optimizer`)."""

    _runtime_standin_optimizer = True

    def __init__(self, type_name: str, defaults: Dict[str, Any]):
        self.type_name = type_name
        self.defaults = dict(defaults)
        self.param_groups = [{"params": [], **copy.deepcopy(self.defaults)}]

    def step(self, closure=None):
        return None

    def zero_grad(self, set_to_none: bool = True) -> None:
        return None

    def __repr__(self) -> str:
        return f"StandinOptimizer({self.type_name}, {self.defaults})"


def standin_optimizer(opt_cfg: Dict[str, Any]) -> Optional[StandinOptimizer]:
    """The torch-free stand-in for `OPTIMIZERS.build(opt_cfg, params=[one parameter])`, or None
    when it cannot be exact: a type outside the table (custom or registered over a torch name), an
    argument torch would reject (unknown keyword, negative value, ...). Never imports torch."""
    from runtime.registry import OPTIMIZERS

    cfg = dict(opt_cfg)
    type_ = cfg.pop("type", None)
    if not isinstance(type_, str):
        return None
    scope, _, name = type_.rpartition(".")
    if scope and scope not in ("runtime", "mmengine"):
        import importlib.util
        try:   # a codebase scope that is installed might register its own class
            if importlib.util.find_spec(scope.split(".")[0]) is not None:
                return None
        except (ImportError, ValueError):
            return None
    table = _TORCH_OPTIM_DEFAULTS.get(name)
    if table is None or set(cfg) - set(table):
        return None
    known = OPTIMIZERS._module_dict.get(name)   # registered already: it must be torch's own class
    if known is not None and not str(getattr(known, "__module__", "")).startswith("torch.optim"):
        return None
    defaults = {k: cfg.get(k, v) for k, v in table.items()}
    if not _is_number(defaults["lr"]) or any(cfg.get(k) for k in _TORCH_CHECKED_FLAGS):
        return None
    if any(_is_number(defaults.get(k)) and defaults[k] < 0 for k in _NONNEGATIVE):
        return None
    for key in ("betas", "etas", "step_sizes"):
        if key in cfg and not (isinstance(cfg[key], (list, tuple)) and len(cfg[key]) == 2):
            return None
    if "betas" in cfg and not all(_is_number(b) and 0 <= b < 1 for b in cfg["betas"]):
        return None
    if name == "SGD" and defaults["nesterov"] and (defaults["momentum"] <= 0
                                                    or defaults["dampening"] != 0):
        return None
    if name in ("Adam", "AdamW"):   # Adam stores betas as a tuple; AdamW is Adam with
        defaults["betas"] = tuple(defaults["betas"])   # decoupled_weight_decay fixed to True
    if name == "AdamW":
        defaults["decoupled_weight_decay"] = True
    if name == "LBFGS" and defaults["max_eval"] is None:
        defaults["max_eval"] = defaults["max_iter"] * 5 // 4
    return StandinOptimizer(name, defaults)


def _skip_dynamo_import() -> None:
    """torch wraps some `Optimizer` methods (add_param_group, zero_grad, ...) in
    `_disable_dynamo`, which imports torch._dynamo (~1 s) on the first call. A dry run never
    compiles anything, so when dynamo is not loaded yet, pre-fill each wrapper's cache with the
    plain function (same behaviour, no import)."""
    import sys

    import torch
    if "torch._dynamo" in sys.modules:
        return
    for attr in vars(torch.optim.Optimizer).values():
        fn = getattr(attr, "__wrapped__", None)
        if callable(fn) and getattr(fn, "__dynamo_disable", None) is None:
            setattr(fn, "__dynamo_disable", fn)


def build_standin_optim(cfg: Dict[str, Any], world_size: int, use_torch: Optional[bool] = None):
    """The optimizer the schedulers drive, lr scaled like `Runner.scale_lr` (auto_scale_lr:
    x world_size * batch_size / base_batch_size): a torch-free `StandinOptimizer` when the type is
    a known torch optimizer (one param group, so a real OptimWrapper would add nothing), else
    (or with `use_torch=True`) the real optimizer on one stand-in parameter in a real OptimWrapper."""
    opt_cfg = first_optimizer_cfg(dict(_get(cfg, "optim_wrapper", {}) or {}))
    optimizer = None if use_torch else standin_optimizer(opt_cfg)
    if optimizer is None:
        if use_torch is False:
            raise ValueError(f"no torch-free stand-in for optimizer {opt_cfg.get('type')!r}")
        optimizer = _torch_optimizer(opt_cfg)
    scale = _get(cfg, "auto_scale_lr", {})
    if isinstance(scale, dict) and scale.get("enable") and "base_batch_size" in scale:
        real = world_size * int(_get(_get(cfg, "train_dataloader", {}), "batch_size", 1))
        ratio = float(real) / float(scale["base_batch_size"])
        for g in optimizer.param_groups:
            g["lr"] = g["lr"] * ratio
    if isinstance(optimizer, StandinOptimizer):
        return optimizer
    from runtime.optim import OptimWrapper
    return OptimWrapper(optimizer)


def _torch_optimizer(opt_cfg: Dict[str, Any]):
    """The real optimizer built from OPTIMIZERS on one zero parameter."""
    import torch

    from runtime.registry import OPTIMIZERS

    opt_cfg = dict(opt_cfg)
    opt_cfg["type"] = root_type(OPTIMIZERS, opt_cfg.get("type"))
    _skip_dynamo_import()
    param = torch.nn.Parameter(torch.zeros(1))
    return OPTIMIZERS.build(opt_cfg, default_args=dict(params=[param]))


def schedule_trace(cfg: Dict[str, Any], dataset_len: int, world_size: int = 1) -> Dict[str, Any]:
    """The trace of `cfg` (a plain new-style config dict) on `dataset_len` training samples."""
    info = loop_info(cfg)
    epoch_len = epoch_length(_get(cfg, "train_dataloader", {}), dataset_len, world_size)
    if epoch_len <= 0:
        raise ValueError(f"dataset of {dataset_len} samples gives an empty train dataloader")
    by_epoch = info["by_epoch"]
    max_iters = info["max_epochs"] * epoch_len if by_epoch else info["max_iters"]
    if by_epoch:
        info["max_iters"] = max_iters
    ow = build_standin_optim(cfg, world_size)
    with warnings.catch_warnings():   # no optimizer.step() runs here: that is the point
        warnings.simplefilter("ignore", UserWarning)
        scheds = build_schedulers(cfg, ow, info, epoch_len)
        return _replay(cfg, info, ow, scheds, epoch_len, max_iters)


def checkpoint_cfg(cfg: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The CheckpointHook config `Runner.register_default_hooks` ends up with (a user entry
    replaces the default `CheckpointHook(interval=1)` whole; None disables it)."""
    hooks = _get(cfg, "default_hooks", {}) or {}
    ck = hooks["checkpoint"] if "checkpoint" in hooks else dict(type="CheckpointHook", interval=1)
    if not ck:
        return None
    ck = dict(ck)
    return ck if str(ck.get("type", "CheckpointHook")).endswith("CheckpointHook") else None


def _replay(cfg, info, ow, scheds, epoch_len: int, max_iters: int) -> Dict[str, Any]:
    by_epoch = info["by_epoch"]
    iter_scheds = [s for s in scheds if not s.by_epoch]
    epoch_scheds = [s for s in scheds if s.by_epoch]
    group = getattr(ow, "optimizer", ow).param_groups[0]
    ck = checkpoint_cfg(cfg)
    ck_by_epoch = bool(ck.get("by_epoch", True)) if ck else by_epoch
    ck_interval = ck.get("interval", -1) if ck else -1
    ck_begin, ck_last = (ck.get("save_begin", 0), ck.get("save_last", True)) if ck else (0, False)
    has_val = cfg.get("val_dataloader") is not None and cfg.get("val_cfg") is not None \
        and cfg.get("val_evaluator") is not None
    mom_key = "momentum" if "momentum" in group else ("betas" if "betas" in group else None)

    iters: List[Dict[str, Any]] = []
    val_at: List[int] = []
    ckpt_at: List[int] = []
    it = 0
    for epoch in range(info["max_epochs"]):
        for _ in range(epoch_len if by_epoch else max_iters):
            mom = None if mom_key is None else (group["momentum"] if mom_key == "momentum"
                                                else group["betas"][0])
            iters.append({"iter": it, "epoch": epoch, "lr": group["lr"], "momentum": mom})
            # after_train_iter: CheckpointHook (by iteration) then ParamSchedulerHook order does
            # not matter for the trace; the loop's validation comes after the hooks
            if ck and not ck_by_epoch and _saves(it + 1, ck_interval, ck_begin, ck_last, max_iters):
                ckpt_at.append(it + 1)
            for s in iter_scheds:
                s.step()
            it += 1
            if not by_epoch and has_val and it >= info["val_begin"] and \
                    (it % val_interval_after(it, info) == 0 or it == max_iters):
                val_at.append(it)
        # after_train_epoch (the one "epoch" of an IterBasedTrainLoop included)
        done = epoch + 1
        if ck and ck_by_epoch and _saves(done, ck_interval, ck_begin, ck_last, info["max_epochs"]):
            # an IterBasedTrainLoop's single after_train_epoch comes after iteration max_iters
            ckpt_at.append(done if by_epoch else max_iters)
        for s in epoch_scheds:
            s.step()
        if by_epoch and has_val and done >= info["val_begin"] and \
                (done % val_interval_after(done, info) == 0 or done == info["max_epochs"]):
            val_at.append(done)
    out = {"max_iters": max_iters, "by_epoch": by_epoch, "epoch_len": epoch_len,
           "iters": iters, "val_at": val_at, "ckpt_at": ckpt_at}
    if ck and by_epoch and not ck_by_epoch and ckpt_at:
        out["ckpt_by_epoch"] = False
    return out


def _saves(done: int, interval: int, begin: int, save_last: bool, last: int) -> bool:
    """CheckpointHook: every_n_{epochs,train_iters}(interval, save_begin) or save_last at the end."""
    dividend = done - begin
    every = dividend % interval == 0 if dividend >= 0 and interval > 0 else False
    return every or (save_last and done == last)


# --- `mmrun dry-run` ---------------------------------------------------------------------------
def parse_lengths(text: str) -> List[int]:
    out = [int(x) for x in str(text).replace(" ", "").split(",") if x]
    if not out or any(n <= 0 for n in out):
        raise ValueError(f"--dataset-len wants positive integers, got {text!r}")
    return out


def setup_dryrun(parser) -> Callable:
    """Arguments of `mmrun dry-run` (cheap: nothing heavy is imported here)."""
    parser.add_argument("config", nargs="?", help="converted (MMEngine-style) config file")
    parser.add_argument("--dataset-len", default=None,
                        help="training samples; several comma-separated values give a list of traces")
    parser.add_argument("--world-size", type=int, default=1, help="GPUs the run is modelled on")
    parser.add_argument("--trace", help="write the trace(s) as JSON here ('-': stdout)")
    parser.add_argument("--full", action="store_true",
                        help="run the real Runner with stand-ins instead of the schedule-only path")
    parser.add_argument("--batch", action="store_true",
                        help="read a JSON list of {config | cfg, dataset_lens, world_size, full} "
                             "from stdin, write a JSON list of results to stdout (used by migrate)")
    return run_dryrun


def trace_many(cfg: Dict[str, Any], lengths: List[int], world_size: int = 1,
               full: bool = False, config_path: Optional[str] = None) -> List[Dict[str, Any]]:
    if full:
        from runtime.dryrun_full import full_trace
        return [full_trace(cfg, n, world_size, config_path=config_path) for n in lengths]
    return [schedule_trace(cfg, n, world_size) for n in lengths]


def _load_cfg(path: str) -> Dict[str, Any]:
    from runtime.config import Config
    return Config.fromfile(path).to_dict()


def _batch_item(item: Dict[str, Any]) -> Dict[str, Any]:
    try:
        cfg = item["cfg"] if item.get("cfg") is not None else _load_cfg(item["config"])
        traces = trace_many(cfg, [int(n) for n in item["dataset_lens"]],
                            int(item.get("world_size", 1)), bool(item.get("full", False)),
                            item.get("config"))
        return {"traces": [_compact(t) for t in traces]}
    except Exception as exc:   # one bad config must not stop the others
        return {"error": f"{type(exc).__name__}: {exc}"}


COMPACT = "mmmigrate-trace-rle/1"


def _rle(values: List[Any]) -> List[List[Any]]:
    out: List[List[Any]] = []
    for v in values:
        if out and out[-1][0] == v and type(out[-1][0]) is type(v):
            out[-1][1] += 1
        else:
            out.append([v, 1])
    return out


def _compact(trace: Dict[str, Any]) -> Dict[str, Any]:
    """The trace in the shared compact form (`migrator/verify/trace.py`, format COMPACT):
    run-length encoded lr/momentum/epoch columns instead of one dict per iteration."""
    its = trace["iters"]
    out = {k: v for k, v in trace.items() if k != "iters"}
    moms = [d["momentum"] for d in its]
    out.update(format=COMPACT, lr=_rle([d["lr"] for d in its]),
               momentum=None if all(m is None for m in moms) else _rle(moms),
               epoch=_rle([d["epoch"] for d in its]))
    return out


def run_dryrun(args) -> int:
    import json
    import sys

    if args.batch:
        items = json.load(sys.stdin)
        json.dump([_batch_item(it) for it in items], sys.stdout, separators=(",", ":"))
        sys.stdout.write("\n")
        return 0
    if not args.config or not args.dataset_len:
        print("mmrun dry-run: give CONFIG and --dataset-len N[,N2,...] (or --batch)", file=sys.stderr)
        return 2
    lengths = parse_lengths(args.dataset_len)
    traces = trace_many(_load_cfg(args.config), lengths, args.world_size, args.full, args.config)
    data: Any = traces[0] if len(lengths) == 1 else traces
    text = json.dumps(data, separators=(",", ":"))
    if args.trace == "-":
        print(text)
    elif args.trace:
        with open(args.trace, "w") as f:
            f.write(text + "\n")
    for n, t in zip(lengths, traces):
        print(f"dry-run: dataset_len={n} max_iters={t['max_iters']} epoch_len={t['epoch_len']} "
              f"val_at={_short(t['val_at'])} ckpt_at={_short(t['ckpt_at'])}", file=sys.stderr)
    return 0


def _short(v: List[int]) -> str:
    return str(v) if len(v) <= 12 else f"[{v[0]}, {v[1]}, ..., {v[-1]}] ({len(v)})"
