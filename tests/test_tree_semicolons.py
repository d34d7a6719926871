"""Fields sharing a line with another statement (`a = 1; b = 2`) in tree mode (issue 11).

The Python syntax tree has one statement per assignment, libcst one statement line for the
whole line: every assignment on the line is planned on its own (kept, dropped, rewritten), a
line whose statements are all kept stays as written, and a line with an edited statement is
written one statement a line. The output equals the flat conversion and is idempotent.
"""
import ast
from pathlib import Path

import pytest

from migrator.cli import main as migrate
from migrator.convert import convert_file
from migrator.emit.tree import normalize

RUNTIME = ("log_level = 'INFO'\nload_from = None\ncheckpoint_config = dict(interval=1)\n"
           "workflow = [('train', 1)]\n")
BASES = "_base_ = ['../_base_/runtime.py']\n"

# (child after its `_base_` line, or the whole child when that line starts the output as kept;
#  lines the output keeps as written; names it must not assign)
CASES = {
    "two kept fields": ("log_level = 'DEBUG'; load_from = None\n",
                        ["log_level = 'DEBUG'; load_from = None"], []),
    "two user variables": ("a = dict(); b = 1\n", ["a = dict(); b = 1"], []),
    "a kept field and a user variable": ("log_level = 'DEBUG'; a = 1  # note\n",
                                         ["log_level = 'DEBUG'; a = 1  # note"], []),
    "renamed then kept": ("checkpoint_config = dict(interval=2); log_level = 'DEBUG'\n",
                          ["log_level = 'DEBUG'"], ["checkpoint_config"]),
    "kept then renamed": ("log_level = 'DEBUG'; checkpoint_config = dict(interval=2)\n",
                          ["log_level = 'DEBUG'"], ["checkpoint_config"]),
    "two renamed": ("optimizer = dict(type='SGD', lr=0.1); lr_config = dict(policy='step', "
                    "step=[8])\n", [], ["optimizer", "lr_config"]),
    "semicolon at the end": ("log_level = 'DEBUG';\n", ["log_level = 'DEBUG';"], []),
    "semicolon at the end of an edited line": (
        "# keep me\na = 1; checkpoint_config = dict(interval=3);  # trailing\n",
        ["# keep me", "a = 1"], ["checkpoint_config"]),
    "a kept line in an edited file": ("log_level = 'DEBUG'; load_from = None\n"
                                      "checkpoint_config = dict(interval=2)\n",
                                      ["log_level = 'DEBUG'; load_from = None"],
                                      ["checkpoint_config"]),
    "a backslash continues the line": ("checkpoint_config = dict(interval=2); \\\n"
                                       "log_level = 'DEBUG'\n", ["log_level = 'DEBUG'"],
                                       ["checkpoint_config"]),
    "the base list shares the line": ("", ["_base_ = ['../_base_/runtime.py']; log_level = 'DEBUG'"],
                                      []),
    "a field assigned again later": ("log_level = 'DEBUG'; a = 2\nlog_level = 'WARNING'\n",
                                     ["log_level = 'WARNING'"], []),
    "an old field assigned twice": ("workflow = [('train', 1)]; a = 3\nworkflow = [('val', 1)]\n",
                                    [], ["workflow"]),
    "a rewritten field": ("a = 1; model = dict(type='FasterRCNN', pretrained='torchvision://r50', "
                          "backbone=dict(type='ResNet', depth=50)); b = 2\n", ["a = 1", "b = 2"],
                          []),
}


def _tree(tmp_path: Path, name: str) -> Path:
    child, kept, _ = CASES[name]
    src = tmp_path / "configs"
    (src / "_base_").mkdir(parents=True)
    (src / "_base_" / "runtime.py").write_text(RUNTIME)
    (src / "x").mkdir()
    text = BASES + child if child else kept[0] + "\n"
    (src / "x" / "child.py").write_text(text)
    return src


def _assigned(text: str):
    return [t.id for s in ast.parse(text).body if isinstance(s, ast.Assign)
            for t in s.targets if isinstance(t, ast.Name)]


@pytest.mark.parametrize("name", list(CASES))
def test_fields_sharing_a_line_equal_the_flat_conversion_and_stay_put(tmp_path, name):
    from runtime.config import Config
    src = _tree(tmp_path, name)
    out = tmp_path / "new"
    assert migrate([str(src), "-o", str(out), "-q", "-j", "1"]) == 0
    text = (out / "x" / "child.py").read_text()
    got = normalize(Config.fromfile(str(out / "x" / "child.py")).to_dict())
    assert got == normalize(convert_file(src / "x" / "child.py").new), text
    lines = text.splitlines()
    _, kept, gone = CASES[name]
    for line in kept:
        assert line in lines, text
    names, before = _assigned(text), _assigned((src / "x" / "child.py").read_text())
    assert not set(gone) & set(names), text
    # every field is written once, except where the input itself assigned it twice
    assert all(before.count(n) > 1 for n in names if names.count(n) > 1), text
    # flat mode agrees
    flat = tmp_path / "flat"
    assert migrate([str(src), "-o", str(flat), "--flat", "-q", "-j", "1"]) == 0
    assert normalize(Config.fromfile(str(flat / "x" / "child.py")).to_dict()) == got
    # idempotent
    again = tmp_path / "again"
    assert migrate([str(out), "-o", str(again), "-q", "-j", "1"]) == 0
    assert (again / "x" / "child.py").read_text() == text
