"""Generic parameter schedulers (MMEngine's `mmengine.optim.scheduler.param_scheduler`).

MMCV 1.x changed lr/momentum through `LrUpdaterHook`/`MomentumUpdaterHook` subclasses that
recomputed the value from scratch each epoch/iter (`policy='step'`, `'CosineAnnealing'`, warmup
folded into the same hook). MMEngine replaced them with composable scheduler objects listed in
`param_scheduler=[...]`; each one owns a `[begin, end)` window and updates one key (`lr`,
`momentum`, ...) of every optimizer param group, in MMEngine's *chainable* form: the new value is
computed from the value currently in the group, so several schedulers can act on the same key.

Semantics mirrored from MMEngine 0.10.7:
* construction records `initial_<name>` in each group (kept if already there) as `base_values`
  and performs one `step()`, which applies the value of step 0 when `begin == 0`;
* `step()` advances the internal global counter and only touches the groups while
  `begin <= global_step < end`; `last_step` counts the steps taken inside the window;
* `build_iter_from_epoch(..., epoch_length)` turns an epoch-based config into an iteration-based
  scheduler by scaling `begin`, `end` and the per-family lengths (`convert_to_iter_based=True`);
* `state_dict()` holds every attribute except the optimizer.
"""
from __future__ import annotations

import math
import sys
import warnings
import weakref
from collections import Counter
from typing import List, Optional, Sequence, Union

from runtime.registry import PARAM_SCHEDULERS

INF = int(1e9)


def _is_optim_wrapper(obj) -> bool:
    """isinstance(obj, BaseOptimWrapper) without importing the wrappers (and torch): no wrapper
    can exist before their module is loaded."""
    base = sys.modules.get("runtime.optim.optimizer.base")
    return base is not None and isinstance(obj, base.BaseOptimWrapper)


def _check_optimizer(optimizer) -> None:
    """MMEngine's type check (an Optimizer or an OptimWrapper), done lazily so that this package
    imports without torch: with torch loaded, a torch Optimizer, a wrapper or a schedule-only
    stand-in (runtime.dryrun) is accepted; without torch, any object with `param_groups`."""
    if "torch" in sys.modules:
        from torch.optim import Optimizer
        ok = isinstance(optimizer, Optimizer) or _is_optim_wrapper(optimizer) or \
            getattr(optimizer, "_runtime_standin_optimizer", False)
    else:
        ok = hasattr(optimizer, "param_groups")
    if not ok:
        raise TypeError("``optimizer`` should be an Optimizer or an OptimWrapper, "
                        f"but got {type(optimizer).__name__}")


def _add_step_counter(optimizer) -> None:
    """Count `optimizer.step()` calls in `optimizer._global_step`, so that a scheduler stepped
    before its optimizer can warn as MMEngine (and PyTorch) do. Installed only once."""
    if getattr(optimizer.step, "_with_counter", False):
        optimizer._global_step = -1
        return
    owner = weakref.ref(optimizer)
    unbound = type(optimizer).step if not hasattr(optimizer.step, "__func__") \
        else optimizer.step.__func__

    def counted_step(*args, **kwargs):
        inst = owner()
        inst._global_step += 1
        return unbound(inst, *args, **kwargs)

    counted_step._with_counter = True
    optimizer.step = counted_step
    optimizer._global_step = -1


class _ParamScheduler:
    """Base class: subclasses implement `_get_value()` (chainable form)."""

    # names of constructor kwargs that are lengths in steps and scale with `epoch_length`
    _scaled_lengths: Sequence[str] = ()

    def __init__(self, optimizer, param_name: str, begin: int = 0, end: int = INF,
                 last_step: int = -1, by_epoch: bool = True, verbose: bool = False):
        self._attach(optimizer, param_name, begin, end, last_step, by_epoch)
        self.base_values = [g[f"initial_{param_name}"] for g in optimizer.param_groups]
        _add_step_counter(optimizer)
        self._global_step = -1
        self.verbose = verbose
        self.step()

    def _attach(self, optimizer, param_name, begin, end, last_step, by_epoch) -> None:
        _check_optimizer(optimizer)
        if end <= begin:
            raise ValueError(f"end should be larger than begin, but got begin={begin}, end={end}")
        assert isinstance(last_step, int) and last_step >= -1
        self.optimizer = optimizer
        self.param_name = param_name
        self.begin, self.end = begin, end
        self.by_epoch = by_epoch
        key = f"initial_{param_name}"
        for i, group in enumerate(optimizer.param_groups):
            if last_step == -1:
                group.setdefault(key, group[param_name])
            elif key not in group:
                raise KeyError(f"param '{key}' is not specified in param_groups[{i}] when "
                               "resuming an optimizer")
        self.last_step = last_step

    # ------------------------------------------------------------------ conversion
    @classmethod
    def build_iter_from_epoch(cls, *args, begin=0, end=INF, by_epoch=True, epoch_length=None,
                              **kwargs):
        """Build the iteration-based equivalent of an epoch-based configuration."""
        assert by_epoch, ("Only epoch-based kwargs whose `by_epoch=True` can be converted to "
                          "iter-based.")
        assert epoch_length is not None and epoch_length > 0, \
            f"`epoch_length` must be a positive integer, but got {epoch_length}."
        for name in cls._scaled_lengths:
            value = kwargs.get(name)
            if value is None:
                continue
            if isinstance(value, (list, tuple)):
                kwargs[name] = [v * epoch_length for v in value]
            else:
                kwargs[name] = value * epoch_length
        begin = int(begin * epoch_length)
        if end != INF:
            end = int(end * epoch_length)
        return cls(*args, begin=begin, end=end, by_epoch=False, **kwargs)

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)

    def get_last_value(self) -> list:
        return self._last_value

    def _current(self) -> list:
        return [g[self.param_name] for g in self.optimizer.param_groups]

    def _get_value(self) -> list:
        raise NotImplementedError

    def print_value(self, is_verbose: bool, group: int, value: float) -> None:
        if is_verbose:
            _print(f"Adjusting parameter value of group {group} to {value:.4e}.")

    def step(self) -> None:
        if self._global_step == 0:
            if not getattr(self.optimizer.step, "_with_counter", False):
                warnings.warn("`optimizer.step()` seems to have been replaced after the parameter "
                              "scheduler was created; call `optimizer.step()` before "
                              "`scheduler.step()`.", UserWarning)
            elif self.optimizer._global_step < 0:
                warnings.warn("`scheduler.step()` was called before `optimizer.step()`; the first "
                              "value of the schedule is skipped.", UserWarning)
        self._global_step += 1
        if self.begin <= self._global_step < self.end:
            self.last_step += 1
            # the base print_value only prints when verbose: skip calling it otherwise
            report = self.verbose or type(self).print_value is not _ParamScheduler.print_value
            for i, (group, value) in enumerate(zip(self.optimizer.param_groups,
                                                   self._get_value())):
                group[self.param_name] = value
                if report:
                    self.print_value(self.verbose, i, value)
        self._last_value = self._current()


def _print(msg: str) -> None:
    try:
        from runtime.logging import print_log
    except ImportError:  # logging package not available: plain print
        print(msg)
    else:
        print_log(msg, logger="current")


@PARAM_SCHEDULERS.register_module()
class StepParamScheduler(_ParamScheduler):
    """Multiply by `gamma` every `step_size` steps."""
    _scaled_lengths = ("step_size",)

    def __init__(self, optimizer, param_name: str, step_size: int, gamma: float = 0.1,
                 begin: int = 0, end: int = INF, last_step: int = -1, by_epoch: bool = True,
                 verbose: bool = False):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    def _get_value(self):
        if self.last_step == 0 or self.last_step % self.step_size != 0:
            return self._current()
        return [v * self.gamma for v in self._current()]


@PARAM_SCHEDULERS.register_module()
class MultiStepParamScheduler(_ParamScheduler):
    """Multiply by `gamma` (once per repetition) when `last_step` hits a milestone."""
    _scaled_lengths = ("milestones",)

    def __init__(self, optimizer, param_name: str, milestones: List[int], gamma: float = 0.1,
                 last_step: int = -1, begin: int = 0, end: int = INF, by_epoch: bool = True,
                 verbose: bool = False):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    def _get_value(self):
        hits = self.milestones.get(self.last_step, 0)
        if not hits:
            return self._current()
        return [v * self.gamma ** hits for v in self._current()]


@PARAM_SCHEDULERS.register_module()
class ConstantParamScheduler(_ParamScheduler):
    """Multiply by `factor` at the first step of the window and undo it at its last step."""

    def __init__(self, optimizer, param_name: str, factor: float = 1.0 / 3, begin: int = 0,
                 end: int = INF, last_step: int = -1, by_epoch: bool = True,
                 verbose: bool = False):
        if not 0 <= factor <= 1.0:
            raise ValueError("Constant multiplicative factor should between 0 and 1.")
        self.factor = factor
        self.total_iters = end - begin - 1
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    def _get_value(self):
        if self.last_step == 0:
            return [v * self.factor for v in self._current()]
        if self.last_step == self.total_iters:
            return [v * (1.0 / self.factor) for v in self._current()]
        return self._current()


@PARAM_SCHEDULERS.register_module()
class ExponentialParamScheduler(_ParamScheduler):
    """Multiply by `gamma` at every step after the first."""

    def __init__(self, optimizer, param_name: str, gamma: float, begin: int = 0, end: int = INF,
                 last_step: int = -1, by_epoch: bool = True, verbose: bool = False):
        self.gamma = gamma
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    def _get_value(self):
        if self.last_step == 0:
            return self._current()
        return [v * self.gamma for v in self._current()]


@PARAM_SCHEDULERS.register_module()
class CosineAnnealingParamScheduler(_ParamScheduler):
    """Cosine annealing from the base value to `eta_min` (or base * `eta_min_ratio`) over
    `T_max` steps (default: the window length `end - begin`)."""
    _scaled_lengths = ("T_max",)

    def __init__(self, optimizer, param_name: str, T_max: Optional[int] = None,
                 eta_min: Optional[float] = None, begin: int = 0, end: int = INF,
                 last_step: int = -1, by_epoch: bool = True, verbose: bool = False,
                 eta_min_ratio: Optional[float] = None):
        if eta_min is None and eta_min_ratio is None:
            eta_min = 0.
        assert (eta_min is None) ^ (eta_min_ratio is None), \
            "Either `eta_min` or `eta_min_ratio` should be specified"
        self.T_max = T_max or end - begin
        self.eta_min = eta_min
        self.eta_min_ratio = eta_min_ratio
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    def _floor(self, base: float) -> float:
        return self.eta_min if self.eta_min_ratio is None else base * self.eta_min_ratio

    def _get_value(self):
        t, T = self.last_step, self.T_max
        if t == 0:
            return self._current()
        out = []
        for base, cur in zip(self.base_values, self._current()):
            lo = self._floor(base)
            if (t - 1 - T) % (2 * T) == 0:
                out.append(cur + (base - lo) * (1 - math.cos(math.pi / T)) / 2)
            else:
                ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
                out.append(ratio * (cur - lo) + lo)
        return out


@PARAM_SCHEDULERS.register_module()
class LinearParamScheduler(_ParamScheduler):
    """Linear factor from `start_factor` to `end_factor` across the window."""

    def __init__(self, optimizer, param_name: str, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, begin: int = 0, end: int = INF, last_step: int = -1,
                 by_epoch: bool = True, verbose: bool = False):
        if not 0 <= start_factor <= 1.0:
            raise ValueError("Starting multiplicative factor should between 0 and 1.")
        if not 0 <= end_factor <= 1.0:
            raise ValueError("Ending multiplicative factor should between 0 and 1.")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = end - begin - 1
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    def _get_value(self):
        if self.last_step == 0:
            return [v * self.start_factor for v in self._current()]
        delta = self.end_factor - self.start_factor
        mult = 1. + delta / (self.total_iters * self.start_factor + (self.last_step - 1) * delta)
        return [v * mult for v in self._current()]


@PARAM_SCHEDULERS.register_module()
class PolyParamScheduler(_ParamScheduler):
    """Polynomial decay with exponent `power` towards `eta_min` at the end of the window."""

    def __init__(self, optimizer, param_name: str, eta_min: float = 0, power: float = 1.0,
                 begin: int = 0, end: int = INF, last_step: int = -1, by_epoch: bool = True,
                 verbose: bool = False):
        self.eta_min = eta_min
        self.power = power
        self.total_iters = end - begin - 1
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    def _get_value(self):
        if self.last_step == 0:
            return self._current()
        mult = (1 - 1 / (self.total_iters - self.last_step + 1)) ** self.power
        return [(v - self.eta_min) * mult + self.eta_min for v in self._current()]


@PARAM_SCHEDULERS.register_module()
class OneCycleParamScheduler(_ParamScheduler):
    """1cycle policy (lr only, not chainable): warm up from `eta_max / div_factor` to `eta_max`
    during `pct_start` of `total_steps` (default: window length), then anneal to
    `initial / final_div_factor`; `three_phase=True` adds a symmetric descent phase first."""
    _scaled_lengths = ("total_steps",)

    def __init__(self, optimizer, param_name: str, eta_max: Union[float, Sequence[float]] = 0,
                 total_steps: Optional[int] = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", div_factor: float = 25.,
                 final_div_factor: float = 1e4, three_phase: bool = False, begin: int = 0,
                 end: int = INF, last_step: int = -1, by_epoch: bool = True,
                 verbose: bool = False):
        assert param_name == "lr", \
            f"OneCycle only works for learning rate updating, but got param_name {param_name}"
        self.eta_max = eta_max
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
            self.total_steps = total_steps
        else:
            self.total_steps = end - begin
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError('anneal_strategy must by one of "cos" or "linear", instead got '
                             f"{anneal_strategy}")
        self.anneal_func = self._annealing_cos if anneal_strategy == "cos" \
            else self._annealing_linear
        n = param_name
        warm_end = float(pct_start * self.total_steps) - 1
        if three_phase:
            self._schedule_phases = [
                {"end_step": warm_end, f"start_{n}": f"initial_{n}", f"end_{n}": f"max_{n}"},
                {"end_step": float(2 * pct_start * self.total_steps) - 2,
                 f"start_{n}": f"max_{n}", f"end_{n}": f"initial_{n}"},
                {"end_step": self.total_steps - 1, f"start_{n}": f"initial_{n}",
                 f"end_{n}": f"min_{n}"}]
        else:
            self._schedule_phases = [
                {"end_step": warm_end, f"start_{n}": f"initial_{n}", f"end_{n}": f"max_{n}"},
                {"end_step": self.total_steps - 1, f"start_{n}": f"max_{n}",
                 f"end_{n}": f"min_{n}"}]
        groups = optimizer.param_groups
        if isinstance(eta_max, (list, tuple)):
            if len(eta_max) != len(groups):
                raise ValueError(f"expected {len(groups)} values for max_{n}, got {len(eta_max)}")
            maxima = list(eta_max)
        else:
            maxima = [eta_max] * len(groups)
        if last_step == -1:
            for top, group in zip(maxima, groups):
                group[f"initial_{n}"] = top / div_factor
                group[f"max_{n}"] = top
                group[f"min_{n}"] = group[f"initial_{n}"] / final_div_factor
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    @staticmethod
    def _annealing_cos(start, end, pct):
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

    @staticmethod
    def _annealing_linear(start, end, pct):
        return (end - start) * pct + start

    def _get_value(self):
        t = self.last_step
        if t > self.total_steps:
            raise ValueError(f"Tried to step {t + 1} times. The specified number of total steps "
                             f"is {self.total_steps}")
        out = []
        last = len(self._schedule_phases) - 1
        for group in self.optimizer.param_groups:
            start_step = 0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if t <= end_step or i == last:
                    pct = (t - start_step) / (end_step - start_step)
                    out.append(self.anneal_func(group[phase["start_" + self.param_name]],
                                                group[phase["end_" + self.param_name]], pct))
                    break
                start_step = end_step
        return out


@PARAM_SCHEDULERS.register_module()
class CosineRestartParamScheduler(_ParamScheduler):
    """Cosine annealing restarted at the end of each of `periods`, each cycle starting from
    base * `restart_weights[i]`; after the last period the value is left unchanged."""
    _scaled_lengths = ("periods",)

    def __init__(self, optimizer, param_name: str, periods: List[int],
                 restart_weights: Sequence[float] = (1, ), eta_min: Optional[float] = None,
                 eta_min_ratio: Optional[float] = None, begin: int = 0, end: int = INF,
                 last_step: int = -1, by_epoch: bool = True, verbose: bool = False):
        assert (eta_min is None) ^ (eta_min_ratio is None), \
            "Either `eta_min` or `eta_min_ratio` should be specified"
        assert len(periods) == len(restart_weights), \
            "periods and restart_weights should have the same length."
        self.periods = periods
        self.eta_min = eta_min
        self.eta_min_ratio = eta_min_ratio
        self.restart_weights = restart_weights
        self.cumulative_periods = [sum(periods[:i + 1]) for i in range(len(periods))]
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    @staticmethod
    def get_position_from_periods(iteration: int, cumulative_periods: List[int]) -> Optional[int]:
        """Index of the first cumulative period boundary strictly after `iteration`."""
        for i, boundary in enumerate(cumulative_periods):
            if iteration < boundary:
                return i
        return None

    def _get_value(self):
        idx = self.get_position_from_periods(self.last_step, self.cumulative_periods)
        if idx is None:
            return self._current()
        weight = self.restart_weights[idx]
        period = self.periods[idx]
        t = self.last_step - (self.cumulative_periods[idx - 1] if idx else 0)
        out = []
        for base, cur in zip(self.base_values, self._current()):
            lo = self.eta_min if self.eta_min_ratio is None else base * self.eta_min_ratio
            if t == 0:
                out.append(base * weight)
            else:
                ratio = (1 + math.cos(math.pi * t / period)) / \
                    (1 + math.cos(math.pi * (t - 1) / period))
                out.append(ratio * (cur - lo) + lo)
        return out


@PARAM_SCHEDULERS.register_module()
class ReduceOnPlateauParamScheduler(_ParamScheduler):
    """Multiply by `factor` when the monitored metric stops improving for more than `patience`
    validations. `step()` without metrics only counts training epochs (used for the window);
    `step(metrics)` is called by ParamSchedulerHook after each validation epoch."""
    need_val_args = True

    def __init__(self, optimizer, param_name: str, monitor: str = "loss", rule: str = "less",
                 factor: float = 0.1, patience: int = 10, threshold: float = 1e-4,
                 threshold_rule: str = "rel", cooldown: int = 0,
                 min_value: Union[float, Sequence[float]] = 0., eps: float = 1e-8,
                 begin: int = 0, end: int = INF, last_step: int = -1, by_epoch: bool = True,
                 verbose: bool = False):
        assert by_epoch, f"Now {type(self).__name__} only support by_epoch=True"
        self._attach(optimizer, param_name, begin, end, last_step, by_epoch)
        self._global_step = 0
        self.verbose = verbose
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        self.factor = factor
        raw = optimizer.optimizer if _is_optim_wrapper(optimizer) else optimizer
        if isinstance(min_value, (list, tuple)):
            if len(min_value) != len(raw.param_groups):
                raise ValueError(f"expected {len(raw.param_groups)} min_lrs, "
                                 f"got {len(min_value)}")
            self.min_values = list(min_value)
            # the wrapper's extra "base" group uses the last group's floor
            if _is_optim_wrapper(optimizer) and \
                    optimizer.base_param_settings is not None:
                self.min_values.append(self.min_values[-1])
        else:
            self.min_values = [min_value] * len(optimizer.param_groups)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.monitor = monitor
        if threshold < 0:
            raise ValueError(f"threshold {threshold} should be >= 0.")
        if rule not in ("less", "greater"):
            raise ValueError(f"mode {rule} is unknown!")
        if threshold_rule not in ("rel", "abs"):
            raise ValueError(f"threshold mode {threshold_rule} is unknown!")
        self.rule, self.threshold, self.threshold_rule = rule, threshold, threshold_rule
        self.rule_worse = INF if rule == "less" else -INF
        self.best = self.rule_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0
        self._last_value = self._current()

    @classmethod
    def build_iter_from_epoch(cls, *args, **kwargs):
        raise NotImplementedError(f"{cls.__name__} cannot be converted to iter-based")

    def _is_better(self, a, best) -> bool:
        if self.rule == "less":
            return a < (best * (1. - self.threshold) if self.threshold_rule == "rel"
                        else best - self.threshold)
        return a > (best * (self.threshold + 1.) if self.threshold_rule == "rel"
                    else best + self.threshold)

    def _get_value(self):
        return [max(float(v) * self.factor, lo)
                for v, lo in zip(self._current(), self.min_values)]

    def step(self, metrics=None):
        if metrics is None:
            self._global_step += 1
            return
        if not isinstance(metrics, dict):
            raise TypeError(f"metrics type should be dict, but got type {type(metrics)}")
        if self.begin <= self._global_step < self.end:
            self.last_step += 1
            if self.monitor not in metrics or metrics[self.monitor] is None:
                raise KeyError(f"Excepted key in {list(metrics)}, but got key {self.monitor} "
                               "is not in dict")
            metric = metrics[self.monitor]
            if self._is_better(metric, self.best):
                self.best = metric
                self.num_bad_epochs = 0
            else:
                self.num_bad_epochs += 1
            if self.cooldown_counter > 0:
                self.cooldown_counter -= 1
                self.num_bad_epochs = 0
            if self.num_bad_epochs > self.patience:
                for i, (group, value) in enumerate(zip(self.optimizer.param_groups,
                                                       self._get_value())):
                    if group[self.param_name] - value > self.eps:
                        group[self.param_name] = value
                        self.print_value(self.verbose, i, value)
                self.cooldown_counter = self.cooldown
                self.num_bad_epochs = 0
        self._last_value = self._current()
