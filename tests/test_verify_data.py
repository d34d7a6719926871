"""Data verification against the real codebases (`migrator/verify/data`), old MMCV 1.7.2 +
mmdet 2.28.2 vs new mmcv 2.1.0 + mmdet 3.3.0, both envs built through ensure_venv.

The real RetinaNet config of mmdet 2.28.2 is converted with `migrate --flat`; the conversion
verifies, and four deliberately wrong edits of it are each caught with their exact first
difference. Expected values are worked out by hand from the generated image (dv_gen.py):
image 0 is 120 x 160 (h x w) with uniform BGR corner patches: top-left (250, 10, 30), top-right
(20, 200, 60), bottom-left (90, 40, 220); stored losslessly.

* Resize (1333, 800) keep_ratio: scale min(1333/160, 800/120) = 6.6667 -> 1067 x 800 (w x h),
  padded to a multiple of 32: 1088 x 800, so the tensor is (3, 800, 1088).
* to_rgb / bgr_to_rgb: channel 0 at pixel (0, 0) is R = 30 -> (30 - 123.675) / 58.395 =
  -1.60416; without the swap it is B = 250 -> (250 - 123.675) / 58.395 = 2.16328.
* pad_size_divisor 64: 800 -> 832, 1067 -> 1088: (3, 832, 1088).
* keep_ratio False: exactly 1333 x 800, padded to 1344 x 800: (3, 800, 1344).
* a horizontal flip puts the top-right patch at (0, 0): R = 60 -> -1.09042; a vertical flip
  the bottom-left one: R = 220 -> 1.64954.
"""
from __future__ import annotations

import pytest

from migrator.cli import main as migrate
from migrator.verify.data import line, verify_data
from tests.realdata import real_configs

pytestmark = pytest.mark.integration

RETINA = "retinanet/retinanet_r50_fpn_1x_coco.py"
# name -> (text in the correct conversion, its wrong replacement)
WRONG = {
    "to_rgb dropped": ("bgr_to_rgb=True", "bgr_to_rgb=False"),
    "pad_size_divisor": ("pad_size_divisor=32", "pad_size_divisor=64"),
    "keep_ratio flipped": ("dict(type='Resize', scale=(1333, 800), keep_ratio=True)",
                           "dict(type='Resize', scale=(1333, 800), keep_ratio=False)"),
    "flip direction": ("dict(type='RandomFlip', prob=0.5)",
                       "dict(type='RandomFlip', prob=0.5, direction='vertical')"),
}


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    from migrator.envs.new import new_python
    from migrator.envs.old_codebases import old_codebases_python
    tmp = tmp_path_factory.mktemp("vdata")
    old = real_configs("mmdet", "2.28.2") / RETINA
    assert migrate([str(old), "-o", str(tmp / "conv"), "--flat", "-q"]) == 0
    good = tmp / "conv" / "retinanet_r50_fpn_1x_coco.py"
    text = good.read_text()
    pairs = [(str(old), str(good))]
    for i, (name, (right, wrong)) in enumerate(WRONG.items()):
        assert text.count(right) >= 1, (name, right)
        bad = tmp / f"wrong{i}.py"
        bad.write_text(text.replace(right, wrong, 1))
        pairs.append((str(old), str(bad)))
    recs = verify_data(pairs, old_codebases_python(), new_python(), tmp / "work")
    for r in recs:
        print(line(r))
    return dict(zip(["good", *WRONG], recs))


def test_correct_conversion_verifies(records):
    r = records["good"]
    assert r["verdict"] == "VERIFIED", line(r)
    assert r["first_difference"] is None and r["stopped_at"] is None
    for field in ("train[0] p=0 inputs", "train[0] p=1 inputs", "test[0] inputs",
                  "train[0] p=0 gt_bboxes", "train[0] p=1 gt_bboxes", "train[0] p=0 gt_labels",
                  "train[0] p=1 meta.flip", "train[0] p=1 meta.flip_direction",
                  "train[0] p=0 meta.scale_factor", "train[0] p=0 meta.pad_shape"):
        assert field in r["checked"]
    fields = {d["field"]: d["size"] for d in r["known_deviations"]}
    assert fields["meta.scale_factor"] == "4 values (w, h, w, h) -> 2 values (w, h)"
    assert fields["meta.img_shape"] == "(h, w, c) -> (h, w): channel count dropped"


def _first(records, name):
    r = records[name]
    assert r["verdict"] == "DIFFERS", line(r)
    return r["first_difference"]


def test_to_rgb_dropped(records):
    d = _first(records, "to_rgb dropped")
    assert d["where"] == "train[0] p=0 inputs"
    assert d["message"].startswith("train[0] p=0 inputs[0, 0, 0]: old=-1.60416 new=2.16328 ")


def test_wrong_pad_size_divisor(records):
    d = _first(records, "pad_size_divisor")
    assert d["message"] == "train[0] p=0 inputs: shape old=(3, 800, 1088) new=(3, 832, 1088)"


def test_keep_ratio_flipped(records):
    d = _first(records, "keep_ratio flipped")
    assert d["message"] == "train[0] p=0 inputs: shape old=(3, 800, 1088) new=(3, 800, 1344)"


def test_swapped_flip_direction(records):
    d = _first(records, "flip direction")
    assert d["where"] == "train[0] p=1 inputs"     # p=0 (no flip) compared equal before it
    assert d["message"].startswith("train[0] p=1 inputs[0, 0, 0]: old=-1.09042 new=1.64954 ")
    assert "train[0] p=0 inputs" in records["flip direction"]["checked"]
