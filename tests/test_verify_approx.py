"""APPROXIMATE: a difference within the bound the converter recorded (migrator/verify/approx.py,
migrator/rules/schedule_approx.py), against lr sequences computed by hand from MMCV 1.7.2's
LrUpdaterHook (mmcv/runner/hooks/lr_updater.py: linear warmup factor
1 - (1 - i/E) * (1 - r) = r + (1 - r) i / E for i < E, E = warmup_iters * len(data_loader) with
warmup_by_epoch) and MMEngine 0.10.7's LinearLR (total_iters = end - begin - 1; factor
r + (1 - r) k / total_iters at step k) as the runtime's `mmrun dry-run` executes it.

Old config: SGD lr=0.1, step at epoch 3, linear warmup over 2 epochs, ratio 0.1, 4 epochs,
2 samples per GPU. At dataset_len 6: 3 iterations per epoch, E = 6.
  MMCV   i = 0..5: 0.1 * (0.1 + 0.9 i / 6) = 0.010 0.025 0.040 0.055 0.070 0.085, then 0.1,
         epoch 3 (i >= 9): 0.01
  MMEngine LinearLR(0.1, begin=0, end=2 epochs, convert_to_iter_based) over [0, 6), 5 steps:
         0.1 * (0.1 + 0.9 i / 5) = 0.010 0.028 0.046 0.064 0.082 0.100, then the same.
  Relative deviation at i = 5: 0.1 / 0.085 - 1 = 0.17647 = the MA101 bound
  (1 - r) i / (E (E - 1) f(i)) = 0.9 * 5 / (30 * 0.85).
"""
import json
import re

import pytest

from migrator.cli import main
from migrator.verify.run import load_pair, verify_configs

OLD = """\
model = dict(type='FasterRCNN')
optimizer = dict(type='SGD', lr=0.1, momentum=0.9)
_ds = dict(type='CocoDataset', ann_file='a.json', img_prefix='x/', pipeline=[])
data = dict(samples_per_gpu=2, train=_ds, val=_ds, test=_ds)
evaluation = dict(interval=1, metric='bbox')
lr_config = dict(policy='step', step=[3], warmup='linear', warmup_iters={w},
                 warmup_ratio={r}, warmup_by_epoch=True)
runner = dict(type='EpochBasedRunner', max_epochs={epochs})
checkpoint_config = dict(interval=1)
"""
MMCV_6 = [0.010, 0.025, 0.040, 0.055, 0.070, 0.085, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01]
ENGINE_6 = [0.010, 0.028, 0.046, 0.064, 0.082, 0.100, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01]


def _convert(tmp_path, w=2, r=0.1, epochs=4, name="cfg"):
    old = tmp_path / f"{name}.py"
    old.write_text(OLD.format(w=w, r=r, epochs=epochs))
    out = tmp_path / f"{name}_out"
    assert main([str(old), "-o", str(out), "--flat", "-q", "--report",
                 str(tmp_path / f"{name}.json")]) == 0
    return old, out / old.name, json.loads((tmp_path / f"{name}.json").read_text())


def _lr(trace):
    from migrator.verify.trace import columns
    return columns(trace)[0]


def test_warmup_by_epoch_is_recorded_as_data(tmp_path):
    _, new, rep = _convert(tmp_path)
    (f,) = rep["files"]
    (rec,) = f["approximations"]
    assert rec["code"] == "MA101" and rec["quantity"] == "lr"
    assert rec["field"] == "lr_config.warmup_iters" and rec["params"] == {"ratio": 0.1, "epochs": 2}
    assert "(1-r)/(E-1+r)" in rec["bound"] and "E = epochs x iterations per epoch >= 2" in \
        rec["applies"]
    # the warning carries the same record
    assert [w["approximation"] for w in f["warnings"] if "approximation" in w] == [rec]


def test_within_the_bound_is_approximate(tmp_path):
    old, new, _ = _convert(tmp_path)
    (r,) = verify_configs([load_pair("p", old, new)], [6])
    (c,) = r.checks
    assert _lr(c.old_trace) == pytest.approx(MMCV_6, rel=1e-12)
    assert _lr(c.new_trace) == pytest.approx(ENGINE_6, rel=1e-12)
    assert c.status == r.status == "APPROXIMATE"
    assert c.approx["codes"] == ["MA101"] and c.approx["at"] == 5
    assert c.approx["max_dev"] == pytest.approx(0.1 / 0.085 - 1, rel=1e-9)
    assert c.approx["bound_at"] == pytest.approx(0.9 * 5 / (30 * 0.85), rel=1e-12)
    assert r.line() == ("APPROXIMATE p: lr within MA101: max relative deviation 0.176 at iter 5 "
                        "(bound there 0.176) (dataset_len=6; lengths 6)")


@pytest.mark.parametrize("edit, first", [
    # a wrong start factor: 0.08 at i = 0 where MMCV has 0.1 (the bound is 0 there)
    (("start_factor=0.1", "start_factor=0.08"),
     "iter 0: lr old=0.01 new=0.008: relative deviation 0.2 beyond the bound 0 of MA101"),
    # a warmup one epoch too long: LinearLR over [0, 9), 8 steps; at i = 1 MMCV has 0.025, the
    # mutant 0.1 * (0.1 + 0.9 / 8) = 0.02125: -15 %, beyond the bound 0.9 * 1 / (30 * 0.25)
    (("end=2", "end=3"),
     "iter 1: lr old=0.025 new=0.02125: relative deviation 0.15 beyond the bound 0.12 of MA101"),
])
def test_beyond_the_bound_differs(tmp_path, edit, first):
    old, new, _ = _convert(tmp_path)
    text = new.read_text()
    assert edit[0] in text
    new.write_text(text.replace(*edit))
    (r,) = verify_configs([load_pair("p", old, new)], [6])
    assert r.status == "DIFFERS"
    assert r.checks[0].approx == {"beyond": first}
    assert r.line().endswith(f"(dataset_len=6) [{first}]")


def test_one_iteration_warmup_epoch(tmp_path):
    """csra (mmcls 0.25.0): warmup_iters=1 epoch, warmup_ratio=1e-7. With one iteration per
    epoch (E = 1) MMCV runs iteration 0 at 1e-7 x lr and the rest at lr; MMEngine's
    LinearLR(begin=0, end=1 epoch) has total_iters 0: it applies 1e-7 at step 0 and is never
    stepped again, so the lr stays 1e-8 (no epoch-free form is exact: the ramp's step depends on
    the epoch length). The verifier does not choose that length by default (a note says why), and
    asked for it, reports DIFFERS outside MA101's domain."""
    old, new, _ = _convert(tmp_path, w=1, r=1e-7, epochs=4, name="csra")
    (r,) = verify_configs([load_pair("p", old, new)], [2])
    (c,) = r.checks
    assert _lr(c.old_trace) == pytest.approx([1e-8, 0.1, 0.1, 0.01])
    assert _lr(c.new_trace) == pytest.approx([1e-8, 1e-8, 1e-8, 1e-9])
    assert r.status == "DIFFERS" and c.approx == {
        "beyond": "dataset length outside the domain of MA101 (iterations 1..E-1 "
                  "(E = epochs x iterations per epoch >= 2))"}
    (r,) = verify_configs([load_pair("p", old, new)])
    assert r.notes[0] == ("dataset_len 2 (1 iteration(s) per epoch) not checked: outside the "
                          "domain of MA101")
    # 3 and 7 iterations per epoch, and the realistic length: COCO's 117266 images, 4 epochs
    # capped at 40000 iterations: 10000 per epoch of 2 samples
    assert [c.dataset_len for c in r.checks] == [6, 14, 20000]
    assert r.status == "APPROXIMATE"
    # realistic: E = 10000, worst at i = 9999: (1 - 1e-7) / (9999 + 1e-7)
    real = r.checks[-1]
    assert real.realistic and r.shown is real
    assert real.approx["max_dev"] == pytest.approx((1 - 1e-7) / (9999 + 1e-7), rel=1e-6)


def test_verify_json_and_summary(tmp_path, capsys):
    old, new, _ = _convert(tmp_path)
    rc = main(["verify", str(old), str(new), "--dataset-len", "6,30",
               "--verify-json", str(tmp_path / "v.json")])
    out = capsys.readouterr().out
    assert rc == 0 and re.match(r"APPROXIMATE \S+ -> \S+: lr within MA101: max relative deviation "
                                r"0\.0309 at iter 29 \(bound there 0\.0309\) \(dataset_len=30; "
                                r"lengths 6,30\)", out), out
    data = json.loads((tmp_path / "v.json").read_text())
    assert data["summary"]["approximate"] == 1 and data["summary"]["differs"] == 0
    (res,) = data["results"]
    assert res["status"] == "APPROXIMATE" and res["approximations"][0]["code"] == "MA101"
    assert [c["status"] for c in res["checks"]] == ["APPROXIMATE", "APPROXIMATE"]
    # at dataset_len 30 (15 per epoch, E = 30): worst at i = 29, 0.9 / (29 + 0.1)
    assert res["checks"][1]["approximation"]["max_dev"] == pytest.approx(0.9 / 29.1, rel=1e-6)


ITER_RUN = """\
model = dict(type='EncoderDecoder')
optimizer = dict(type='SGD', lr=0.01, momentum=0.9)
_ds = dict(type='ADE20KDataset', data_root='d', img_dir='i', ann_dir='a', pipeline=[])
data = dict(samples_per_gpu=2, train=_ds, val=_ds, test=_ds)
lr_config = dict(policy='poly', power=0.9, min_lr=1e-4, by_epoch=False, warmup='linear',
                 warmup_iters=5, warmup_ratio=0.1)
runner = dict(type='IterBasedRunner', max_iters=40)
checkpoint_config = dict(by_epoch=False, interval=20)
evaluation = dict(interval=10, metric='mIoU')
"""


def test_iteration_runs_are_checked_at_one_length(tmp_path):
    """mmseg-style IterBasedRunner + per-iteration poly: neither side reads the dataset length
    (what made the whole mmseg 0.30.0 tree slow: every config replayed 80k-160k iterations at
    three lengths), so one check at the realistic length (ADE20K: 20210 images). Shown equal:
    the traces at two lengths differ in nothing but epoch_len."""
    from migrator.verify.run import choose_lengths, length_free
    old = tmp_path / "it.py"
    old.write_text(ITER_RUN)
    assert main([str(old), "-o", str(tmp_path / "o"), "--flat", "-q"]) == 0
    pair = load_pair("it", old, tmp_path / "o/it.py")
    assert length_free(pair["old_cfg"], pair["new_cfg"])
    assert choose_lengths(pair["old_cfg"], new_cfg=pair["new_cfg"]) == ([20210], 20210)
    (r,) = verify_configs([pair], [6, 14])
    a, b = r.checks
    assert r.status == "APPROXIMATE"          # MA103: warmup over a poly with a minimum
    for side in ("old_trace", "new_trace"):
        ta, tb = dict(getattr(a, side)), dict(getattr(b, side))
        assert (ta.pop("epoch_len"), tb.pop("epoch_len")) == (3, 7)
        for t in (ta, tb):
            t.pop("epoch", None)
        assert ta == tb
    assert a.approx == b.approx
    (r,) = verify_configs([pair])
    assert [c.dataset_len for c in r.checks] == [20210] and r.status == "APPROXIMATE"
