"""`drop_last` in the training dataloader, on both sides of the verifier.

* new side: `mmrun dry-run`'s epoch length equals `len()` of the real torch DataLoader the runtime
  builds (DefaultSampler, drop_last on/off), and the fast path equals the real Runner's trace;
* old side: MMCV's DataLoader got `drop_last` from `data.train_dataloader` (mmdet's
  build_dataloader passes it through), so the model reads it from the config;
* end to end: an old config with `drop_last=True` (and a model: `--verify` skips a config that
  could not be trained on its own) converts and VERIFIES; the run is
  epochs * floor(N / batch) iterations (10 samples, batch 4: 2 per epoch, not 3).
"""
import contextlib
import io

import pytest

from migrator.verify import mmcv_trace

torch = pytest.importorskip("torch")

from runtime.dryrun import epoch_length, schedule_trace  # noqa: E402
from runtime.dryrun_full import full_trace  # noqa: E402


@pytest.mark.parametrize("n,batch", [(10, 4), (12, 4), (13, 3), (3, 4)])
@pytest.mark.parametrize("drop_last", [True, False])
def test_epoch_length_is_the_real_dataloader_length(n, batch, drop_last):
    from runtime.dataset import DefaultSampler
    data = list(range(n))
    loader = torch.utils.data.DataLoader(data, batch_size=batch, drop_last=drop_last,
                                         sampler=DefaultSampler(data, shuffle=False))
    cfg = dict(batch_size=batch, drop_last=drop_last, sampler=dict(type="DefaultSampler"))
    assert epoch_length(cfg, n) == len(loader)


def test_epoch_length_by_hand_with_ranks():
    # 10 samples on 4 ranks: DefaultSampler(round_up) gives 3 per rank; batch 2
    cfg = dict(batch_size=2, sampler=dict(type="DefaultSampler"))
    assert epoch_length(dict(cfg, drop_last=True), 10, 4) == 1
    assert epoch_length(cfg, 10, 4) == 2


NEW = dict(
    train_dataloader=dict(batch_size=4, num_workers=0, drop_last=True,
                          sampler=dict(type="DefaultSampler", shuffle=True),
                          dataset=dict(type="CocoDataset", pipeline=[])),
    train_cfg=dict(type="EpochBasedTrainLoop", max_epochs=3, val_interval=1),
    optim_wrapper=dict(type="OptimWrapper", optimizer=dict(type="SGD", lr=0.1, momentum=0.9)),
    param_scheduler=[dict(type="MultiStepLR", milestones=[2], gamma=0.5, by_epoch=True)],
    default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=1)),
)


def test_dry_run_honours_drop_last_like_the_runner():
    fast = schedule_trace(NEW, 10)
    assert fast["max_iters"] == 6
    full = dict(full_trace(NEW, 10, quiet=True))
    full.pop("stand_ins")
    assert full == fast


OLD = """\
model = dict(type='FasterRCNN')
optimizer = dict(type='SGD', lr=0.02, momentum=0.9)
optimizer_config = dict(grad_clip=None)
lr_config = dict(policy='step', step=[2], warmup='linear', warmup_iters=3, warmup_ratio=0.1)
runner = dict(type='EpochBasedRunner', max_epochs=3)
_ds = dict(type='CocoDataset', ann_file='a.json', img_prefix='x/', pipeline=[])
data = dict(samples_per_gpu=4, workers_per_gpu=0, train_dataloader=dict(drop_last=True),
            train=_ds, val=_ds)
evaluation = dict(interval=1, metric='bbox')
checkpoint_config = dict(interval=1)
"""


def test_old_model_reads_drop_last():
    from migrator.load import load_config
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "old.py"
        p.write_text(OLD)
        cfg = load_config(p).cfg
    assert mmcv_trace(cfg, 10)["max_iters"] == 6
    assert mmcv_trace(cfg, 10, drop_last=False)["max_iters"] == 9


def test_drop_last_config_verifies(tmp_path):
    from migrator.cli import main
    (tmp_path / "old.py").write_text(OLD)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main([str(tmp_path / "old.py"), "-o", str(tmp_path / "out"), "--flat", "-q",
                   "--verify", "-j", "1"])
    assert rc == 0 and "VERIFIED" in buf.getvalue(), buf.getvalue()
