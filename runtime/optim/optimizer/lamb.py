"""`Lamb` (what mmcls 0.25 / mmpretrain 1.x configs name with `optimizer=dict(type='Lamb')`;
mmpretrain 1.2.0 registers it in its own OPTIMIZERS): LAMB (You et al., "Large Batch
Optimization for Deep Learning", 2019) in the NVIDIA FusedLamb variant that mmpretrain and timm
implement. Written here from the update rule; every tensor operation is the one mmpretrain
1.2.0 performs, in the same order, so the steps agree bit for bit.

Per `step()`, with g the gradients of all parameters that have one:
  N = sqrt(sum ||g||^2) (over every group), c = N / max_grad_norm if N > max_grad_norm else 1
  (max_grad_norm from the optimizer's defaults); then per group, step t += 1 and, per parameter,
  g <- g / c (in place, as mmpretrain), m <- beta1 m + beta3 g (beta3 = 1 - beta1 when
  grad_averaging, else 1), v <- beta2 v + (1 - beta2) g^2,
  u = (m / bc1) / (sqrt(v) / sqrt(bc2) + eps) with bc_i = 1 - beta_i^t (1 without
  bias_correction), u <- u + weight_decay p; when weight_decay != 0 or always_adapt,
  u <- r u with the trust ratio r = ||p|| / ||u|| (1 when either norm is 0; min(r, 1) with
  trust_clip); p <- p - lr u.
"""
from __future__ import annotations

import math

import torch
from torch.optim import Optimizer

from runtime.registry import OPTIMIZERS


@OPTIMIZERS.register_module()
class Lamb(Optimizer):
    def __init__(self, params, lr: float = 1e-3, bias_correction: bool = True,
                 betas=(0.9, 0.999), eps: float = 1e-6, weight_decay: float = 0.01,
                 grad_averaging: bool = True, max_grad_norm: float = 1.0,
                 trust_clip: bool = False, always_adapt: bool = False):
        super().__init__(params, dict(lr=lr, bias_correction=bias_correction, betas=betas,
                                      eps=eps, weight_decay=weight_decay,
                                      grad_averaging=grad_averaging, max_grad_norm=max_grad_norm,
                                      trust_clip=trust_clip, always_adapt=always_adapt))

    def _clip_divisor(self, device) -> tuple:
        """(c, a 1.0 tensor): the global gradient norm's excess over max_grad_norm."""
        one = torch.tensor(1.0, device=device)
        squares = torch.zeros(1, device=device)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError("Lamb does not support sparse gradients, consider "
                                       "SparseAdam instead.")
                squares.add_(p.grad.pow(2).sum())
        norm = torch.sqrt(squares)
        limit = torch.tensor(self.defaults["max_grad_norm"], device=device)
        return torch.where(norm > limit, norm / limit, one), one

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        clip, one = self._clip_divisor(self.param_groups[0]["params"][0].device)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            beta3 = 1 - beta1 if group["grad_averaging"] else 1.0
            group["step"] = group.get("step", 0) + 1
            t = group["step"]
            bc1, bc2 = (1 - beta1 ** t, 1 - beta2 ** t) if group["bias_correction"] else (1.0, 1.0)
            decay = group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad.div_(clip)
                state = self.state[p]
                if not state:
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.mul_(beta1).add_(grad, alpha=beta3)
                v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                update = (m / bc1).div_((v.sqrt() / math.sqrt(bc2)).add_(group["eps"]))
                if decay != 0:
                    update.add_(p, alpha=decay)
                if decay != 0 or group["always_adapt"]:
                    w_norm, u_norm = p.norm(2.0), update.norm(2.0)
                    ratio = torch.where(w_norm > 0,
                                        torch.where(u_norm > 0, w_norm / u_norm, one), one)
                    if group["trust_clip"]:
                        ratio = torch.minimum(ratio, one)
                    update.mul_(ratio)
                p.add_(update, alpha=-group["lr"])
        return loss
