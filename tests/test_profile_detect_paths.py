"""The codebase decision reads only path components that belong to the config tree: the
directories below the tree's root (the deepest directory holding the config and all its
`_base_` files) and the package of an installed `<package>/.mim/configs` tree, never a home or
work directory above the tree that happens to be named like a codebase."""
import pytest

from migrator.profiles import detect

NO_HINT = dict(optimizer=dict(type='SGD'))       # nothing in the config names a codebase


@pytest.mark.parametrize("path,bases,want", [
    # directories above the tree say nothing
    ("/home/mmseg/work/configs/retinanet/r50.py",
     ["/home/mmseg/work/configs/_base_/schedules/schedule_1x.py"], None),
    ("/srv/mmdet/x.py", (), None),
    ("/srv/mmpretrain/proj/configs/a/b.py", ["/srv/mmpretrain/proj/configs/_base_/r.py"], None),
    # a directory inside the tree does
    ("/home/u/configs/mmseg/fcn/fcn.py", ["/home/u/configs/_base_/default_runtime.py"], "mmseg"),
    ("/home/mmseg/configs/mmcls/r50.py", ["/home/mmseg/configs/_base_/default_runtime.py"],
     "mmpretrain"),
    # an installed tree: the package owning .mim/configs
    ("/venv/site-packages/mmdet/.mim/configs/_base_/default_runtime.py", (), "mmdet"),
    ("/mmseg/site-packages/mmcls/.mim/configs/_base_/schedules/s.py",
     ["/mmseg/site-packages/mmcls/.mim/configs/_base_/default_runtime.py"], "mmpretrain"),
])
def test_path_hints_come_from_inside_the_tree(path, bases, want):
    assert detect(NO_HINT, path, bases) == want


def test_a_relative_path_is_read_like_its_absolute_form(tmp_path, monkeypatch):
    (tmp_path / "mmdet" / "configs" / "x").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "mmdet")
    assert detect(NO_HINT, "configs/x/a.py", ["configs/_base_/r.py"]) is None
    assert detect(NO_HINT, "configs/x/a.py", ["configs/x/b.py"]) is None
