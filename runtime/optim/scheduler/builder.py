"""Building schedulers from config dicts (MMEngine's `build_scheduler_from_cfg`).

MMCV 1.x had no scheduler objects (lr hooks with `by_epoch`/`warmup_by_epoch` switches). MMEngine
builds each `param_scheduler` entry from the PARAM_SCHEDULERS registry with `optimizer` and
`epoch_length` as default arguments; `convert_to_iter_based=True` routes the config through the
class's `build_iter_from_epoch`, otherwise `epoch_length` is dropped before construction.
"""
from __future__ import annotations

import inspect


def build_scheduler_from_cfg(cfg, registry=None, default_args=None):
    """Build one parameter scheduler; usable as the PARAM_SCHEDULERS `build_func`."""
    if registry is None:
        from runtime.registry import PARAM_SCHEDULERS as registry
    if not isinstance(cfg, dict):
        raise TypeError(f"cfg should be a dict, but got {type(cfg)}")
    args = dict(cfg)
    for name, value in (default_args or {}).items():
        args.setdefault(name, value)
    args.pop("_scope_", None)
    sched_type = args.pop("type")
    if isinstance(sched_type, str):
        sched_cls = registry.get(sched_type)
        if sched_cls is None:
            raise KeyError(f"{sched_type} is not in the {registry.name} registry")
    elif inspect.isclass(sched_type):
        sched_cls = sched_type
    else:
        raise TypeError(f"type must be a str or valid type, but got {type(sched_type)}")
    if args.pop("convert_to_iter_based", False):
        assert "epoch_length" in args and args.get("by_epoch", True), (
            "Only epoch-based parameter scheduler can be converted to iter-based, and "
            "`epoch_length` should be set")
        return sched_cls.build_iter_from_epoch(**args)
    args.pop("epoch_length", None)
    return sched_cls(**args)
