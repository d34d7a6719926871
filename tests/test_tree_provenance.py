"""Tree emission writes values back the way the input wrote them: `{{_base_.x}}` and `_base_.x`
references, string expressions over user variables (f-strings), earlier new fields by name
(`test_dataloader = val_dataloader`), and kept statements edited in place rather than restated.
Every output is also loaded with real MMEngine's Config and compared with the flat conversion,
and converting the output again changes nothing."""
import textwrap
from pathlib import Path

import pytest

from migrator.cli import main as migrate
from migrator.convert import convert_file
from migrator.emit.tree import normalize

DATASET_BASE = """\
dataset_info = dict(
    dataset_name='toy',
    keypoint_info={
        0: dict(name='nose', id=0, color=[51, 153, 255], type='upper', swap=''),
        1: dict(name='left_eye', id=1, color=[51, 153, 255], type='upper', swap='right_eye'),
        2: dict(name='right_eye', id=2, color=[51, 153, 255], type='upper', swap='left_eye'),
    },
    joint_weights=[1.0, 1.0, 1.0],
    sigmas=[0.026, 0.025, 0.025])
"""

RUNTIME_BASE = """\
checkpoint_config = dict(interval=10)
log_config = dict(interval=50, hooks=[dict(type='TextLoggerHook')])
dist_params = dict(backend='nccl')
log_level = 'INFO'
load_from = None
resume_from = None
workflow = [('train', 1)]
"""

CHILD = """\
_base_ = ['../_base_/runtime.py', '../_base_/toy_info.py']
evaluation = dict(interval=10, metric='mAP')
optimizer = dict(type='Adam', lr=5e-4)
optimizer_config = dict(grad_clip=None)
lr_config = dict(policy='step', step=[170, 200])
total_epochs = 210
model = dict(type='TopDown', backbone=dict(type='ResNet', depth=50))
pipeline = [dict(type='LoadImageFromFile'), dict(type='ToTensor')]
data_root = 'data/toy'
data = dict(
    samples_per_gpu=64,
    workers_per_gpu=2,
    train=dict(
        type='ToyDataset',
        ann_file=f'{data_root}/annotations/train.json',
        img_prefix=data_root + '/images/',
        pipeline=pipeline,
        dataset_info={{_base_.dataset_info}}),
    val=dict(
        type='ToyDataset',
        ann_file=f'{data_root}/annotations/val.json',
        img_prefix=data_root + '/images/',
        pipeline=pipeline,
        dataset_info=_base_.dataset_info),
    test=dict(
        type='ToyDataset',
        ann_file=f'{data_root}/annotations/val.json',
        img_prefix=data_root + '/images/',
        pipeline=pipeline,
        dataset_info=_base_.dataset_info))
"""


def _tree(tmp_path: Path, child: str = CHILD) -> Path:
    src = tmp_path / "configs"
    (src / "_base_").mkdir(parents=True)
    (src / "_base_" / "toy_info.py").write_text(DATASET_BASE)
    (src / "_base_" / "runtime.py").write_text(RUNTIME_BASE)
    (src / "toy").mkdir()
    (src / "toy" / "child.py").write_text(child)
    return src


def _check_equivalent(src: Path, out: Path, rel: str):
    from mmengine.config import Config as MMConfig

    from runtime.config import Config
    flat = normalize(convert_file(src / rel).new)
    assert normalize(MMConfig.fromfile(str(out / rel)).to_dict()) == flat
    assert normalize(Config.fromfile(str(out / rel)).to_dict()) == flat


@pytest.fixture()
def converted(tmp_path):
    src = _tree(tmp_path)
    out = tmp_path / "new"
    assert migrate([str(src), "-o", str(out), "-q", "-j", "1"]) == 0
    return src, out


def test_base_references_are_written_back(converted):
    src, out = converted
    text = (out / "toy" / "child.py").read_text()
    assert text.count("dataset_info={{_base_.dataset_info}}") == 2   # train, val (test = val)
    assert "keypoint_info" not in text                      # no inlined copy
    _check_equivalent(src, out, "toy/child.py")


def test_python_style_base_references_are_written_back(tmp_path):
    src = _tree(tmp_path, CHILD.replace("{{_base_.dataset_info}}", "_base_.dataset_info"))
    out = tmp_path / "new"
    assert migrate([str(src), "-o", str(out), "-q", "-j", "1"]) == 0
    text = (out / "toy" / "child.py").read_text()
    assert text.count("dataset_info=_base_.dataset_info,") == 2
    assert "{{" not in text and "keypoint_info" not in text
    _check_equivalent(src, out, "toy/child.py")


def test_string_expressions_stay_expressions(converted, tmp_path):
    src, out = converted
    text = (out / "toy" / "child.py").read_text()
    assert "ann_file=f'{data_root}/annotations/train.json'" in text
    assert "img_prefix=data_root + '/images/'" in text
    assert "'data/toy/annotations" not in text
    # editing data_root in the output still moves every path
    from mmengine.config import Config as MMConfig
    edited = out / "toy" / "edited.py"
    edited.write_text(text.replace("data_root = 'data/toy'", "data_root = '/mnt/toy'"))
    cfg = MMConfig.fromfile(str(edited))
    assert cfg.train_dataloader.dataset.ann_file == "/mnt/toy/annotations/train.json"
    assert cfg.test_dataloader.dataset.img_prefix == "/mnt/toy/images/"


def test_repeated_new_fields_refer_to_the_first(converted):
    src, out = converted
    text = (out / "toy" / "child.py").read_text()
    assert "test_dataloader = val_dataloader\n" in text
    assert text.count("type='ToyDataset'") == 2


def test_output_is_a_fixed_point(converted, tmp_path):
    src, out = converted
    again = tmp_path / "again"
    assert migrate([str(out), "-o", str(again), "-q", "-j", "1"]) == 0
    for p in out.rglob("*.py"):
        assert (again / p.relative_to(out)).read_text() == p.read_text(), p


def test_an_expression_no_longer_valid_is_not_written(tmp_path):
    """`data_root` is assigned after `data`: at the new field's place the f-string would read the
    later value, so the literal is written (and the self-check holds)."""
    child = CHILD.replace("data_root = 'data/toy'\n", "data_root = 'data/toy'\n", 1) + \
        "data_root = 'elsewhere'\n"
    src = _tree(tmp_path, child)
    out = tmp_path / "new"
    assert migrate([str(src), "-o", str(out), "-q", "-j", "1"]) == 0
    text = (out / "toy" / "child.py").read_text()
    assert "ann_file='data/toy/annotations/train.json'" in text
    _check_equivalent(src, out, "toy/child.py")


DET_BASE = """\
dataset_type = 'CocoDataset'
data_root = 'data/coco/'
img_norm_cfg = dict(
    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    # flip half of the images
    dict(type='RandomFlip', flip_ratio=0.5),
    dict(type='Normalize', **img_norm_cfg),
    dict(type='Pad', size_divisor=32),
    dict(type='DefaultFormatBundle'),
    dict(type='Collect', keys=['img', 'gt_bboxes', 'gt_labels']),
]
data = dict(
    samples_per_gpu=2,
    workers_per_gpu=2,
    train=dict(
        type=dataset_type,
        ann_file=data_root + 'annotations/instances_train2017.json',
        img_prefix=data_root + 'train2017/',
        pipeline=train_pipeline))
"""


def test_kept_statement_is_edited_in_place(tmp_path):
    """The mmdet profile converts the pipeline: the user's `train_pipeline` statement keeps its
    comment and its unchanged steps as written; only the converted steps are edited."""
    src = tmp_path / "configs"
    src.mkdir()
    (src / "coco.py").write_text(DET_BASE)
    out = tmp_path / "new"
    assert migrate([str(src), "-o", str(out), "-q", "-j", "1", "--codebase", "mmdet"]) == 0
    text = (out / "coco.py").read_text()
    assert textwrap.dedent("""\
        train_pipeline = [
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations', with_bbox=True),
            # flip half of the images
            dict(type='RandomFlip', prob=0.5),
            dict(type='PackDetInputs'),
        ]
        """) in text
    from mmengine.config import Config as MMConfig
    got = normalize(MMConfig.fromfile(str(out / "coco.py")).to_dict())
    assert got == normalize(convert_file(src / "coco.py", codebase="mmdet").new)


COMPREHENSION = """\
num_stages = 3
model = dict(
    type='SparseRCNN',
    train_cfg=dict(rcnn=[
        dict(
            assigner=dict(
                type='HungarianAssigner',
                cls_cost=dict(type='FocalLossCost', weight=2.0),
                reg_cost=dict(type='BBoxL1Cost', weight=5.0),
                iou_cost=dict(type='IoUCost', iou_mode='giou', weight=2.0)),
            sampler=dict(type='PseudoSampler'),
            pos_weight=1) for _ in range(num_stages)
    ]))
"""


def test_comprehension_is_edited_through_its_element(tmp_path):
    """mmdet 3.x turns the assigner's costs into `match_costs`: the comprehension stays one."""
    src = tmp_path / "configs"
    src.mkdir()
    (src / "sparse.py").write_text(COMPREHENSION)
    out = tmp_path / "new"
    assert migrate([str(src), "-o", str(out), "-q", "-j", "1", "--codebase", "mmdet"]) == 0
    text = (out / "sparse.py").read_text()
    assert "for _ in range(num_stages)" in text and text.count("match_costs") == 1
    from mmengine.config import Config as MMConfig
    got = normalize(MMConfig.fromfile(str(out / "sparse.py")).to_dict())
    assert got == normalize(convert_file(src / "sparse.py", codebase="mmdet").new)
