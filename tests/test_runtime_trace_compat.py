"""Runner-level compatibility with real MMEngine 0.10.7: one config dict (tiny linear model,
synthetic regression data, seed, num_workers=0) is run by `runtime.runner.Runner` and by
`mmengine.runner.Runner`. A hook registered at the lowest priority records param group 0's lr and
momentum in `before_train_iter` (after every other hook, i.e. the values the optimizer step of that
iteration uses); the model's `train_step` records them again right before `update_params`. Both
traces and the final weights must be identical for every scheduler type (LinearLR, ConstantLR,
StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR with eta_min / eta_min_ratio, PolyLR,
OneCycleLR, CosineRestartLR, ReduceOnPlateauLR driven by a validation metric, Momentum forms) and
combinations (warmup + MultiStep, convert_to_iter_based, epoch- and iter-based loops).

The model/dataset/metric/hook classes are defined once per library (subclassing that library's
BaseModel/BaseMetric/Hook) and registered under the same names in each library's registries, so
the config dicts are literally the same.
"""
import copy
import math

import pytest
import torch
from torch.utils.data import Dataset

pytest.importorskip("mmengine.runner")

EPOCH_LEN = 3          # 12 samples, batch size 4
EPOCHS = 4
ITERS = EPOCHS * EPOCH_LEN


class Regression(Dataset):
    """12 fixed (x, y) pairs, y a noisy linear function of x; `metainfo` like a BaseDataset."""
    metainfo = dict(classes=("y",))

    def __init__(self, length=12, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(length, 4, generator=g)
        self.y = self.x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.1 * torch.randn(length, 1, generator=g)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return dict(inputs=self.x[i], targets=self.y[i])


def _snapshot(optim_wrapper):
    group = optim_wrapper.param_groups[0]
    momentum = group.get("momentum", group.get("betas", (None,))[0])
    return (group["lr"], momentum)


def _classes(lib):
    """TraceNet / TraceMSE / TraceHook subclassing `lib`'s bases, registered in `lib`'s registries."""
    if lib == "mmengine":
        from mmengine.evaluator import BaseMetric
        from mmengine.hooks import Hook
        from mmengine.model import BaseModel
        from mmengine.registry import HOOKS, METRICS, MODELS
    else:
        from runtime.evaluator import BaseMetric
        from runtime.hooks import Hook
        from runtime.model import BaseModel
        from runtime.registry import HOOKS, METRICS, MODELS

    class TraceNet(BaseModel):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(4, 1)
            self.step_trace = []

        def forward(self, inputs, targets, mode="tensor"):
            out = self.fc(inputs)
            if mode == "loss":
                return dict(loss=torch.nn.functional.mse_loss(out, targets))
            if mode == "predict":
                return [(o, t) for o, t in zip(out, targets)]
            return out

        def train_step(self, data, optim_wrapper):
            with optim_wrapper.optim_context(self):
                data = self.data_preprocessor(data, True)
                losses = self._run_forward(data, mode="loss")
            loss, log_vars = self.parse_losses(losses)
            self.step_trace.append(_snapshot(optim_wrapper))   # what this step will use
            optim_wrapper.update_params(loss)
            return log_vars

    class TraceMSE(BaseMetric):
        def process(self, data_batch, data_samples):
            for out, target in data_samples:
                self.results.append(float((out - target).pow(2).sum()))

        def compute_metrics(self, results):
            return dict(mse=sum(results) / len(results))

    class TraceHook(Hook):
        def __init__(self):
            self.trace = []
            self.epochs = []

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            self.trace.append(_snapshot(runner.optim_wrapper))
            self.epochs.append((runner.epoch, runner.iter))

    MODELS.register_module(name="TraceNet", module=TraceNet, force=True)
    METRICS.register_module(name="TraceMSE", module=TraceMSE, force=True)
    HOOKS.register_module(name="TraceHook", module=TraceHook, force=True)


def _config(case, param_scheduler, loop, optimizer):
    loader = dict(dataset=Regression(12, seed=0), batch_size=4, num_workers=0,
                  sampler=dict(type="DefaultSampler", shuffle=True), collate_fn=dict(type="default_collate"))
    val_loader = dict(dataset=Regression(6, seed=1), batch_size=3, num_workers=0,
                      sampler=dict(type="DefaultSampler", shuffle=False), collate_fn=dict(type="default_collate"))
    if loop == "epoch":
        train_cfg = dict(by_epoch=True, max_epochs=EPOCHS, val_interval=1)
    else:   # InfiniteSampler: MMEngine sleeps 2 s whenever a finite dataloader restarts
        train_cfg = dict(by_epoch=False, max_iters=ITERS, val_interval=EPOCH_LEN)
        loader["sampler"] = dict(type="InfiniteSampler", shuffle=True)
    return dict(model=dict(type="TraceNet"), train_dataloader=loader, val_dataloader=val_loader,
                train_cfg=train_cfg, val_cfg=dict(), val_evaluator=dict(type="TraceMSE"),
                optim_wrapper=dict(type="OptimWrapper", optimizer=optimizer),
                param_scheduler=param_scheduler, randomness=dict(seed=7),
                default_hooks=dict(checkpoint=None, logger=dict(type="LoggerHook", interval=50)),
                custom_hooks=[dict(type="TraceHook", priority="LOWEST")],
                experiment_name=case, log_level="WARNING")


def _run(lib, case, cfg, work_dir):
    _classes(lib)
    if lib == "mmengine":
        from mmengine.runner import Runner
    else:
        from runtime.runner import Runner
    runner = Runner(work_dir=str(work_dir / lib), **copy.deepcopy(cfg))
    runner.train()
    hook = next(h for h in runner.hooks if type(h).__name__ == "TraceHook")
    weights = {k: v.detach().clone() for k, v in runner.model.state_dict().items()}
    return dict(hook=hook.trace, step=runner.model.step_trace, where=hook.epochs,
                weights=weights, final=_snapshot(runner.optim_wrapper))


SGD = dict(type="SGD", lr=0.05, momentum=0.9, weight_decay=1e-4)
ADAM = dict(type="Adam", lr=0.01, betas=(0.9, 0.999))

# name -> (param_scheduler, loop, optimizer)
CASES = {
    "linear_warmup_multistep": (
        [dict(type="LinearLR", start_factor=0.1, by_epoch=False, begin=0, end=5),
         dict(type="MultiStepLR", by_epoch=True, milestones=[2, 3], gamma=0.1)], "epoch", SGD),
    "constant": (dict(type="ConstantLR", factor=0.3, by_epoch=True, end=2), "epoch", SGD),
    "step": (dict(type="StepLR", step_size=1, gamma=0.5, by_epoch=True), "epoch", SGD),
    "exponential_iter": (dict(type="ExponentialLR", gamma=0.85, by_epoch=False), "epoch", SGD),
    "cosine_eta_min": (dict(type="CosineAnnealingLR", T_max=ITERS, eta_min=1e-3, by_epoch=False),
                       "epoch", SGD),
    "cosine_eta_min_ratio_converted": (
        dict(type="CosineAnnealingLR", T_max=EPOCHS, eta_min_ratio=0.1, by_epoch=True,
             convert_to_iter_based=True), "epoch", SGD),
    "poly": (dict(type="PolyLR", power=2.0, eta_min=1e-3, by_epoch=False, end=ITERS - 2), "epoch", SGD),
    "onecycle": (dict(type="OneCycleLR", eta_max=0.2, total_steps=ITERS, by_epoch=False), "epoch", SGD),
    "cosine_restart": (dict(type="CosineRestartLR", periods=[5, 7], restart_weights=[1.0, 0.5],
                            eta_min=1e-3, by_epoch=False), "epoch", SGD),
    "reduce_on_plateau_val_metric": (
        # mse falls while training, so with rule='greater' it "stops improving" -> lr drops
        dict(type="ReduceOnPlateauLR", monitor="mse", rule="greater", factor=0.5, patience=0,
             by_epoch=True), "epoch", SGD),
    "momentum_forms": (
        [dict(type="LinearLR", start_factor=0.2, by_epoch=False, end=4),
         dict(type="LinearMomentum", start_factor=0.5, by_epoch=False, end=4),
         dict(type="CosineAnnealingMomentum", T_max=EPOCHS - 1, eta_min=0.8, by_epoch=True, begin=1),
         dict(type="StepMomentum", step_size=2, gamma=0.95, by_epoch=True, begin=1)], "epoch", SGD),
    "adam_betas_momentum": (
        [dict(type="ExponentialMomentum", gamma=0.97, by_epoch=False),
         dict(type="MultiStepLR", milestones=[1, 3], gamma=0.5, by_epoch=True)], "epoch", ADAM),
    "iter_loop_warmup_multistep": (
        [dict(type="LinearLR", start_factor=0.01, by_epoch=False, end=4),
         dict(type="MultiStepLR", by_epoch=False, milestones=[6, 9], gamma=0.2)], "iter", SGD),
    "iter_loop_converted_poly_plateau": (
        [dict(type="PolyLR", power=1.0, eta_min=0.0, by_epoch=True, end=EPOCHS,
              convert_to_iter_based=True),
         # epoch-based but stepped by every validation (each EPOCH_LEN iterations here)
         dict(type="ReduceOnPlateauMomentum", monitor="mse", rule="greater", factor=0.9,
              patience=0, by_epoch=True)], "iter", SGD),
}


def _same(a, b):
    return len(a) == len(b) and all(
        (x is None and y is None) or (x is not None and y is not None and
                                      (x == y or math.isclose(x, y, rel_tol=1e-12, abs_tol=0)))
        for ra, rb in zip(a, b) for x, y in zip(ra, rb))


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("case", list(CASES))
def test_runner_trace_matches_mmengine(case, tmp_path):
    param_scheduler, loop, optimizer = CASES[case]
    cfg = _config(case, param_scheduler, loop, optimizer)
    ours = _run("runtime", case, cfg, tmp_path)
    theirs = _run("mmengine", case, cfg, tmp_path)
    assert len(ours["hook"]) == ITERS
    # the lowest-priority before_train_iter hook sees exactly what the optimizer step uses
    assert ours["hook"] == ours["step"] and theirs["hook"] == theirs["step"]
    assert ours["where"] == theirs["where"]
    assert _same(ours["hook"], theirs["hook"]), (ours["hook"], theirs["hook"])
    assert _same([ours["final"]], [theirs["final"]]), (ours["final"], theirs["final"])
    assert ours["weights"].keys() == theirs["weights"].keys()
    for k, v in ours["weights"].items():
        torch.testing.assert_close(v, theirs["weights"][k], rtol=0, atol=0)
    # the schedule really did something (a constant trace would hide a broken scheduler)
    assert len({round(lr, 12) for lr, _ in ours["hook"]} | {round(m, 12) for _, m in ours["hook"]}) > 2
