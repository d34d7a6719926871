"""Working stand-ins for MMCV hook bases MMEngine 0.10 does not have (MC108 writes them into the
migrated module under the base's local name). Each is our own port of the MMCV 1.7 behaviour
onto MMEngine's runner; what it cannot keep is said in its docstring. Bases not listed here get
the raising stand-in of no_equivalent.py.

* OptimizerHook (mmcv/runner/hooks/optimizer.py): MMCV's hook did zero_grad, backward and step
  after each train iteration. In MMEngine the OptimWrapper does them inside `model.train_step`,
  so the stand-in steps nothing (MC108 drops a subclass's after_train_iter that is exactly
  MMCV's step; any other override is refused when built or run: its step would come after the
  wrapper's); its `grad_clip` becomes the
  wrapper's gradient clipping in `before_run` (MMCV: `clip_grad_norm_` over the parameters with a
  gradient, after backward, before step; the wrapper does the same and logs `train/grad_norm`).
* EvalHook / DistEvalHook (mmcv/runner/hooks/evaluation.py): evaluation inside the training
  loop, every `interval` epochs/iterations (from `start`): `test_fn(model, dataloader)` (default:
  the model's `test_step` over the loader, MMEngine's counterpart of mmcv.engine.single_gpu_test;
  DistEvalHook: each rank's part gathered in dataset order by mmengine.dist.collect_results),
  `dataloader.dataset.evaluate(results, logger=..., **eval_kwargs)`, the metrics into the message
  hub as `val/<name>` and logged, `save_best` -> `best_<key>_<epoch|iter>_<n>.pth` in `out_dir`
  (default: work_dir; the previous best removed); best score and path live in the message hub's
  runtime info (`best_score`, `best_ckpt`; MMCV: runner.meta['hook_msgs']). Before an
  iteration-based evaluation the WandbLoggerHook stand-ins log the iteration and clear their
  buffer (MMCV flushed its LoggerHooks so; MMEngine's LoggerHook logs on its own). Not kept:
  `file_client_args` (local paths only: a non-None value is refused).
* WandbLoggerHook (mmcv/runner/hooks/logger/wandb.py + logger/base.py's LoggerHook): wandb.init
  in before_run (define_metric_cfg too), every `interval` train iterations (inner iterations
  when by_epoch) the mean of the last `interval` values since the epoch began of each
  `train/<key>` scalar of the message hub (the model's log_vars, `time`, `data_time`; MMCV's
  log_buffer.average) logged under `train/<key>` with `learning_rate`/`momentum` (the values
  of that iteration) at step iter + 1; evaluation results (`val/<key>` scalars new since the
  last log: the EvalHook stand-ins' and ValLoop's) logged as `val/<key>` when they arrive; the
  work_dir's `out_suffix` files as an artifact and wandb.join() in after_run (rank 0 only).
  get_mode() is 'train' in a train iteration at the logging interval (MMCV: the shared log
  buffer averaged by TextLoggerHook, whose place MMEngine's LoggerHook takes) and 'val'
  otherwise, as MMCV's subclasses (mmdet/mmseg/mmcls) expect. Not kept: MMCV averaged with
  the batches' num_samples as weights (MMEngine's message hub counts each iteration once: equal
  when every batch has the same size). TODO(migrate) in the report: MMEngine's own way is
  `visualizer=dict(vis_backends=[dict(type='WandbVisBackend', init_kwargs=...)])`.
"""

OPTIMIZER_HOOK = '''
class {local}(Hook, metaclass=_MMCVStandIn):
    """Stand-in for mmcv.runner.OptimizerHook (mmmigrate, MC108): MMEngine's OptimWrapper does
    backward and step in model.train_step, so this hook steps nothing; `grad_clip` becomes the
    wrapper's clip_grad (MMCV: clip_grad_norm_ over the parameters that have a gradient)."""
    _mmcv_stand_in = "OptimizerHook"

    def __init__(self, grad_clip=None, detect_anomalous_params=False):
        self._refuse_own_step()
        self.grad_clip = grad_clip
        self.detect_anomalous_params = detect_anomalous_params

    def _refuse_own_step(self):
        if type(self).after_train_iter is not Hook.after_train_iter:
            raise NotImplementedError(
                f"{{type(self).__name__}} overrides OptimizerHook.after_train_iter: under MMEngine "
                "the OptimWrapper already did backward and step in model.train_step; move this "
                "into optim_wrapper (clip_grad=..., a custom OptimWrapper) (mmmigrate stand-in)")

    def before_run(self, runner):
        import torch
        self._refuse_own_step()              # also for subclasses that skip this __init__
        if getattr(self, "detect_anomalous_params", False):
            runner.logger.warning("OptimizerHook(detect_anomalous_params=True): not checked "
                                  "under MMEngine (mmmigrate stand-in)")
        grad_clip = getattr(self, "grad_clip", None)
        if grad_clip is not None:
            wrapper = runner.optim_wrapper
            wrapper.clip_grad_kwargs = dict(grad_clip)
            wrapper.clip_func = torch.nn.utils.clip_grad_norm_
            wrapper.grad_name = "grad_norm"
'''

EVAL_HOOK = '''
class {local}(Hook, metaclass=_MMCVStandIn):
    """Stand-in for mmcv.runner.EvalHook (mmmigrate, MC108): MMCV 1.7's evaluation inside the
    training loop on MMEngine. test_fn(model, dataloader) (default: model.test_step over the
    loader), dataloader.dataset.evaluate(results, logger, **eval_kwargs), metrics into the
    message hub as val/<name>, save_best -> best_<key>_<epoch|iter>_<n>.pth in out_dir; best
    score/path in the message hub's runtime info (MMCV: runner.meta['hook_msgs'])."""
    _mmcv_stand_in = "EvalHook"

    rule_map = {{"greater": lambda x, y: x > y, "less": lambda x, y: x < y}}
    init_value_map = {{"greater": -float("inf"), "less": float("inf")}}
    _default_greater_keys = ["acc", "top", "AR@", "auc", "precision", "mAP", "mDice", "mIoU",
                             "mAcc", "aAcc"]
    _default_less_keys = ["loss"]

    def __init__(self, dataloader, start=None, interval=1, by_epoch=True, save_best=None,
                 rule=None, test_fn=None, greater_keys=None, less_keys=None, out_dir=None,
                 file_client_args=None, **eval_kwargs):
        from torch.utils.data import DataLoader
        if not isinstance(dataloader, DataLoader):
            raise TypeError(f"dataloader must be a pytorch DataLoader, but got {{type(dataloader)}}")
        if interval <= 0:
            raise ValueError(f"interval must be a positive number, but got {{interval}}")
        assert isinstance(by_epoch, bool), "``by_epoch`` should be a boolean"
        if start is not None and start < 0:
            raise ValueError(f"The evaluation start epoch {{start}} is smaller than 0")
        assert save_best is None or isinstance(save_best, str), "save_best should be a str or None"
        if file_client_args is not None:
            raise NotImplementedError("EvalHook(file_client_args=...): local paths only "
                                      "(mmmigrate stand-in)")
        self.dataloader, self.start, self.interval, self.by_epoch = \\
            dataloader, start, interval, by_epoch
        self.save_best, self.eval_kwargs, self.initial_flag = save_best, eval_kwargs, True
        self.test_fn = test_fn if test_fn is not None else self._test_all
        as_list = lambda keys: [keys] if isinstance(keys, str) else list(keys)  # noqa: E731
        self.greater_keys = self._default_greater_keys if greater_keys is None else \\
            as_list(greater_keys)
        self.less_keys = self._default_less_keys if less_keys is None else as_list(less_keys)
        if save_best is not None:
            self.best_ckpt_path = None
            self._init_rule(rule, save_best)
        self.out_dir = out_dir

    @staticmethod
    def _test_all(model, data_loader):
        import torch
        model.eval()
        results = []
        for data in data_loader:
            with torch.no_grad():
                results.extend(model.test_step(data))
        return results

    def _init_rule(self, rule, key_indicator):
        if rule is not None and rule not in self.rule_map:
            raise KeyError(f"rule must be greater, less or None, but got {{rule}}.")
        if rule is None and key_indicator != "auto":
            key = key_indicator.lower()
            greater = [k.lower() for k in self.greater_keys]
            less = [k.lower() for k in self.less_keys]
            if key in greater or (key not in less and any(k in key for k in greater)):
                rule = "greater"
            elif key in less or any(k in key for k in less):
                rule = "less"
            else:
                raise ValueError(f"Cannot infer the rule for key {{key_indicator}}, thus a "
                                 "specific rule must be specified.")
        self.rule, self.key_indicator = rule, key_indicator
        if rule is not None:
            self.compare_func = self.rule_map[rule]

    def before_run(self, runner):
        import os.path as osp
        if not self.out_dir:
            self.out_dir = runner.work_dir
        elif self.out_dir != runner.work_dir:
            self.out_dir = osp.join(self.out_dir, osp.basename(runner.work_dir.rstrip(osp.sep)))
            runner.logger.info(f"The best checkpoint will be saved to {{self.out_dir}}")
        if self.save_best is not None:
            self.best_ckpt_path = runner.message_hub.get_info("best_ckpt")

    def before_train_iter(self, runner, batch_idx=None, data_batch=None):
        if self.by_epoch or not self.initial_flag:
            return
        if self.start is not None and runner.iter >= self.start:
            self.after_train_iter(runner)
        self.initial_flag = False

    def before_train_epoch(self, runner):
        if not (self.by_epoch and self.initial_flag):
            return
        if self.start is not None and runner.epoch >= self.start:
            self.after_train_epoch(runner)
        self.initial_flag = False

    def after_train_iter(self, runner, batch_idx=None, data_batch=None, outputs=None):
        if not self.by_epoch and self._should_evaluate(runner):
            # MMCV: the logger hooks log the train iteration first, then the buffer is cleared
            for hook in runner.hooks:
                if getattr(hook, "_mmcv_logger_stand_in", False):
                    hook.after_train_iter(runner, batch_idx)
                    hook._clear(runner)
            self._do_evaluate(runner)

    def after_train_epoch(self, runner):
        if self.by_epoch and self._should_evaluate(runner):
            self._do_evaluate(runner)

    def _do_evaluate(self, runner):
        results = self.test_fn(runner.model, self.dataloader)
        runner.message_hub.update_info("eval_iter_num", len(self.dataloader))
        key_score = self.evaluate(runner, results)
        if self.save_best and key_score:
            self._save_ckpt(runner, key_score)

    def _should_evaluate(self, runner):
        current = runner.epoch if self.by_epoch else runner.iter
        if self.start is None:
            return (current + 1) % self.interval == 0
        return current + 1 >= self.start and (current + 1 - self.start) % self.interval == 0

    def _save_ckpt(self, runner, key_score):
        import os
        import os.path as osp
        kind = "epoch" if self.by_epoch else "iter"
        count = (runner.epoch if self.by_epoch else runner.iter) + 1
        best_score = runner.message_hub.get_info("best_score", self.init_value_map[self.rule])
        if not self.compare_func(key_score, best_score):
            return
        runner.message_hub.update_info("best_score", key_score)
        if self.best_ckpt_path and osp.isfile(self.best_ckpt_path):
            os.remove(self.best_ckpt_path)
            runner.logger.info(f"The previous best checkpoint {{self.best_ckpt_path}} was removed")
        name = f"best_{{self.key_indicator}}_{{kind}}_{{count}}.pth"
        self.best_ckpt_path = osp.join(self.out_dir, name)
        runner.message_hub.update_info("best_ckpt", self.best_ckpt_path)
        runner.save_checkpoint(self.out_dir, filename=name, by_epoch=self.by_epoch)
        runner.logger.info(f"Now best checkpoint is saved as {{name}}.")
        runner.logger.info(f"Best {{self.key_indicator}} is {{key_score:0.4f}} at {{count}} {{kind}}.")

    def evaluate(self, runner, results):
        eval_res = self.dataloader.dataset.evaluate(results, logger=runner.logger,
                                                    **self.eval_kwargs)
        for name, val in eval_res.items():
            runner.message_hub.update_scalar(f"val/{{name}}", val)
        runner.logger.info("Evaluation: " + ", ".join(f"{{k}}: {{v}}" for k, v in eval_res.items()))
        if self.save_best is None:
            return None
        if not eval_res:
            runner.logger.warning("eval_res is empty: the best checkpoint is not saved this time")
            return None
        if self.key_indicator == "auto":
            self._init_rule(self.rule, list(eval_res)[0])
        return eval_res[self.key_indicator]
'''

DIST_EVAL_HOOK = '''
class {local}({eval_local}):
    """Stand-in for mmcv.runner.DistEvalHook (mmmigrate, MC108): the EvalHook stand-in with
    BatchNorm buffers broadcast from rank 0, each rank testing its part of the loader and the
    results gathered on rank 0 in dataset order (mmengine.dist.collect_results), evaluated
    there."""
    _mmcv_stand_in = "DistEvalHook"

    def __init__(self, dataloader, start=None, interval=1, by_epoch=True, save_best=None,
                 rule=None, test_fn=None, greater_keys=None, less_keys=None,
                 broadcast_bn_buffer=True, tmpdir=None, gpu_collect=False, out_dir=None,
                 file_client_args=None, **eval_kwargs):
        super().__init__(dataloader, start=start, interval=interval, by_epoch=by_epoch,
                         save_best=save_best, rule=rule,
                         test_fn=test_fn if test_fn is not None else self._test_parts,
                         greater_keys=greater_keys, less_keys=less_keys, out_dir=out_dir,
                         file_client_args=file_client_args, **eval_kwargs)
        self.broadcast_bn_buffer, self.tmpdir, self.gpu_collect = \\
            broadcast_bn_buffer, tmpdir, gpu_collect

    def _test_parts(self, model, data_loader, tmpdir=None, gpu_collect=False):
        import {dist_module} as _dist     # an `import`: never merged with the module's imports
        results = self._test_all(model, data_loader)
        return _dist.collect_results(results, len(data_loader.dataset),
                               "gpu" if gpu_collect else "cpu", tmpdir=tmpdir)

    def _do_evaluate(self, runner):
        import os.path as osp
        import torch.distributed as dist
        from torch.nn.modules.batchnorm import _BatchNorm
        if self.broadcast_bn_buffer:
            for _, module in runner.model.named_modules():
                if isinstance(module, _BatchNorm) and module.track_running_stats:
                    dist.broadcast(module.running_var, 0)
                    dist.broadcast(module.running_mean, 0)
        tmpdir = self.tmpdir if self.tmpdir is not None else \\
            osp.join(runner.work_dir, ".eval_hook")
        results = self.test_fn(runner.model, self.dataloader, tmpdir=tmpdir,
                               gpu_collect=self.gpu_collect)
        if runner.rank == 0:
            runner.message_hub.update_info("eval_iter_num", len(self.dataloader))
            key_score = self.evaluate(runner, results)
            if self.save_best and key_score:
                self._save_ckpt(runner, key_score)
'''

WANDB_LOGGER_HOOK = '''
class {local}(Hook, metaclass=_MMCVStandIn):
    """Stand-in for mmcv.runner.WandbLoggerHook (mmmigrate, MC108): MMCV 1.7's LoggerHook +
    WandbLoggerHook on MMEngine's runner. wandb.init in before_run; every `interval` train
    iterations the mean of the last `interval` values (since the epoch began) of each
    train/<key> scalar of the message hub (MMCV: log_buffer.average), with learning_rate and
    momentum, at step iter + 1; new val/<key> scalars (evaluation results) when they arrive;
    the work_dir's log files as an artifact and wandb.join() in after_run. TODO(migrate):
    MMEngine's way is visualizer=dict(vis_backends=[dict(type='WandbVisBackend')])."""
    _mmcv_stand_in = "WandbLoggerHook"

    priority = "VERY_LOW"
    _mmcv_logger_stand_in = True

    def __init__(self, init_kwargs=None, interval=10, ignore_last=True, reset_flag=False,
                 commit=True, by_epoch=True, with_step=True, log_artifact=True,
                 out_suffix=(".log.json", ".log", ".py"), define_metric_cfg=None):
        self.interval, self.ignore_last, self.reset_flag, self.by_epoch = \\
            interval, ignore_last, reset_flag, by_epoch
        self.import_wandb()
        self.init_kwargs, self.commit, self.with_step = init_kwargs, commit, with_step
        self.log_artifact, self.out_suffix = log_artifact, out_suffix
        self.define_metric_cfg = define_metric_cfg
        self._output, self._ready, self._start, self._val_seen = {{}}, False, {{}}, {{}}
        self._lr, self._momentum, self._batch_idx, self._in_iter = {{}}, {{}}, 0, False
        self._text_logger = True

    def import_wandb(self):
        try:
            import wandb
        except ImportError:
            raise ImportError('Please run "pip install wandb" to install wandb')
        self.wandb = wandb

    @staticmethod
    def is_scalar(val, include_np=True, include_torch=True):
        import numbers
        import numpy as np
        import torch
        if isinstance(val, numbers.Number):
            return True
        if include_np and isinstance(val, np.ndarray) and val.ndim == 0:
            return True
        return include_torch and isinstance(val, torch.Tensor) and len(val) == 1

    # -- MMCV's log buffer, read from MMEngine's message hub --
    def _averages(self, runner, batch_idx):
        every = (batch_idx + 1) % self.interval == 0 if self.by_epoch else \\
            (runner.iter + 1) % self.interval == 0
        end = batch_idx + 1 == len(runner.train_dataloader)
        return every or (end and not self.ignore_last)

    def _average(self, runner):
        for key, buf in runner.message_hub.log_scalars.items():
            mode, _, name = key.partition("/")
            if mode != "train" or name == "lr" or name.endswith(".lr"):
                continue
            values, counts = buf.data
            n = min(self.interval, len(values) - self._start.get(key, 0))
            if n > 0:
                self._output[name] = float((values[-n:] * counts[-n:]).sum() / counts[-n:].sum())
        self._ready = True

    def _pull_eval(self, runner):
        for key, buf in runner.message_hub.log_scalars.items():
            mode, _, name = key.partition("/")
            if mode == "val" and name not in ("time", "data_time") and \\
                    len(buf.data[0]) > self._val_seen.get(key, 0):
                self._val_seen[key] = len(buf.data[0])
                self._output[name] = buf.current()
                self._ready = True

    def _clear_output(self):
        self._output, self._ready = {{}}, False

    def _clear(self, runner):        # MMCV's LoggerHook.before_epoch: log_buffer.clear()
        self._start = {{k: len(b.data[0]) for k, b in runner.message_hub.log_scalars.items()}}
        self._clear_output()

    def get_mode(self, runner):
        if self._in_iter and self._text_logger and self._averages(runner, self._batch_idx):
            buf = runner.message_hub.log_scalars.get("train/time")      # what averaging holds
            return "train" if buf is not None and \\
                len(buf.data[0]) > self._start.get("train/time", 0) else "val"
        return "train" if "time" in self._output else "val"

    def get_epoch(self, runner):
        return runner.epoch + 1

    def get_iter(self, runner, inner_iter=False):
        return self._batch_idx + 1 if self.by_epoch and inner_iter else runner.iter + 1

    def get_lr_tags(self, runner):
        lr = self._lr or runner.optim_wrapper.get_lr()
        return {{("learning_rate" if k == "lr" else "learning_rate/" + k[:-len(".lr")]): v[0]
                for k, v in lr.items()}}

    def get_momentum_tags(self, runner):
        m = self._momentum or runner.optim_wrapper.get_momentum()
        return {{("momentum" if k == "momentum" else "momentum/" + k[:-len(".momentum")]): v[0]
                for k, v in m.items()}}

    def get_loggable_tags(self, runner, allow_scalar=True, allow_text=False, add_mode=True,
                          tags_to_skip=("time", "data_time")):
        tags = {{}}
        for var, val in self._output.items():
            if var in tags_to_skip or (self.is_scalar(val) and not allow_scalar) or \\
                    (isinstance(val, str) and not allow_text):
                continue
            tags[f"{{self.get_mode(runner)}}/{{var}}" if add_mode else var] = val
        tags.update(self.get_lr_tags(runner))
        tags.update(self.get_momentum_tags(runner))
        return tags

    def log(self, runner):
        if runner.rank != 0:
            return
        tags = self.get_loggable_tags(runner)
        if tags:
            if self.with_step:
                self.wandb.log(tags, step=self.get_iter(runner), commit=self.commit)
            else:
                tags["global_step"] = self.get_iter(runner)
                self.wandb.log(tags, commit=self.commit)

    def _log_if_ready(self, runner):
        if self._ready:
            self.log(runner)
            if self.reset_flag:
                self._clear_output()

    # -- stages --
    def before_run(self, runner):
        import warnings
        mine = [h for h in runner.hooks if getattr(h, "_mmcv_logger_stand_in", False)]
        if mine:
            mine[-1].reset_flag = True
        # MMEngine's LoggerHook (runs first) plays MMCV's TextLoggerHook
        self._text_logger = any(type(h).__name__ == "LoggerHook" for h in runner.hooks)
        if runner.rank != 0:
            return
        if self.wandb is None:
            self.import_wandb()
        self.wandb.init(**self.init_kwargs) if self.init_kwargs else self.wandb.init()
        choices = ["min", "max", "mean", "best", "last", "none"]
        for metric, summary in (self.define_metric_cfg or {{}}).items():
            if summary not in choices:
                warnings.warn(f"summary should be in {{choices}}. metric={{metric}}, "
                              f"summary={{summary}} will be skipped.")
            self.wandb.define_metric(metric, summary=summary)

    def before_train_epoch(self, runner):
        self._clear(runner)

    def before_val_epoch(self, runner):
        self._clear(runner)

    def before_train_iter(self, runner, batch_idx=None, data_batch=None):
        self._batch_idx = batch_idx if batch_idx is not None else runner.iter
        self._in_iter = True
        self._lr = runner.optim_wrapper.get_lr()
        self._momentum = runner.optim_wrapper.get_momentum()

    def after_train_iter(self, runner, batch_idx=None, data_batch=None, outputs=None):
        if self._averages(runner, self._batch_idx if batch_idx is None else batch_idx):
            self._average(runner)
        self._pull_eval(runner)
        self._in_iter = False
        self._log_if_ready(runner)

    def after_train_epoch(self, runner):
        self._pull_eval(runner)
        self._log_if_ready(runner)

    def after_val_epoch(self, runner, metrics=None):
        self._pull_eval(runner)
        self._log_if_ready(runner)

    def after_run(self, runner):
        from os import walk as _walk             # `from`: a nested `import os` would hide
        from os.path import join as _join        # the module's own from libcst's imports
        if runner.rank != 0:
            return
        if self.log_artifact:
            artifact = self.wandb.Artifact(name="artifacts", type="model")
            for root, _, files in _walk(runner.work_dir):
                for f in sorted(files):
                    if not f.startswith(".") and f.endswith(self.out_suffix):
                        artifact.add_file(_join(root, f))
            self.wandb.log_artifact(artifact)
        self.wandb.join()
'''

# Written once above the working stand-ins of a module: `isinstance(hook, EvalHook)` with the
# stand-in named EvalHook is true for every hook whose class derives from *an* EvalHook stand-in,
# whichever module wrote it (mmcls' wandb hook tests for mmcv's EvalHook; mmcls' EvalHook
# derives from the stand-in of eval_hooks.py): under MMCV they all derived from the one class.
# Its base is type(Hook), not type, so that it derives from whatever metaclass the target's Hook
# has (plain `type` under mmengine and under the runtime, whose Hook is a plain class too).
META = '''
class _MMCVStandIn(type(Hook)):
    """isinstance against an MMCV stand-in (mmmigrate, MC108): true for any class deriving from
    a stand-in of the same MMCV class, written into any module."""

    def __instancecheck__(cls, obj):
        name = cls.__dict__.get("_mmcv_stand_in")
        if name is None:
            return super().__instancecheck__(obj)
        return any(k.__dict__.get("_mmcv_stand_in") == name for k in type(obj).__mro__)
'''

# MMCV name -> template (DistEvalHook needs the EvalHook stand-in: `requires`)
TEMPLATES = {"OptimizerHook": OPTIMIZER_HOOK, "EvalHook": EVAL_HOOK,
             "DistEvalHook": DIST_EVAL_HOOK, "WandbLoggerHook": WANDB_LOGGER_HOOK}
REQUIRES = {"DistEvalHook": "EvalHook"}
