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
