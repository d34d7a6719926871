"""`migrate --check`: `file:line: CODE old -> new` lines (codes from the ownership table), one
MM001 line for a file that inherits old-style bases, a count at the end, nothing at all when
nothing needs changing; and `--check` and `--diff` agree on which files need migrating."""
import re
import shutil
from pathlib import Path

import pytest

from casekit import ROOT
from migrator.cli import main as migrate
from migrator.rules.ownership import NEW_FROM_OLD, RULE_CODES

TREE = ROOT / "fixtures" / "tree"
PROJECT = ROOT / "fixtures" / "mmcv_project"
LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<code>M[MC]\d{3}) (?P<what>.+)$")
COUNT = re.compile(r"^(\d+) findings? in (\d+) files? to migrate \(run `migrate --in-place` or "
                   r"`migrate -o OUT_DIR/`\)$")


def check(paths, capsys):
    rc = migrate([str(p) for p in paths] + ["--check", "-j", "1"])
    out, err = capsys.readouterr()
    return rc, out.splitlines(), err


@pytest.mark.parametrize("root", [TREE, PROJECT])
def test_every_line_names_file_line_code_and_the_new_field(root, capsys):
    rc, lines, err = check([root], capsys)
    assert rc == 1 and err == ""
    m = COUNT.match(lines[-1])
    assert m and int(m.group(1)) == len(lines) - 1
    parsed = [LINE.match(line) for line in lines[:-1]]
    assert all(parsed), [line for line, p in zip(lines, parsed) if not p]
    assert int(m.group(2)) == len({p["file"] for p in parsed})
    for p in parsed:
        assert Path(p["file"]).is_file() and int(p["line"]) >= 1
        if p["code"] == "MM001":
            assert p["what"].startswith("_base_ inherits old-style fields from ")
        elif p["code"].startswith("MM"):        # the ownership table's code and new fields
            old, new = p["what"].split(" -> ")
            assert RULE_CODES[old] == p["code"]
            assert new == (", ".join(NEW_FROM_OLD[old]) if old in NEW_FROM_OLD else "(dropped)")
    assert not any("convert" in line for line in lines[:-1])      # no "converted" wording
    codes = {c for line in lines[:-1] for c in re.findall(r"\bM[MC]\d{3}\b", line)}
    if root == PROJECT:                         # code files carry their MC codes
        assert {"MC101", "MC201", "MC301", "MC302", "MC401"} <= codes
        hooks = PROJECT / "toyproj" / "core" / "hooks" / "record_hook.py"
        assert f"{hooks}:3: MC101 MMCV 1.x code to migrate (also MC201, MC202, MC203, MC204)" \
            in lines
    else:
        # written by hand from fixtures/tree
        assert f"{TREE}/_base_/schedules/schedule_1x.py:5: MM101 lr_config -> param_scheduler" \
            in lines
        assert f"{TREE}/_base_/default_runtime.py:15: MM701 resume_from -> load_from, resume" \
            in lines
        assert f"{TREE}/toy_det/toy_det_iter_poly_fp16.py:7: MM203 fp16 -> optim_wrapper" in lines


def test_a_child_given_alone_names_its_old_style_bases(capsys):
    """pre-commit passes only the staged child: its bases are read anyway."""
    child = TREE / "toy_det" / "toy_det_1x.py"
    rc, lines, _ = check([child], capsys)
    assert rc == 1
    assert lines == [
        f"{child}:1: MM001 _base_ inherits old-style fields from "
        f"{TREE}/_base_/datasets/toy_coco.py, {TREE}/_base_/schedules/schedule_1x.py, "
        f"{TREE}/_base_/default_runtime.py",
        "1 finding in 1 file to migrate (run `migrate --in-place` or `migrate -o OUT_DIR/`)"]


def test_nothing_printed_when_nothing_needs_changing(tmp_path, capsys):
    out = tmp_path / "new"
    assert migrate([str(TREE), "-o", str(out), "-q", "-j", "1"]) == 0
    assert check([out], capsys) == (0, [], "")
    # a child of migrated bases, given alone
    assert check([out / "toy_det" / "toy_det_1x.py"], capsys) == (0, [], "")


# --------------------------------------------------------------------------- --check == --diff
def chain_tree(tmp_path) -> Path:
    """base (old) <- mid (only a model override) <- child (only _base_); new (MMEngine-style)."""
    d = tmp_path / "chain"
    (d / "sub").mkdir(parents=True)
    (d / "base.py").write_text("optimizer = dict(type='SGD', lr=0.1)\n"
                               "lr_config = dict(policy='step', step=[8, 11])\n"
                               "runner = dict(type='EpochBasedRunner', max_epochs=12)\n")
    (d / "mid.py").write_text("_base_ = './base.py'\nmodel = dict(type='M', depth=50)\n")
    (d / "sub" / "child.py").write_text("_base_ = ['../mid.py']\n")
    (d / "new.py").write_text("train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12)\n")
    return d


def flagged_by_check(paths, capsys):
    rc, lines, _ = check(paths, capsys)
    files = {str(Path(LINE.match(line)["file"]).resolve()) for line in lines[:-1]}
    return rc, files, lines


def covered_by_diff(paths, capsys):
    """(exit code, rel paths with a diff, rel paths named as changing through their bases)."""
    rc = migrate([str(p) for p in paths] + ["--diff", "-j", "1"])
    out, err = capsys.readouterr()
    diffs = set(re.findall(r"^\+\+\+ b/(.+)$", out, re.M))
    notes = dict(re.findall(r"^migrate: --diff: (.+?): no change of its own; it inherits "
                            r"old-style fields from (.+) \(diffed above\)$", err, re.M))
    return rc, diffs, notes


def _inputs(paths):
    out = set()
    for p in paths:
        out |= {str(f.resolve()) for f in p.rglob("*.py")} if p.is_dir() else {str(p.resolve())}
    return out


def _match(rel: str, paths):
    """The file a diff's `a/REL` names: REL is relative to the common directory of the files
    read, an ancestor of the paths given (the deepest one holding REL)."""
    for p in paths:
        for a in [p.resolve()] + list(p.resolve().parents):
            if (a / rel).is_file():
                return str(a / rel)
    return None


def assert_agree(paths, capsys):
    rc_c, flagged, lines = flagged_by_check(paths, capsys)
    rc_d, diffs, notes = covered_by_diff(paths, capsys)
    assert rc_c == rc_d
    inputs = _inputs(paths)
    diffed = {_match(r, paths) for r in diffs}
    noted = {_match(r, paths) for r in notes}
    assert None not in diffed | noted and not diffed & noted
    # the files given that --check flags are exactly those --diff shows a change for
    assert flagged == (diffed | noted) & inputs, lines
    # a note names bases whose diff was printed
    for child, bases in notes.items():
        assert all(b in diffs for b in bases.split(", ")), (child, bases)
    # an MM001 line's bases all have a diff of their own
    for line in lines[:-1]:
        m = LINE.match(line)
        if m["code"] == "MM001":
            for b in m["what"].split(" from ", 1)[1].split(", "):
                assert str(Path(b).resolve()) in diffed, b
    return flagged, diffed, noted


def test_check_and_diff_agree_on_the_fixture_tree_and_each_child_alone(capsys):
    flagged, _, _ = assert_agree([TREE], capsys)
    assert len(flagged) == 7                 # all but the model base
    for child in sorted((TREE / "toy_det").glob("*.py")):
        flagged, diffed, _ = assert_agree([child], capsys)
        assert flagged == {str(child)}
        assert str(TREE / "_base_" / "schedules" / "schedule_1x.py") in diffed


def test_check_and_diff_agree_when_the_change_lives_only_in_a_base(tmp_path, capsys):
    d = chain_tree(tmp_path)
    flagged, diffed, noted = assert_agree([d], capsys)
    child, mid, base = (str((d / n).resolve()) for n in ("sub/child.py", "mid.py", "base.py"))
    assert flagged == {child, mid, base} and diffed == {base} and noted == {child, mid}
    # the child alone (pre-commit): base and mid are read, the child is flagged
    flagged, diffed, noted = assert_agree([d / "sub" / "child.py"], capsys)
    assert flagged == {child} and diffed == {base} and child in noted
    # once the tree is migrated, neither reports anything
    new = tmp_path / "migrated"
    assert migrate([str(d), "-o", str(new), "-q", "-j", "1"]) == 0
    assert assert_agree([new], capsys) == (set(), set(), set())
    assert assert_agree([new / "sub" / "child.py"], capsys) == (set(), set(), set())


def test_check_and_diff_agree_on_the_mmcv_project(tmp_path, capsys):
    proj = tmp_path / "p"
    shutil.copytree(PROJECT, proj)
    flagged, diffed, noted = assert_agree([proj], capsys)
    assert {Path(f).name for f in flagged} >= {"schedule.py", "train.py", "record_hook.py"}


@pytest.mark.integration
def test_check_and_diff_agree_on_real_mmdet_children(capsys):
    """A real tree (mmdet 2.28.2): whole directories of children, bases read from _base_."""
    from realdata import real_configs
    src = real_configs("mmdet", "2.28.2")
    flagged, diffed, noted = assert_agree([src / "faster_rcnn", src / "retinanet"], capsys)
    plain = src / "faster_rcnn" / "faster_rcnn_r50_fpn_1x_coco.py"     # only _base_
    assert str(plain.resolve()) in flagged and str(plain.resolve()) in noted
