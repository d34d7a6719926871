"""Converted configs build in the real new codebases (mmdet 3.3.0, mmpretrain 1.2.0, mmseg 1.2.2).

The oracle is the real code: `migrator/envs/new.py` builds one venv (mmcv 2.1.0 from its sdist
without compiled ops, mmengine 0.10.7, the three codebases) into the cache on first use, and
`migrator/verify/build_real.py` builds, inside it, what the Runner would build from each config
(model, lazily initialised datasets with every transform, dataloader arguments, evaluators,
optim wrapper, schedulers, visualizer, hooks, loops). Counts per codebase and the remaining
failures grouped by cause are printed (`pytest -s` shows them).
"""
from __future__ import annotations

import collections
import textwrap
from pathlib import Path

import pytest

from migrator.verify.build_real import build_in_env, cause

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# corpus -> (package, version, smallest accepted share of buildable configs)
# floor (mmdet): measured 99.6% over the whole mmdet 2.28.2 tree (549 ok of 551 non-optional,
# non-fragment configs; 77 optional, 6 fragments; 2026-12-02 14:31 UTC, branch h8, 32 min); the
# 2 errors fail in real mmdet 2.28.2 too (config bugs: a FasterRCNN given bbox_head, a hook
# config without type); openimages ssd300's LoadAnnotations(normed_bbox), an argument 2.28.2
# never had, is under TODO now. (Before: 548 of 551, 09:00 UTC, branch s8det.) Floor 0.97
CORPORA = {"mmdet": ("mmdet", "2.28.2", 0.97)}


@pytest.fixture(scope="module")
def new_py():
    from migrator.envs.new import new_python
    return new_python()


MINI = """
default_scope = 'mmdet'
model = dict(
    type='RetinaNet',
    data_preprocessor=dict(type='DetDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=32),
    backbone=dict(type='ResNet', depth=18, num_stages=4, out_indices=(1, 2, 3), norm_eval=True),
    neck=dict(type='FPN', in_channels=[128, 256, 512], out_channels=64, start_level=0,
              add_extra_convs='on_input', num_outs=5),
    bbox_head=dict(type='RetinaHead', num_classes=3, in_channels=64, feat_channels=64,
                   anchor_generator=dict(type='AnchorGenerator', octave_base_scale=4,
                                         scales_per_octave=3, ratios=[0.5, 1.0, 2.0],
                                         strides=[8, 16, 32, 64, 128]),
                   bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0, .0, .0, .0],
                                   target_stds=[1.0, 1.0, 1.0, 1.0]),
                   loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                                 loss_weight=1.0),
                   loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    train_cfg=dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.4,
                                 min_pos_iou=0, ignore_iof_thr=-1),
                   sampler=dict(type='PseudoSampler'), allowed_border=-1, pos_weight=-1,
                   debug=False),
    test_cfg=dict(nms_pre=1000, min_bbox_size=0, score_thr=0.05,
                  nms=dict(type='nms', iou_threshold=0.5), max_per_img=100))
train_pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
                  dict(type='Resize', scale=(1333, 800), keep_ratio=True),
                  dict(type='RandomFlip', prob=0.5), dict(type='PackDetInputs')]
train_dataloader = dict(batch_size=2, num_workers=0,
                        sampler=dict(type='DefaultSampler', shuffle=True),
                        batch_sampler=dict(type='AspectRatioBatchSampler'),
                        dataset=dict(type='CocoDataset', data_root='data/coco/',
                                     ann_file='annotations/train.json',
                                     data_prefix=dict(img='train2017/'),
                                     filter_cfg=dict(filter_empty_gt=True, min_size=32),
                                     pipeline=train_pipeline))
val_dataloader = dict(batch_size=1, num_workers=0,
                      sampler=dict(type='DefaultSampler', shuffle=False),
                      dataset=dict(type='CocoDataset', data_root='data/coco/',
                                   ann_file='annotations/val.json', test_mode=True,
                                   data_prefix=dict(img='val2017/'), pipeline=[
                                       dict(type='LoadImageFromFile'),
                                       dict(type='Resize', scale=(1333, 800), keep_ratio=True),
                                       dict(type='PackDetInputs')]))
val_evaluator = dict(type='CocoMetric', ann_file='data/coco/annotations/val.json', metric='bbox')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
param_scheduler = [dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
                   dict(type='MultiStepLR', by_epoch=True, milestones=[8, 11], gamma=0.1)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=1)
val_cfg = dict(type='ValLoop')
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1),
                     logger=dict(type='LoggerHook', interval=50))
visualizer = dict(type='DetLocalVisualizer', vis_backends=[dict(type='LocalVisBackend')])
"""


def test_harness_builds_a_good_config_and_names_each_broken_part(new_py, tmp_path):
    good = tmp_path / "good.py"
    good.write_text(MINI)
    broken = tmp_path / "broken.py"            # 2.x leftovers in three different places
    broken.write_text(MINI.replace("data_prefix=dict(img='train2017/')", "img_prefix='train2017/'")
                      .replace("dict(type='RandomFlip', prob=0.5)", "dict(type='RandomFlip', flip_ratio=0.5)")
                      .replace("type='CocoMetric'", "type='NoSuchMetric'")
                      .replace("val_interval=1", "val_interval=1, bogus=3"))
    frag = tmp_path / "frag.py"
    frag.write_text("optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))\n")
    ok, bad, fr = build_in_env([good, broken, frag], new_py)
    assert ok["status"] == "ok", ok
    assert ok["stages"]["evaluators"] == "ok (data missing)"   # the ann_file does not exist
    assert set(ok["stages"]) >= {"model", "datasets", "dataloaders", "evaluators", "optim",
                                 "schedulers", "visualizer", "hooks", "loops"}
    assert bad["status"] == "error"
    assert "img_prefix" in bad["stages"]["datasets"]["message"]
    assert "NoSuchMetric" in bad["stages"]["evaluators"]["message"]
    assert "bogus" in bad["stages"]["loops"]["message"]
    assert bad["stages"]["model"] == "ok"
    assert bad["first"]["stage"] == "datasets"
    assert fr["status"] == "fragment"


def test_a_file_a_hook_reads_that_is_absent_is_missing_data(new_py, tmp_path):
    """rfnext's RFSearchHook loads a search-log JSON kept in the mmdet repository, not in the
    wheel: the config is not wrong, the data is missing (counted apart, like a missing package)."""
    cfg = tmp_path / "rf.py"
    cfg.write_text(MINI + "custom_hooks = [dict(type='RFSearchHook', mode='fixed_single_branch', "
                   "rfstructure_file='no/such/search_log.json')]\n")
    res, = build_in_env([cfg], new_py)
    assert res["status"] == "optional", res
    assert res["stages"]["hooks"]["error"] == "FileNotFoundError"
    assert res["stages"]["hooks"]["missing"] == "data file"
    assert res["stages"]["model"] == "ok"


def _report(name, results):
    counts = collections.Counter(r["status"] for r in results)
    groups = collections.Counter(cause(r) for r in results if r["status"] == "error")
    missing = collections.Counter(v.get("missing") for r in results if r["status"] == "optional"
                                  for v in r["stages"].values() if isinstance(v, dict))
    print(f"\n{name}: {len(results)} configs: " +
          ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print("  optional (every failure a missing package / GPU / network): " +
          ", ".join(f"{k} {v}" for k, v in missing.most_common()))
    for key, n in groups.most_common():
        print(f"  {n:4d}  {key}")
    considered = counts["ok"] + counts["error"]
    return counts["ok"] / considered if considered else 1.0, counts


def _repo_root(tmp_path, tree):
    """A directory whose `configs/` is the converted tree: paths such as LD's
    `teacher_config='configs/gfl/...'` are relative to the repository root."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / "configs").symlink_to(tree, target_is_directory=True)
    return root


@pytest.mark.parametrize("corpus", sorted(CORPORA))
def test_converted_tree_builds_in_the_new_codebase(corpus, new_py, tmp_path):
    from realdata import converted_tree
    package, version, floor = CORPORA[corpus]
    out = converted_tree(package, version)
    paths = sorted(p for p in out.rglob("*.py") if "_base_" not in p.parts)
    assert len(paths) > 100
    results = build_in_env(paths, new_py, batch=50, jobs=2, cwd=_repo_root(tmp_path, out))
    rate, counts = _report(f"{package} {version} -> new", results)
    assert rate >= floor, f"{rate:.1%} of {corpus} configs build (floor {floor:.0%})"


# converted mmdet configs whose training step needs no compiled kernel (no NMS, no RoIAlign):
# single-stage detectors; two-stage ones need mmcv.ops.nms for the RPN proposals
TRAIN = ["retinanet/retinanet_r50_fpn_1x_coco.py", "fcos/fcos_r50_caffe_fpn_gn-head_1x_coco.py",
         "atss/atss_r50_fpn_1x_coco.py"]


def test_converted_mmdet_configs_train_two_iterations(new_py, tmp_path):
    import json
    import subprocess
    from realdata import converted_tree
    import migrator.verify.train_real as train_real
    out = converted_tree("mmdet", "2.28.2")
    res = tmp_path / "train.json"
    subprocess.run([str(new_py), "-P", train_real.__file__, str(res), str(tmp_path), "2",
                    *(str(out / rel) for rel in TRAIN)], check=True, cwd=tmp_path, timeout=3000)
    results = json.loads(res.read_text())
    for rel, r in zip(TRAIN, results):
        print(f"\n{rel}: {r}")
        assert r["status"] == "ok", (rel, r)
        assert r["iters"] == 2 and len(r["losses"]) == 2
        assert all(0.0 < x < 100.0 for x in r["losses"]), r["losses"]


# mmcls 0.25.0 -> mmpretrain 1.2.0 and mmseg 0.30.0 -> mmseg 1.2.2: corpus -> (package, version,
# floor, files of the wheel that cannot be converted because the wheel itself is broken there).
# Floors: the measured rate minus about 2 points. Measured 08:26-08:59 UTC (commit 4dab13c, both
# tests 32 min on a loaded 2-core machine): mmcls 280 configs, ok 274, error 1 (StanfordCars
# checks its files exist when built: data missing), optional 5 (AMP needs a GPU): 274/275 =
# 99.6%; mmseg 644 configs, ok 629, optional 15 (GPU): 629/629 = 100%.
CLS_SEG = {
    "mmcls": ("mmcls", "0.25.0", 0.97, {
        # _base_ files the 0.25.0 wheel does not ship (MMCV's Config fails on them as well)
        "_base_/models/van/van_base.py": "_base_ file not found",
        "_base_/models/van/van_large.py": "_base_ file not found",
        "_base_/models/van/van_small.py": "_base_ file not found",
        "_base_/models/van/van_tiny.py": "_base_ file not found",
        "mobilenet_v3/mobilenet-v3-small_8xb16_cifar10.py": "_base_ file not found",
        "mobilenet_v3/mobilenet_v3_small_cifar.py": "could not be converted",
        # `{{_base_.auto_increasing_policies}}`: pipelines/auto_aug.py defines no such name
        "_base_/datasets/imagenet_bs64_autoaug.py": "not found in `_base_`"}),
    "mmseg": ("mmsegmentation", "0.30.0", 0.98, {}),
}


@pytest.mark.parametrize("corpus", sorted(CLS_SEG))
def test_converted_cls_seg_tree_builds_in_the_new_codebase(corpus, new_py, tmp_path):
    import json
    from realdata import converted_tree, real_configs
    package, version, floor, broken = CLS_SEG[corpus]
    out = converted_tree(package, version, allow_errors=True)
    src = real_configs(package, version).resolve()
    report = json.loads((out / "report.json").read_text())["files"]
    errors = {str(Path(f["path"]).resolve().relative_to(src)): f["error"] for f in report
              if f["status"] == "error"}
    assert sorted(errors) == sorted(broken), errors
    for rel, why in broken.items():
        assert why in errors[rel], (rel, errors[rel])
    paths = sorted(p for p in out.rglob("*.py") if "_base_" not in p.parts)
    assert len(paths) > 100
    results = build_in_env(paths, new_py, batch=50, jobs=2, cwd=_repo_root(tmp_path, out))
    rate, counts = _report(f"{package} {version} -> new", results)
    assert rate >= floor, f"{rate:.1%} of {corpus} configs build (floor {floor:.0%})"


# converted mmcls/mmseg configs trained on generated mini datasets in the codebase's on-disk
# format (train_real.py: ImageNet-style folder + meta/train.txt; ADE20K-style images/annotations
# folders with the dataset's own suffixes and label range). None of these models needs a
# compiled kernel. In mmcv 2.1 PSANet's PSAMask and the DCN-based models (DeformConv2d,
# ModulatedDeformConv2d) call mmcv._ext (the stand-in raises); CCNet's CrissCrossAttention and
# PointRend's point_sample are plain torch there. The 512x512 ADE configs (fcn_hr18s, upernet_r18,
# pspnet_r50-d8) train too, but take 1-3 min per iteration on a loaded 2-core machine.
TRAIN_CLS_SEG = {
    "mmcls": ["resnet/resnet18_8xb32_in1k.py", "mobilenet_v2/mobilenet-v2_8xb32_in1k.py",
              "deit/deit-tiny_pt-4xb256_in1k.py"],        # deit: Mixup/CutMix batch augments
    "mmseg": ["unet/fcn_unet_s5-d16_64x64_40k_drive.py", "unet/pspnet_unet_s5-d16_64x64_40k_drive.py",
              "unet/deeplabv3_unet_s5-d16_64x64_40k_drive.py",
              "segformer/segformer_mit-b0_512x512_160k_ade20k.py"],
}


@pytest.mark.parametrize("corpus", sorted(TRAIN_CLS_SEG))
def test_converted_cls_seg_configs_train_two_iterations(corpus, new_py, tmp_path):
    import json
    import subprocess
    from realdata import converted_tree
    import migrator.verify.train_real as train_real
    package, version = CLS_SEG[corpus][:2]
    out = converted_tree(package, version, allow_errors=True)
    rels = TRAIN_CLS_SEG[corpus]
    res = tmp_path / "train.json"
    subprocess.run([str(new_py), "-P", train_real.__file__, str(res), str(tmp_path), "2",
                    *(str(out / rel) for rel in rels)], check=True, cwd=tmp_path, timeout=3000)
    results = json.loads(res.read_text())
    for rel, r in zip(rels, results):
        print(f"\n{rel}: {r}")
        assert r["status"] == "ok", (rel, r)
        assert r["iters"] == 2 and len(r["losses"]) == 2
        assert all(0.0 < x < 100.0 for x in r["losses"]), r["losses"]
