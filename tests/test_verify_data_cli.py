"""The CLI around data/model verification: `migrate env create`, `migrate verify --data`,
`migrate ... --verify=all`, the Markdown report's data/model table."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from migrator.cli import main as migrate, verify_argv
from migrator.verify import deep

RETINA = "retinanet/retinanet_r50_fpn_1x_coco.py"


def test_env_create_rejects_unknown_side_and_codebase(capsys):
    assert migrate(["env", "create", "older", "mmdet"]) == 2
    assert "unknown side 'older': expected old or new" in capsys.readouterr().err
    assert migrate(["env", "create", "old", "mmfoo"]) == 2
    err = capsys.readouterr().err
    assert "unknown codebase 'mmfoo'" in err and "mmpretrain" in err and "Traceback" not in err


def test_env_create_failed_build_names_step_and_log(tmp_path, monkeypatch, capsys):
    """A pip step that fails (a wheel file that does not exist: pip fails locally) is exit 2
    with the step and the log file named."""
    from migrator.envs import base, old_codebases
    monkeypatch.setenv("MMMIGRATE_CACHE", str(tmp_path))
    spec = base.EnvSpec("broken-env", [base.Step([str(tmp_path / "missing-0.0-py3-none-any.whl")])])
    monkeypatch.setattr(old_codebases, "spec", lambda root=None: spec)
    assert migrate(["env", "create", "old", "mmseg", "-q"]) == 2
    err = capsys.readouterr().err
    log = tmp_path / "envs" / "broken-env.log"
    assert f"step 1 failed (pip install {tmp_path}/missing-0.0-py3-none-any.whl); log {log}" in err
    assert log.is_file()


def test_verify_all_is_read_as_two_flags():
    assert verify_argv(["a.py", "--verify=all", "-o", "x"]) == ["a.py", "--verify", "--verify-all",
                                                                "-o", "x"]
    assert verify_argv(["--verify", "a.py", "--", "--verify=all"]) == ["--verify", "a.py", "--",
                                                                      "--verify=all"]


def test_missing_kind_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "migrator.verify.model", None)    # import fails
    with pytest.raises(deep.DeepError, match=r"--model: migrator.verify.model.verify_models is "
                                             r"not available"):
        deep.run_deep([("a.py", "b.py")], ["data", "model"], "py", "py")


def test_given_interpreter_must_exist(tmp_path, capsys):
    old = tmp_path / "old.py"
    old.write_text("x = 1\n")
    rc = migrate(["verify", str(old), str(old), "--data", "--old-python", str(tmp_path / "nope"),
                  "--new-python", sys.executable])
    assert rc == 2
    assert f"--old-python {tmp_path / 'nope'}: no such interpreter" in capsys.readouterr().err


def test_markdown_report_shows_data_and_model_next_to_schedule():
    from migrator.report_md import _verification
    from migrator.verify.run import PairResult, TreeVerification
    r = PairResult("new/a.py", "old/a.py", "new/a.py")
    r.error = "x"
    tv = TreeVerification([r])
    tv.deep = {("old/a.py", "new/a.py"): {
        "data": {"kind": "data", "verdict": "DIFFERS", "checked": [], "stopped_at": None,
                 "known_deviations": [],
                 "first_difference": {"where": "w", "old": "1", "new": "2",
                                      "message": "train[0] p=0 inputs: shape old=(3, 8) new=(3, 9)"}},
        "model": {"kind": "model", "verdict": "VERIFIED", "checked": ["a"], "stopped_at": None,
                  "known_deviations": [], "first_difference": None}}}
    text = "\n".join(_verification(tv))
    assert "| config | schedule | data | model |" in text
    assert "| `new/a.py` | ERROR | DIFFERS: train[0] p=0 inputs: shape old=(3, 8) new=(3, 9) | " \
           "VERIFIED |" in text
    assert "- data: 1 DIFFERS" in text and "- model: 1 VERIFIED" in text


@pytest.mark.integration
def test_migrate_verify_data_on_a_real_pair(tmp_path, capsys):
    """`migrate verify OLD NEW --data --html`: the schedule line, the DATA line, the column."""
    from tests.realdata import real_configs
    old = real_configs("mmdet", "2.28.2") / RETINA
    assert migrate([str(old), "-o", str(tmp_path / "conv"), "--flat", "-q"]) == 0
    new = tmp_path / "conv" / Path(RETINA).name
    capsys.readouterr()
    rc = migrate(["verify", str(old), str(new), "--data", "--html", str(tmp_path / "r.html")])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert f"DATA VERIFIED {old} -> {new} (" in out and "known deviations)" in out
    html = (tmp_path / "r.html").read_text()
    assert 'class="deep-data VERIFIED">VERIFIED</td>' in html


@pytest.mark.integration
def test_migrate_verify_all(tmp_path, capsys):
    """`migrate OLD -o OUT --flat --verify=all`: schedule, data and model per converted config
    (exit 2 naming the missing module while migrator.verify.model is not in this checkout)."""
    from tests.realdata import real_configs
    old = real_configs("mmdet", "2.28.2") / RETINA
    rc = migrate([str(old), "-o", str(tmp_path / "conv"), "--flat", "-q", "--verify=all",
                  "--report-md", str(tmp_path / "pr.md")])
    captured = capsys.readouterr()
    if importlib.util.find_spec("migrator.verify.model") is None:
        assert rc == 2
        assert "--model: migrator.verify.model.verify_models is not available" in captured.err
        return
    assert "DATA VERIFIED" in captured.out and "MODEL " in captured.out
    assert "| config | schedule | data | model |" in (tmp_path / "pr.md").read_text()
