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
  runtime info (`best_score`, `best_ckpt`; MMCV: runner.meta['hook_msgs']). Not kept: MMCV's
  flush of the logger hooks before an iteration-based evaluation, and `file_client_args`
  (local paths only: a non-None value is refused).
"""

OPTIMIZER_HOOK = '''
class {local}(Hook):
    """Stand-in for mmcv.runner.OptimizerHook (mmmigrate, MC108): MMEngine's OptimWrapper does
    backward and step in model.train_step, so this hook steps nothing; `grad_clip` becomes the
    wrapper's clip_grad (MMCV: clip_grad_norm_ over the parameters that have a gradient)."""

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
class {local}(Hook):
    """Stand-in for mmcv.runner.EvalHook (mmmigrate, MC108): MMCV 1.7's evaluation inside the
    training loop on MMEngine. test_fn(model, dataloader) (default: model.test_step over the
    loader), dataloader.dataset.evaluate(results, logger, **eval_kwargs), metrics into the
    message hub as val/<name>, save_best -> best_<key>_<epoch|iter>_<n>.pth in out_dir; best
    score/path in the message hub's runtime info (MMCV: runner.meta['hook_msgs'])."""

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

# MMCV name -> template (DistEvalHook needs the EvalHook stand-in: `requires`)
TEMPLATES = {"OptimizerHook": OPTIMIZER_HOOK, "EvalHook": EVAL_HOOK,
             "DistEvalHook": DIST_EVAL_HOOK}
REQUIRES = {"DistEvalHook": "EvalHook"}
