"""The generated formats themselves (dv_gen.py), read back by hand: the same proposals in the
2.x list and the 3.x dict, panoptic PNG ids decoding (R + 256 G + 256^2 B) to the json's
segments with their areas, COCO-stuff labels, VOC XML boxes equal to the COCO ones, OpenImages
normalised boxes, and the path rebasing of old configs."""
from __future__ import annotations

import json
import pickle
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "migrator" / "verify" / "data"))
cv2 = pytest.importorskip("cv2")
import dv_gen  # noqa: E402


def test_proposals_are_the_same_boxes_in_both_formats(tmp_path):
    data = dv_gen.coco(str(tmp_path), ["a", "b", "c"])
    old = pickle.load(open(data["proposals_old"], "rb"))
    new = pickle.load(open(data["proposals_new"], "rb"))
    assert [a.shape for a in old] == [(5, 5), (5, 5)]
    assert sorted(new) == ["images/img0.jpg", "images/img1.jpg"]     # 3.x key: <dir>/<file>
    for i, a in enumerate(old):
        b = new[f"images/img{i}.jpg"]
        assert np.array_equal(a[:, :4], b["bboxes"]) and np.array_equal(a[:, 4], b["scores"])
        assert list(a[:, 4]) == sorted(a[:, 4], reverse=True)
    img = json.load(open(data["ann_file"]))["images"][0]
    assert img["segm_file"] == "img0.png" and img["coco_url"].endswith("/img0.jpg")
    seg = cv2.imread(str(tmp_path / "stuffthingmaps" / "img0.png"), cv2.IMREAD_UNCHANGED)
    assert seg.shape == (120, 160) and set(np.unique(seg)) == {0, 1, 5, 90, 255}


def test_panoptic_png_decodes_to_the_json_segments(tmp_path):
    classes = ["person", " truck", "wall"]
    data = dv_gen.panoptic(str(tmp_path), classes, {"person", "truck"})
    ann = json.load(open(data["ann_file"]))
    assert [c["name"] for c in ann["categories"]] == ["person", "truck", "wall"]
    assert [c["isthing"] for c in ann["categories"]] == [1, 1, 0]
    bgr = cv2.imread(str(tmp_path / "panoptic" / "img0.png")).astype(np.int64)
    ids = bgr[..., 2] + 256 * bgr[..., 1] + 65536 * bgr[..., 0]       # rgb2id on RGB
    segs = ann["annotations"][0]["segments_info"]
    assert [s["category_id"] for s in segs] == [1, 2, 3]
    for s in segs:
        assert int((ids == s["id"]).sum()) == s["area"] > 0
    assert set(np.unique(ids)) == {0} | {s["id"] for s in segs}     # void is 0


def test_voc_xml_boxes_are_the_coco_boxes(tmp_path):
    data = dv_gen.xml(str(tmp_path), ["a", "b", "c"], "VOCDataset")
    root = ET.parse(tmp_path / "VOC2012" / "Annotations" / "img1.xml").getroot()
    boxes = [[int(o.find("bndbox").find(k).text) for k in ("xmin", "ymin", "xmax", "ymax")]
             for o in root.findall("object")]
    assert boxes == [list(b) for b in dv_gen._boxes(100, 90)]
    assert [o.find("name").text for o in root.findall("object")] == ["a", "b", "c"]
    assert (tmp_path / "VOC2007" / "ImageSets" / "Main" / "test.txt").read_text() == "img0\nimg1\n"
    assert dv_gen.rebase("data/VOCdevkit/VOC2007/ImageSets/Main/test.txt", data["root"],
                         data["markers"]) == str(tmp_path / "VOC2007/ImageSets/Main/test.txt")
    assert dv_gen.rebase("data/VOCdevkit/VOC2012/", data["root"], data["markers"]) \
        == str(tmp_path / "VOC2012") + "/"
    assert dv_gen.rebase("elsewhere/x.txt", data["root"], data["markers"]) == "elsewhere/x.txt"


def test_openimages_boxes_are_normalised(tmp_path):
    data = dv_gen.openimages(str(tmp_path), challenge=False)
    rows = open(data["files"]["ann_file"]).read().splitlines()
    first = rows[1].split(",")
    # image 0 is 160 x 120 (w x h); its first box (8, 10, 80, 60): XMin, XMax, YMin, YMax
    assert first[:3] == ["img0", "xclick", "/m/c0"]
    assert [float(v) for v in first[4:8]] == [8 / 160, 80 / 160, 10 / 120, 60 / 120]
    metas = pickle.load(open(data["files"]["meta_file"], "rb"))
    assert [m["ori_shape"] for m in metas] == [(120, 160, 3), (100, 90, 3)]
    ch = dv_gen.openimages(str(tmp_path / "ch"), challenge=True)
    lines = open(ch["files"]["ann_file"]).read().splitlines()
    assert lines[:3] == ["train/img0.jpg", "120 160", "3"]
    assert lines[3].split()[0] == "1"                                  # labels begin from 1
    tree = np.load(ch["files"]["hierarchy_file"], allow_pickle=True)
    assert tree.shape == (4, 4) and tree[3, 2] == 1
