"""Data verification on the generated formats beyond COCO boxes (`migrator/verify/data/dv_gen.py`):
Pascal VOC XML, proposal files in both versions' formats, COCO-stuff semantic maps, COCO panoptic
PNGs, each through the real mmdet 2.28.2 (MMCV 1.7.2) and mmdet 3.3.0 pipelines.

Each real config is converted with `migrate --flat` and verifies; the fields that only these
formats carry are among those compared (`proposals`, `gt_semantic_seg`, panoptic `gt_masks`), and
a deliberately wrong conversion (the semantic map not padded by the data preprocessor,
`pad_seg=False`) is caught at the map's shape: old padded to the image's 32-multiple,
(1, 800, 1088) for image 0 (120 x 160 resized to 800 x 1067, see test_verify_data.py), new not.
"""
from __future__ import annotations

import pytest

from migrator.cli import main as migrate
from migrator.verify.data import line, verify_data
from tests.realdata import real_configs

pytestmark = pytest.mark.integration

CONFIGS = {
    "voc": "pascal_voc/retinanet_r50_fpn_1x_voc0712.py",
    "proposals": "fast_rcnn/fast_rcnn_r50_fpn_1x_coco.py",
    "stuff": "htc/htc_r50_fpn_1x_coco.py",
    "panoptic": "panoptic_fpn/panoptic_fpn_r50_fpn_1x_coco.py",
}


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    from migrator.envs.new import new_python
    from migrator.envs.old_codebases import old_codebases_python
    tmp = tmp_path_factory.mktemp("vformats")
    pairs = []
    for name, rel in CONFIGS.items():
        old = real_configs("mmdet", "2.28.2") / rel
        out = tmp / name
        assert migrate([str(old), "-o", str(out), "--flat", "-q"]) == 0
        pairs.append((str(old), str(out / old.name)))
    text = open(pairs[2][1]).read()
    assert text.count("pad_seg=True") == 1, "htc's converted preprocessor pads the maps"
    bad = tmp / "htc_no_pad_seg.py"
    bad.write_text(text.replace("pad_seg=True", "pad_seg=False"))
    pairs.append((pairs[2][0], str(bad)))
    recs = verify_data(pairs, old_codebases_python(), new_python(), tmp / "work")
    for r in recs:
        print(line(r))
    return dict(zip([*CONFIGS, "no pad_seg"], recs))


@pytest.mark.parametrize("name, fields", [
    ("voc", ("train[0] p=0 gt_bboxes", "train[0] p=1 gt_labels", "test[0] inputs")),
    ("proposals", ("train[0] p=0 proposals", "train[0] p=1 proposals", "test[0] proposals")),
    ("stuff", ("train[0] p=0 gt_semantic_seg", "train[0] p=1 gt_semantic_seg",
               "train[0] p=0 gt_masks")),
    ("panoptic", ("train[0] p=0 gt_semantic_seg", "train[0] p=1 gt_masks",
                  "train[0] p=0 gt_bboxes")),
])
def test_format_verifies_with_its_fields(records, name, fields):
    r = records[name]
    assert r["verdict"] == "VERIFIED", line(r)
    for f in fields:
        assert f in r["checked"], (f, r["checked"])


def test_semantic_rescale_is_named_as_not_compared(records):
    devs = {d["field"]: d for d in records["stuff"]["known_deviations"]}
    assert "SegRescale" in devs and devs["SegRescale"]["size"].startswith("not compared")


def test_unpadded_semantic_map_is_caught(records):
    r = records["no pad_seg"]
    assert r["verdict"] == "DIFFERS", line(r)
    assert r["first_difference"]["message"] == \
        "train[0] p=0 gt_semantic_seg: shape old=(1, 800, 1088) new=(1, 800, 1067)"
