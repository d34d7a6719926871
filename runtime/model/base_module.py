"""`BaseModule` and `init_cfg` weight initialisation (MMEngine's `mmengine.model.base_module` and
`weight_init`; MMCV 1.x had the same in `mmcv.runner.BaseModule` / `mmcv.cnn.utils.weight_init`).

`init_weights()` applies the module's own non-pretrained `init_cfg` entries, then recurses into
children that have `init_weights` and are not initialised yet, then applies `Pretrained` entries
last. An initializer with `layer=[...]` touches submodules whose class (or a base class) has one
of those names; without `layer` it touches the module it is given; `override=dict(name=...)`
re-initialises a named child. Supported types: Constant, Normal, TruncNormal, Uniform, Xavier,
Kaiming, Pretrained (the `<Type>Init` spellings are accepted too).
"""
from __future__ import annotations

import copy
from typing import Optional, Union

import torch.nn as nn



def _fill(module: nn.Module, weight_fn, bias: float = 0.0) -> None:
    if getattr(module, "weight", None) is not None and isinstance(module.weight, nn.Parameter):
        weight_fn(module.weight)
    if getattr(module, "bias", None) is not None and isinstance(module.bias, nn.Parameter):
        nn.init.constant_(module.bias, bias)


def _bias_from_prob(prior_prob: float) -> float:
    import math
    return float(-math.log((1 - prior_prob) / prior_prob))


def _weight_fn(kind: str, args: dict):
    a = dict(args)
    if kind == "Constant":
        return lambda w: nn.init.constant_(w, a.get("val", 0))
    if kind == "Normal":
        return lambda w: nn.init.normal_(w, a.get("mean", 0.0), a.get("std", 1.0))
    if kind == "TruncNormal":
        return lambda w: nn.init.trunc_normal_(w, a.get("mean", 0.0), a.get("std", 1.0),
                                               a.get("a", -2.0), a.get("b", 2.0))
    if kind == "Uniform":
        return lambda w: nn.init.uniform_(w, a.get("a", 0.0), a.get("b", 1.0))
    if kind == "Xavier":
        fn = nn.init.xavier_uniform_ if a.get("distribution", "normal") == "uniform" else nn.init.xavier_normal_
        return lambda w: fn(w, gain=a.get("gain", 1))
    if kind == "Kaiming":
        fn = nn.init.kaiming_uniform_ if a.get("distribution", "normal") == "uniform" else nn.init.kaiming_normal_
        return lambda w: fn(w, a=a.get("a", 0), mode=a.get("mode", "fan_out"),
                            nonlinearity=a.get("nonlinearity", "relu"))
    raise KeyError(f"unknown init type {kind}")


def _class_names(module: nn.Module) -> set:
    return {c.__name__ for c in type(module).__mro__}


def _apply_one(module: nn.Module, cfg: dict) -> None:
    cfg = dict(cfg)
    kind = cfg.pop("type")
    kind = kind[:-4] if isinstance(kind, str) and kind.endswith("Init") else kind
    override = cfg.pop("override", None)
    if kind == "Pretrained":
        _load_pretrained(module, **cfg)
        return
    layers = cfg.pop("layer", None)
    bias = cfg.pop("bias", 0)
    if cfg.get("bias_prob") is not None:
        bias = _bias_from_prob(cfg.pop("bias_prob"))
    cfg.pop("bias_prob", None)
    fn = _weight_fn(kind, cfg)
    if layers is None:
        _fill(module, fn, bias)
    else:
        wanted = {layers} if isinstance(layers, str) else set(layers)
        for m in module.modules():
            if _class_names(m) & wanted:
                _fill(m, fn, bias)
    for ov in ([override] if isinstance(override, dict) else override or []):
        ov = dict(ov)
        name = ov.pop("name")
        if not hasattr(module, name):
            raise RuntimeError(f"module did not have attribute {name}, but init_cfg is {ov}")
        merged = dict(cfg, type=kind, bias=bias) if "type" not in ov else ov
        merged.update({k: v for k, v in ov.items() if k != "type"})
        merged.pop("layer", None)
        _apply_one(getattr(module, name), merged)


def _load_pretrained(module: nn.Module, checkpoint: str, prefix: Optional[str] = None,
                     map_location: str = "cpu") -> None:
    from runtime.runner.checkpoint import load_checkpoint, load_raw
    if prefix is None:
        load_checkpoint(module, checkpoint, map_location=map_location, strict=False)
        return
    state = load_raw(checkpoint, map_location)
    state = state.get("state_dict", state)
    prefix = prefix if prefix.endswith(".") else prefix + "."
    sub = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    from runtime.runner.checkpoint import load_state_dict
    load_state_dict(module, sub, strict=False)


def initialize(module: nn.Module, init_cfg: Union[dict, list]) -> None:
    """Apply one init_cfg dict or a list of them to `module`."""
    for cfg in ([init_cfg] if isinstance(init_cfg, dict) else init_cfg):
        _apply_one(module, cfg)


class BaseModule(nn.Module):
    """nn.Module with `init_cfg` and an idempotent `init_weights()`."""

    def __init__(self, init_cfg: Optional[Union[dict, list]] = None):
        super().__init__()
        self._is_init = False
        self.init_cfg = copy.deepcopy(init_cfg)

    @property
    def is_init(self) -> bool:
        return self._is_init

    @is_init.setter
    def is_init(self, value: bool) -> None:
        self._is_init = value

    def init_weights(self) -> None:
        from .wrappers import is_model_wrapper
        if self._is_init:
            return
        cfgs = [] if not self.init_cfg else (
            [self.init_cfg] if isinstance(self.init_cfg, dict) else list(self.init_cfg))
        pretrained = [c for c in cfgs if str(c.get("type")).startswith("Pretrained")]
        initialize(self, [c for c in cfgs if c not in pretrained])
        for child in self.children():
            if is_model_wrapper(child) and not hasattr(child, "init_weights"):
                child = child.module
            if hasattr(child, "init_weights") and not getattr(child, "is_init", False):
                child.init_weights()
        if pretrained:
            initialize(self, pretrained)
        self._is_init = True


class Sequential(BaseModule, nn.Sequential):
    def __init__(self, *args, init_cfg: Optional[dict] = None):
        BaseModule.__init__(self, init_cfg)
        nn.Sequential.__init__(self, *args)


class ModuleList(BaseModule, nn.ModuleList):
    def __init__(self, modules=None, init_cfg: Optional[dict] = None):
        BaseModule.__init__(self, init_cfg)
        nn.ModuleList.__init__(self, modules)


class ModuleDict(BaseModule, nn.ModuleDict):
    def __init__(self, modules=None, init_cfg: Optional[dict] = None):
        BaseModule.__init__(self, init_cfg)
        nn.ModuleDict.__init__(self, modules)
