"""The ordered rule list. Each rule: `NAME`, `apply(cfg, ctx) -> cfg`, a docstring naming the MMCV
behaviour it reads and the MMEngine behaviour it produces.

Order matters where rules share keys:
  model     moves old top-level train_cfg/test_cfg (model settings) into `model` before `loops`
            writes the new train_cfg/test_cfg.
  schedule  reads the run length from ctx.run (computed before any rule ran).
  loops     owns runner/workflow/total_epochs/evaluation; adds default_hooks.checkpoint.save_best.
  hooks     owns checkpoint_config/log_config/custom_hooks; merges into default_hooks.
Codebase-specific knowledge (dataset/pipeline/metric/model fields, scopes, visualizers) is not
here: the codebase profiles (`migrator/profiles/`) run after these rules.
"""
from __future__ import annotations

import importlib
from typing import Any, Dict, List

from .base import Context, RunInfo

RULE_MODULES: List[str] = ["model", "schedule", "optim", "loops", "data", "hooks", "env"]


def load_rules():
    return [importlib.import_module(f"{__name__}.{name}") for name in RULE_MODULES]


def apply_rules(cfg: Dict[str, Any], ctx: Context) -> Dict[str, Any]:
    """Run every rule in order, then the codebase profile of `ctx.codebase` (migrator/profiles).
    `ctx.run` and `ctx.old` are filled from the old config first."""
    from ..profiles import apply_profile
    ctx.run = RunInfo.from_old(cfg)
    if ctx.old is None:
        ctx.old = cfg
    for rule in load_rules():
        cfg = rule.apply(cfg, ctx)
    return apply_profile(cfg, ctx)


__all__ = ["Context", "RunInfo", "RULE_MODULES", "apply_rules", "load_rules"]
