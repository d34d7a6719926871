"""`Runner`, mirroring `mmengine.runner.Runner` (MMCV 1.x: `EpochBasedRunner`/`IterBasedRunner`
built by `mmcv.runner.build_runner` plus hooks registered by `register_training_hooks`).

Same constructor, `from_cfg`, lazily built loops/dataloaders/optim wrapper/schedulers, the
all-or-none check of (dataloader, cfg, evaluator|optim_wrapper) per stage, default hooks with
MMEngine's names and priorities (an entry set to None disables it), work_dir/log_dir
(`work_dir/<timestamp>`), config dump, seeding, env setup, DDP wrapping, auto LR scaling,
checkpoint save/load/resume (MMEngine's file layout, see checkpoint.py) and `last_checkpoint`
auto-resume.
"""
from __future__ import annotations

import copy
import os
import os.path as osp
import pickle
import time
from collections import OrderedDict
from typing import Callable, Dict, List, Optional, Union

import torch
import torch.nn as nn

from runtime.dist import broadcast, get_dist_info, init_dist, is_distributed, master_only
from runtime.registry import (EVALUATOR, HOOKS, LOG_PROCESSORS, LOOPS, MODEL_WRAPPERS, MODELS,
                              OPTIM_WRAPPERS, RUNNERS, VISUALIZERS)

from . import builders, hook_dispatch, startup_log
from .checkpoint import (DEFAULT_REVISE_KEYS, check_resumable, find_latest_checkpoint,
                         load_checkpoint_to_model, load_raw, save_checkpoint, to_plain,
                         weights_to_cpu, write_last_checkpoint)
from .loops import BaseLoop, EpochBasedTrainLoop, IterBasedTrainLoop, TestLoop, ValLoop

_OWN_TRAIN_LOOPS = (EpochBasedTrainLoop, IterBasedTrainLoop)
DEFAULT_HOOKS = dict(runtime_info=dict(type="RuntimeInfoHook"), timer=dict(type="IterTimerHook"),
                     sampler_seed=dict(type="DistSamplerSeedHook"), logger=dict(type="LoggerHook"),
                     param_scheduler=dict(type="ParamSchedulerHook"),
                     checkpoint=dict(type="CheckpointHook", interval=1))


def _all_or_none(stage: str, **items) -> None:
    given = [k for k, v in items.items() if v is not None]
    if given and len(given) != len(items):
        raise ValueError(f"{', '.join(items)} should be either all None or not None, but got "
                         + ", ".join(f"{k}={v!r:.40}" for k, v in items.items()))


@RUNNERS.register_module()
class Runner:
    def __init__(self, model, work_dir: str, train_dataloader=None, val_dataloader=None,
                 test_dataloader=None, train_cfg=None, val_cfg=None, test_cfg=None,
                 auto_scale_lr=None, optim_wrapper=None, param_scheduler=None, val_evaluator=None,
                 test_evaluator=None, default_hooks=None, custom_hooks=None, data_preprocessor=None,
                 load_from=None, resume: bool = False, launcher: str = "none",
                 env_cfg: Optional[dict] = None, log_processor=None, log_level: str = "INFO",
                 visualizer=None, default_scope: str = "mmengine",
                 randomness: Optional[dict] = None, experiment_name: Optional[str] = None, cfg=None):
        from runtime.config import Config
        self._work_dir = osp.abspath(work_dir)
        os.makedirs(self._work_dir, exist_ok=True)
        if isinstance(cfg, Config):
            self.cfg = copy.deepcopy(cfg)
        elif isinstance(cfg, dict):
            self.cfg = Config(cfg)
        else:
            self.cfg = Config(dict())
        _all_or_none("train", train_dataloader=train_dataloader, train_cfg=train_cfg,
                     optim_wrapper=optim_wrapper)
        self._train_dataloader, self._train_loop = train_dataloader, train_cfg
        self.optim_wrapper = optim_wrapper
        self.auto_scale_lr = auto_scale_lr
        if param_scheduler is not None and optim_wrapper is None:
            raise ValueError("param_scheduler should be None when optim_wrapper is None, "
                             f"but got {param_scheduler}")
        self.param_schedulers = param_scheduler
        _all_or_none("val", val_dataloader=val_dataloader, val_cfg=val_cfg, val_evaluator=val_evaluator)
        self._val_dataloader, self._val_loop, self._val_evaluator = val_dataloader, val_cfg, val_evaluator
        _all_or_none("test", test_dataloader=test_dataloader, test_cfg=test_cfg,
                     test_evaluator=test_evaluator)
        self._test_dataloader, self._test_loop, self._test_evaluator = (test_dataloader, test_cfg,
                                                                        test_evaluator)
        self._launcher = launcher
        self._distributed = launcher != "none"
        env_cfg = env_cfg if env_cfg is not None else dict(dist_cfg=dict(backend="nccl"))
        self.setup_env(env_cfg)
        self._randomness_cfg = dict(randomness if randomness is not None else dict(seed=None))
        self.set_randomness(**self._randomness_cfg)
        if experiment_name is not None:
            name = f"{experiment_name}_{self._timestamp}"
        elif self.cfg.filename is not None:
            stem = osp.splitext(osp.basename(self.cfg.filename))[0]
            name = f"{stem}_{self._timestamp}"
        else:
            name = self._timestamp
        self._experiment_name = builders.unused_instance_name(name)
        self._log_dir = osp.join(self._work_dir, self._timestamp)
        os.makedirs(self._log_dir, exist_ok=True)
        from runtime.registry.default_scope import DefaultScope
        self.default_scope = DefaultScope.get_instance(self._experiment_name, scope_name=default_scope)
        self.logger = self.build_logger(log_level=log_level)
        startup_log.log_env(self, env_cfg)
        self.message_hub = self.build_message_hub()
        self.visualizer = self.build_visualizer(visualizer)
        if self.cfg and hasattr(self.visualizer, "add_config"):
            self.visualizer.add_config(self.cfg)
        self._load_from, self._resume, self._has_loaded = load_from, resume, False
        if isinstance(model, dict) and data_preprocessor is not None:
            model.setdefault("data_preprocessor", data_preprocessor)
        self.model = self.build_model(model)
        self.model = self.wrap_model(self.cfg.get("model_wrapper_cfg"), self.model)
        inner = self.model.module if hasattr(self.model, "module") else self.model
        self._model_name = inner.__class__.__name__
        self._hooks: List = []
        self.register_hooks(default_hooks, custom_hooks)
        startup_log.log_hooks(self)
        self.log_processor = self.build_log_processor({} if log_processor is None else log_processor)
        self.dump_config()

    @classmethod
    def from_cfg(cls, cfg) -> "Runner":
        cfg = copy.deepcopy(cfg)
        keys = ("train_dataloader", "val_dataloader", "test_dataloader", "train_cfg", "val_cfg",
                "test_cfg", "auto_scale_lr", "optim_wrapper", "param_scheduler", "val_evaluator",
                "test_evaluator", "default_hooks", "custom_hooks", "data_preprocessor", "load_from",
                "log_processor", "visualizer", "experiment_name")
        kwargs = {k: cfg.get(k) for k in keys}
        return cls(model=cfg["model"], work_dir=cfg["work_dir"], resume=cfg.get("resume", False),
                   launcher=cfg.get("launcher", "none"),
                   env_cfg=cfg.get("env_cfg", dict(dist_cfg=dict(backend="nccl"))),
                   log_level=cfg.get("log_level", "INFO"),
                   default_scope=cfg.get("default_scope", "mmengine"),
                   randomness=cfg.get("randomness", dict(seed=None)), cfg=cfg, **kwargs)

    # ---- read-only state -------------------------------------------------------------------
    experiment_name = property(lambda self: self._experiment_name)
    model_name = property(lambda self: self._model_name)
    work_dir = property(lambda self: self._work_dir)
    log_dir = property(lambda self: self._log_dir)
    timestamp = property(lambda self: self._timestamp)
    launcher = property(lambda self: self._launcher)
    distributed = property(lambda self: self._distributed)
    rank = property(lambda self: self._rank)
    world_size = property(lambda self: self._world_size)
    seed = property(lambda self: self._seed)
    deterministic = property(lambda self: self._deterministic)
    hooks = property(lambda self: self._hooks)
    # read several times per iteration: `train_loop.<x>`, straight from the counter of a
    # built loop of our own train loop classes (whose properties return just that)
    @property
    def epoch(self) -> int:
        loop = self._train_loop
        return loop._epoch if type(loop) in _OWN_TRAIN_LOOPS else self.train_loop.epoch

    @property
    def iter(self) -> int:
        loop = self._train_loop
        return loop._iter if type(loop) in _OWN_TRAIN_LOOPS else self.train_loop.iter

    @property
    def max_epochs(self) -> int:
        loop = self._train_loop
        return loop._max_epochs if type(loop) in _OWN_TRAIN_LOOPS else self.train_loop.max_epochs

    @property
    def max_iters(self) -> int:
        loop = self._train_loop
        return loop._max_iters if type(loop) in _OWN_TRAIN_LOOPS else self.train_loop.max_iters

    @property
    def train_loop(self):
        if self._train_loop is not None and not isinstance(self._train_loop, BaseLoop):
            self._train_loop = self.build_train_loop(self._train_loop)
        return self._train_loop

    @property
    def val_loop(self):
        if self._val_loop is not None and not isinstance(self._val_loop, BaseLoop):
            self._val_loop = self.build_val_loop(self._val_loop)
        return self._val_loop

    @property
    def test_loop(self):
        if self._test_loop is not None and not isinstance(self._test_loop, BaseLoop):
            self._test_loop = self.build_test_loop(self._test_loop)
        return self._test_loop

    @property
    def train_dataloader(self):   # read every iteration (LoggerHook): one call, not two
        loop = self._train_loop
        return (loop if isinstance(loop, BaseLoop) else self.train_loop).dataloader

    val_dataloader = property(lambda self: self.val_loop.dataloader)
    test_dataloader = property(lambda self: self.test_loop.dataloader)

    # ---- environment -----------------------------------------------------------------------
    def setup_env(self, env_cfg: dict) -> None:
        if env_cfg.get("cudnn_benchmark"):
            torch.backends.cudnn.benchmark = True
        builders.set_multi_processing(**env_cfg.get("mp_cfg", {}), distributed=self._distributed)
        if self._distributed and not is_distributed():
            init_dist(self._launcher, **env_cfg.get("dist_cfg", {}))
        self._rank, self._world_size = get_dist_info()
        stamp = torch.tensor(time.time(), dtype=torch.float64)
        broadcast(stamp)
        self._timestamp = time.strftime("%Y%m%d_%H%M%S", time.localtime(stamp.item()))

    def set_randomness(self, seed=None, diff_rank_seed: bool = False, deterministic: bool = False) -> None:
        self._deterministic = deterministic
        self._seed = builders.set_random_seed(seed, deterministic, diff_rank_seed)

    # ---- builders --------------------------------------------------------------------------
    def build_logger(self, log_level: Union[int, str] = "INFO", log_file: Optional[str] = None, **kwargs):
        from runtime.logging import MMLogger
        cfg = dict(log_level=log_level, log_file=log_file or osp.join(self._log_dir, f"{self._timestamp}.log"),
                   **kwargs)
        cfg.setdefault("name", self._experiment_name)
        cfg.setdefault("file_mode", "a")
        return MMLogger.get_instance(**cfg)

    def build_message_hub(self, message_hub: Optional[dict] = None):
        from runtime.logging import MessageHub
        cfg = dict(message_hub or {})
        cfg.setdefault("name", self._experiment_name)
        return MessageHub.get_instance(**cfg)

    def build_visualizer(self, visualizer=None):
        from runtime.visualization import Visualizer
        if isinstance(visualizer, Visualizer):
            return visualizer
        if visualizer is None:
            visualizer = dict(name=self._experiment_name, vis_backends=[dict(type="LocalVisBackend")],
                              save_dir=self._log_dir)
            return Visualizer.get_instance(**visualizer)
        cfg = copy.deepcopy(dict(visualizer))
        cfg.setdefault("name", self._experiment_name)
        cfg.setdefault("save_dir", self._log_dir)
        return VISUALIZERS.build(cfg)

    def build_model(self, model) -> nn.Module:
        if isinstance(model, nn.Module):
            return model
        if isinstance(model, dict):
            return MODELS.build(model)
        raise TypeError(f"model should be a nn.Module object or dict, but got {model}")

    def wrap_model(self, model_wrapper_cfg: Optional[dict], model: nn.Module) -> nn.Module:
        from runtime.model import is_model_wrapper
        if is_model_wrapper(model):
            if model_wrapper_cfg is not None:
                raise TypeError("model has been wrapped and \"model_wrapper_cfg\" should be None")
            return model
        on_gpu = torch.cuda.is_available()
        if on_gpu:   # MMEngine moves the model to the current device before wrapping
            model = model.to(torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0))))
        if not self._distributed:
            return model
        device_ids = [int(os.environ.get("LOCAL_RANK", 0))] if on_gpu else None
        if model_wrapper_cfg is None:
            cfg = dict(type="MMDistributedDataParallel", broadcast_buffers=False,
                       find_unused_parameters=self.cfg.get("find_unused_parameters", False))
        else:
            cfg = copy.deepcopy(dict(model_wrapper_cfg))
            cfg.setdefault("type", "MMDistributedDataParallel")
        wrapper_type = MODEL_WRAPPERS.get(cfg["type"]) if isinstance(cfg["type"], str) else cfg["type"]
        if isinstance(wrapper_type, type) and issubclass(wrapper_type, torch.nn.parallel.DistributedDataParallel):
            cfg.setdefault("device_ids", device_ids)
        return MODEL_WRAPPERS.build(cfg, default_args=dict(module=model))

    def build_optim_wrapper(self, optim_wrapper):
        from runtime.optim import OptimWrapper, OptimWrapperDict, build_optim_wrapper
        if isinstance(optim_wrapper, OptimWrapper):
            return optim_wrapper
        if not isinstance(optim_wrapper, dict):
            raise TypeError(f"optimizer wrapper should be an OptimWrapper object or dict, got {optim_wrapper}")
        optimizer = optim_wrapper.get("optimizer")
        if isinstance(optimizer, torch.optim.Optimizer):
            cfg = dict(optim_wrapper)
            cfg.setdefault("type", "OptimWrapper")
            return OPTIM_WRAPPERS.build(cfg)
        if optimizer is not None or "constructor" in optim_wrapper:
            return build_optim_wrapper(self.model, optim_wrapper)
        wrappers = OrderedDict()
        for name, wrapper in optim_wrapper.items():
            if not isinstance(wrapper, OptimWrapper):
                raise ValueError(f"each optimizer wrapper in a dict must be built, got {name}={wrapper}")
            wrappers[name] = wrapper
        return OptimWrapperDict(**wrappers)

    def build_param_scheduler(self, scheduler) -> Union[list, Dict[str, list]]:
        from runtime.optim import OptimWrapperDict
        if not isinstance(self.optim_wrapper, OptimWrapperDict):
            return builders.build_param_schedulers(self, scheduler, self.optim_wrapper)
        names = list(self.optim_wrapper.optim_wrappers)
        if isinstance(scheduler, dict) and "type" not in scheduler:
            return {n: builders.build_param_schedulers(self, scheduler[n], self.optim_wrapper[n])
                    for n in names if n in scheduler}
        return {n: builders.build_param_schedulers(self, scheduler, self.optim_wrapper[n]) for n in names}

    def build_evaluator(self, evaluator):
        from runtime.evaluator import Evaluator
        if isinstance(evaluator, Evaluator):
            return evaluator
        if isinstance(evaluator, dict):
            if "metrics" in evaluator:
                cfg = dict(evaluator)
                cfg.setdefault("type", "Evaluator")
                return EVALUATOR.build(cfg)
            return Evaluator(evaluator)
        if isinstance(evaluator, list):
            return Evaluator(evaluator)
        raise TypeError(f"evaluator should be one of dict, list of dict, and Evaluator, got {evaluator}")

    @staticmethod
    def build_dataloader(dataloader, seed: Optional[int] = None, diff_rank_seed: bool = False):
        return builders.build_dataloader(dataloader, seed, diff_rank_seed)

    def _build_loop(self, loop, default_cls, **default_args):
        if isinstance(loop, BaseLoop):
            return loop
        if not isinstance(loop, dict):
            raise TypeError(f"loop should be a Loop object or dict, but got {loop}")
        cfg = copy.deepcopy(dict(loop))
        if "type" in cfg:
            if "by_epoch" in cfg:
                raise RuntimeError("Only one of `type` or `by_epoch` can exist in `loop_cfg`.")
            return LOOPS.build(cfg, default_args=dict(runner=self, **default_args))
        if default_cls is None:
            default_cls = EpochBasedTrainLoop if cfg.pop("by_epoch") else IterBasedTrainLoop
        return default_cls(**cfg, runner=self, **default_args)

    def build_train_loop(self, loop):
        return self._build_loop(loop, None, dataloader=self._train_dataloader)

    def build_val_loop(self, loop):
        return self._build_loop(loop, ValLoop, dataloader=self._val_dataloader,
                                evaluator=self._val_evaluator)

    def build_test_loop(self, loop):
        return self._build_loop(loop, TestLoop, dataloader=self._test_dataloader,
                                evaluator=self._test_evaluator)

    def build_log_processor(self, log_processor):
        if not isinstance(log_processor, dict):
            return log_processor
        cfg = copy.deepcopy(dict(log_processor))
        cfg.setdefault("type", "LogProcessor")
        return LOG_PROCESSORS.build(cfg)

    # ---- hooks -----------------------------------------------------------------------------
    def register_hook(self, hook, priority=None) -> None:
        from runtime.hooks.hook import Hook
        from runtime.hooks.priority import get_priority
        if not isinstance(hook, (Hook, dict)):
            raise TypeError(f"hook should be an instance of Hook or dict, but got {hook}")
        chosen = None
        if isinstance(hook, dict):
            hook = copy.deepcopy(dict(hook))
            chosen = hook.pop("priority", None)
            hook = HOOKS.build(hook)
        if priority is not None:
            chosen = priority
        if chosen is not None:
            hook.priority = chosen
        level = get_priority(hook.priority)
        for i in range(len(self._hooks) - 1, -1, -1):
            if level >= get_priority(self._hooks[i].priority):
                self._hooks.insert(i + 1, hook)
                return
        self._hooks.insert(0, hook)

    def register_default_hooks(self, hooks: Optional[dict] = None) -> None:
        merged = copy.deepcopy(DEFAULT_HOOKS)
        for name, hook in (hooks or {}).items():
            merged[name] = hook
        for hook in merged.values():
            if hook is not None:
                self.register_hook(hook)

    def register_custom_hooks(self, hooks: list) -> None:
        for hook in hooks:
            self.register_hook(hook)

    def register_hooks(self, default_hooks=None, custom_hooks=None) -> None:
        self.register_default_hooks(default_hooks)
        if custom_hooks is not None:
            self.register_custom_hooks(custom_hooks)

    # MMEngine's loop over the hooks, with the same calls (see hook_dispatch.py)
    call_hook = hook_dispatch.call_hook

    def get_hooks_info(self) -> str:
        """Per stage, the hooks it calls with their priority names (see startup_log.py)."""
        return startup_log.hooks_info(self._hooks)

    # ---- entry points ----------------------------------------------------------------------
    def train(self) -> nn.Module:
        from runtime.model import is_model_wrapper
        inner = self.model.module if is_model_wrapper(self.model) else self.model
        if not hasattr(inner, "train_step"):
            raise AttributeError("If you want to train your model, please make sure your model "
                                 "has implemented `train_step`.")
        if self._train_loop is None:
            raise RuntimeError("`self._train_loop` should not be None when calling train method. "
                               "Please provide `train_dataloader`, `train_cfg`, `optimizer` and "
                               "`param_scheduler` arguments when initializing runner.")
        self._train_loop = self.build_train_loop(self._train_loop)
        self.optim_wrapper = self.build_optim_wrapper(self.optim_wrapper)
        builders.scale_lr(self, self.optim_wrapper, self.auto_scale_lr)
        if self.param_schedulers is not None:
            self.param_schedulers = self.build_param_scheduler(self.param_schedulers)
        if self._val_loop is not None:
            self._val_loop = self.build_val_loop(self._val_loop)
        self.call_hook("before_run")
        self._init_model_weights()
        self.load_or_resume()
        self.optim_wrapper.initialize_count_status(self.model, self._train_loop.iter,
                                                   self._train_loop.max_iters)
        model = self.train_loop.run()
        self.call_hook("after_run")
        return model

    def _evaluate(self, stage: str) -> dict:
        if getattr(self, f"_{stage}_loop") is None:
            raise RuntimeError(f"`self._{stage}_loop` should not be None when calling {stage} "
                               f"method. Please provide `{stage}_dataloader`, `{stage}_cfg` and "
                               f"`{stage}_evaluator` arguments when initializing runner.")
        loop = getattr(self, f"build_{stage}_loop")(getattr(self, f"_{stage}_loop"))
        setattr(self, f"_{stage}_loop", loop)
        self.call_hook("before_run")
        self.load_or_resume()
        metrics = loop.run()
        self.call_hook("after_run")
        return metrics

    def val(self) -> dict:
        return self._evaluate("val")

    def test(self) -> dict:
        return self._evaluate("test")

    def _init_model_weights(self) -> None:
        from runtime.model import is_model_wrapper
        inner = self.model.module if is_model_wrapper(self.model) else self.model
        if hasattr(inner, "init_weights"):
            inner.init_weights()
            for param in inner.state_dict().values():   # identical initial weights on every rank
                broadcast(param)

    # ---- checkpoints -----------------------------------------------------------------------
    def load_or_resume(self) -> None:
        if self._has_loaded:
            return
        resume_from = None
        if self._resume and self._load_from is None:
            resume_from = find_latest_checkpoint(self.work_dir)
            self.logger.info(f"Auto resumed from the latest checkpoint {resume_from}.")
        elif self._resume:
            resume_from = self._load_from
        if resume_from is not None:
            self.resume(resume_from)
            self._has_loaded = True
        elif self._load_from is not None:
            self.load_checkpoint(self._load_from)
            self._has_loaded = True

    def load_checkpoint(self, filename: str, map_location: Union[str, Callable] = "cpu",
                        strict: bool = False, revise_keys: list = DEFAULT_REVISE_KEYS) -> dict:
        from runtime.model import is_model_wrapper
        checkpoint = load_raw(filename, map_location)
        self.call_hook("after_load_checkpoint", checkpoint=checkpoint)
        inner = self.model.module if is_model_wrapper(self.model) else self.model
        checkpoint = load_checkpoint_to_model(inner, checkpoint, strict, revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f"Load checkpoint from {filename}")
        return checkpoint

    def resume(self, filename: str, resume_optimizer: bool = True,
               resume_param_scheduler: bool = True, map_location: Union[str, Callable] = "default") -> None:
        checkpoint = self.load_checkpoint(filename, map_location="cpu" if map_location == "default"
                                          else map_location)
        meta = check_resumable(checkpoint, filename)
        self.train_loop._epoch, self.train_loop._iter = meta["epoch"], meta["iter"]
        resumed_seed, current_seed = meta.get("seed"), self._randomness_cfg.get("seed")
        if resumed_seed is not None and resumed_seed != current_seed:
            if current_seed is not None:
                self.logger.warning(f'The value of random seed in the checkpoint "{resumed_seed}" '
                                    f'is different from the value in `randomness` config "{current_seed}"')
            self._randomness_cfg.update(seed=resumed_seed)
            self.set_randomness(**self._randomness_cfg)
        current_meta = getattr(self.train_dataloader.dataset, "metainfo", None)
        if pickle.dumps(meta.get("dataset_meta")) != pickle.dumps(current_meta):
            self.logger.warning("The dataset metainfo from the resumed checkpoint is different from "
                                "the current training dataset, please check the correctness of the "
                                "checkpoint or the training dataset.")
        self.message_hub.load_state_dict(checkpoint["message_hub"])
        if "optimizer" in checkpoint and resume_optimizer:
            self.optim_wrapper = self.build_optim_wrapper(self.optim_wrapper)
            self.optim_wrapper.load_state_dict(checkpoint["optimizer"])
        if resume_param_scheduler and self.param_schedulers is None:
            self.logger.warning("`resume_param_scheduler` is True but `self.param_schedulers` is "
                                "None, so skip resuming parameter schedulers")
            resume_param_scheduler = False
        if "param_schedulers" in checkpoint and resume_param_scheduler:
            self.param_schedulers = self.build_param_scheduler(self.param_schedulers)
            saved = checkpoint["param_schedulers"]
            if isinstance(self.param_schedulers, dict):
                for name, schedulers in self.param_schedulers.items():
                    for sched, state in zip(schedulers, saved[name]):
                        sched.load_state_dict(state)
            else:
                for sched, state in zip(self.param_schedulers, saved):
                    sched.load_state_dict(state)
        self._has_loaded = True
        self.logger.info(f"resumed epoch: {self.epoch}, iter: {self.iter}")

    @master_only
    def save_checkpoint(self, out_dir: str, filename: str, file_client_args=None,
                        save_optimizer: bool = True, save_param_scheduler: bool = True,
                        meta: Optional[dict] = None, by_epoch: bool = True, backend_args=None) -> None:
        from runtime.model import is_model_wrapper
        from runtime.optim import OptimWrapper
        from runtime.version import mmengine_version
        if meta is None:
            meta = {}
        elif not isinstance(meta, dict):
            raise TypeError(f"meta should be a dict or None, but got {type(meta)}")
        # defaults only: CheckpointHook passes explicit epoch/iter (e.g. the re-save after a new
        # best checkpoint in after_val_epoch, when the loop has already advanced the epoch)
        if by_epoch:   # hooks save inside after_train_epoch, before the loop increments epoch
            meta.setdefault("epoch", self.epoch + 1)
            meta.setdefault("iter", self.iter)
        else:
            meta.setdefault("epoch", self.epoch)
            meta.setdefault("iter", self.iter + 1)
        filepath = osp.join(out_dir, filename)
        meta.update(cfg=self.cfg.pretty_text if self.cfg else "", seed=self.seed,
                    experiment_name=self.experiment_name,
                    time=time.strftime("%Y%m%d_%H%M%S", time.localtime()),
                    mmengine_version=mmengine_version())
        dataset_meta = getattr(self.train_dataloader.dataset, "metainfo", None)
        if dataset_meta is not None:
            meta.update(dataset_meta=dataset_meta)
        inner = self.model.module if is_model_wrapper(self.model) else self.model
        checkpoint = {"meta": to_plain(meta, "meta"), "state_dict": weights_to_cpu(inner.state_dict()),
                      "message_hub": to_plain(self.message_hub.state_dict(), "message_hub")}
        if save_optimizer:
            if not isinstance(self.optim_wrapper, OptimWrapper) and not hasattr(self.optim_wrapper, "optim_wrappers"):
                raise TypeError("self.optim_wrapper should be an `OptimWrapper` or `OptimWrapperDict` "
                                f"instance, but got {self.optim_wrapper}")
            checkpoint["optimizer"] = self.optim_wrapper.state_dict()
        if save_param_scheduler and self.param_schedulers is None:
            self.logger.warning("`save_param_scheduler` is True but `self.param_schedulers` is None, "
                                "so skip saving parameter schedulers")
            save_param_scheduler = False
        if save_param_scheduler:
            if isinstance(self.param_schedulers, dict):
                checkpoint["param_schedulers"] = {n: [s.state_dict() for s in group]
                                                  for n, group in self.param_schedulers.items()}
            else:
                checkpoint["param_schedulers"] = [s.state_dict() for s in self.param_schedulers]
        self.call_hook("before_save_checkpoint", checkpoint=checkpoint)
        save_checkpoint(checkpoint, filepath)
        write_last_checkpoint(self.work_dir, filepath)

    @master_only
    def dump_config(self) -> None:
        if not self.cfg:
            return
        name = osp.basename(self.cfg.filename) if self.cfg.filename else f"{self.timestamp}.py"
        self.cfg.dump(osp.join(self.work_dir, name))
