"""`migrate TREE -o OUT --verify` verifies every config that could be trained on its own, whatever
its conversion status, and names the others; benchmarks/verify_tree.py calls the same function.

Inputs: the hand-written fixture tree (fixtures/tree: four children over model, dataset,
schedule and runtime bases; toy_det_1x.py holds only `_base_`, so migrate leaves it unchanged)
plus an MMEngine-style config written here.
"""
import contextlib
import io
import re
import shutil
from pathlib import Path

import pytest

from casekit import ROOT
from migrator.cli import main
from migrator.verify.run import missing_parts, verify_tree

TREE = ROOT / "fixtures" / "tree"
ENGINE_STYLE = """\
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01))
train_cfg = dict(by_epoch=True, max_epochs=2)
"""


def _migrate(*argv):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main([str(a) for a in argv])
    return rc, buf.getvalue().splitlines()


@pytest.fixture(scope="module")
def tree_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tree")
    src = tmp / "configs"
    shutil.copytree(TREE, src)
    (src / "engine" / "already.py").parent.mkdir()
    (src / "engine" / "already.py").write_text(ENGINE_STYLE)
    rc, lines = _migrate(src, "-o", tmp / "new", "--verify", "-q", "-j", "1",
                         "--report-md", tmp / "r.md")
    return tmp, rc, lines


def test_base_only_child_is_verified(tree_run):
    tmp, rc, lines = tree_run
    status = {m.group(2): (m.group(1), m.group(3)) for m in
              (re.match(r"^(\w+)\s+(\S+?)(?::| \()\s*(.*)$", ln) for ln in lines) if m}
    new = tmp / "new"
    # only _base_ (the mmdet profile adds its scope and visualizer, as its bases name no
    # codebase), trained by users: verified at the chosen lengths
    assert status[str(new / "toy_det/toy_det_1x.py")] == \
        ("VERIFIED", "dataset lengths 4,12,28,1000,1004,13332)")
    assert (new / "toy_det/toy_det_1x.py").read_text() == \
        (TREE / "toy_det/toy_det_1x.py").read_text() + \
        "default_scope = 'mmdet'\nvisualizer = dict(type='DetLocalVisualizer')\n"
    assert status[str(new / "toy_det/toy_det_2x.py")][0] == "VERIFIED"
    assert status[str(new / "toy_det/toy_det_iter_poly_fp16.py")][0] == "VERIFIED"
    # recorded approximate by its report (MA103: warmup over a schedule with a minimum)
    assert status[str(new / "toy_det/toy_det_adamw_clip.py")][0] == "APPROXIMATE"
    # bases: not a difference, not an error
    assert status[str(new / "_base_/schedules/schedule_1x.py")] == \
        ("SKIPPED", "not trainable alone (no model, data.train)")
    assert status[str(new / "_base_/models/toy_detector.py")] == \
        ("SKIPPED", "not trainable alone (no data.train, optimizer, runner)")
    assert status[str(new / "engine/already.py")] == \
        ("SKIPPED", "already MMEngine-style: no MMCV 1.x side to compare")
    assert lines[-1] == ("verify summary: 3 verified, 1 approximate, 0 differs, 0 could not run, "
                         "4 not trainable alone, 1 already MMEngine-style")
    assert rc == 0                                      # within the recorded bounds
    md = (tmp / "r.md").read_text()
    assert "| verification: verified | 3 |" in md and "| verification: not trainable alone | 4 |" in md


def test_benchmark_function_is_what_the_cli_runs(tree_run):
    """benchmarks/verify_tree.py calls run.verify_tree on (source, output) pairs: same lines."""
    tmp, _, lines = tree_run
    src, new = tmp / "configs", tmp / "new"
    files = [(p, new / p.relative_to(src)) for p in sorted(src.rglob("*.py"))]
    tv = verify_tree(files)
    got = sorted([r.line() for r in tv.results] + [f"SKIPPED  {p}: {w}" for p, w in tv.skipped])
    assert got == sorted(lines[:-1]) and tv.summary() == lines[-1]


def test_schedule_base_alone_uses_one_default_batch(tmp_path):
    """`migrate verify` on a schedule base and its conversion: no data section on either side.
    Both run at the one default of 2 samples per GPU (mmdet's train API): at dataset length 2,
    1 iteration per epoch, 12 iterations on both sides (before: max_iters old=12 new=24, the new
    side assumed torch's batch size 1). What remains is true: MMEngine without `default_hooks`
    checkpoints every epoch, MMCV without `checkpoint_config` never did."""
    from migrator.verify.run import load_pair, verify_configs
    sched = TREE / "_base_/schedules/schedule_1x.py"
    rc, _ = _migrate(sched, "-o", tmp_path / "out", "--flat", "-q")
    assert rc == 0
    (r,) = verify_configs([load_pair("s", sched, tmp_path / "out/schedule_1x.py")], [2, 6])
    for c in r.checks:
        assert c.old_trace["max_iters"] == c.new_trace["max_iters"] == 12 * c.dataset_len // 2
        assert c.verdict.kinds == ("ckpt_at",)
    assert r.notes == ["no data section: both sides at 2 samples per GPU (the default), "
                       "no validation"]
    rc, lines = _migrate("verify", sched, tmp_path / "out/schedule_1x.py", "--dataset-len", "2")
    assert rc == 1 and lines[0].endswith(
        ": ckpt_at: old=[] new=[1,2,3,4,5,6,7,8,9,10,11,12] (dataset_len=2)")


def test_missing_parts():
    full = dict(model=dict(type="X"), data=dict(train=dict(type="D")),
                optimizer=dict(type="SGD", lr=0.1), runner=dict(type="EpochBasedRunner", max_epochs=1))
    assert missing_parts(full) == []
    assert missing_parts(dict(full, runner=None, total_epochs=12)) == []      # mmdet compat
    assert missing_parts(dict(full, data=dict(samples_per_gpu=2))) == ["data.train"]
    assert missing_parts({}) == ["model", "data.train", "optimizer", "runner"]


@pytest.mark.integration
def test_real_base_only_child_verified(tmp_path):
    """mmdet 2.28.2's faster_rcnn_r50_fpn_1x_coco.py holds only `_base_`: verified."""
    from realdata import real_configs
    cfgs = real_configs("mmdet", "2.28.2")
    child = cfgs / "faster_rcnn" / "faster_rcnn_r50_fpn_1x_coco.py"
    rc, lines = _migrate(child, "-o", tmp_path / "new", "--verify", "-q", "-j", "1")
    verified = [ln for ln in lines if ln.startswith("VERIFIED")]
    assert rc == 0 and len(verified) == 1 and "faster_rcnn_r50_fpn_1x_coco.py" in verified[0]
    assert lines[-1] == ("verify summary: 1 verified, 0 approximate, 0 differs, 0 could not "
                         "run, 4 not trainable alone, 0 already MMEngine-style")


def test_schedule_keys_hold_everything_a_trace_reads(tree_run):
    """Pairs with equal lengths.old_key/new_key share one trace per side: so a config cut down
    to the fields in its keys must give the very same traces as the whole config, on both sides
    (MMCV model in-process, `mmrun dry-run` in its subprocess), for every trainable fixture."""
    from migrator.load import load_config
    from migrator.verify.lengths import OLD_KEYS, NEW_KEYS
    from migrator.verify.mmcv import mmcv_columns
    from migrator.verify.run import run_new_side
    tmp, _, _ = tree_run
    src, new = tmp / "configs", tmp / "new"
    pairs = [(p, new / p.relative_to(src)) for p in sorted(src.rglob("toy_det/*.py"))]
    assert len(pairs) == 4
    items = []
    for old_p, new_p in pairs:
        old, cfg = load_config(old_p).cfg, load_config(new_p).cfg
        data = old["data"]
        cut_old = {k: old[k] for k in OLD_KEYS if k in old}
        cut_old["data"] = {k: data[k] for k in ("imgs_per_gpu", "samples_per_gpu",
                                                "train_dataloader", "val") if k in data}
        assert mmcv_columns(cut_old, 12) == mmcv_columns(old, 12)
        cut = {k: cfg[k] for k in NEW_KEYS + ("default_hooks", "custom_imports") if k in cfg}
        cut["train_dataloader"] = {k: v for k, v in cfg["train_dataloader"].items()
                                   if k != "dataset"}
        for k in ("val_dataloader", "val_cfg", "val_evaluator"):
            if cfg.get(k) is not None:
                cut[k] = {}
        items += [dict(cfg=cfg, dataset_lens=[12, 28], world_size=1, full=False),
                  dict(cfg=cut, dataset_lens=[12, 28], world_size=1, full=False)]
    outs = run_new_side(items)
    for whole, cut in zip(outs[::2], outs[1::2]):
        assert "traces" in whole and whole == cut


def test_equal_schedules_are_traced_once(tree_run):
    from migrator.verify.run import load_pair, verify_configs
    tmp, _, _ = tree_run
    old, new = tmp / "configs/toy_det/toy_det_1x.py", tmp / "new/toy_det/toy_det_1x.py"
    a, b = verify_configs([load_pair("a", old, new), load_pair("b", old, new)], [4, 12])
    assert a.checks is b.checks and a.status == b.status == "VERIFIED"
    # --full runs the real Runner, which reads more than the keys: never shared
    a, b = verify_configs([load_pair("a", old, new), load_pair("b", old, new)], [4], full=True)
    assert a.checks is not b.checks


def test_missing_val_evaluator_is_named_as_the_cause():
    """A codebase without a profile (mmpose 0.29.0): the evaluation metric stays a TODO, the
    new config has val_dataloader and val_cfg but no val_evaluator, so MMEngine never validates
    (415 of mmpose's configs): DIFFERS on val_at, and the line says why."""
    from migrator.verify.run import Check, PairResult
    from migrator.verify.trace import Verdict
    c = Check(4, {}, {}, Verdict(False, "val_at", None, [1, 2], [], "val_at: old=[1,2] new=[]"))
    r = PairResult("p", "o", "n", checks=[c], new_cfg={"val_dataloader": {}, "val_cfg": {}})
    assert r.line() == ("DIFFERS  p: val_at: old=[1,2] new=[] (dataset_len=4) [the new config "
                        "has no val_evaluator (a TODO of the conversion): MMEngine validates only "
                        "with val_dataloader, val_cfg and val_evaluator all set]")
    r.new_cfg["val_evaluator"] = {"type": "X"}
    assert r.line() == "DIFFERS  p: val_at: old=[1,2] new=[] (dataset_len=4)"


def test_no_val_set_means_no_validation_on_the_old_side(tmp_path):
    """mmpose's hmr config has no data.val: the train APIs build the EvalHook from it, so MMCV
    only ran it with --no-validate; neither side validates (the new side has no val_dataloader)."""
    from migrator.verify.run import load_pair, verify_configs
    old = tmp_path / "noval.py"
    old.write_text("model = dict(type='X')\noptimizer = dict(type='Adam', lr=1e-3)\n"
                   "data = dict(samples_per_gpu=2, train=dict(type='Unknown', pipeline=[]))\n"
                   "lr_config = dict(policy='fixed')\nrunner = dict(type='EpochBasedRunner', "
                   "max_epochs=3)\ncheckpoint_config = dict(interval=1)\n")
    assert main([str(old), "-o", str(tmp_path / "o"), "--flat", "-q"]) == 0
    (r,) = verify_configs([load_pair("p", old, tmp_path / "o/noval.py")], [4])
    assert r.status == "VERIFIED" and r.checks[0].old_trace["val_at"] == []
    assert r.notes[0].startswith("no data.val: the train APIs")
