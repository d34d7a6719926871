"""`mmrun dry-run`: the fast schedule-only path (runtime/dryrun.py) gives exactly the trace of the
real Runner with stand-ins (`--full`, runtime/dryrun_full.py) -- the proof that the fast path
replays MMEngine's loops, ParamSchedulerHook and CheckpointHook correctly -- and a known config's
trace equals values computed by hand from MMEngine's definitions."""
import copy
import json
import math
import subprocess
import sys

import pytest

from casekit import CASES, ROOT

pytest.importorskip("torch")

from runtime.dryrun import schedule_trace  # noqa: E402
from runtime.dryrun_full import full_trace  # noqa: E402

PRELUDE = """\
optimizer = dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001)
optimizer_config = dict(grad_clip=None)
_ds = dict(type='CocoDataset', ann_file='a.json', img_prefix='x/', pipeline=[])
data = dict(samples_per_gpu=2, workers_per_gpu=2, train=_ds, val=_ds, test=_ds)
evaluation = dict(interval=2, metric='bbox')
"""
FIXTURES = ["step_linear_warmup", "step_constant_warmup", "step_exp_warmup", "cosine_min_lr_warmup",
            "cyclic_epoch_runner", "cyclic_iter_runner", "one_cycle_iter_runner", "exp_by_iter",
            "flat_cosine_epoch", "momentum_cosine", "poly_epoch", "step_iter_runner_default",
            "yolox_mmdet", "step_by_iter_epoch_runner", "linear_annealing_ratio"]


def _converted(name):
    from migrator.convert import convert_dict
    from migrator.load import load_config
    text = (CASES / "schedule" / f"{name}.old.py").read_text()
    iter_runner = "IterBasedRunner" in text
    ck = "checkpoint_config = dict(interval=30, by_epoch=False)\n" if iter_runner else \
        "checkpoint_config = dict(interval=3)\n"
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"{name}.py"
        p.write_text(PRELUDE + ck + text)
        return convert_dict(load_config(p).cfg, str(p)).new


def _same(full, fast):
    full = dict(full)
    assert full.pop("stand_ins")
    assert full == fast


@pytest.mark.parametrize("name", FIXTURES)
def test_full_equals_schedule_path_on_converted_fixtures(name):
    cfg = _converted(name)
    for n in (3, 10):
        _same(full_trace(cfg, n, quiet=True), schedule_trace(cfg, n))


BASE = dict(
    train_dataloader=dict(batch_size=2, num_workers=2, sampler=dict(type="DefaultSampler", shuffle=True),
                          dataset=dict(type="CocoDataset", pipeline=[])),
    val_dataloader=dict(batch_size=1, sampler=dict(type="DefaultSampler", shuffle=False),
                        dataset=dict(type="CocoDataset", pipeline=[])),
    val_evaluator=dict(type="CocoMetric", metric="bbox"),
    val_cfg=dict(type="ValLoop"),
    train_cfg=dict(type="EpochBasedTrainLoop", max_epochs=6, val_interval=2),
    optim_wrapper=dict(type="OptimWrapper", optimizer=dict(type="SGD", lr=0.1, momentum=0.9)),
    param_scheduler=[dict(type="LinearLR", start_factor=0.25, by_epoch=False, begin=0, end=4),
                     dict(type="MultiStepLR", milestones=[2, 4], gamma=0.5, by_epoch=True)],
    default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=2),
                       logger=dict(type="LoggerHook", interval=1)),
)


def _variant(**changes):
    cfg = copy.deepcopy(BASE)
    for k, v in changes.items():
        cfg[k] = v
    return cfg


VARIANTS = {
    "base": _variant(),
    "adam_paramwise": _variant(optim_wrapper=dict(
        type="OptimWrapper", optimizer=dict(type="AdamW", lr=1e-3, betas=(0.8, 0.99), weight_decay=0.01),
        paramwise_cfg=dict(custom_keys={"backbone": dict(lr_mult=0.1)}, norm_decay_mult=0.0))),
    "ckpt_by_iter_in_epoch_loop": _variant(default_hooks=dict(
        checkpoint=dict(type="CheckpointHook", interval=5, by_epoch=False))),
    "dynamic_intervals": _variant(train_cfg=dict(type="EpochBasedTrainLoop", max_epochs=6,
                                                 val_interval=3, dynamic_intervals=[(4, 1)])),
    "convert_to_iter_based": _variant(param_scheduler=[dict(
        type="CosineAnnealingLR", T_max=6, by_epoch=True, convert_to_iter_based=True)]),
    "iter_loop": _variant(train_cfg=dict(type="IterBasedTrainLoop", max_iters=20, val_interval=7),
                          default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=6,
                                                             by_epoch=False)),
                          param_scheduler=[dict(type="MultiStepLR", milestones=[5, 12],
                                                by_epoch=False)]),
    "auto_scale_lr": _variant(auto_scale_lr=dict(enable=True, base_batch_size=16)),
    "momentum_scheduler": _variant(param_scheduler=[
        dict(type="CosineAnnealingMomentum", eta_min=0.8, by_epoch=False, begin=0, end=12)]),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_full_equals_schedule_path_on_variants(name):
    cfg = VARIANTS[name]
    for n, w in ((7, 1), (9, 2)):
        _same(full_trace(cfg, n, w, quiet=True), schedule_trace(cfg, n, w))


def test_known_trace_hand_computed():
    """BASE on 7 samples: ceil(7/2) = 4 iterations per epoch, 6 epochs = 24 iterations.
    LinearLR (by iteration, end=4): factor 0.25 + 0.75 * i / (end - 1) for i < 3, then 1.
    MultiStepLR (by epoch, milestones 2, 4, gamma 0.5): x0.5 from epoch 2, x0.25 from epoch 4.
    Validation every 2 epochs (and at the last), checkpoints every 2 epochs (+ last)."""
    t = schedule_trace(BASE, 7)
    assert (t["max_iters"], t["epoch_len"], t["by_epoch"]) == (24, 4, True)
    lrs = [d["lr"] for d in t["iters"]]
    expect = []
    for i in range(24):
        warm = 0.25 + 0.75 * i / 3 if i < 3 else 1.0   # total_iters = end - begin - 1
        decay = 0.5 ** sum(i // 4 >= m for m in (2, 4))
        expect.append(0.1 * warm * decay)
    assert lrs == pytest.approx(expect, rel=1e-12)
    assert [d["epoch"] for d in t["iters"]] == [i // 4 for i in range(24)]
    assert {d["momentum"] for d in t["iters"]} == {0.9}
    assert t["val_at"] == [2, 4, 6] and t["ckpt_at"] == [2, 4, 6]
    # world size 2: 7 samples -> ceil(7/2)=4 per rank -> 2 iterations per epoch
    assert schedule_trace(BASE, 7, 2)["epoch_len"] == 2


def test_dynamic_interval_counts_like_mmengine():
    """MMEngine bisects `epoch + 1` after the epoch counter moved on: with val_interval=3 and
    dynamic_intervals [(4, 1)], the interval is 1 already when deciding after epoch 3."""
    t = schedule_trace(VARIANTS["dynamic_intervals"], 4)
    assert t["val_at"] == [3, 4, 5, 6]


def test_cli_lists_of_traces(tmp_path):
    cfg = tmp_path / "cfg.py"
    cfg.write_text("".join(f"{k} = {v!r}\n" for k, v in BASE.items()))
    out = tmp_path / "t.json"
    proc = subprocess.run([sys.executable, "-m", "runtime.cli", "dry-run", str(cfg),
                           "--dataset-len", "7,3", "--trace", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    traces = json.loads(out.read_text())
    assert [t["max_iters"] for t in traces] == [24, 12]
    assert "dataset_len=7 max_iters=24" in proc.stderr
    batch = json.dumps([{"cfg": BASE, "dataset_lens": [7], "full": True},
                        {"cfg": {"train_cfg": {"type": "Nope"}}, "dataset_lens": [1]}])
    proc = subprocess.run([sys.executable, "-m", "runtime.cli", "dry-run", "--batch"], input=batch,
                          capture_output=True, text=True, cwd=ROOT)
    res = json.loads(proc.stdout)
    assert res[0]["traces"][0]["max_iters"] == 24 and res[0]["traces"][0]["stand_ins"]
    assert res[0]["traces"][0]["lr"][0] == [0.025, 1]          # compact form: 0.1 * 0.25 once
    assert "error" in res[1] and "Nope" in res[1]["error"]


def test_epoch_length_matches_mmcv_model():
    from migrator.verify.mmcv import epoch_length as mmcv_len
    from runtime.dryrun import epoch_length
    for n in (1, 2, 7, 117266):
        for w in (1, 8):
            assert epoch_length(dict(batch_size=2), n, w) == mmcv_len(n, 2, w)
    assert math.ceil(117266 / 8 / 2) == epoch_length(dict(batch_size=2), 117266, 8) == 7330


# --- the torch-free stand-in optimizer ---------------------------------------------------------
def _torch_class(name):
    import torch
    return getattr(torch.optim, "Adafactor" if name == "TorchAdafactor" else name)


def _arg_sets(name, table):
    sets = [{}, {"lr": 0.05}, {"lr": 0.3, "weight_decay": 1e-4, "maximize": True}]
    if "momentum" in table:
        sets.append({"lr": 0.02, "momentum": 0.9, "weight_decay": 1e-4})
    if name == "SGD":
        sets.append({"lr": 0.02, "momentum": 0.9, "nesterov": True})
    if "betas" in table:
        sets.append({"lr": 2e-4, "betas": (0.8, 0.95), "eps": 1e-6})
        sets.append({"betas": [0.5, 0.9]})   # a list from a config file stays a list
    if name == "LBFGS":
        sets.append({"max_iter": 8})
        sets.append({"max_iter": 8, "max_eval": 3})
    return [{k: v for k, v in s.items() if k in table} for s in sets]


def test_standin_table_is_torch_signature():
    """The table holds exactly each constructor's keyword defaults (inspect.signature)."""
    import inspect

    from runtime.dryrun import _TORCH_OPTIM_DEFAULTS
    for name, table in _TORCH_OPTIM_DEFAULTS.items():
        sig = inspect.signature(_torch_class(name).__init__)
        expect = {k: p.default for k, p in sig.parameters.items() if k not in ("self", "params")}
        assert table == expect and list(table) == list(expect), name


def test_standin_param_groups_equal_torch_optimizer():
    import torch

    from runtime.dryrun import _TORCH_OPTIM_DEFAULTS, StandinOptimizer, standin_optimizer
    checked = 0
    for name, table in _TORCH_OPTIM_DEFAULTS.items():
        for args in _arg_sets(name, table):
            real = _torch_class(name)([torch.nn.Parameter(torch.zeros(1))], **args)
            stand = standin_optimizer(dict(type=name, **args))
            assert isinstance(stand, StandinOptimizer), (name, args)
            strip = [{k: v for k, v in g.items() if k != "params"} for g in real.param_groups]
            assert [{k: v for k, v in g.items() if k != "params"}
                    for g in stand.param_groups] == strip, (name, args)
            assert stand.defaults == real.defaults, (name, args)
            checked += 1
    assert checked >= 3 * len(_TORCH_OPTIM_DEFAULTS)


def test_standin_falls_back_where_torch_decides():
    from runtime.dryrun import standin_optimizer
    assert standin_optimizer(dict(type="SGD", lr=0.1)) is not None
    assert standin_optimizer(dict(type="mmengine.SGD", lr=0.1)) is not None
    for cfg in (dict(type="MyCustomOptimizer", lr=0.1),          # not a torch optimizer
                dict(type="SGD", lr=0.1, momentun=0.9),           # torch raises TypeError
                dict(type="SGD", lr=-0.1),                        # torch raises ValueError
                dict(type="SGD", lr=0.1, nesterov=True),          # nesterov without momentum
                dict(type="Adam", lr=0.1, betas=(1.5, 0.9)),
                dict(type="Adam", lr=0.1, fused=True),
                dict(type="AdamW", decoupled_weight_decay=False)):
        assert standin_optimizer(cfg) is None, cfg
    with pytest.raises(TypeError):        # the torch path still raises torch's error
        schedule_trace(_variant(optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1, momentun=0.9))), 7)


@pytest.mark.parametrize("opt", [dict(type="SGD", lr=0.1, momentum=0.9, nesterov=True),
                                 dict(type="Adam", lr=1e-3, betas=(0.85, 0.99)),
                                 dict(type="RMSprop", lr=0.01, momentum=0.5)])
def test_standin_trace_equals_torch_optimizer_trace(opt):
    from runtime import dryrun
    cfg = _variant(optim_wrapper=dict(type="OptimWrapper", optimizer=opt),
                   auto_scale_lr=dict(enable=True, base_batch_size=4),
                   param_scheduler=[dict(type="LinearLR", start_factor=0.1, by_epoch=False, end=5),
                                    dict(type="CosineAnnealingMomentum", eta_min=0.3, T_max=6),
                                    dict(type="MultiStepLR", milestones=[3], by_epoch=True)])
    import warnings
    ow = dryrun.build_standin_optim(cfg, 2, use_torch=False)
    assert type(ow).__name__ == "StandinOptimizer"
    real = dryrun.build_standin_optim(cfg, 2, use_torch=True)   # real optimizer + OptimWrapper
    assert type(real).__name__ == "OptimWrapper"
    info = dryrun.loop_info(cfg)
    info["max_iters"] = info["max_epochs"] * 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        traces = [dryrun._replay(cfg, dict(info), o, dryrun.build_schedulers(cfg, o, info, 3), 3,
                                 info["max_iters"]) for o in (ow, real)]
    assert traces[0] == traces[1]
    assert len({d["lr"] for d in traces[0]["iters"]}) > 3
    assert len({d["momentum"] for d in traces[0]["iters"]}) > 3
    assert ow.param_groups[0]["lr"] == real.param_groups[0]["lr"]


def test_scheduler_type_check_with_torch_loaded():
    from runtime.optim import LinearLR
    with pytest.raises(TypeError, match="Optimizer or an OptimWrapper"):
        LinearLR(object())


NO_TORCH_SCRIPT = """\
import sys
import runtime.optim.scheduler
import runtime.optim
from runtime.optim import LinearLR, MultiStepLR
assert 'torch' not in sys.modules, 'scheduler import loaded torch'
from runtime.cli import main
rc = main(['dry-run', sys.argv[1], '--dataset-len', '117266', '--world-size', '8', '--trace', sys.argv[2]])
assert rc == 0, rc
assert 'torch' not in sys.modules, 'dry-run loaded torch'
print('NO_TORCH_OK')
"""


def test_schedule_only_dry_run_does_not_import_torch(tmp_path):
    cfg = dict(BASE, train_cfg=dict(type="EpochBasedTrainLoop", max_epochs=12, val_interval=1),
               optim_wrapper=dict(type="OptimWrapper",
                                  optimizer=dict(type="SGD", lr=0.02, momentum=0.9,
                                                 weight_decay=0.0001)))
    path = tmp_path / "cfg.py"
    path.write_text("".join(f"{k} = {v!r}\n" for k, v in cfg.items()))
    out = tmp_path / "t.json"
    proc = subprocess.run([sys.executable, "-c", NO_TORCH_SCRIPT, str(path), str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0 and "NO_TORCH_OK" in proc.stdout, proc.stderr
    trace = json.loads(out.read_text())
    assert trace == schedule_trace(cfg, 117266, 8)
    assert trace["max_iters"] == 12 * 7330
