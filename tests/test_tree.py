"""Whole-tree conversion of the bundled fixture tree: the equivalence invariant (every new file,
loaded with our runtime Config and with real MMEngine's Config, equals the flat conversion of the
same input file), minimal children, idempotency and --check."""
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
    return normalize(convert_file(TREE / rel, codebase="mmdet").new)


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
    assert "pipeline=train_pipeline" in base and "ann_file=data_root + 'annotations/train.json'" in base
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
    assert f"{TREE / '_base_' / 'schedules' / 'schedule_1x.py'}:2: optimizer: old-style field" in out
    assert f"{TREE / 'toy_det' / 'toy_det_2x.py'}:3: lr_config: old-style field" in out


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
