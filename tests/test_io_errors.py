"""Bad input and a hostile file system: one bad file never stops a tree, --in-place is all or
nothing and stays inside its tree, I/O errors are clean (exit 2, file named, nothing written),
outputs keep the umask's mode, the source's mode, encoding and line endings."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import migrator.project as project
from migrator.cli import main as migrate

TREE = Path(__file__).resolve().parent.parent / "fixtures" / "tree"
OLD = "optimizer = dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.0001)\n" \
      "lr_config = dict(policy='step', step=[8, 11])\n"
CHILD = "_base_ = './base.py'\nrunner = dict(type='EpochBasedRunner', max_epochs=12)\n"


def _tree(root: Path, files: dict) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return root


def _state(root: Path):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _run(capsys, *argv):
    rc = migrate([*map(str, argv), "-j", "1"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out
    return rc, out, err


# --------------------------------------------------------------------------- one bad file
def test_one_bad_file_never_stops_a_tree(tmp_path, capsys):
    src = _tree(tmp_path / "cfg", {
        "base.py": OLD, "ok.py": CHILD,
        "broken_base.py": "lr_config = dict(\n",
        "orphan.py": "_base_ = './broken_base.py'\nrunner = dict(type='EpochBasedRunner', max_epochs=3)\n",
        "conflict.py": OLD + "<<<<<<< HEAD\nx = 1\n=======\nx = 2\n>>>>>>> b\n",
    })
    out = tmp_path / "out"
    rc, _, err = _run(capsys, src, "-o", out)
    assert rc == 2
    assert sorted(p.name for p in out.rglob("*.py")) == ["base.py", "ok.py"]
    assert f"{src / 'broken_base.py'}:1" in err
    assert f"{src / 'orphan.py'}: not converted: its base {src / 'broken_base.py'}" in err
    assert f"{src / 'conflict.py'}:3: unresolved merge conflict marker" in err
    assert "param_scheduler" in (out / "base.py").read_text()


def test_unexpected_exception_is_contained_to_its_file(tmp_path, capsys, monkeypatch):
    """A bug of ours (here: an emitter crash injected for one file) is an internal error that
    names the file; the rest of the tree is still converted."""
    src = _tree(tmp_path / "cfg", {"base.py": OLD, "ok.py": CHILD, "bad.py": OLD})
    real = project.emit_tree_file

    def crash(path, *a, **k):
        if Path(path).name == "bad.py":
            raise TypeError("cannot emit a value of type range")
        return real(path, *a, **k)
    monkeypatch.setattr(project, "emit_tree_file", crash)
    out = tmp_path / "out"
    rc, _, err = _run(capsys, src, "-o", out)
    assert rc == 2
    assert f"{src / 'bad.py'}: internal error: TypeError: cannot emit a value of type range" in err
    assert sorted(p.name for p in out.rglob("*.py")) == ["base.py", "ok.py"]


# --------------------------------------------------------------------------- --in-place
def test_in_place_is_all_or_nothing(tmp_path, capsys):
    src = _tree(tmp_path / "cfg", {"base.py": OLD, "ok.py": CHILD,
                                   "zz_child.py": CHILD + "<<<<<<< HEAD\n>>>>>>> b\n"})
    before = _state(src)
    rc, _, err = _run(capsys, src, "--in-place")
    assert rc == 2 and "nothing was rewritten" in err
    assert _state(src) == before                # the base was not rewritten either
    (src / "zz_child.py").write_text(CHILD)
    rc, _, _ = _run(capsys, src, "--in-place")
    assert rc == 0 and "param_scheduler" in (src / "base.py").read_text()


@pytest.mark.parametrize("absolute", [False, True])
def test_in_place_never_writes_outside_its_tree(tmp_path, capsys, absolute):
    other = _tree(tmp_path / "other_project", {"base.py": OLD})
    spec = str(other / "base.py") if absolute else "../../other_project/base.py"
    proj = _tree(tmp_path / "proj", {"configs/child.py": f"_base_ = '{spec}'\nrunner = dict("
                                     f"type='EpochBasedRunner', max_epochs=12)\n"})
    before = _state(tmp_path)
    rc, _, err = _run(capsys, proj / "configs", "--in-place")
    assert rc == 2
    assert f"{proj / 'configs' / 'child.py'}: its _base_ {other / 'base.py'} is outside" in err
    assert "--allow-outside" in err and _state(tmp_path) == before
    rc, _, _ = _run(capsys, proj / "configs", "--in-place", "--allow-outside")
    assert rc == 0 and "optim_wrapper" in (other / "base.py").read_text()


def test_conflicting_flags_are_usage_errors(tmp_path, capsys):
    for extra in (["-o", tmp_path / "x"], ["--check"], ["--diff"]):
        rc, _, err = _run(capsys, TREE, "--in-place", *extra)
        assert rc == 2 and "cannot be combined" in err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("flat", [False, True])
def test_output_inside_the_input_is_not_converted_again(tmp_path, capsys, flat):
    src = tmp_path / "configs"
    shutil.copytree(TREE, src)
    mode = ["--flat"] if flat else []
    for _ in range(2):
        rc, _, err = _run(capsys, src, "-o", src / "new", *mode)
        assert rc == 0
    assert "is inside" in err and not (src / "new" / "new").exists()
    assert len(list((src / "new").rglob("*.py"))) == len(list(TREE.rglob("*.py")))


# --------------------------------------------------------------------------- I/O errors
def test_non_utf8_input_and_coding_cookie(tmp_path, capsys):
    bad = _tree(tmp_path / "a", {"cfg.py": b"x = 1\nname = '\xe9t\xe9'\n" + OLD.encode()})
    rc, _, err = _run(capsys, bad, "-o", tmp_path / "o1")
    assert rc == 2 and f"{bad / 'cfg.py'}:2: not valid utf-8 text" in err
    for argv in (["--check"], ["--diff"], ["-o", tmp_path / "o2", "--flat"]):
        rc, _, err = _run(capsys, bad, *argv)
        assert rc == 2 and f"{bad / 'cfg.py'}:2" in err
    text = "# -*- coding: latin-1 -*-\nname = '\xe9t\xe9'\n" + OLD
    good = _tree(tmp_path / "b", {"cfg.py": text.encode("latin-1")})
    rc, _, _ = _run(capsys, good, "-o", tmp_path / "o3")
    assert rc == 0
    data = (tmp_path / "o3" / "cfg.py").read_bytes()
    assert data.startswith(b"# -*- coding: latin-1 -*-\nname = '\xe9t\xe9'\n")  # same encoding
    assert b"param_scheduler" in data


def test_symlink_loops_in_every_mode(tmp_path, capsys):
    src = _tree(tmp_path / "cfg", {"base.py": OLD, "ok.py": CHILD})
    os.symlink(src, src / "loop")               # a directory loop
    os.symlink(src / "b.py", src / "a.py")      # a file loop
    os.symlink(src / "a.py", src / "b.py")
    for i, argv in enumerate([["-o", tmp_path / "o"], ["-o", tmp_path / "f", "--flat"],
                              ["--check"], ["--diff"], ["--in-place"]]):
        rc, _, err = _run(capsys, src, *argv)
        assert rc == 2, argv
        assert f"{src / 'a.py'}: cannot read: Too many levels of symbolic links" in err, argv
    for out in (tmp_path / "o", tmp_path / "f"):    # the loop is walked once, not 40 levels deep
        assert (out / "ok.py").exists() and not (out / "loop").exists(), out


def test_output_under_a_regular_file(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    rc, _, err = _run(capsys, TREE, "-o", tmp_path / "file" / "out")
    assert rc == 2 and f"{tmp_path / 'file' / 'out'}: cannot write the output directory" in err
    assert (tmp_path / "file").read_text() == "x"


def test_report_naming_a_directory_writes_nothing(tmp_path, capsys):
    (tmp_path / "rep").mkdir()
    rc, _, err = _run(capsys, TREE, "-o", tmp_path / "out", "--report", tmp_path / "rep")
    assert rc == 2 and f"{tmp_path / 'rep'}: cannot write the report: is a directory" in err
    assert not (tmp_path / "out").exists() and not list((tmp_path / "rep").iterdir())


def _make_unwritable(path: Path):
    """chattr +i as root (root ignores permission bits), chmod otherwise."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True)
        return lambda: subprocess.run(["chattr", "-i", str(path)], check=True)
    mode = path.stat().st_mode
    path.chmod(0o555 if path.is_dir() else 0o444)
    return lambda: path.chmod(mode)


@pytest.mark.parametrize("what", ["file", "directory"])
def test_unwritable_target_changes_nothing(tmp_path, capsys, what):
    src = tmp_path / "configs"
    shutil.copytree(TREE, src)
    before = _state(src)
    target = src / "toy_det" / "toy_det_2x.py"
    undo = _make_unwritable(target if what == "file" else target.parent)
    try:
        rc, _, err = _run(capsys, src, "--in-place")
        # an unwritable directory is named as such: the first output staged in it may be
        # another file (toy_det_1x.py gains the mmdet profile's default_scope/visualizer)
        assert rc == 2 and str(target if what == "file" else target.parent) in err and "cannot" in err
        assert _state(src) == before
    finally:
        undo()


# --------------------------------------------------------------------------- modes, CRLF
def test_modes_follow_the_umask_and_in_place_keeps_the_source_mode(tmp_path, capsys):
    old = os.umask(0o027)
    try:
        rc, _, _ = _run(capsys, TREE, "-o", tmp_path / "out", "--report", tmp_path / "r.json")
        assert rc == 0
        modes = {p.stat().st_mode & 0o777 for p in (tmp_path / "out").rglob("*.py")}
        assert modes == {0o640} and (tmp_path / "r.json").stat().st_mode & 0o777 == 0o640
        src = tmp_path / "configs"
        shutil.copytree(TREE, src)
        (src / "_base_" / "default_runtime.py").chmod(0o604)
        rc, _, _ = _run(capsys, src, "--in-place")
        assert rc == 0 and (src / "_base_" / "default_runtime.py").stat().st_mode & 0o777 == 0o604
    finally:
        os.umask(old)


@pytest.mark.parametrize("argv", [["-o", "OUT"], ["-o", "OUT", "--flat"], ["--in-place"]])
def test_crlf_files_keep_crlf(tmp_path, capsys, argv):
    src = _tree(tmp_path / "cfg", {"base.py": OLD.replace("\n", "\r\n"),
                                   "ok.py": ("# note\n" + CHILD).replace("\n", "\r\n")})
    rc, _, _ = _run(capsys, src, *[str(tmp_path / "o") if a == "OUT" else a for a in argv])
    assert rc == 0
    out = src if "--in-place" in argv else tmp_path / "o"
    for name in ("base.py", "ok.py"):
        data = (out / name).read_bytes()
        assert b"param_scheduler" in data or b"train_cfg" in data
        assert data.count(b"\n") == data.count(b"\r\n") > 2, name


# --------------------------------------------------------------------------- recovery
def _interrupted_commit(target: Path, data: bytes):
    """A run that sealed its journal and died before renaming (its lock released)."""
    from migrator.io import Transaction
    txn = Transaction(target.parent)
    txn.add(target, data)
    txn.seal()
    os.close(txn._lock)          # the process is gone: the kernel drops its lock
    txn._lock = None
    return txn.dir


def test_rerun_finishes_an_interrupted_commit_or_says_how_to_recover(tmp_path, capsys):
    src = _tree(tmp_path / "cfg", {"base.py": OLD, "ok.py": CHILD})
    other = _tree(tmp_path / "elsewhere", {"x.py": "x = 1\n"})
    foreign = _interrupted_commit(other / "x.py", b"x = 2\n")     # another tree's journal
    journal = _interrupted_commit(src / "ok.py", b"# new\n" + CHILD.encode())
    (src / "ok.py").write_text("# edited meanwhile\n")
    rc, _, err = _run(capsys, src, "--check")                      # --check never recovers
    assert rc == 1 and journal.exists()
    rc, _, err = _run(capsys, src, "--in-place")
    assert rc == 2 and str(journal) in err and f"{src / 'ok.py'}" in err and "delete" in err
    assert (src / "ok.py").read_text() == "# edited meanwhile\n" and journal.exists()
    (src / "ok.py").write_text(CHILD)
    rc, _, err = _run(capsys, src, "--in-place")
    assert rc == 0 and "finished the interrupted run" in err and not journal.exists()
    assert (src / "ok.py").read_text().startswith("# new\n")       # the journal's version, then
    assert "param_scheduler" in (src / "base.py").read_text()      # this run's conversion
    assert foreign.exists() and (other / "x.py").read_text() == "x = 1\n"
    rc, _, _ = _run(capsys, other, "-o", tmp_path / "out")
    assert not foreign.exists() and (other / "x.py").read_text() == "x = 2\n"


def test_in_place_on_a_child_file_rewrites_its_bases_in_the_same_configs_tree(tmp_path, capsys):
    proj = _tree(tmp_path / "configs", {"_base_/base.py": OLD,
                                        "x/child.py": CHILD.replace("./base.py", "../_base_/base.py")})
    rc, _, _ = _run(capsys, proj / "x" / "child.py", "--in-place")
    assert rc == 0 and "optim_wrapper" in (proj / "_base_" / "base.py").read_text()
