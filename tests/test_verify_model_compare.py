"""The verdict rules of the model comparison (migrator/verify/model/compare.py) on hand-made
side results: optional names (`?`), a stage both versions refuse, a stage both fail."""
import torch

from migrator.verify.model.compare import compare

CKPT = {"missing": [], "unexpected": [], "shape": []}


def side(eval_=(), errors=()):
    return {"result": {"eval": list(eval_), "eval_stop": None, "losses": [], "total": None,
                       "train_stop": None, "partial": None, "step": None,
                       "errors": list(errors)}}


def err(kind, msg):
    return {"stage": "train", "type": kind, "message": msg, "where": "x.py:1"}


def test_optional_name_compared_when_both_have_it():
    t = torch.ones(2, 3)
    only_old = compare(side([("backbone.out[0].patch_token?", t),
                             ("backbone.out[0].cls_token", t)]),
                       side([("backbone.out[0].cls_token", t)]), CKPT, {}, "mmcls")
    assert only_old["checked"] == ["checkpoint (0 keys)", "eval backbone.out[0].cls_token"]
    both = compare(side([("backbone.out[0].patch_token?", t)]),
                   side([("backbone.out[0].patch_token?", t + 1)]), CKPT, {}, "mmcls")
    assert both["verdict"] == "DIFFERS"
    assert both["first_difference"]["where"] == "eval backbone.out[0].patch_token?"


def test_refused_on_both_sides_is_partial_other_errors_are_not():
    t = torch.ones(1)
    no = err("NotImplementedError", "doesn't support to train the distilled version")
    rec = compare(side([("x", t)], [no]), side([("x", t)], [no]), CKPT, {}, "mmcls")
    assert rec["verdict"] == "PARTIAL" and rec["first_difference"] is None
    assert rec["stopped_at"].startswith("train: both versions raise NotImplementedError")
    te = err("TypeError", "forward() missing 1 required positional argument")
    rec = compare(side([("x", t)], [te]), side([("x", t)], [te]), CKPT, {}, "mmcls")
    assert rec["verdict"] == "ERROR" and rec["first_difference"]["where"] == "train"
    other = err("ValueError", "Target size must be the same as input size")
    rec = compare(side([("x", t)], [te]), side([("x", t)], [other]), CKPT, {}, "mmcls")
    assert rec["first_difference"] == {          # each side's own error, not "ok" for the new
        "where": "train", "old": "TypeError: forward() missing 1 required positional argument",
        "new": "ValueError: Target size must be the same as input size",
        "message": "train raised on both sides"}
    rec = compare(side([("x", t)], [no]), side([("x", t)]), CKPT, {}, "mmcls")
    assert rec["verdict"] == "DIFFERS"
    assert rec["first_difference"]["message"] == "train raised on the old side only"


def test_fixed_grid_size_replaced_on_both_sides_is_compared_first():
    """BEiT is built at GRID_SIZE on both sides (inenv.prepare); the size each config had is
    the first thing compared: a conversion that lost `img_size=(640, 640)` (BEiT's default 224)
    is named there, not hidden by the replacement."""
    from migrator.verify.model.inenv import GRID_SIZE, adjusted, prepare
    beit = {"type": "EncoderDecoder", "backbone": {"type": "BEiT", "img_size": (640, 640)}}
    assert prepare(beit)["backbone"]["img_size"] == GRID_SIZE
    assert adjusted(beit) == {"backbone.img_size": [640, 640]}
    lost = {"type": "EncoderDecoder", "backbone": {"type": "BEiT"}}
    assert adjusted(lost) == {"backbone.img_size": [224, 224]}
    assert adjusted({"backbone": {"type": "VisionTransformer", "img_size": 512}}) == {}
    t = torch.ones(2)
    o, n = side([("x", t)]), side([("x", t)])
    o["adjusted"], n["adjusted"] = adjusted(beit), adjusted(lost)
    rec = compare(o, n, CKPT, {}, "mmseg")
    assert rec["verdict"] == "DIFFERS"
    assert rec["first_difference"]["where"] == "config backbone.img_size"
    assert rec["first_difference"]["message"].startswith(
        "config backbone.img_size: old [640, 640], new [224, 224]")
    n["adjusted"] = adjusted(beit)
    rec = compare(o, n, CKPT, {}, "mmseg")
    assert rec["verdict"] == "VERIFIED" and rec["checked"][1].startswith(
        "config backbone.img_size = [640, 640]")


def test_bitwise_equal_and_rounding_and_real_differences():
    """The torch.equal fast path changes no verdict: bitwise equal is checked and exact, a few
    ulps is checked and inexact, 1e-3 relative differs with its size and index."""
    from migrator.verify.model.compare import Record
    r = Record()
    a = torch.linspace(-1, 1, 50)
    assert r.tensor("same", a, a.clone()) and r.inexact == []
    assert r.tensor("ulps", a, a * (1 + 2e-7)) and r.inexact == ["ulps"]
    b = a.clone()
    b[7] += 1e-3
    assert not r.tensor("off", a, b)
    assert r.first["message"].startswith("off: max |diff| 0.001 at [7]")
    assert r.checked == ["same", "ulps"]


def test_channels_come_from_the_config():
    """LeNet5 (MNIST) has no in_channels: its Normalize mean has one value, one channel."""
    from migrator.verify.model.inenv import input_channels, input_shapes
    lenet = {"model": {"backbone": {"type": "LeNet5", "num_classes": 10}},
             "data": {"test": {"pipeline": [{"type": "Resize", "size": 32},
                                            {"type": "Normalize", "mean": [33.46],
                                             "std": [78.87]}]}}}
    assert input_channels(lenet) == 1
    assert input_shapes("mmcls", lenet) == [(2, 1, 32, 32)]
    assert input_channels({"model": {"backbone": {"in_channels": 4}}}) == 4
    assert input_channels({"model": {"backbone": {}}}) == 3


def test_a_segmentor_failing_at_the_capped_sizes_gets_its_train_crop_last():
    """mmseg 0.30.0 LRASPP (AvgPool2d(49) at 1/8) raises at 64 and 128 px: its 512x1024 train
    crop (inside a RepeatDataset here) is the last candidate; none when it is not larger."""
    from migrator.verify.model.inenv import input_shapes
    pipe = [{"type": "LoadImageFromFile"},
            {"type": "RandomCrop", "crop_size": (512, 1024), "cat_max_ratio": 0.75}]
    cfg = {"model": {"backbone": {"type": "MobileNetV3"}},
           "data": {"train": {"type": "RepeatDataset", "dataset": {"pipeline": pipe}}}}
    assert input_shapes("mmseg", cfg) == [(2, 3, 64, 64), (2, 3, 128, 128), (2, 3, 512, 1024)]
    small = {"model": {"test_cfg": {"crop_size": (256, 256)}},
             "data": {"train": {"pipeline": [dict(pipe[1], crop_size=(128, 128))]}}}
    assert input_shapes("mmseg", small) == [(2, 3, 64, 64), (2, 3, 256, 256)]


def test_downloads_are_stripped_and_the_teacher_config_is_found(tmp_path):
    """What reached the network on the old side (ERROR 'URLError' in the records): PVT's
    type-less init_cfg checkpoint and LAD's teacher_ckpt; LD's teacher_config
    ('configs/gfl/...', relative to the repository) is found from the config's directories,
    read by the side's loader, and its own pretrained backbone stripped too."""
    from types import SimpleNamespace
    from migrator.verify.model.inenv import prepare, with_teacher
    pvt = {"backbone": {"type": "PyramidVisionTransformer",
                        "init_cfg": {"checkpoint": "https://x/pvt_large.pth"}},
           "teacher_ckpt": "https://x/paa.pth", "bbox_head": {"init_cfg": {"type": "Normal"}}}
    assert prepare(pvt) == {"backbone": {"type": "PyramidVisionTransformer"},
                            "teacher_ckpt": None, "bbox_head": {"init_cfg": {"type": "Normal"}}}
    (tmp_path / "gfl").mkdir()
    (tmp_path / "ld").mkdir()
    teacher = tmp_path / "gfl" / "gfl_r101.py"
    teacher.write_text("")
    seen = []

    def load(path):
        seen.append(path)
        return SimpleNamespace(model={"type": "GFL", "backbone": {
            "init_cfg": {"type": "Pretrained", "checkpoint": "torchvision://resnet101"}}})
    ld = {"type": "KnowledgeDistillationSingleStageDetector",
          "teacher_config": "configs/gfl/gfl_r101.py"}
    got = with_teacher(ld, tmp_path / "ld" / "ld_r101.py", load)
    assert seen == [str(teacher)]
    assert got["teacher_config"] == {"model": {"type": "GFL", "backbone": {}}}
    lost = dict(ld, teacher_config="configs/nowhere.py")
    assert with_teacher(lost, tmp_path / "ld" / "ld_r101.py", load) == lost


def test_a_detector_failing_at_both_sizes_is_tried_at_a_multiple_of_128():
    """FPG's stride-128 level: 160x192 and 320x320 raise a size mismatch on both sides."""
    from migrator.verify.model.inenv import input_shapes
    shapes = input_shapes("mmdet", {"model": {"backbone": {}}})
    assert shapes[-1] == (2, 3, 512, 512) and len(shapes) == 3
    assert shapes[0][2:] == (160, 192)
