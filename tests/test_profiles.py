"""The profile framework: the per-file codebase decision, what a profile-less file gets, and the
tree == flat invariant with the per-file decision on a tree that mixes codebases."""
from pathlib import Path

import pytest

from migrator.cli import main as migrate
from migrator.convert import convert_dict, convert_file
from migrator.emit.tree import normalize
from migrator.profiles import PROFILES, detect, load


@pytest.mark.parametrize("cfg,path,bases,want", [
    (dict(data=dict(train=dict(type='Objects365V2Dataset'))), None, (), "mmdet"),
    (dict(data=dict(train=dict(type='RepeatDataset', dataset=dict(type='LVISDataset')))),
     None, (), "mmdet"),
    (dict(model=dict(type='ImageClassifier')), None, (), "mmpretrain"),
    (dict(model=dict(type='EncoderDecoder')), None, (), "mmseg"),
    (dict(default_scope='mmcls'), None, (), "mmpretrain"),
    (dict(default_scope='mmpose', model=dict(type='FasterRCNN')), None, (), "mmpose"),
    # a pose config: nothing in it names a profile's codebase
    (dict(model=dict(type='TopDown', keypoint_head=dict(type='TopdownHeatmapSimpleHead')),
          data=dict(train=dict(type='TopDownCocoDataset'))), "/x/configs/body/a.py", (), None),
    # CityscapesDataset is registered by mmdet and mmseg: the model decides
    (dict(data=dict(train=dict(type='CityscapesDataset')), model=dict(type='MaskRCNN')),
     None, (), "mmdet"),
    (dict(data=dict(train=dict(type='CityscapesDataset')), model=dict(type='EncoderDecoder')),
     None, (), "mmseg"),
    (dict(optimizer=dict(type='SGD')), "/c/x.py", ["/c/_base_/datasets/coco_detection.py"], "mmdet"),
    (dict(optimizer=dict(type='SGD')), "/site/mmdet/.mim/configs/_base_/default_runtime.py", (),
     "mmdet"),
    (dict(optimizer=dict(type='SGD')), "/c/_base_/default_runtime.py", (), None),
])
def test_detect_per_file(cfg, path, bases, want):
    assert detect(cfg, path, bases) == want


def test_override_wins_and_is_normalised():
    assert detect(dict(model=dict(type='FasterRCNN')), override="mmcls") == "mmpretrain"
    assert set(PROFILES) == {"mmdet", "mmpretrain", "mmseg"}
    assert load("mmcls").NAME == "mmpretrain" and load("mmpose") is None


POSE = dict(
    model=dict(type='TopDown', keypoint_head=dict(type='TopdownHeatmapSimpleHead')),
    log_config=dict(interval=50, hooks=[dict(type='TextLoggerHook')]),
    log_level='INFO',
    data=dict(samples_per_gpu=2, workers_per_gpu=2,
              train=dict(type='TopDownCocoDataset', ann_file='a.json', img_prefix='i/',
                         pipeline=[dict(type='LoadImageFromFile'),
                                   dict(type='Collect', keys=['img'])])))


def test_a_codebase_without_profile_gets_no_codebase_settings():
    conv = convert_dict(POSE, "/x/pose.py")
    new = conv.new
    assert "default_scope" not in new
    assert new["visualizer"]["type"] == "Visualizer"
    assert "batch_sampler" not in new["train_dataloader"]
    assert new["train_dataloader"]["dataset"] == POSE["data"]["train"]     # untouched
    report = conv.report.to_dict()
    assert report["codebase"] is None
    assert "not recognised" in report["codebase_note"]
    scoped = convert_dict(dict(POSE, default_scope='mmpose'), "/x/pose.py").report.to_dict()
    assert "'mmpose' has no profile" in scoped["codebase_note"]


def test_the_profile_applies_where_the_file_says_mmdet():
    det = dict(POSE, model=dict(type='FasterRCNN'),
               data=dict(POSE["data"], train=dict(type='CocoDataset', ann_file='a.json',
                                                  img_prefix='i/')))
    new = convert_dict(det, "/x/det.py").new
    assert new["default_scope"] == "mmdet"
    assert new["visualizer"]["type"] == "DetLocalVisualizer"
    assert new["train_dataloader"]["batch_sampler"] == {"type": "AspectRatioBatchSampler"}
    assert new["train_dataloader"]["dataset"]["data_prefix"] == {"img": "i/"}


RUNTIME = """\
log_config = dict(interval=50, hooks=[dict(type='TextLoggerHook')])
log_level = 'INFO'
load_from = None
"""
DET = """\
_base_ = '../_base_/default_runtime.py'
model = dict(type='RetinaNet', backbone=dict(type='ResNet', depth=18))
data = dict(samples_per_gpu=2, workers_per_gpu=2,
            train=dict(type='CocoDataset', ann_file='a.json', img_prefix='i/'))
"""
POSE_CHILD = """\
_base_ = '../_base_/default_runtime.py'
model = dict(type='TopDown', keypoint_head=dict(type='TopdownHeatmapSimpleHead'))
data = dict(samples_per_gpu=2, workers_per_gpu=2,
            train=dict(type='TopDownCocoDataset', ann_file='a.json', img_prefix='i/'))
"""


def test_tree_equals_flat_with_the_per_file_decision(tmp_path):
    src = tmp_path / "configs"
    for rel, text in {"_base_/default_runtime.py": RUNTIME, "det/retina.py": DET,
                      "pose/topdown.py": POSE_CHILD}.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text)
    out = tmp_path / "new"
    assert migrate([str(src), "-o", str(out), "-q", "-j", "1"]) == 0
    from runtime.config import Config
    for rel in ("_base_/default_runtime.py", "det/retina.py", "pose/topdown.py"):
        got = normalize(Config.fromfile(str(out / rel)).to_dict())
        assert got == normalize(convert_file(src / rel).new), rel
    det = Config.fromfile(str(out / "det/retina.py"))
    pose = Config.fromfile(str(out / "pose/topdown.py"))
    assert det.default_scope == "mmdet" and det.visualizer["type"] == "DetLocalVisualizer"
    assert "default_scope" not in pose and pose.visualizer["type"] == "Visualizer"
    assert "batch_sampler" not in pose.train_dataloader
