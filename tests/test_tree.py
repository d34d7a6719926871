"""Whole-tree conversion of the bundled fixture tree: the equivalence invariant (every new file,
loaded with our runtime Config and with real MMEngine's Config, equals the flat conversion of the
same input file), minimal children, idempotency and --check."""
import re
import shutil
from pathlib import Path

import pytest

from migrator.cli import main as migrate
from migrator.convert import convert_file
from migrator.emit.tree import normalize

TREE = Path(__file__).resolve().parent.parent / "fixtures" / "tree"
FILES = sorted(p.relative_to(TREE) for p in TREE.rglob("*.py"))


@pytest.fixture(scope="module")
def new_tree(tmp_path_factory):
    out = tmp_path_factory.mktemp("new")
    assert migrate([str(TREE), "-o", str(out), "-q", "-j", "1"]) == 0
    return out


def _flat(rel):
    return normalize(convert_file(TREE / rel).new)      # the per-file codebase decision


@pytest.mark.parametrize("rel", FILES, ids=str)
def test_new_tree_equals_flat_conversion_in_our_runtime(new_tree, rel):
    from runtime.config import Config
    got = Config.fromfile(str(new_tree / rel)).to_dict()
    assert normalize(got) == _flat(rel)


@pytest.mark.parametrize("rel", FILES, ids=str)
def test_new_tree_equals_flat_conversion_in_real_mmengine(new_tree, rel):
    mmengine_config = pytest.importorskip("mmengine.config")
    got = mmengine_config.Config.fromfile(str(new_tree / rel)).to_dict()
    assert normalize(got) == _flat(rel)


def test_children_stay_minimal_and_keep_comments(new_tree):
    text = (new_tree / "toy_det" / "toy_det_2x.py").read_text()
    assert text.startswith("_base_ = './toy_det_1x.py'\n# learning policy: twice as long")
    assert "train_cfg = dict(max_epochs=24)" in text
    assert "optim_wrapper" not in text and "train_dataloader" not in text
    assert "lr_config" not in text and "runner" not in text
    base = (new_tree / "_base_" / "datasets" / "toy_coco.py").read_text()
    # user variables survive and are referred to by name
    assert "img_norm_cfg = dict(" in base
    # ... and still used: the normalisation moved into data_preprocessor follows the variable
    assert "mean=img_norm_cfg['mean']," in base and "std=img_norm_cfg['std']," in base
    assert "pipeline=train_pipeline" in base and "data_root=data_root" in base
    assert "ann_file='annotations/train.json'" in base      # mmdet 3.x: relative to data_root
    assert "samples_per_gpu" not in base
    runtime = (new_tree / "_base_" / "default_runtime.py").read_text()
    assert "# disable opencv multithreading" in runtime


def test_idempotent_and_check(new_tree, tmp_path, capsys):
    again = tmp_path / "again"
    assert migrate([str(new_tree), "-o", str(again), "-q", "-j", "1"]) == 0
    for rel in FILES:
        assert (again / rel).read_text() == (new_tree / rel).read_text(), rel
    assert migrate([str(new_tree), "--check", "-q"]) == 0
    capsys.readouterr()
    assert migrate([str(TREE), "--check", "-q"]) == 1
    out = capsys.readouterr().out
    assert f"{TREE / '_base_' / 'schedules' / 'schedule_1x.py'}:2: MM201 optimizer -> optim_wrapper" in out
    assert f"{TREE / 'toy_det' / 'toy_det_2x.py'}:3: MM101 lr_config -> param_scheduler" in out


def test_in_place_rewrites_only_changed_files(tmp_path):
    work = tmp_path / "configs"
    shutil.copytree(TREE, work)
    (work / "toy_det" / "untouched.py").write_text("_base_ = './toy_det_1x.py'\nmodel = dict(x=1)\n")
    before = (work / "toy_det" / "untouched.py").stat().st_mtime_ns
    assert migrate([str(work), "--in-place", "-q", "-j", "1"]) == 0
    assert (work / "toy_det" / "untouched.py").stat().st_mtime_ns == before
    assert migrate([str(work), "--check", "-q"]) == 0


def test_child_alone_brings_its_bases(tmp_path):
    out = tmp_path / "out"
    assert migrate([str(TREE / "toy_det" / "toy_det_2x.py"), "-o", str(out), "-q", "-j", "1"]) == 0
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.py"))
    assert written == ["_base_/datasets/toy_coco.py", "_base_/default_runtime.py",
                       "_base_/models/toy_detector.py", "_base_/schedules/schedule_1x.py",
                       "toy_det/toy_det_1x.py", "toy_det/toy_det_2x.py"]


@pytest.mark.parametrize("text,needle", [
    ("lr_config = dict(policy='step', step=[8, 11])\n<<<<<<< HEAD\nx = 1\n=======\nx = 2\n"
     ">>>>>>> branch\n", "merge conflict"),
    # a module with imports/functions is code now (migrator/code): tests/test_code_cli.py
    ("while True:\n    pass\n", "while"),
])
def test_in_place_refuses_conflicts_and_non_config_files(tmp_path, capsys, text, needle):
    src = tmp_path / "configs" / "thing.py"
    src.parent.mkdir()
    src.write_text(text)
    assert migrate([str(src.parent), "--in-place", "-q", "-j", "1"]) == 2
    assert src.read_text() == text
    err = capsys.readouterr().err
    assert str(src) in err and needle in err


# --------------------------------------------------------------------------- sibling collisions
SEG = {  # an mmseg 0.x-style tree: the schedule base has checkpoint_config, the runtime base
    # log_config, so both would get default_hooks and default_scope (issue 11)
    "_base_/default_runtime.py": "log_config = dict(interval=50, hooks=[dict(type='TextLoggerHook', "
                                 "by_epoch=False)])\ndist_params = dict(backend='nccl')\n"
                                 "log_level = 'INFO'\nload_from = None\nresume_from = None\n"
                                 "workflow = [('train', 1)]\ncudnn_benchmark = True\n",
    "_base_/schedules/schedule_20k.py": "optimizer = dict(type='SGD', lr=0.01, momentum=0.9, "
                                        "weight_decay=0.0005)\noptimizer_config = dict()\n"
                                        "lr_config = dict(policy='poly', power=0.9, min_lr=1e-4, "
                                        "by_epoch=False)\nrunner = dict(type='IterBasedRunner', "
                                        "max_iters=20000)\ncheckpoint_config = dict(by_epoch=False,"
                                        " interval=2000)\nevaluation = dict(interval=2000, "
                                        "metric='mIoU', pre_eval=True)\n",
    "_base_/models/pspnet_r50.py": "norm_cfg = dict(type='SyncBN', requires_grad=True)\nmodel = "
                                   "dict(type='EncoderDecoder', backbone=dict(type='ResNetV1c', "
                                   "depth=50, norm_cfg=norm_cfg), decode_head=dict(type='PSPHead',"
                                   " num_classes=19, norm_cfg=norm_cfg), train_cfg=dict(), "
                                   "test_cfg=dict(mode='whole'))\n",
    "_base_/datasets/ade.py": "dataset_type = 'ADE20KDataset'\ndata_root = 'data/ade/'\n"
                              "pipeline = [dict(type='LoadImageFromFile')]\ndata = dict("
                              "samples_per_gpu=4, workers_per_gpu=4, train=dict(type=dataset_type, "
                              "data_root=data_root, img_dir='images/training', pipeline=pipeline), "
                              "val=dict(type=dataset_type, data_root=data_root, "
                              "img_dir='images/validation', pipeline=pipeline), test=dict("
                              "type=dataset_type, data_root=data_root, img_dir='images/validation',"
                              " pipeline=pipeline))\n",
    "pspnet/pspnet_r50_20k_ade.py": "_base_ = ['../_base_/models/pspnet_r50.py', "
                                    "'../_base_/datasets/ade.py', '../_base_/default_runtime.py', "
                                    "'../_base_/schedules/schedule_20k.py']\n",
    "pspnet/pspnet_r101_20k_ade.py": "_base_ = './pspnet_r50_20k_ade.py'\nmodel = dict("
                                     "backbone=dict(depth=101))\n",
}


@pytest.fixture
def seg_tree(tmp_path):
    for rel, text in SEG.items():
        (tmp_path / "seg" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "seg" / rel).write_text(text)
    return tmp_path / "seg"


def test_sibling_bases_colliding_on_any_new_field(seg_tree, tmp_path):
    import json
    mmengine_config = pytest.importorskip("mmengine.config")
    from runtime.config import Config
    out = tmp_path / "out"
    assert migrate([str(seg_tree), "-o", str(out), "-q", "-j", "1", "--report", str(tmp_path / "r.json")]) == 0
    held = {}
    for f in json.loads((tmp_path / "r.json").read_text())["files"]:
        for w in f.get("warnings", []):
            if "not written here" in w["message"]:
                held.setdefault(w["file"], set()).add(w["field"])
    # both bases would get default_hooks (logger from log_config, checkpoint from
    # checkpoint_config); neither names a codebase, so neither gets default_scope (per file)
    assert "default_hooks" in set().union(*held.values())
    for rel in SEG:
        flat = normalize(convert_file(seg_tree / rel).new)      # the per-file codebase decision
        for k in held.get(str(seg_tree / rel), ()):
            flat.pop(k)
        assert normalize(Config.fromfile(str(out / rel)).to_dict()) == flat, rel
        assert normalize(mmengine_config.Config.fromfile(str(out / rel)).to_dict()) == flat, rel
    leaf = (out / "pspnet" / "pspnet_r50_20k_ade.py").read_text()
    assert "default_scope = 'mmseg'" in leaf and "default_hooks = " in leaf


def test_tree_errors_name_the_users_files_not_the_staging_copy(seg_tree, tmp_path, capsys, monkeypatch):
    """With the collision planner switched off, MMEngine's duplicate-key check fires on the
    staged bases: the message must name the user's files."""
    import migrator.project as project
    monkeypatch.setattr(project, "sibling_conflicts", lambda *a: {})
    assert migrate([str(seg_tree), "-o", str(tmp_path / "out"), "-q", "-j", "1"]) == 2
    err = capsys.readouterr().err
    child = seg_tree / "pspnet" / "pspnet_r50_20k_ade.py"
    assert f"{child}:1: " in err and "Duplicate key is not allowed among bases" in err
    assert f"{seg_tree / '_base_' / 'default_runtime.py'}" in err
    assert "mmmigrate-" not in err and "/stage/" not in err


# --------------------------------------------------------------------------- idempotency
NEW_STYLE = """\
default_scope = 'mmdet'
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=1)
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.02))
load_from = 'work_dirs/epoch_3.pth'
resume = True
"""


@pytest.mark.parametrize("flat", [False, True])
def test_mmengine_style_input_passes_through_untouched(tmp_path, capsys, flat):
    src = tmp_path / "cfg" / "new_style.py"
    src.parent.mkdir()
    src.write_text(NEW_STYLE)
    out = tmp_path / "out"
    assert migrate([str(src.parent), "-o", str(out), "-j", "1"] + ["--flat"] * flat) == 0
    assert (out / "new_style.py").read_text() == NEW_STYLE          # resume = True kept
    err = capsys.readouterr().err
    assert f"{src}: already MMEngine-style: nothing to do" in err
    assert re.search(r"already MMEngine-style\s+1\n", err) and re.search(r"converted\s+0\n", err)
    assert migrate([str(src.parent), "--check"]) == 0
    assert capsys.readouterr() == ("", "")                          # nothing printed when clean


def test_flat_second_pass_keeps_todo_comments(tmp_path):
    src = tmp_path / "cfg.py"
    src.write_text("resume_from = 'w/latest.pth'\nlog_config = dict(interval=10, hooks=["
                   "dict(type='TextLoggerHook'), dict(type='PaviLoggerHook')])\n"
                   "custom_hooks = [dict(priority=3)]\n")
    assert migrate([str(src), "-o", str(tmp_path / "a"), "--flat", "-q", "-j", "1"]) == 0
    first = (tmp_path / "a" / "cfg.py").read_text()
    assert first.count("# TODO(migrate)") == 2 and "resume = True" in first
    assert migrate([str(tmp_path / "a" / "cfg.py"), "-o", str(tmp_path / "b"), "--flat", "-q"]) == 0
    assert (tmp_path / "b" / "cfg.py").read_text() == first


def test_check_names_rule_old_and_new_field_with_a_count(capsys):
    assert migrate([str(TREE / "toy_det"), "--check"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert f"{TREE / 'toy_det' / 'toy_det_2x.py'}:3: MM101 lr_config -> param_scheduler" in out
    assert f"{TREE / 'toy_det' / 'toy_det_2x.py'}:4: MM301 runner -> train_cfg" in out
    n_files = len({line.split(":")[0] for line in out[:-1]})
    assert out[-1].startswith(f"{len(out) - 1} findings in {n_files} files to migrate")
    assert not any("converted" in line for line in out)


def test_nan_values_survive_the_tree_self_check(tmp_path):
    """float('nan') != float('nan'): the tree output is compared with the flat conversion, and
    a NaN must not make equal configs look different (an 'internal' error before)."""
    import math
    src = tmp_path / "in"
    src.mkdir()
    (src / "base.py").write_text("lr_config = dict(policy='step', step=[8])\n")
    (src / "child.py").write_text("_base_ = './base.py'\nx = -float('nan')\ny = [float('nan'), 1]\n")
    assert migrate([str(src), "-o", str(tmp_path / "out"), "-q", "-j", "1"]) == 0
    from runtime.config import Config
    got = Config.fromfile(str(tmp_path / "out" / "child.py")).to_dict()
    assert math.isnan(got["x"]) and math.isnan(got["y"][0]) and got["y"][1] == 1
    assert "param_scheduler" in got
