"""The command lines as users meet them: --version, help for every flag, `verify` named in
`migrate --help`, the --exec hint, the swapped-pair hint, and `mmrun train` on an old config."""
import argparse
import subprocess
import sys

import pytest

from casekit import ROOT
from migrator import __version__
from migrator.cli import build_parser, main as migrate
from runtime.cli import build_parser as mmrun_parser, main as mmrun

VERIFY = ROOT / "fixtures" / "verify"


@pytest.mark.parametrize("cmd, prog", [(migrate, "migrate"), (mmrun, "mmrun")])
def test_version(cmd, prog, capsys):
    with pytest.raises(SystemExit) as exc:
        cmd(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out == f"{prog} (mmmigrate) {__version__}\n"


def _actions(parser):
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction):
            for sub in a.choices.values():
                yield from _actions(sub)
        elif not isinstance(a, (argparse._HelpAction, argparse._VersionAction)):
            yield parser.prog, a


def test_every_flag_has_help():
    from migrator.verify.cli import build_parser as verify_parser
    parsers = [build_parser(), verify_parser(), mmrun_parser()[0]]
    missing = [(prog, a.dest) for p in parsers for prog, a in _actions(p) if not a.help]
    assert missing == []


def test_help_names_verify():
    out = build_parser().format_help()
    assert "migrate verify OLD.py NEW.py" in out and "exit status: 0" in out


def test_exec_hint_names_the_flag(tmp_path, capsys):
    cfg = tmp_path / "configs" / "x.py"
    cfg.parent.mkdir()
    cfg.write_text("import os\noptimizer = dict(type='SGD', lr=0.1)\n")
    assert migrate([str(cfg), "-o", str(tmp_path / "out"), "--flat", "-q"]) == 2
    err = capsys.readouterr().err
    assert "`migrate --exec` runs such files" in err and "allow_exec" not in err


def test_swapped_pair_hint(capsys):
    assert migrate(["verify", str(VERIFY / "new_1x.py"), str(VERIFY / "old_1x.py")]) == 2
    err = capsys.readouterr().err
    assert "looks MMEngine-style" in err and "did you swap them?" in err
    assert migrate(["verify", str(VERIFY / "old_1x.py"), str(VERIFY / "new_1x.py")]) == 0


def test_mmrun_train_on_an_old_config(capsys):
    old = ROOT / "fixtures" / "tree" / "toy_det" / "toy_det_1x.py"
    assert mmrun(["train", str(old)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mmrun: error: {old}: this is an MMCV 1.x config (lr_config, ")
    assert f"run `migrate {old} -o OUT_DIR/` first" in err and "Traceback" not in err
    proc = subprocess.run([sys.executable, "-m", "runtime.cli", "train", str(old)],
                          capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
