"""DefaultOptimWrapperConstructor (MMEngine's `mmengine.optim.DefaultOptimWrapperConstructor`).

MMCV 1.x `DefaultOptimizerConstructor` took `optimizer=dict(..., paramwise_cfg=...)` and returned a
torch optimizer; MMEngine's constructor reads `optim_wrapper=dict(optimizer=..., paramwise_cfg=...)`
and returns an optim wrapper. The paramwise rules are the same in both and reproduced here:

* without `paramwise_cfg` all parameters form one group;
* otherwise every parameter becomes its own group, visited module by module (own parameters first,
  then children, names prefixed with the module path);
* `custom_keys`: keys are tried longest first (ties alphabetically); the first key contained in the
  full parameter name sets lr = base_lr * lr_mult and weight_decay = base_wd * decay_mult, and all
  other entries of that key are copied into the group; the remaining rules are then skipped;
* `bias_lr_mult` for biases of non-norm, non-DCN modules; `dcn_offset_lr_mult` for Conv2d layers under
  a `conv_offset` prefix inside a deformable conv;
* one decay rule, first match wins: `norm_decay_mult` (BatchNorm/InstanceNorm/GroupNorm/LayerNorm),
  `bias_decay_mult`, `dwconv_decay_mult` (Conv2d with groups == in_channels), `flat_decay_mult`
  (1-D parameters);
* parameters with `requires_grad=False` are left out; `bypass_duplicate` skips shared parameters.
"""
from __future__ import annotations

import inspect
import logging
from typing import List, Optional

import torch
import torch.nn as nn

from runtime.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS

from .optimizer_wrapper import _log

_DCN_NAMES = ("DeformConv2d", "ModulatedDeformConv2d", "DeformConv2dPack",
              "ModulatedDeformConv2dPack")


def _is_norm(module) -> bool:
    from torch.nn.modules.batchnorm import _BatchNorm
    from torch.nn.modules.instancenorm import _InstanceNorm
    return isinstance(module, (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm))


def _is_dcn(module) -> bool:
    """Deformable convs come from mmcv.ops; recognised by class name (no mmcv import)."""
    return any(c.__name__ in _DCN_NAMES for c in type(module).__mro__)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class DefaultOptimWrapperConstructor:
    """Build an optim wrapper for a model from `optim_wrapper_cfg` and `paramwise_cfg`."""

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None):
        if not isinstance(optim_wrapper_cfg, dict):
            raise TypeError(f"optimizer_cfg should be a dict, but got {type(optim_wrapper_cfg)}")
        assert "optimizer" in optim_wrapper_cfg, \
            '`optim_wrapper_cfg` must contain "optimizer" config'
        self.optim_wrapper_cfg = dict(optim_wrapper_cfg)
        self.optimizer_cfg = self.optim_wrapper_cfg.pop("optimizer")
        self.paramwise_cfg = {} if paramwise_cfg is None else paramwise_cfg
        self.base_lr = self.optimizer_cfg.get("lr", None)
        self.base_wd = self.optimizer_cfg.get("weight_decay", None)
        self._validate_cfg()

    def _validate_cfg(self) -> None:
        if not isinstance(self.paramwise_cfg, dict):
            raise TypeError("paramwise_cfg should be None or a dict, but got "
                            f"{type(self.paramwise_cfg)}")
        custom = self.paramwise_cfg.get("custom_keys")
        if custom is not None or "custom_keys" in self.paramwise_cfg:
            if not isinstance(custom, dict):
                raise TypeError(f"If specified, custom_keys must be a dict, but got {type(custom)}")
            if self.base_wd is None and any("decay_mult" in v for v in custom.values()):
                raise ValueError("base_wd should not be None")
        if self.base_wd is None and any(
                k in self.paramwise_cfg
                for k in ("bias_decay_mult", "norm_decay_mult", "dwconv_decay_mult")):
            raise ValueError("base_wd should not be None")

    @staticmethod
    def _is_in(param_group: dict, param_group_list: list) -> bool:
        seen = set()
        for group in param_group_list:
            seen.update(group["params"])
        return not set(param_group["params"]).isdisjoint(seen)

    def add_params(self, params: List[dict], module: nn.Module, prefix: str = "",
                   is_dcn_module=None) -> None:
        """Append one param group per parameter of `module` (recursively) to `params`."""
        cfg = self.paramwise_cfg
        custom_keys = cfg.get("custom_keys", {})
        sorted_keys = sorted(sorted(custom_keys), key=len, reverse=True)
        bias_lr_mult = cfg.get("bias_lr_mult", None)
        bias_decay_mult = cfg.get("bias_decay_mult", None)
        norm_decay_mult = cfg.get("norm_decay_mult", None)
        dwconv_decay_mult = cfg.get("dwconv_decay_mult", None)
        flat_decay_mult = cfg.get("flat_decay_mult", None)
        bypass_duplicate = cfg.get("bypass_duplicate", False)
        dcn_offset_lr_mult = cfg.get("dcn_offset_lr_mult", None)

        is_norm = _is_norm(module)
        is_dwconv = isinstance(module, nn.Conv2d) and module.in_channels == module.groups

        for name, param in module.named_parameters(recurse=False):
            group = {"params": [param]}
            if bypass_duplicate and self._is_in(group, params):
                _log(f"{prefix} is duplicate. It is skipped since bypass_duplicate=True",
                     logging.WARNING)
                continue
            if not param.requires_grad:
                _log(f"{prefix}.{name} is skipped since its requires_grad=False",
                     logging.WARNING)
                continue
            full = f"{prefix}.{name}"
            key = next((k for k in sorted_keys if k in full), None)
            if key is not None:
                group["lr"] = self.base_lr * custom_keys[key].get("lr_mult", 1.)
                if self.base_wd is not None:
                    group["weight_decay"] = self.base_wd * custom_keys[key].get("decay_mult", 1.)
                group.update(custom_keys[key])
            else:
                if name == "bias" and not (is_norm or is_dcn_module) and bias_lr_mult is not None:
                    group["lr"] = self.base_lr * bias_lr_mult
                if ("conv_offset" in prefix and is_dcn_module and dcn_offset_lr_mult is not None
                        and isinstance(module, nn.Conv2d)):
                    group["lr"] = self.base_lr * dcn_offset_lr_mult
                if self.base_wd is not None:
                    mult = None
                    if is_norm and norm_decay_mult is not None:
                        mult = norm_decay_mult
                    elif name == "bias" and not is_dcn_module and bias_decay_mult is not None:
                        mult = bias_decay_mult
                    elif is_dwconv and dwconv_decay_mult is not None:
                        mult = dwconv_decay_mult
                    elif param.ndim == 1 and not is_dcn_module and flat_decay_mult is not None:
                        mult = flat_decay_mult
                    if mult is not None:
                        group["weight_decay"] = self.base_wd * mult
            params.append(group)
            shown = f"{prefix}.{name}" if prefix else name
            for k, v in group.items():
                if k != "params":
                    _log(f"paramwise_options -- {shown}:{k}={v}", logging.DEBUG)

        child_is_dcn = _is_dcn(module)
        for child_name, child in module.named_children():
            child_prefix = f"{prefix}.{child_name}" if prefix else child_name
            self.add_params(params, child, prefix=child_prefix, is_dcn_module=child_is_dcn)

    def __call__(self, model: nn.Module):
        if hasattr(model, "module"):
            model = model.module
        wrapper_cfg = dict(self.optim_wrapper_cfg)
        wrapper_cfg.setdefault("type", "OptimWrapper")
        optimizer_cfg = dict(self.optimizer_cfg)
        optimizer_cls = optimizer_cfg["type"]
        if isinstance(optimizer_cls, str):
            optimizer_cls = OPTIMIZERS.get(optimizer_cls)
            if optimizer_cls is None:
                raise KeyError(f"{optimizer_cfg['type']} is not in the optimizer registry")
        first_arg = next(iter(inspect.signature(optimizer_cls).parameters))
        if not self.paramwise_cfg:
            optimizer_cfg[first_arg] = model.parameters()
        else:
            groups: List[dict] = []
            self.add_params(groups, model)
            optimizer_cfg[first_arg] = groups
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        return OPTIM_WRAPPERS.build(wrapper_cfg, default_args=dict(optimizer=optimizer))


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor:
    """One optimizer per sub-module (MMCV 1.x's dict-of-optimizers for GANs, MMEngine's
    mmagic-style constructor): `optim_wrapper=dict(constructor='MultiOptimWrapperConstructor',
    generator=dict(optimizer=...), discriminator=dict(optimizer=...))`. Each value is built with
    DefaultOptimWrapperConstructor on `model.<name>`; the result is an OptimWrapperDict."""

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None):
        if not isinstance(optim_wrapper_cfg, dict):
            raise TypeError(f"optim_wrapper_cfg should be a dict, but got {type(optim_wrapper_cfg)}")
        assert paramwise_cfg is None, \
            "paramwise_cfg should be set in each sub optim_wrapper config"
        self.constructors = {}
        for name, sub in optim_wrapper_cfg.items():
            sub = dict(sub)
            ctor_type = sub.pop("constructor", "DefaultOptimWrapperConstructor")
            sub_paramwise = sub.pop("paramwise_cfg", None)
            self.constructors[name] = OPTIM_WRAPPER_CONSTRUCTORS.build(
                dict(type=ctor_type, optim_wrapper_cfg=sub, paramwise_cfg=sub_paramwise))

    def __call__(self, model: nn.Module):
        from .optimizer_wrapper_dict import OptimWrapperDict
        if hasattr(model, "module"):
            model = model.module
        wrappers = {}
        for name, ctor in self.constructors.items():
            sub_model = getattr(model, name, None)
            if not isinstance(sub_model, torch.nn.Module):
                raise AttributeError(f"model has no sub-module {name!r} for its optimizer")
            wrappers[name] = ctor(sub_model)
        return OptimWrapperDict(**wrappers)
