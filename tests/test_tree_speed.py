"""The shortcuts that keep tree mode near the libcst parse floor (benchmarks/convert_tree.py)
give the output the long way gives, and only where they are sound:

* new values are placed into the libcst tree as text (emit/texts.py), not parsed back;
* a file whose emission would give its text back is not parsed with libcst at all;
* a file emission edits is parsed as a skeleton, its statements only where they are edited
  (emit/lazy.py, tests/test_tree_lazy.py);
* the loader trusts (mtime, size) of a file last modified well before it was read, and reads
  the content again (checksum) when the mtime is close to the read;
* a serial tree run stages its outputs in memory (staging.py), not in files;
* a statement is parsed once per tree run however many files repeat it, and a `_base_` list
  only when it holds an absolute path (rewritten relative).
"""
import os
import time

import libcst as cst
import pytest

import migrator.load as load
from migrator.cli import main as migrate
from migrator.emit import texts
from migrator.emit.values import format_value
from migrator.load import load_config


@pytest.mark.parametrize("value", [
    dict(type='Adam', lr=5e-4, betas=(0.9, 0.999)),
    [dict(type='LoadImageFromFile'), dict(type='RandomFlip', prob=0.5, direction=['h', 'v']),
     dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                                           'scale_factor', 'flip', 'flip_direction'))],
    {"a b": 1, 3: "x"}, "__mmmigrate_text_0__", float("inf"),
])
def test_text_placeholders_render_like_parsed_expressions(value):
    code = format_value(value, indent=0, prefix_len=6)
    module = cst.parse_module("x = 0\n")

    def with_value(v):
        stmt = module.body[0]
        return module.with_changes(body=[stmt.with_changes(
            body=[stmt.body[0].with_changes(value=v)])])
    reg = texts.Texts()
    assert reg.code_of(with_value(reg.expression(code))) == \
        with_value(cst.parse_expression(code)).code == f"x = {code}\n"


CHILD_ONLY_BASES = "_base_ = ['../_base_/runtime.py']\n"
RUNTIME = "log_level = 'INFO'\nload_from = None\ncheckpoint_config = dict(interval=1)\n"


def _tree(tmp_path, child: str):
    src = tmp_path / "configs"
    (src / "_base_").mkdir(parents=True)
    (src / "_base_" / "runtime.py").write_text(RUNTIME)
    (src / "x").mkdir()
    (src / "x" / "child.py").write_text(child)
    return src


def test_a_child_naming_only_its_bases_is_not_parsed_with_libcst(tmp_path, monkeypatch):
    src = _tree(tmp_path, CHILD_ONLY_BASES)
    parsed = []
    real = cst.parse_module
    monkeypatch.setattr(cst, "parse_module", lambda text, *a, **k: parsed.append(text) or
                        real(text, *a, **k))
    out = tmp_path / "new"
    assert migrate([str(src), "-o", str(out), "-q", "-j", "1"]) == 0
    assert (out / "x" / "child.py").read_text() == CHILD_ONLY_BASES
    # the converted base only, as a skeleton (emit/lazy.py): its statements are kept or
    # dropped, none is edited, so none is parsed
    assert len(parsed) == 1 and "log_level" not in parsed[0] and parsed[0].count("\n") == 3


@pytest.mark.parametrize("child", [
    CHILD_ONLY_BASES,
    # one line, two statements: libcst sees no single-name assignment there, the ast two
    "_base_ = ['../_base_/runtime.py']\nlog_level = 'DEBUG'; load_from = None\n",
    "_base_ = ['../_base_/runtime.py']\nlog_level = 'DEBUG'\n",
    # an absolute base path is rewritten relative
    None,
])
def test_the_shortcut_gives_what_emission_gives(tmp_path, child, monkeypatch):
    src = tmp_path / "configs"
    if child is None:
        child = f"_base_ = ['{src}/_base_/runtime.py']\n"
    src = _tree(tmp_path, child)
    out, slow = tmp_path / "new", tmp_path / "slow"
    assert migrate([str(src), "-o", str(out), "-q", "-j", "1"]) == 0
    import migrator.emit.tree as tree
    monkeypatch.setattr(tree, "_unchanged", lambda *a, **k: False)
    assert migrate([str(src), "-o", str(slow), "-q", "-j", "1"]) == 0
    for rel in ("x/child.py", "_base_/runtime.py"):
        assert (out / rel).read_text() == (slow / rel).read_text(), rel
    assert str(src) not in (out / "x" / "child.py").read_text()


def _age(p, seconds):
    st = p.stat()
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns - int(seconds * 1e9)))


def test_an_old_file_is_checked_by_stat_only(tmp_path, monkeypatch):
    p = tmp_path / "a.py"
    p.write_text("lr = 0.1\n")
    _age(p, 3600)
    assert load_config(p).cfg == {"lr": 0.1}
    reads = []
    real = load._stamp
    monkeypatch.setattr(load, "_stamp", lambda path: reads.append(path) or real(path))
    assert load_config(p).cfg == {"lr": 0.1}
    assert reads == []
    p.write_text("lr = 0.7\n")            # same size, a new mtime: seen
    assert load_config(p).cfg == {"lr": 0.7}
    assert reads


def test_a_file_read_right_after_its_write_is_checked_by_content(tmp_path):
    p = tmp_path / "a.py"
    p.write_text("lr = 0.1\n")
    st = p.stat()
    assert load_config(p).cfg == {"lr": 0.1}
    time.sleep(0.01)
    p.write_text("lr = 0.7\n")
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))      # same size and mtime: a racy rewrite
    assert load_config(p).cfg == {"lr": 0.7}


def test_a_serial_tree_run_stages_in_memory_and_loads_what_disk_would_give(tmp_path):
    from migrator import staging
    from migrator.project import convert_tree
    src = _tree(tmp_path, "_base_ = ['../_base_/runtime.py']\nlog_level = 'DEBUG'\n")
    stage = tmp_path / "stage"
    stage.mkdir()
    results = convert_tree([src], jobs=1, stage=stage)
    assert [r.status for r in results] == ["converted", "unchanged"]
    assert list(stage.iterdir()) == []                   # nothing written, nothing left staged
    assert not [p for p in staging._FILES if p.startswith(str(stage))]
    # a staged file (CRLF, coding cookie, a staged base) loads as the same bytes on disk
    base = b"# -*- coding: latin-1 -*-\r\nname = '\xe9'\r\n"
    child = b"_base_ = './b.py'\r\nx = name * 2\r\n"
    mem, disk = tmp_path / "mem", tmp_path / "disk"
    disk.mkdir()
    (disk / "b.py").write_bytes(base)
    (disk / "c.py").write_bytes(child)
    try:
        staging.put(str(mem / "b.py"), base)
        staging.put(str(mem / "c.py"), child)
        assert load_config(mem / "c.py").cfg == load_config(disk / "c.py").cfg == \
            {"name": "é", "x": "éé"}
        staging.put(str(mem / "b.py"), base.replace(b"\xe9", b"o"))   # a new write: seen
        assert load_config(mem / "c.py").cfg["x"] == "oo"
    finally:
        staging.drop_under(str(mem))
    with pytest.raises(Exception, match="not found"):
        load_config(mem / "c.py")


def test_unedited_base_lists_are_not_parsed_and_repeated_statements_parse_once(tmp_path,
                                                                                monkeypatch):
    pipeline = "train_pipeline = [dict(type='LoadImageFromFile'), dict(type='Collect', " \
               "keys=['img'])]\n"
    src = _tree(tmp_path, "_base_ = ['../_base_/runtime.py']\n" + pipeline)
    (src / "x" / "twin.py").write_text("_base_ = '../_base_/runtime.py'\n# a twin\n" + pipeline)
    parsed = []
    real = cst.parse_module
    monkeypatch.setattr(cst, "parse_module", lambda text, *a, **k: parsed.append(text) or
                        real(text, *a, **k))
    out = tmp_path / "new"
    assert migrate([str(src), "-o", str(out), "-q", "-j", "1", "--codebase", "mmdet"]) == 0
    statements = [t for t in parsed if "__mmmigrate_text_" not in t]   # not a skeleton
    assert statements == [pipeline]
    for rel in ("x/child.py", "x/twin.py"):
        text = (out / rel).read_text()
        assert "PackDetInputs" in text and "Collect" not in text, text
    assert (out / "x" / "twin.py").read_text().startswith(
        "_base_ = '../_base_/runtime.py'\n# a twin\ntrain_pipeline = [")
