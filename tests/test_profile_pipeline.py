"""The generic pipeline engine and walker (migrator/profiles/common), on hand-written pipelines with
hand-written expected results (mmdet 2.x / mmseg 0.x semantics -> mmcv 2.1.0 transforms)."""
from migrator.profiles.common.pipeline import PipelineSpec, convert
from migrator.profiles.common.transforms import META_KEYS, PREPROCESSOR_ARGS_DEFAULT, TRANSFORMS
from migrator.profiles.common.walk import rewrite_pipelines
from migrator.report import Report
from migrator.rules.base import Context

SPEC = PipelineSpec(
    table=TRANSFORMS, pack="PackX", pack_meta_keys=("img_path", "ori_shape", "img_shape"),
    collect_meta_keys=("filename", "ori_shape", "img_shape", "img_norm_cfg"),
    preprocessor_type="XPre", preprocessor_args=dict(PREPROCESSOR_ARGS_DEFAULT, pad_mask="pad_mask"),
    meta_keys=META_KEYS, tta_model={"type": "XTTA"})

NORM = dict(mean=[1.0, 2.0, 3.0], std=[4.0, 5.0, 6.0], to_rgb=True)


def _ctx():
    return Context(report=Report("t.py"), path="t.py")


def test_resize_forms():
    p = [dict(type="Resize", img_scale=(1333, 800), keep_ratio=True),
         dict(type="Resize", img_scale=[(1333, 640), (800, 1333)]),
         dict(type="Resize", img_scale=[(1333, 640), (1333, 800)], multiscale_mode="value"),
         dict(type="Resize", img_scale=(2048, 512), ratio_range=(0.5, 2.0), bbox_clip_border=False),
         dict(type="Resize", scale=(10, 20))]
    c = convert(p, SPEC)
    assert c.pipeline == [
        dict(type="Resize", scale=(1333, 800), keep_ratio=True),
        dict(type="RandomResize", scale=[(1333, 640), (1333, 800)], keep_ratio=True),
        dict(type="RandomChoiceResize", scales=[(1333, 640), (1333, 800)], keep_ratio=True),
        dict(type="RandomResize", scale=(2048, 512), ratio_range=(0.5, 2.0),
             clip_object_border=False, keep_ratio=True),
        dict(type="Resize", scale=(10, 20))]
    assert c.findings == []


def test_flip_normalize_pad_format():
    p = [dict(type="LoadImageFromFile", file_client_args=dict(backend="disk")),
         dict(type="LoadAnnotations", with_bbox=True, with_mask=True),
         dict(type="RandomFlip", flip_ratio=0.5),
         dict(type="RandomFlip"),
         dict(type="Normalize", **NORM),
         dict(type="Pad", size_divisor=32),
         dict(type="DefaultFormatBundle"),
         dict(type="Collect", keys=["img", "gt_bboxes"], meta_keys=("filename", "ori_shape", "img_shape", "flip"))]
    c = convert(p, SPEC)
    assert c.pipeline == [dict(type="LoadImageFromFile"),
                          dict(type="LoadAnnotations", with_bbox=True, with_mask=True),
                          dict(type="RandomFlip", prob=0.5),
                          dict(type="PackX", meta_keys=("img_path", "ori_shape", "img_shape", "flip"))]
    assert c.preprocessor == dict(mean=[1.0, 2.0, 3.0], std=[4.0, 5.0, 6.0], to_rgb=True,
                                  size_divisor=32, pad_mask=True)
    assert [(f.kind, f.where) for f in c.findings] == [("warning", "[3]")]


def test_pad_that_cannot_move_stays():
    p = [dict(type="Pad", size=(512, 512), pad_val=0, seg_pad_val=255),
         dict(type="LoadImageFromFile", file_client_args=dict(backend="petrel"))]
    c = convert(p, SPEC)
    assert c.pipeline == [dict(type="Pad", size=(512, 512), pad_val=dict(img=0, seg=255)),
                          dict(type="LoadImageFromFile", backend_args=dict(backend="petrel"))]
    assert c.preprocessor == {}


def test_msfa_single_scale_is_plain():
    p = [dict(type="LoadImageFromFile"),
         dict(type="MultiScaleFlipAug", img_scale=(1333, 800), flip=False,
              transforms=[dict(type="Resize", keep_ratio=True), dict(type="RandomFlip"),
                          dict(type="Normalize", **NORM), dict(type="Pad", size_divisor=32),
                          dict(type="ImageToTensor", keys=["img"]), dict(type="Collect", keys=["img"])])]
    c = convert(p, SPEC)
    assert c.pipeline == [dict(type="LoadImageFromFile"),
                          dict(type="Resize", scale=(1333, 800), keep_ratio=True),
                          dict(type="PackX")]
    assert c.tta is None and c.findings == []
    assert c.preprocessor["size_divisor"] == 32


def test_msfa_ratios_and_flip_make_tta():
    p = [dict(type="LoadImageFromFile"),
         dict(type="MultiScaleFlipAug", img_scale=(2048, 512), img_ratios=[0.5, 1.0], flip=True,
              transforms=[dict(type="Resize", keep_ratio=True), dict(type="RandomFlip"),
                          dict(type="ImageToTensor", keys=["img"]), dict(type="Collect", keys=["img"])])]
    c = convert(p, SPEC)
    assert c.pipeline == [dict(type="LoadImageFromFile"),
                          dict(type="Resize", scale=(2048, 512), keep_ratio=True), dict(type="PackX")]
    assert c.tta == [dict(type="LoadImageFromFile"), dict(type="TestTimeAug", transforms=[
        [dict(type="Resize", scale=(1024, 256), keep_ratio=True),
         dict(type="Resize", scale=(2048, 512), keep_ratio=True)],
        [dict(type="RandomFlip", prob=0.0, direction="horizontal"),
         dict(type="RandomFlip", prob=1.0, direction="horizontal")],
        [dict(type="PackX")]])]
    assert [(f.kind, f.where) for f in c.findings] == [("warning", "[1]")]


def test_walker_consistent_across_wrappers_and_idempotent():
    test = [dict(type="LoadImageFromFile"),
            dict(type="MultiScaleFlipAug", img_scale=[(1333, 800), (1333, 1000)], flip=False,
                 transforms=[dict(type="Resize", keep_ratio=True), dict(type="Normalize", **NORM),
                             dict(type="Collect", keys=["img"])])]
    train = [dict(type="Resize", img_scale=(1333, 800)), dict(type="Normalize", **NORM),
             dict(type="Collect", keys=["img"])]
    cfg = dict(train_pipeline=train, test_pipeline=test, model=dict(type="M"),
               train_dataloader=dict(dataset=dict(type="RepeatDataset", times=2,
                                                  dataset=dict(type="D", pipeline=train))),
               test_dataloader=dict(dataset=dict(type="ConcatDataset", datasets=[
                   dict(type="D", pipeline=test), dict(type="D", pipeline=test)])))
    ctx = _ctx()
    new = rewrite_pipelines(cfg, SPEC, ctx)
    assert cfg["train_pipeline"] is train and train[0] == dict(type="Resize", img_scale=(1333, 800))
    assert new["train_dataloader"]["dataset"]["dataset"]["pipeline"] == new["train_pipeline"]
    assert all(d["pipeline"] == new["test_pipeline"] for d in new["test_dataloader"]["dataset"]["datasets"])
    assert list(new)[0] == "data_preprocessor" and "data_preprocessor" not in new["model"]
    assert new["data_preprocessor"] == dict(type="XPre", mean=[1.0, 2.0, 3.0],
                                                     std=[4.0, 5.0, 6.0], bgr_to_rgb=True)
    assert new["tta_model"] == dict(type="XTTA")
    assert new["tta_pipeline"][1]["transforms"][0] == [
        dict(type="Resize", scale=(1333, 800), keep_ratio=True),
        dict(type="Resize", scale=(1333, 1000), keep_ratio=True)]
    # reported once for the variable, not again for the two datasets using it
    assert [(f.kind, f.field) for f in ctx.report.findings] == [("warning", "test_pipeline[1]")]
    again = rewrite_pipelines(new, SPEC, _ctx())
    assert again == new


def _profile_cases():
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).parent))
    from casekit import all_cases
    return [c for c in all_cases() if c.new and c.rules and any("." in r for r in c.rules)]


import pytest  # noqa: E402


@pytest.mark.parametrize("case", _profile_cases(), ids=lambda c: c.id)
def test_profile_rules_leave_their_output_unchanged(case):
    """Idempotence: the profile rules of a fixture, run on its hand-written expected output,
    change nothing; the only TODOs are the ones the old config declared (still not converted)."""
    from casekit import read_plain, run_rules
    new = read_plain(case.new)
    again, report = run_rules(new, [r for r in case.rules if "." in r], str(case.new), case.codebase)
    assert again == new
    declared = {f for k, f in case.expects if k == "todo"}
    assert {f.field for f in report.findings if f.kind == "todo"} <= declared
