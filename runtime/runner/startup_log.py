"""What the Runner logs while it is built (MMEngine 0.10.7's `Runner._log_env` and
`Runner.get_hooks_info`; MMCV 1.x's downstream `tools/train.py` logged an environment block and
the config by hand, and `BaseRunner.get_hook_info` a per-stage hook table).

* after the logger is built: one message, a 60-dash line, `System environment:` with
  `collect_env()` one `    key: value` line each, a blank line, `Runtime environment:` with
  env_cfg's items, the randomness config, the seed actually used, `Distributed launcher`,
  `Distributed training` and `GPU number` (the world size), the dash line again; then, if the
  config is not empty, `Config:` followed by `cfg.pretty_text`;
* after the hooks are registered: `Hooks will be executed in the following order:` and, for
  every stage some hook implements (in `Hook.stages` order), `<stage>:`, one
  `(<priority name:<12>) <class name:<35>` line per hook in execution order, and ` ---...--- `.

Nothing here runs when the logger drops INFO (e.g. `mmrun dry-run --full` at log level ERROR):
the lines would be discarded anyway, and collecting the environment runs a compiler subprocess.
"""
from __future__ import annotations

import logging
from collections import OrderedDict

DASH_LINE = "-" * 60
HOOKS_HEADER = "Hooks will be executed in the following order:"


def logs_info(logger) -> bool:
    """Whether an INFO message reaches at least one of the logger's handlers."""
    if not logger.isEnabledFor(logging.INFO):
        return False
    return any(h.level <= logging.INFO for h in logger.handlers) or not logger.handlers


def env_message(env: dict, runtime_env: dict) -> str:
    system = "\n    " + "\n    ".join(f"{k}: {v}" for k, v in env.items())
    runtime = "\n    " + "\n    ".join(f"{k}: {v}" for k, v in runtime_env.items())
    return (f"\n{DASH_LINE}\nSystem environment:{system}\n\nRuntime environment:{runtime}\n"
            f"{DASH_LINE}\n")


def log_env(runner, env_cfg: dict) -> None:
    if not logs_info(runner.logger):
        return
    from runtime.utils.dl_utils import collect_env
    runtime_env = OrderedDict(env_cfg)
    runtime_env.update(runner._randomness_cfg)
    runtime_env["seed"] = runner.seed
    runtime_env["Distributed launcher"] = runner.launcher
    runtime_env["Distributed training"] = runner.distributed
    runtime_env["GPU number"] = runner.world_size
    runner.logger.info(env_message(collect_env(), runtime_env))
    if runner.cfg:
        runner.logger.info(f"Config:\n{runner.cfg.pretty_text}")


def priority_name(priority):
    """MMEngine's `Priority(hook.priority).name`, the raw value when that fails (a name string
    such as 'NORMAL' is not a Priority *value*, so it is shown as given)."""
    from runtime.hooks.priority import Priority
    try:
        return Priority(priority).name
    except ValueError:
        return priority


def hooks_info(hooks) -> str:
    from runtime.hooks.hook import Hook
    by_stage = {stage: [] for stage in Hook.stages}
    for hook in hooks:
        line = f"({priority_name(hook.priority):<12}) {hook.__class__.__name__:<35}"
        for stage in hook.get_triggered_stages():
            by_stage[stage].append(line)
    return "\n".join(f"{stage}:\n" + "\n".join(lines) + "\n -------------------- "
                     for stage, lines in by_stage.items() if lines)


def log_hooks(runner) -> None:
    if logs_info(runner.logger):
        runner.logger.info(f"{HOOKS_HEADER}\n{runner.get_hooks_info()}")
