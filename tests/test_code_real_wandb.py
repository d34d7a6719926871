"""The code bases' three wandb logger hooks (mmdet 2.28.2 MMDetWandbHook, mmseg 0.30.0
MMSegWandbHook, mmcls 0.25.0 MMClsWandbHook), migrated (MC108 gives their MMCV base
WandbLoggerHook a working stand-in, fixers/_stand_ins.py), run in a real mmengine 0.10.7 Runner
with real wandb in offline mode (WANDB_MODE=offline, WANDB_DIR in tmp).

What each run logged is read back from wandb's own offline run file
(`offline-run-*/run-*.wandb`, tests/support/wandb_records.py): the history rows (step, keys,
values), the artifacts (name, type, aliases, files, metadata) and the config. Expected values
are computed by hand from MMCV 1.7.2's LoggerHook/WandbLoggerHook and the hooks' own sources:
the mean of the last `interval` losses since the epoch (or the last evaluation) began at step
iter + 1, learning_rate/momentum of that iteration, evaluation results under val/ when they
arrive. The W&B Table images, which the offline run file does not hold, are read from the
hook's table object (the data table is never uploaded offline: mmdet's `_log_data_table` keeps
it local then). Not exercised: mmseg's/mmcls' evaluation tables (their `_log_data_table` calls
`wandb.run.use_artifact`, which wandb refuses offline: `num_eval_images=0` there), masks.
"""
import logging
import os
import types

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mmengine")
pytest.importorskip("wandb")

from mmengine.runner import Runner  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

import code_hooks  # noqa: E402
from support import wandb_records as wr  # noqa: E402
from test_code_real_hooks import BNToy, ListSet, loader  # noqa: E402

pytestmark = pytest.mark.integration


@pytest.fixture
def offline(tmp_path, monkeypatch):
    d = tmp_path / "wb"
    d.mkdir()
    for k, v in dict(WANDB_MODE="offline", WANDB_DIR=str(d), WANDB_SILENT="true",
                     WANDB_CONSOLE="off", WANDB_DISABLE_GIT="true", WANDB_DISABLE_CODE="true",
                     WANDB_CACHE_DIR=str(d / "cache"), WANDB_DATA_DIR=str(d / "data"),
                     WANDB_CONFIG_DIR=str(d / "config")).items():
        monkeypatch.setenv(k, v)
    import wandb
    wandb.teardown()              # wandb's process-wide settings were read under other env
    yield d
    wandb.teardown()


def _image(filename):
    """The BGR image our LoadImageFromFile stand-in 'reads' for a file name (6 x 8 x 3)."""
    seed = sum(map(ord, filename))
    return np.random.default_rng(seed).integers(0, 256, (6, 8, 3), dtype=np.uint8)


class LoadImageFromFile:
    """Stand-in for mmdet.datasets.pipelines.LoadImageFromFile: results['img'] (BGR)."""

    def __call__(self, results):
        results["img"] = _image(results["img_info"]["filename"])
        return results


class DetSet(ListSet):
    """A detection val set: data_infos, img_prefix, a pipeline holding LoadImageFromFile,
    get_ann_info, and evaluate -> bbox_mAP (the mean top score: it moves with the model)."""
    img_prefix = "imgs"

    def __init__(self, items):
        super().__init__(items)
        self.data_infos = [dict(filename=f"img_{i}.jpg", height=6, width=8)
                           for i in range(len(items))]
        self.pipeline = types.SimpleNamespace(transforms=[LoadImageFromFile()])

    def get_ann_info(self, idx):
        return dict(bboxes=np.array([[1, 1, 5, 4]], np.float32), labels=np.array([idx % 3]))

    def evaluate(self, results, logger=None, **kwargs):
        score = float(np.mean([r[0][0, 4] for r in results]))
        self.evaluated.append(dict(n=len(results), score=score))
        return dict(bbox_mAP=score)


class DetToy(BNToy):
    """BNToy whose predictions are mmdet 2.x results: per image, one (k, 5) array per class
    (one box for class 0, scored sigmoid(output))."""

    def forward(self, x, y, mode="tensor"):
        if mode == "loss":
            return super().forward(x, y, mode)
        out = self.bbox_head(self.bn(self.fc(x))).detach().flatten()
        return [[np.array([[0, 0, 4, 3, torch.sigmoid(p).item()]], np.float32) if c == 0 else
                 np.zeros((0, 5), np.float32) for c in range(3)] for p in out]


def _mmdet_stand_ins():
    code_hooks.apis_stand_ins()
    ev = code_hooks.load("mmdet.core.evaluation.eval_hooks")
    code_hooks.stand_in("mmdet.core", EvalHook=ev.EvalHook, DistEvalHook=ev.DistEvalHook)
    code_hooks.stand_in("mmdet.core.mask")
    code_hooks.stand_in("mmdet.core.mask.structures", polygon_to_bitmap=None)
    code_hooks.stand_in("mmdet.datasets")
    code_hooks.stand_in("mmdet.datasets.pipelines", LoadImageFromFile=LoadImageFromFile)
    code_hooks.stand_in("pycocotools")
    code_hooks.stand_in("pycocotools.mask", decode=None)
    return ev


def _rows(path):
    """{step: row} of the history (wandb merges what one step logged into one row)."""
    return dict(wr.history(path))


def test_mmdet_wandb_hook_offline(tmp_path, offline):
    from mmengine.config import Config
    ev = _mmdet_stand_ins()
    mod = code_hooks.load("mmdet.core.hook.wandblogger_hook")
    cfg_file = tmp_path / "wandb_toy_cfg.py"
    cfg_file.write_text("foo = 1\nbar = dict(a=2)\n")
    val_items = [dict(x=torch.randn(2, generator=torch.Generator().manual_seed(i)),
                      y=torch.zeros(1)) for i in range(3)]
    val = DataLoader(DetSet(val_items), batch_size=1, shuffle=False)
    hook = mod.MMDetWandbHook(init_kwargs=dict(project="toy"), interval=2, log_checkpoint=True,
                              log_checkpoint_metadata=True, num_eval_images=2)
    eval_hook = ev.EvalHook(val, interval=1)
    work = tmp_path / "work"
    runner = Runner(model=DetToy(), work_dir=str(work), cfg=Config.fromfile(str(cfg_file)),
                    experiment_name="wandb-mmdet", train_dataloader=loader(8, 2),
                    train_cfg=dict(by_epoch=True, max_epochs=2),
                    optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
                    custom_hooks=[eval_hook, hook], default_hooks=dict(
                        checkpoint=dict(type="CheckpointHook", interval=1)),
                    log_level=logging.WARNING)
    runner.train()
    losses = runner.message_hub.get_scalar("train/loss").data[0].tolist()
    # per epoch: the EvalHook's evaluation, then the wandb hook's own for the checkpoint's
    # metadata (`_get_eval_results`: evaluate(latest_results) again, as under MMCV)
    scores = [e["score"] for e in val.dataset.evaluated]
    assert len(losses) == 8 and len(scores) == 4 and scores[0::2] == scores[1::2]
    maps = scores[0::2]
    path = wr.run_file(offline)
    rows = _rows(path)
    # interval 2 over 4 inner iterations per epoch: steps 2, 4 | 6, 8; the evaluation after
    # each epoch at step runner.iter + 1 (5, 9); learning_rate and momentum in every row
    assert sorted(rows) == [2, 4, 5, 6, 8, 9]
    for step, (a, b) in {2: (0, 2), 4: (2, 4), 6: (4, 6), 8: (6, 8)}.items():
        assert set(rows[step]) == {"train/loss", "learning_rate", "momentum"}
        assert rows[step]["train/loss"] == pytest.approx(np.mean(losses[a:b]), abs=1e-6)
    for step, m in zip((5, 9), maps):
        assert set(rows[step]) == {"val/bbox_mAP", "learning_rate", "momentum"}
        assert rows[step]["val/bbox_mAP"] == pytest.approx(m, abs=1e-6)
    assert all(r["learning_rate"] == pytest.approx(0.1) and r["momentum"] == 0
               for r in rows.values())
    # checkpoints (with the epoch's metrics) and prediction tables, per epoch
    arts = [(n.split("_", 2)[-1] if n.startswith("run_") else n, t, a, f)
            for n, t, a, f in wr.artifacts(path)]
    assert [a[:3] for a in arts] == [
        ("model", "model", ["epoch_1", "latest"]), ("pred", "evaluation", ["epoch_1", "latest"]),
        ("model", "model", ["epoch_2", "latest"]), ("pred", "evaluation", ["epoch_2", "latest"])]
    assert arts[0][3] == ["epoch_1.pth"] and arts[2][3] == ["epoch_2.pth"]
    assert "eval_data.table.json" in arts[1][3]
    import json
    metas = [json.loads(r.artifact.metadata) for k, r in wr.records(path)
             if k == "artifact" and r.artifact.type == "model"]
    assert [m["epoch"] for m in metas] == [1, 2]
    assert [m["bbox_mAP"] for m in metas] == pytest.approx(maps, abs=1e-6)
    # the config file (Runner dumps it into work_dir as MMCV's train.py did): saved and in
    # the run's config; its images, BGR -> RGB (mmcv.bgr2rgb -> img[..., ::-1], MC109)
    config = {i.key: json.loads(i.value_json) for k, r in wr.records(path) if k == "config"
              for i in r.config.update}
    assert config["foo"] == 1 and config["bar"] == {"a": 2}
    assert len(hook.data_table.data) == 2 == len(hook.eval_table.data)
    for idx, row in zip(hook.eval_image_indexs, hook.data_table.data):
        assert row[0] == f"img_{idx}.jpg"
        from PIL import Image          # wandb.Image wrote the array as a PNG (its `_path`)
        np.testing.assert_array_equal(np.asarray(Image.open(row[1]._path)),
                                      _image(row[0])[..., ::-1])
    assert hook.class_id_to_label == {1: "a", 2: "b", 3: "c"}


def test_mmseg_wandb_hook_offline_iter_based(tmp_path, offline):
    """mmseg's hook, iteration-based as mmseg trains (by_epoch=False), with mmseg's EvalHook
    every 3 iterations and checkpoints every 3, at MMCV's priorities (CheckpointHook NORMAL,
    EvalHook LOW: mmseg's train_segmentor). Its `_after_train_iter` (checkpoint artifacts) runs
    only when get_mode() is 'val' (mmdet issue 8145's double layer): not at a plain logging
    iteration; at an evaluation iteration the EvalHook first lets the logger hooks log the train
    iteration and clears the buffer (MMCV's flush), then the runner's call logs the evaluation
    and runs `_after_train_iter`, so an evaluation iteration that is not a logging one logs its
    checkpoint twice (flush call and runner call), as MMCV did."""
    code_hooks.apis_stand_ins()
    ev = code_hooks.load("mmseg.core.evaluation.eval_hooks")
    code_hooks.stand_in("mmseg.core", EvalHook=ev.EvalHook, DistEvalHook=ev.DistEvalHook)
    mod = code_hooks.load("mmseg.core.hook.wandblogger_hook")
    val = loader(3, 1, seed=7)
    hook = mod.MMSegWandbHook(interval=2, by_epoch=False, log_checkpoint=True,
                              num_eval_images=0)
    eval_hook = ev.EvalHook(val, interval=3)            # mmseg's default: by_epoch=False
    runner = Runner(model=BNToy(), work_dir=str(tmp_path / "work"), experiment_name="wandb-seg",
                    train_dataloader=loader(8, 2), train_cfg=dict(by_epoch=False, max_iters=6),
                    optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
                    custom_hooks=[hook], default_hooks=dict(checkpoint=dict(
                        type="CheckpointHook", interval=3, by_epoch=False, priority="NORMAL")),
                    log_level=logging.WARNING)
    runner.register_hook(eval_hook, priority="LOW")
    calls = []                        # a recording pass-through of wandb.log (wandb keeps one
    real = hook.wandb                 # row per step: see step 6)

    class Recording:
        def __getattr__(self, name):
            return getattr(real, name)

        def log(self, tags, **kw):
            calls.append((kw.get("step"), dict(tags)))
            return real.log(tags, **kw)
    hook.wandb = Recording()
    runner.train()
    losses = runner.message_hub.get_scalar("train/loss").data[0].tolist()
    evals = [e["loss"] for e in val.dataset.evaluated]
    assert len(losses) == 6 and len(evals) == 2
    path = wr.run_file(offline)
    rows = _rows(path)
    # step 2: iterations 0-1; step 3: the evaluation (buffer cleared before it); step 4: only
    # iteration 3 since that clear (MMCV: average(2) over what the cleared history holds);
    # step 6: iterations 4-5 (the flush), then the evaluation at the same step, which wandb
    # drops (a step is committed by its first log with commit=True: MMCV made the same calls)
    assert [(s, sorted(t)) for s, t in calls] == [
        (2, ["learning_rate", "momentum", "train/loss"]),
        (3, ["learning_rate", "momentum", "val/loss"]),
        (4, ["learning_rate", "momentum", "train/loss"]),
        (6, ["learning_rate", "momentum", "train/loss"]),
        (6, ["learning_rate", "momentum", "val/loss"])]
    assert calls[4][1]["val/loss"] == pytest.approx(evals[1], abs=1e-6)
    assert sorted(rows) == [2, 3, 4, 6]
    assert rows[2]["train/loss"] == pytest.approx(np.mean(losses[0:2]), abs=1e-6)
    assert rows[3]["val/loss"] == pytest.approx(evals[0], abs=1e-6) and "train/loss" not in rows[3]
    assert rows[4]["train/loss"] == pytest.approx(losses[3], abs=1e-6)
    assert rows[6]["train/loss"] == pytest.approx(np.mean(losses[4:6]), abs=1e-6)
    assert "val/loss" not in rows[6]
    arts = [(n.rsplit("_", 1)[-1], t, a, f) for n, t, a, f in wr.artifacts(path)]
    assert arts == [("model", "model", ["iter_3", "latest"], ["iter_3.pth"])] * 2 + \
        [("model", "model", ["iter_6", "latest"], ["iter_6.pth"])]


def test_mmcls_wandb_hook_offline(tmp_path, offline):
    """mmcls' hook, epoch-based, with mmcls' EvalHook: its isinstance test names MMCV's
    EvalHook, which migrates to this module's own stand-in class; mmcls' EvalHook derives from
    the stand-in of eval_hooks.py, and `_MMCVStandIn` makes the test true as under MMCV (both
    derived from mmcv's class): checkpoints logged after every epoch with the epoch's metrics
    as metadata (the hook evaluates `latest_results` again), evaluation results at
    runner.iter + 1, SGD momentum 0.9 in every row."""
    ev = code_hooks.load("mmcls.core.evaluation.eval_hooks")
    mod = code_hooks.load("mmcls.core.hook.wandblogger_hook")
    val = loader(3, 1, seed=7)
    eval_hook = ev.EvalHook(val, interval=1)
    assert isinstance(eval_hook, mod.EvalHook) and not isinstance(eval_hook, mod.DistEvalHook)
    hook = mod.MMClsWandbHook(interval=2, log_checkpoint=True, log_checkpoint_metadata=True,
                              num_eval_images=0)
    runner = Runner(model=BNToy(), work_dir=str(tmp_path / "work"), experiment_name="wandb-cls",
                    train_dataloader=loader(8, 2), train_cfg=dict(by_epoch=True, max_epochs=2),
                    optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1, momentum=0.9)),
                    custom_hooks=[eval_hook, hook], log_level=logging.WARNING,
                    default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=1)))
    runner.train()
    assert hook.eval_hook is eval_hook
    losses = runner.message_hub.get_scalar("train/loss").data[0].tolist()
    evals = [e["loss"] for e in val.dataset.evaluated]
    assert len(evals) == 4 and evals[0::2] == evals[1::2]      # EvalHook's, then metadata's
    path = wr.run_file(offline)
    rows = _rows(path)
    assert sorted(rows) == [2, 4, 5, 6, 8, 9]
    for step in (2, 4, 6, 8):
        assert rows[step] == pytest.approx({"train/loss": np.mean(losses[step - 2:step]),
                                            "learning_rate": 0.1, "momentum": 0.9}, abs=1e-6)
    for step, v in zip((5, 9), evals[0::2]):
        assert rows[step] == pytest.approx({"val/loss": v, "learning_rate": 0.1,
                                            "momentum": 0.9}, abs=1e-6)
    assert [a[2:] for a in wr.artifacts(path)] == [(["epoch_1", "latest"], ["epoch_1.pth"]),
                                                   (["epoch_2", "latest"], ["epoch_2.pth"])]
    import json
    metas = [json.loads(r.artifact.metadata) for k, r in wr.records(path) if k == "artifact"]
    assert [m["epoch"] for m in metas] == [1, 2]
    assert [m["loss"] for m in metas] == pytest.approx(evals[0::2], abs=1e-6)


def test_channel_flip_equals_mmcv_1_7_2(tmp_path):
    """MC109's `img[..., ::-1]` gives what real MMCV 1.7.2's bgr2rgb/rgb2bgr (cv2.cvtColor)
    give on an HxWx3 uint8 image (run in the old code bases' venv)."""
    import subprocess
    from migrator.code import migrate_source
    from migrator.envs.old_codebases import old_codebases_python
    src = ("import mmcv\nimport numpy as np\n"
           "a = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)\n"
           "def flip(a):\n    return mmcv.bgr2rgb(a), mmcv.rgb2bgr(a)\n")
    new = migrate_source(src, "flip.py").new_text
    assert "[..., ::-1]" in new
    (tmp_path / "old_flip.py").write_text(src)
    (tmp_path / "new_flip.py").write_text(new.replace("import mmcv\n", ""))
    check = ("import numpy as np, old_flip, new_flip\n"
             "for x, y in zip(old_flip.flip(old_flip.a), new_flip.flip(old_flip.a)):\n"
             "    assert x.shape == y.shape and np.array_equal(x, y)\n"
             "    assert not np.array_equal(x, old_flip.a)\nprint('same')\n")
    out = subprocess.run([str(old_codebases_python()), "-c", check], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "same", out.stderr[-2000:]
