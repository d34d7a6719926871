"""The codebase is decided per file, and a dataset name two codebases register decides nothing.

mmpose 0.29.0 registers a `DeepFashionDataset` (pose keypoints) and so does mmdet 2.28.2
(`mmdet/datasets/deepfashion.py`, a COCO-style detection set). A pose config (`model=TopDown`)
using it is an mmpose config, a codebase without a profile: no mmdet settings (`default_scope='mmdet'`, `DetLocalVisualizer`,
`AspectRatioBatchSampler`, `PackDetInputs`), its f-string paths stay f-strings over `data_root`,
and the report says the codebase was not recognised (the generic conversion only). mmdet's own deepfashion configs stay mmdet.
The fixtures are written by hand after the shape of the real trees (mmpose
`configs/fashion/2d_kpt_sview_rgb_img/deeppose/deepfashion/res50_deepfashion_lower_256x192.py`).
"""
import json
from pathlib import Path

from migrator.cli import main as migrate
from migrator.convert import convert_file
from migrator.emit.tree import normalize
from migrator.profiles import detect

RUNTIME = """\
checkpoint_config = dict(interval=10)
log_config = dict(interval=50, hooks=[dict(type='TextLoggerHook')])
dist_params = dict(backend='nccl')
log_level = 'INFO'
load_from = None
resume_from = None
workflow = [('train', 1)]
"""

POSE_INFO = """\
dataset_info = dict(
    dataset_name='deepfashion_lower',
    keypoint_info={
        0: dict(name='left waistline', id=0, color=[255, 255, 255], type='', swap='right waistline'),
        1: dict(name='right waistline', id=1, color=[255, 255, 255], type='', swap='left waistline'),
    },
    joint_weights=[1.0, 1.0],
    sigmas=[0.025, 0.025])
"""

POSE_CHILD = """\
_base_ = ['../../_base_/default_runtime.py', '../../_base_/datasets/deepfashion_lower.py']
evaluation = dict(interval=10, metric='PCK', save_best='PCK')
optimizer = dict(type='Adam', lr=5e-4)
optimizer_config = dict(grad_clip=None)
lr_config = dict(policy='step', step=[170, 200])
total_epochs = 210
model = dict(type='TopDown', backbone=dict(type='ResNet', depth=50))
train_pipeline = [dict(type='LoadImageFromFile'), dict(type='TopDownAffine')]
val_pipeline = [dict(type='LoadImageFromFile')]
data_root = 'data/fld'
data = dict(
    samples_per_gpu=64,
    workers_per_gpu=2,
    train=dict(
        type='DeepFashionDataset',
        ann_file=f'{data_root}/annotations/fld_lower_train.json',
        img_prefix=f'{data_root}/img/',
        subset='lower',
        pipeline=train_pipeline,
        dataset_info={{_base_.dataset_info}}),
    val=dict(
        type='DeepFashionDataset',
        ann_file=f'{data_root}/annotations/fld_lower_val.json',
        img_prefix=f'{data_root}/img/',
        subset='lower',
        pipeline=val_pipeline,
        dataset_info={{_base_.dataset_info}}),
    test=dict(
        type='DeepFashionDataset',
        ann_file=f'{data_root}/annotations/fld_lower_test.json',
        img_prefix=f'{data_root}/img/',
        subset='lower',
        pipeline=val_pipeline,
        dataset_info={{_base_.dataset_info}}))
"""

REL = "fashion/deepfashion/res50_deepfashion_lower.py"


def _pose_tree(tmp_path: Path) -> Path:
    src = tmp_path / "configs"
    (src / "_base_" / "datasets").mkdir(parents=True)
    (src / "_base_" / "default_runtime.py").write_text(RUNTIME)
    (src / "_base_" / "datasets" / "deepfashion_lower.py").write_text(POSE_INFO)
    (src / "fashion" / "deepfashion").mkdir(parents=True)
    (src / REL).write_text(POSE_CHILD)
    return src


def test_pose_deepfashion_is_not_detection(tmp_path):
    src = _pose_tree(tmp_path)
    out = tmp_path / "new"
    report = tmp_path / "report.json"
    assert migrate([str(src), "-o", str(out), "-q", "-j", "1", "--report", str(report)]) == 0
    text = (out / REL).read_text()
    for det in ("mmdet", "DetLocalVisualizer", "AspectRatioBatchSampler", "PackDetInputs",
                "CocoMetric"):
        assert det not in text, det
    files = {Path(f["path"]).name: f for f in json.loads(report.read_text())["files"]}
    child = files["res50_deepfashion_lower.py"]
    assert child["codebase"] is None and "not recognised" in child["codebase_note"]
    assert files["deepfashion_lower.py"]["codebase"] is None
    # f-string paths stay expressions over data_root (editing it still moves every path)
    for split in ("train", "val", "test"):
        assert f"ann_file=f'{{data_root}}/annotations/fld_lower_{split}.json'" in text
    assert "img_prefix=f'{data_root}/img/'" in text
    assert "'/annotations" not in text and "'data/fld/annotations" not in text
    # tree == flat, with real MMEngine
    from mmengine.config import Config as MMConfig
    flat = normalize(convert_file(src / REL).new)
    assert normalize(MMConfig.fromfile(str(out / REL)).to_dict()) == flat
    assert flat["train_dataloader"]["dataset"]["ann_file"] == \
        "data/fld/annotations/fld_lower_train.json"


def test_shared_dataset_name_decides_nothing():
    """The model decides; without one, mmdet's own base file name still says mmdet."""
    pose = dict(model=dict(type="TopDown"), data=dict(train=dict(type="DeepFashionDataset")))
    det = dict(model=dict(type="MaskRCNN"), data=dict(train=dict(type="DeepFashionDataset")))
    alone = dict(data=dict(train=dict(type="DeepFashionDataset")))
    assert detect(pose, "/t/configs/fashion/a.py", ["/t/configs/_base_/deepfashion_lower.py"]) \
        is None
    # a pose model is decided before the file names (`hrformer_*.py` once matched mmseg's `hrf`)
    assert detect(pose, "/t/configs/body/hrformer_base_coco.py",
                  ["/t/configs/body/hrformer_base_coco.py"]) is None
    assert detect(det, "/t/configs/deepfashion/m.py", ["/t/configs/_base_/deepfashion.py"]) \
        == "mmdet"
    assert detect(alone, "/t/configs/_base_/datasets/deepfashion.py",
                  ["/t/configs/_base_/datasets/deepfashion.py"]) == "mmdet"
    assert detect(alone, "/t/configs/_base_/datasets/deepfashion_lower.py",
                  ["/t/configs/_base_/datasets/deepfashion_lower.py"]) is None


DET_CHILD = """\
model = dict(type='MaskRCNN', backbone=dict(type='ResNet', depth=50))
dataset_type = 'DeepFashionDataset'
data_root = 'data/DeepFashion/In-shop'
data = dict(
    samples_per_gpu=2,
    workers_per_gpu=1,
    train=dict(
        type=dataset_type,
        ann_file=data_root + '/annotations/train.json',
        img_prefix=data_root + '/Img/',
        pipeline=[dict(type='LoadImageFromFile')]))
"""


def test_detection_paths_stay_relative_to_data_root(tmp_path):
    """mmdet: a `data_root` written without its trailing slash: the paths joined to it by
    MMEngine (`osp.join(data_root, ann_file)`) must be relative, never `/annotations/..`."""
    (tmp_path / "deepfashion").mkdir()
    cfg = tmp_path / "deepfashion" / "mask_rcnn_deepfashion.py"
    cfg.write_text(DET_CHILD)
    conv = convert_file(cfg)
    assert conv.report.codebase == "mmdet"
    ds = conv.new["train_dataloader"]["dataset"]
    assert ds["data_root"] == "data/DeepFashion/In-shop"
    assert ds["ann_file"] == "annotations/train.json"
    assert ds["data_prefix"] == dict(img="Img/")
