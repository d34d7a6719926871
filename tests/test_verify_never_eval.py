"""An evaluation interval past the end of the run ("do not evaluate"): MMCV's EvalHook never ran
(start=None: after epoch/iter e only when e % interval == 0, mmcv/runner/hooks/evaluation.py),
while MMEngine's loops also validate after the last epoch/iter unless it lies before
`val_begin`. The conversion sets `val_begin = max + 1`; checked three ways:

* the verifier (MMCV model vs `mmrun dry-run`): VERIFIED with `val_at` empty on both sides, and
  the conversion without `val_begin` DIFFERS at the last iteration/epoch;
* real mmengine 0.10.7's train loops, running the converted `train_cfg` with a tiny model:
  `ValLoop.run` is never called (and, without `val_begin`, exactly once at the end).
"""
import contextlib
import io
import re

import pytest

from migrator.cli import main

PRELUDE = """\
optimizer = dict(type='SGD', lr=0.02, momentum=0.9)
optimizer_config = dict(grad_clip=None)
lr_config = dict(policy='step', step=[2])
_ds = dict(type='CocoDataset', ann_file='a.json', img_prefix='x/', pipeline=[])
data = dict(samples_per_gpu=2, workers_per_gpu=2, train=_ds, val=_ds, test=_ds)
checkpoint_config = dict(interval=1)
"""
RUNS = {
    "iter": "runner = dict(type='IterBasedRunner', max_iters=30)\n"
            "evaluation = dict(interval=999999, metric='bbox')\n",
    "epoch": "runner = dict(type='EpochBasedRunner', max_epochs=3)\n"
             "evaluation = dict(interval=4, metric='bbox')\n",
}


def _run(argv):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(argv)
    return rc, buf.getvalue()


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    src, out = tmp_path_factory.mktemp("old"), tmp_path_factory.mktemp("new")
    for name, text in RUNS.items():
        (src / f"{name}.py").write_text(PRELUDE + text)
    rc, printed = _run([str(src), "-o", str(out), "--flat", "-q", "-j", "1"])
    assert rc == 0, printed
    return src, out


@pytest.mark.parametrize("name,begin", [("iter", 31), ("epoch", 4)])
def test_converted_val_begin(converted, name, begin):
    from migrator.load import load_config
    train_cfg = load_config(converted[1] / f"{name}.py").cfg["train_cfg"]
    assert train_cfg["val_begin"] == begin


def test_verifier_agrees_and_catches_the_old_conversion(converted, tmp_path):
    src, out = converted
    argv = ["verify"]
    for name in RUNS:
        wrong = tmp_path / f"{name}_wrong.py"
        wrong.write_text(re.sub(r",?\s*val_begin=\d+", "", (out / f"{name}.py").read_text()))
        argv += [str(src / f"{name}.py"), str(out / f"{name}.py"), str(src / f"{name}.py"), str(wrong)]
    rc, printed = _run(argv + ["--dataset-len", "8"])
    lines = [ln for ln in printed.splitlines() if re.match(r"(VERIFIED|DIFFERS)", ln)]
    assert rc == 1 and len(lines) == 4, printed
    assert lines[0].startswith("VERIFIED") and lines[2].startswith("VERIFIED"), printed
    # 8 samples / 2 per GPU: 4 iterations per epoch
    assert lines[1].startswith("DIFFERS") and "val_at: old=[] new=[30]" in lines[1], printed
    assert lines[3].startswith("DIFFERS") and "val_at: old=[] new=[3]" in lines[3], printed


def _mmengine_val_runs(tmp_path, train_cfg):
    torch = pytest.importorskip("torch")
    mmengine_runner = pytest.importorskip("mmengine.runner")
    from mmengine.evaluator import BaseMetric
    from mmengine.model import BaseModel
    from mmengine.runner import ValLoop

    class Net(BaseModel):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(2, 1)

        def forward(self, x, mode="tensor"):
            out = self.fc(x)
            return {"loss": out.pow(2).mean()} if mode == "loss" else [out]

    class Metric(BaseMetric):
        def process(self, data_batch, data_samples):
            self.results.append(1)

        def compute_metrics(self, results):
            return {"n": len(results)}

    calls = []
    original = ValLoop.run
    data = [dict(x=torch.ones(2)) for _ in range(8)]

    def loader():
        return dict(dataset=data, batch_size=2, num_workers=0,
                    sampler=dict(type="DefaultSampler", shuffle=False),
                    collate_fn=dict(type="default_collate"))
    ValLoop.run = lambda self: calls.append(1) or original(self)
    try:
        runner = mmengine_runner.Runner(
            model=Net(), work_dir=str(tmp_path), train_dataloader=loader(), val_dataloader=loader(),
            val_cfg=dict(type="ValLoop"), val_evaluator=[Metric()], train_cfg=train_cfg,
            optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01)),
            default_hooks=dict(checkpoint=None, logger=dict(type="LoggerHook", interval=1000)))
        runner.train()
    finally:
        ValLoop.run = original
    return len(calls)


@pytest.mark.parametrize("name", list(RUNS))
def test_real_mmengine_loop_skips_validation(converted, tmp_path, name):
    from migrator.load import load_config
    train_cfg = dict(load_config(converted[1] / f"{name}.py").cfg["train_cfg"])
    assert _mmengine_val_runs(tmp_path / "a", dict(train_cfg)) == 0
    train_cfg.pop("val_begin")
    assert _mmengine_val_runs(tmp_path / "b", train_cfg) == 1
