"""The terminal summary: warnings and TODOs grouped by message (count, 3 example locations, -v
all), files already MMEngine-style named and counted apart; the JSON report keeps every
finding and the counts; the Markdown report counts MMEngine-style files apart too."""
import json
import re

import pytest

from migrator.cli import main as migrate

OLD = "custom_hooks = [dict(priority=3)]\nlr_config = dict(policy='step', step=[8])\n"
TODO = "custom_hooks[0]: a hook without `type` (MMCV could not build it either): fix by hand"
WARN = ("lr_config: run length unknown (no runner/total_epochs): `end` left to the train loop's "
        "default")


@pytest.fixture
def tree(tmp_path):
    d = tmp_path / "cfg"
    d.mkdir()
    for i in range(1, 7):
        (d / f"c{i}.py").write_text(OLD)
    for i in range(1, 6):
        (d / f"n{i}.py").write_text(f"train_cfg = dict(type='EpochBasedTrainLoop', max_epochs={i})\n")
    (d / "model.py").write_text("model = dict(type='M')\n")
    return d


def run(tree, tmp_path, capsys, *extra):
    report = tmp_path / "r.json"
    assert migrate([str(tree), "-o", str(tmp_path / "out"), "-j", "1", "--report", str(report),
                    "--report-md", str(tmp_path / "r.md"), *extra]) == 0
    return capsys.readouterr().err, json.loads(report.read_text())


def test_findings_grouped_by_message_with_count_and_examples(tree, tmp_path, capsys):
    err, report = run(tree, tmp_path, capsys)
    lines = err.splitlines()
    # each distinct message once, with its count; then 3 locations and how many more
    assert lines.count(f"  todo (6x): {TODO}") == 1
    assert lines.count(f"  warning (6x): {WARN}") == 1
    i = lines.index(f"  todo (6x): {TODO}")
    assert lines[i + 1] == (f"      {tree}/c1.py:1, {tree}/c2.py:1, {tree}/c3.py:1 "
                            f"(+3 more: -v lists all, --report keeps all)")
    assert sum(TODO.split(": ", 1)[1] in line for line in lines) == 1
    assert re.search(r"warnings\s+6\n", err) and re.search(r"not converted \(TODO\)\s+6\n", err)
    # the JSON report keeps every one
    todos = [f for f in report["files"] for f in f["not_converted"]]
    assert sorted((t["file"], t["line"]) for t in todos) == \
        [(str(tree / f"c{i}.py"), 1) for i in range(1, 7)]


def test_verbose_lists_every_location_and_every_mmengine_style_file(tree, tmp_path, capsys):
    err, _ = run(tree, tmp_path, capsys, "-v")
    lines = err.splitlines()
    i = lines.index(f"  todo (6x): {TODO}")
    assert lines[i + 1] == "      " + ", ".join(f"{tree}/c{n}.py:1" for n in range(1, 7))
    assert [line for line in lines if "already MMEngine-style:" in line] == \
        [f"  {tree}/n{n}.py: already MMEngine-style: nothing to do" for n in range(1, 6)]


def test_mmengine_style_files_are_named_and_counted_apart(tree, tmp_path, capsys):
    err, report = run(tree, tmp_path, capsys)
    assert [line for line in err.splitlines() if "MMEngine-style" in line] == \
        [f"  {tree}/n{n}.py: already MMEngine-style: nothing to do" for n in range(1, 4)] + \
        ["  ... and 2 more already MMEngine-style files (-v lists all)",
         "  already MMEngine-style       5"]
    assert re.search(r"converted\s+6\n", err) and re.search(r"unchanged\s+1\n", err)
    assert report["summary"] == {"files": 12, "converted": 6, "unchanged": 1, "new-style": 5,
                                 "error": 0}
    assert {f["path"].rsplit("/", 1)[1]: f["status"] for f in report["files"]}["n1.py"] == \
        "new-style"
    md = (tmp_path / "r.md").read_text()
    assert "| already MMEngine-style | 5 |" in md and "| converted | 6 |" in md
    # copied as they are
    assert (tmp_path / "out" / "n2.py").read_text() == (tree / "n2.py").read_text()


def test_diff_summary_says_would_change(tree, capsys):
    assert migrate([str(tree), "--diff", "-j", "1"]) == 1
    err = capsys.readouterr().err
    assert re.search(r"would change\s+6\n", err) and not re.search(r"^  converted", err, re.M)


@pytest.mark.parametrize("flat", [False, True])
def test_a_child_of_mmengine_style_bases_is_mmengine_style(tree, tmp_path, capsys, flat):
    (tree / "nchild.py").write_text("_base_ = './n1.py'\n")
    err, report = run(tree, tmp_path, capsys, "-v", *["--flat"] * flat)
    assert f"  {tree}/nchild.py: already MMEngine-style: nothing to do" in err.splitlines()
    assert report["summary"]["new-style"] == 6 and report["summary"]["unchanged"] == 1
