"""Data verification of real mmcls 0.25.0 configs converted with `migrate --flat`, old mmcls
0.25.0 (MMCV 1.7.2) against new mmpretrain 1.2.0, both executed: the generated non-folder
formats (CIFAR, MNIST, VOC multi-label, CUB, StanfordCars), the transforms bridged on the old
side (RandomCrop offsets drawn by numpy, Lighting's uint8 cast), ToHalf, and the
normalisation-only difference of a config whose train and test pipelines normalise differently.

Expected first differences worked out by hand from the generated image (dv_gen.py): image 0 is
120 x 160 (h x w), its top-left 40 x 40 patch is BGR (250, 10, 30); resnest's test pipeline is
EfficientNetCenterCrop(224, crop_padding 32): crop 224 / 256 * 120 = 105 px at offset
(round(7.5), round(27.5)) = (8, 28), inside the patch, so output pixel (0, 0) is R = 30 ->
(30 - 123.675) / 58.395 = -1.60416 in RGB, B = 250 -> (250 - 123.675) / 58.395 = 2.16328 if the
channels are not swapped. tnt's test Normalize is mean = std = 127.5: R = 30 -> -0.764706.
"""
from __future__ import annotations

import pytest

from migrator.cli import main as migrate
from migrator.verify.data import line, verify_data
from tests.realdata import real_configs

pytestmark = pytest.mark.integration

CONFIGS = {
    "cifar10": "resnet/resnet18_8xb16_cifar10.py",
    "cifar100": "resnet/resnet50_8xb16_cifar100.py",
    "mnist": "lenet/lenet5_mnist.py",
    "voc": "vgg/vgg16_8xb16_voc.py",
    "cub": "resnet/resnet50_8xb8_cub.py",
    "cars": "resnet/resnet50_8xb8_cars.py",
    "resnest": "resnest/resnest50_32xb64_in1k.py",
    "regnet": "regnet/regnetx-400mf_8xb128_in1k.py",
    "ipu": "vision_transformer/vit-base-p16_ft-4xb544-ipu_in1k.py",
    "tnt": "tnt/tnt-s-p16_16xb64_in1k.py",
}
# name -> (config, text in the correct conversion, its wrong replacement, nth occurrence)
WRONG = {
    "mnist test split": ("mnist", "test_mode=True,", "test_mode=False,", 2),
    "resnest to_rgb": ("resnest", "57.375],\n    to_rgb=True,", "57.375],\n    to_rgb=False,", 1),
}


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    from migrator.envs.new import new_python
    from migrator.envs.old_codebases import old_codebases_python
    tmp = tmp_path_factory.mktemp("vdcls")
    root = real_configs("mmcls", "0.25.0")
    pairs, names, conv = [], [], {}
    for name, rel in CONFIGS.items():
        out = tmp / name
        assert migrate([str(root / rel), "-o", str(out), "--flat", "-q"]) == 0, rel
        conv[name] = out / rel.rsplit("/", 1)[1]
        pairs.append((str(root / rel), str(conv[name])))
        names.append(name)
    for name, (base, right, wrong, nth) in WRONG.items():
        text = conv[base].read_text()
        assert text.count(right) >= nth, (name, right)
        at = -1
        for _ in range(nth):
            at = text.index(right, at + 1)
        bad = tmp / f"wrong-{base}.py"
        bad.write_text(text[:at] + wrong + text[at + len(right):])
        pairs.append((str(root / CONFIGS[base]), str(bad)))
        names.append(name)
    recs = verify_data(pairs, old_codebases_python(), new_python(), tmp / "work")
    for r in recs:
        print(line(r))
    return dict(zip(names, recs))


def _devs(rec):
    return {d["field"]: d["size"] for d in rec["known_deviations"]}


@pytest.mark.parametrize("name", ["cifar10", "cifar100", "mnist", "voc", "cub", "cars",
                                  "resnest", "regnet", "ipu"])
def test_generated_formats_and_bridges_verify(records, name):
    r = records[name]
    assert r["verdict"] == "VERIFIED", line(r)
    for field in ("train[0] p=0 inputs", "train[0] p=1 inputs", "test[0] inputs",
                  "train[0] p=0 gt_label"):
        assert field in r["checked"], (name, field)


def test_what_each_bridge_and_format_records(records):
    assert _devs(records["cifar10"])["RandomCrop"].startswith("compared with the same draws")
    assert _devs(records["voc"])["gt_label"] == "one-hot (20,) int8 -> label indices"
    # the generated image has pixels that the lighting shift pushes past 255: the new uint8
    # cast wraps them (a change of 256 grey levels), bridged and recorded with its size
    assert _devs(records["resnest"])["Lighting"].endswith(
        "the cast changed values by up to 256 grey levels")
    assert "ColorJitter" in _devs(records["resnest"])
    assert "EfficientNetRandomCrop" in _devs(records["resnest"])
    assert _devs(records["ipu"])["inputs dtype"].startswith("float16 -> float32")


def test_normalisation_only_difference_is_named_and_known(records):
    # tnt: the train pipeline normalises with ImageNet's mean/std, the test pipeline with 127.5;
    # the one converted data_preprocessor takes the test normalisation (mmpretrain 1.2.0's own
    # tnt config does the same), so the train inputs are where the two sides first differ
    r = records["tnt"]
    assert r["verdict"] == "DIFFERS", line(r)
    d = r["first_difference"]
    assert d["where"] == "train[0] p=0 inputs"
    assert d["message"] == ("train[0] p=0 inputs: normalisation only (un-normalised pixels "
                            "equal): old mean=[123.675, 116.28, 103.53] std=[58.395, 57.12, "
                            "57.375], new mean=[127.5, 127.5, 127.5] std=[127.5, 127.5, 127.5]")
    assert _devs(r)["train/test normalisation"] == d["message"]


def test_wrong_mnist_test_split(records):
    r = records["mnist test split"]
    assert r["verdict"] == "DIFFERS", line(r)
    assert r["first_difference"]["where"] == "test[0] inputs"     # train compared equal
    assert "train[0] p=1 inputs" in r["checked"]


def test_wrong_resnest_channel_order(records):
    r = records["resnest to_rgb"]
    assert r["verdict"] == "DIFFERS", line(r)
    d = r["first_difference"]
    # the train image at the full-image crop: pixel (0, 0) is R = 30 (-1.60416) in the old RGB
    # input, B = 250 (2.16328) in the wrong BGR one, each moved by the same lighting shift,
    # eigvec @ (alpha * eigval) with alpha ~ N(0, 0.1): a few grey levels (< 0.1 here)
    assert d["where"] == "train[0] p=0 inputs", d
    assert d["message"].startswith("train[0] p=0 inputs[0, 0, 0]: "), d
    assert abs(float(d["old"]) + 1.60416) < 0.1 and abs(float(d["new"]) - 2.16328) < 0.1, d
