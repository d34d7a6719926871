"""Who converts which old field into which new fields: the one table.

`OWNERSHIP[old field] = Field(rule, new, also, owns, check)`:
  rule   the rule module (migrator/rules/<rule>.py) that reads and removes the old field;
  new    the new fields it becomes, placed where the old field stood in a tree (emit/tree.py);
  also   further new fields the rule may write or merge into because of it (not placed there),
         e.g. `evaluation.save_best` -> `default_hooks.checkpoint`;
  owns   the new fields for which a base writing this old field is *the* owner when two sibling
         bases would both set them (project.py: `dist_params` owns `env_cfg`, a model base's
         `cudnn_benchmark` does not);
  check  whether `migrate --check` reports it as old-style (False for names MMEngine also uses
         with the same meaning, e.g. `load_from`, `custom_hooks`, and for `train_cfg`/`test_cfg`,
         which check.py decides by their content);
  code   the rule code `migrate --check` prints for it (`MM101 lr_config -> param_scheduler`);
         stable, users filter on them: MM1xx schedule, MM2xx optim, MM3xx loops, MM4xx data,
         MM5xx hooks, MM6xx env, MM7xx resume/launch, MM8xx model settings.
Rules take their field lists from here (`old_fields`), `apply_rules` checks after every rule
that it added only new fields the table gives it (`check_rule_output`), and check.py, emit/tree.py
and project.py derive their constants from it (`OLD_STYLE_KEYS`, `NEW_FROM_OLD`, `OWNER_OLD`,
`RULE_CODES`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, Optional, Set, Tuple


@dataclass(frozen=True)
class Field:
    rule: str
    new: Tuple[str, ...] = ()
    also: Tuple[str, ...] = ()
    owns: Tuple[str, ...] = ()
    check: bool = True
    code: str = ""


_LOADERS = ("train_dataloader", "val_dataloader", "test_dataloader")
_LOG = ("default_hooks", "log_processor", "vis_backends", "visualizer")

# Order inside one rule matters: it is the order the rule reads (and emits) its fields in.
OWNERSHIP: Dict[str, Field] = {
    # model: mmdet 2.x top-level model settings (check.py tells them from loop configs)
    "train_cfg": Field("model", ("model",), check=False, code="MM801"),
    "test_cfg": Field("model", ("model",), check=False, code="MM802"),
    # schedule
    "lr_config": Field("schedule", ("param_scheduler",), owns=("param_scheduler",), code="MM101"),
    "momentum_config": Field("schedule", ("param_scheduler",), code="MM102"),
    # optim
    "optimizer": Field("optim", ("optim_wrapper",), owns=("optim_wrapper",), code="MM201"),
    "optimizer_config": Field("optim", ("optim_wrapper",), code="MM202"),
    "fp16": Field("optim", ("optim_wrapper",), code="MM203"),
    # loops
    "runner": Field("loops", ("train_cfg",), owns=("train_cfg",), code="MM301"),
    "total_epochs": Field("loops", ("train_cfg",), owns=("train_cfg",), code="MM302"),
    "workflow": Field("loops", ("train_cfg",), code="MM303"),
    "evaluation": Field("loops", ("val_evaluator", "test_evaluator", "train_cfg", "val_cfg", "test_cfg"),
                        also=("default_hooks",), owns=("val_evaluator", "test_evaluator"),
                        code="MM304"),
    # data (the loops rule also writes val_cfg/test_cfg when `data` has val/test splits)
    "data": Field("data", _LOADERS + ("val_cfg", "test_cfg"), owns=("val_cfg", "test_cfg"),
                  code="MM401"),
    # hooks
    "checkpoint_config": Field("hooks", ("default_hooks",), owns=("default_hooks",), code="MM501"),
    "log_config": Field("hooks", _LOG, owns=_LOG, code="MM502"),
    "custom_hooks": Field("hooks", also=("custom_hooks",), check=False),
    # env
    "dist_params": Field("env", ("env_cfg",), owns=("env_cfg",), code="MM601"),
    "cudnn_benchmark": Field("env", ("env_cfg",), code="MM602"),
    "mp_start_method": Field("env", ("env_cfg",), code="MM603"),
    "opencv_num_threads": Field("env", ("env_cfg",), code="MM604"),
    "seed": Field("env", ("randomness",), owns=("randomness",), code="MM605"),
    "deterministic": Field("env", ("randomness",), owns=("randomness",), code="MM606"),
    "diff_seed": Field("env", ("randomness",), code="MM607"),
    "resume_from": Field("env", ("load_from", "resume"), owns=("load_from", "resume"), code="MM701"),
    "auto_resume": Field("env", ("load_from", "resume"), code="MM702"),
    "load_from": Field("env", also=("load_from", "resume"), owns=("load_from", "resume"), check=False),
    "find_unused_parameters": Field("env", ("model_wrapper_cfg",), code="MM703"),
    "gpu_ids": Field("env", code="MM704"),
    "device": Field("env", check=False),
}

# New fields a rule writes that no old field becomes (codebase defaults).
RULE_EXTRA: Dict[str, Tuple[str, ...]] = {"env": ("default_scope",)}


def old_fields(rule: str, becomes: Optional[str] = None) -> Tuple[str, ...]:
    """The old fields `rule` owns (those that become `becomes`, if given), in table order."""
    return tuple(k for k, f in OWNERSHIP.items()
                 if f.rule == rule and (becomes is None or becomes in f.new + f.also))


def new_fields(rule: str) -> Set[str]:
    """Every new top-level field `rule` may add."""
    out = set(RULE_EXTRA.get(rule, ()))
    for f in OWNERSHIP.values():
        if f.rule == rule:
            out.update(f.new + f.also)
    return out


# --- the constants other modules used to keep by hand -------------------------------------------
OLD_STYLE_KEYS: Set[str] = {k for k, f in OWNERSHIP.items() if f.check}
NEW_FROM_OLD: Dict[str, Tuple[str, ...]] = {k: f.new for k, f in OWNERSHIP.items() if f.new}
RULE_CODES: Dict[str, str] = {k: f.code for k, f in OWNERSHIP.items() if f.code}


def _owner_old() -> Dict[str, Tuple[str, ...]]:
    out: Dict[str, Tuple[str, ...]] = {}
    for k, f in OWNERSHIP.items():
        for new in f.owns:
            out[new] = out.get(new, ()) + (k,)
    return out


OWNER_OLD: Dict[str, Tuple[str, ...]] = _owner_old()


class OwnershipError(RuntimeError):
    """A rule wrote a top-level field the table does not give it (a bug in the rule or table)."""


def check_rule_output(rule: str, before: Iterable[str], after: Dict[str, Any]) -> None:
    """Raise OwnershipError if `rule` added a top-level key it does not own, or removed an old
    field another rule owns."""
    before = set(before)
    added = set(after) - before
    wrong = sorted(added - new_fields(rule))
    if wrong:
        raise OwnershipError(f"rule {rule!r} wrote {wrong}, which migrator/rules/ownership.py "
                             f"does not give it (its new fields: {sorted(new_fields(rule))})")
    removed = before - set(after)
    foreign = sorted(k for k in removed if k in OWNERSHIP and OWNERSHIP[k].rule != rule
                     and k not in new_fields(rule))
    if foreign:
        raise OwnershipError(f"rule {rule!r} removed {foreign}, owned by "
                             f"{sorted({OWNERSHIP[k].rule for k in foreign})}")
