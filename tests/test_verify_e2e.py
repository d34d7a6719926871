"""End-to-end verification (`migrate --verify`, `migrate verify`): MMCV 1.x behaviour of the old
config (migrator/verify/mmcv.py) against MMEngine behaviour of the new config executed by the
runtime (`mmrun dry-run`, spawned as a subprocess by migrate).

* every schedule fixture (lr policy x warmup kind x by_epoch setting), completed by a common
  prelude (optimizer, data, evaluation, checkpoints), converts and VERIFIES, except the ones whose
  report flags them as approximate/unconverted: those show the listed first difference;
* hand-written wrong MMEngine configs under fixtures/verify/ are caught with the first difference
  computed by hand (values in the comments).
All conversions of a test go to ONE mmrun subprocess (torch is imported once).
"""
import json
import re
from pathlib import Path

import pytest

from casekit import ROOT, all_cases
from migrator.cli import main

VERIFY = ROOT / "fixtures" / "verify"

PRELUDE = """\
model = dict(type='FasterRCNN')
optimizer = dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001)
optimizer_config = dict(grad_clip=None)
_ds = dict(type='CocoDataset', ann_file='a.json', img_prefix='x/', pipeline=[])
data = dict(samples_per_gpu=2, workers_per_gpu=2, train=_ds, val=_ds, test=_ds)
log_config = dict(interval=50, hooks=[dict(type='TextLoggerHook')])
"""
EPOCH_EVENTS = "evaluation = dict(interval=2, metric='bbox')\ncheckpoint_config = dict(interval=3)\n"
ITER_EVENTS = ("evaluation = dict(interval=10, metric='bbox')\n"
               "checkpoint_config = dict(interval=25, by_epoch=False)\n")

# fixtures whose conversion is recorded as an approximation (rules/schedule_approx.py): APPROXIMATE
# with these codes at every chosen dataset length, within the recorded bound
APPROXIMATE = {
    "cosine_ratio_warmup_iter_runner": "MA103",   # warmup over a ratio-based cosine
    "inv_epoch": "MA104",                         # Inv has no exact MMEngine scheduler
    "poly_by_iter_epoch_runner": "MA102",         # poly per iteration over epochs (+ warmup)
    "poly_iter_runner": "MA103",                  # poly with a minimum + warmup
    "step_linear_warmup_by_epoch": "MA101",       # warmup_by_epoch: LinearLR one step early
}
# flagged incomplete (todo) or approximate without a bound: DIFFERS, first difference of this kind
DIFFERS = {
    "momentum_warmup": "momentum",             # todo: momentum warmup not converted
    "yolox_iter_runner": "lr",                 # todo: YOLOX in an IterBasedRunner
    "yolox_warmup_in_iters": "lr",             # todo: warmup in iterations + epoch cosine
    "yolox_warmup_ratio": "lr",                # warning: warmup_ratio != 1 (no bound recorded)
}
LINE = re.compile(r"^(VERIFIED|APPROXIMATE|DIFFERS|ERROR)\s+(\S+?)(?::| \()\s*(.*)$")


def _schedule_cases():
    return [c for c in all_cases() if c.old.parent.name == "schedule" and c.new is not None]


@pytest.fixture(scope="module")
def schedule_run(tmp_path_factory):
    src = tmp_path_factory.mktemp("old")
    out = tmp_path_factory.mktemp("new")
    for c in _schedule_cases():
        text = c.old.read_text()
        events = ITER_EVENTS if "IterBasedRunner" in text else EPOCH_EVENTS
        (src / c.old.name.replace(".old.py", ".py")).write_text(PRELUDE + events + text)
    rep = out / "report.json"
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main([str(src), "-o", str(out / "cfg"), "--flat", "--verify", "--report", str(rep),
                   "-q", "-j", "1", "--trace-dir", str(out / "traces"),
                   "--html", str(out / "report.html")])
    lines = {}
    for line in buf.getvalue().splitlines():
        m = LINE.match(line)
        if m:
            lines[Path(m.group(2)).stem] = (m.group(1), m.group(3))
    findings = {Path(f["path"]).stem: f.get("warnings", []) + f.get("not_converted", [])
                for f in json.loads(rep.read_text())["files"]}
    return rc, lines, findings, out


@pytest.mark.parametrize("case", _schedule_cases(), ids=lambda c: c.id)
def test_schedule_fixture_verifies(schedule_run, case):
    rc, lines, findings, _ = schedule_run
    name = case.old.name[:-len(".old.py")]
    if name == "no_runner":
        # neither runner nor total_epochs: MMCV could not train it; the conversion says so
        assert name not in lines
        assert any(f["field"] == "lr_config" for f in findings[name])
        return
    status, detail = lines[name]
    if name in APPROXIMATE:
        codes = {f["approximation"]["code"] for f in findings[name] if "approximation" in f}
        assert ", ".join(sorted(codes)) == APPROXIMATE[name]
        assert status == "APPROXIMATE", detail
        assert re.match(rf"lr within {APPROXIMATE[name]}: max relative deviation \S+ at iter "
                        rf"\d+ \(bound there \S+\)", detail), detail
    elif name in DIFFERS:
        assert findings[name], f"{name} differs but its report has no warning/todo"
        assert status == "DIFFERS", detail
        assert re.match(rf"iter \d+: {DIFFERS[name]} old=\S+ new=\S+", detail), detail
    else:
        assert status == "VERIFIED", f"{name}: {detail}"
    assert rc == 1                       # some approximate fixtures differ


def test_verify_artefacts_written(schedule_run):
    _, lines, _, out = schedule_run
    traces = list((out / "traces").glob("*.json"))
    assert len(traces) >= 2 * len(lines)
    data = json.loads(traces[0].read_text())
    assert data["format"] == "mmmigrate-trace-rle/1" and data["max_iters"] > 0
    index = (out / "report.html").read_text()        # many pairs: an index, one page per pair
    assert "step_linear_warmup_by_epoch" in index and "<script" not in index
    pages = list((out / "report.files").glob("*step_linear_warmup_by_epoch*.html"))
    assert len(pages) == 1 and "<svg" in pages[0].read_text()


def test_default_lengths_cover_warmup(schedule_run):
    """By-epoch runs are checked at several epoch lengths, warmups at ~warmup/2 too."""
    _, lines, _, _ = schedule_run
    status, detail = lines["step_linear_warmup"]   # warmup_iters=10, samples_per_gpu=2
    assert status == "VERIFIED"
    # epochs of 1, 3, 5, 6, 7 iterations; COCO's 117266 images capped at 40000 iterations:
    # 12 epochs of 3333 iterations of 2 samples
    assert detail == "dataset lengths 2,6,10,12,14,6666)"


WRONG = [  # (old, new, expected line) with the hand-computed first difference at dataset_len=4:
    # 2 samples per GPU -> 2 iterations per epoch, 24 iterations
    ("old_1x.py", "new_1x.py", None),
    # epoch 8 starts at iteration 16: MMCV 0.02 * 0.1, the wrong config still 0.02
    ("old_1x.py", "new_wrong_milestone.py", "iter 16: lr old=0.0020 new=0.0200"),
    # MMCV linear warmup at i=0: 0.02 * (1 - (1 - 0/5) * (1 - 0.001)) = 2e-5
    ("old_1x.py", "new_no_warmup.py", "iter 0: lr old=2.0000e-05 new=2.0000e-02"),
    ("old_1x.py", "new_wrong_val_interval.py",
     "val_at: old=[2,4,6,8,10,12] new=[1,2,3,4,5,6,7,8,9,10,11,12]"),
    ("old_1x.py", "new_wrong_ckpt_interval.py",
     "ckpt_at: old=[3,6,9,12] new=[1,2,3,4,5,6,7,8,9,10,11,12]"),
    ("old_cosine_epoch.py", "new_cosine_epoch.py", None),
    # per-iteration cosine over 24 iterations at i=1: 0.01 * (1 + cos(pi / 24)) = 0.019914
    ("old_cosine_epoch.py", "new_cosine_iter_based.py", "iter 1: lr old=0.0200 new=0.0199"),
]


def test_wrong_configs_caught(capsys):
    argv = ["verify"]
    for old, new, _ in WRONG:
        argv += [str(VERIFY / old), str(VERIFY / new)]
    rc = main(argv + ["--dataset-len", "4"])
    out = capsys.readouterr().out.splitlines()
    assert rc == 1
    assert len(out) == len(WRONG)
    for line, (old, new, expected) in zip(out, WRONG):
        if expected is None:
            assert line.startswith("VERIFIED ") and new in line, line
        else:
            assert line.startswith("DIFFERS ") and new in line, line
            assert line.endswith(f": {expected} (dataset_len=4)"), line


def test_correct_pair_exit_zero_default_lengths(capsys):
    rc = main(["verify", str(VERIFY / "old_1x.py"), str(VERIFY / "new_1x.py")])
    out = capsys.readouterr().out
    # epochs of 1, 3, 7 iterations and around warmup_iters/2 (5 -> 2 and 4), 2 samples per GPU,
    # and the realistic length: COCO, 12 epochs capped at 40000 iterations -> 3333 x 2 samples
    assert rc == 0 and "VERIFIED" in out and "(dataset lengths 2,4,6,8,14,6666)" in out


def test_verify_usage_errors(capsys):
    assert main(["verify", str(VERIFY / "old_1x.py")]) == 2
    assert main(["verify", str(VERIFY / "old_1x.py"), str(VERIFY / "missing.py")]) == 2


def test_iter_runner_default_checkpoint_by_epoch(tmp_path, capsys):
    old = tmp_path / "iter.py"
    old.write_text(PRELUDE + "evaluation = dict(interval=25)\ncheckpoint_config = dict(interval=25)\n"
                   "lr_config = dict(policy='fixed')\nrunner = dict(type='IterBasedRunner', max_iters=50)\n")
    rc = main([str(old), "-o", str(tmp_path / "out"), "--flat", "--verify", "-q", "-j", "1"])
    assert rc == 0, capsys.readouterr().out


def test_dynamic_intervals_verify_after_the_milestone_shift(tmp_path, capsys):
    """mmdet 2.x EvalHook dynamic_intervals=[(9, 1)] with interval 4 validated at epochs 4, 8, 9,
    10, 11, 12; the converted loop (milestone 10 in MMEngine's convention) does the same."""
    old = tmp_path / "dyn.py"
    old.write_text(PRELUDE + "evaluation = dict(interval=4, metric='bbox', dynamic_intervals=[(9, 1)])\n"
                   "checkpoint_config = dict(interval=4)\nlr_config = dict(policy='fixed')\n"
                   "runner = dict(type='EpochBasedRunner', max_epochs=12)\n")
    rc = main([str(old), "-o", str(tmp_path / "out"), "--flat", "--verify", "-q", "-j", "1",
               "--trace-dir", str(tmp_path / "traces")])
    assert rc == 0, capsys.readouterr().out
    trace = json.loads(next((tmp_path / "traces").glob("*new*.json")).read_text())
    assert trace["val_at"] == [4, 8, 9, 10, 11, 12]
