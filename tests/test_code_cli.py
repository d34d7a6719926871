"""`migrate` on code: a repository mixing configs/, tools/ and a package; --check, --diff,
--in-place, -o, --report, --target, bad input; configs and code classified apart."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from code_cases import FIXTURES
from migrator.cli import main as migrate

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "fixtures" / "tree"
HOOK = FIXTURES / "hook_signatures" / "stages_old.py"
LOOP = FIXTURES / "runner_loop" / "guide_old.py"
PLAIN = "import os\n\n\ndef main():\n    return os.getcwd()\n"


@pytest.fixture
def repo(tmp_path):
    r = tmp_path / "repo"
    shutil.copytree(TREE, r / "configs")
    (r / "mypkg" / "core").mkdir(parents=True)
    shutil.copy(HOOK, r / "mypkg" / "core" / "hooks.py")
    shutil.copy(LOOP, r / "mypkg" / "runner.py")
    (r / "mypkg" / "__init__.py").write_text("")
    (r / "tools").mkdir()
    (r / "tools" / "util.py").write_text(PLAIN)
    return r


def test_mixed_repository_to_out_dir(repo, tmp_path):
    out, report = tmp_path / "out", tmp_path / "r.json"
    assert migrate([str(repo), "-o", str(out), "--report", str(report), "-q", "-j", "1"]) == 0
    hooks = (out / "mypkg" / "core" / "hooks.py").read_text()
    assert hooks == (FIXTURES / "hook_signatures" / "stages_new.py").read_text()
    assert (out / "mypkg" / "runner.py").read_text() == \
        (FIXTURES / "runner_loop" / "guide_new.py").read_text()
    assert (out / "tools" / "util.py").read_text() == PLAIN          # code, nothing to do
    assert "param_scheduler" in (out / "configs" / "_base_" / "schedules" / "schedule_1x.py").read_text()
    files = {Path(f["path"]).name: f for f in json.loads(report.read_text())["files"]}
    assert files["hooks.py"]["kind"] == "code" and files["hooks.py"]["status"] == "converted"
    assert sorted(files["hooks.py"]["rules_applied"]) == ["MC101", "MC201"]
    assert files["runner.py"]["warnings"][0]["field"] == "MC301"
    assert files["util.py"]["status"] == "unchanged"
    assert files["schedule_1x.py"]["status"] == "converted"
    # the output is migrated: --check passes, a second run changes nothing
    assert migrate([str(out), "--check", "-q"]) == 0


def test_check_lists_code_then_passes_after_in_place(repo, capsys):
    assert migrate([str(repo / "mypkg"), "--check", "-q"]) == 1
    lines = capsys.readouterr().out.splitlines()
    hooks = str(repo / "mypkg" / "core" / "hooks.py")
    assert f"{hooks}:1: MC101 MMCV 1.x code to migrate (also MC201)" in lines
    assert any(l.startswith(f"{repo / 'mypkg' / 'runner.py'}:7: MC301 runner CustomRunner")
               for l in lines)
    before = (repo / "tools" / "util.py").stat().st_mtime_ns
    assert migrate([str(repo), "--in-place", "-q", "-j", "1"]) == 0
    assert (repo / "mypkg" / "core" / "hooks.py").read_text() == \
        (FIXTURES / "hook_signatures" / "stages_new.py").read_text()
    assert (repo / "tools" / "util.py").stat().st_mtime_ns == before    # untouched
    assert migrate([str(repo), "--check", "-q"]) == 0


def test_check_exit_1_on_code_that_only_has_changes(tmp_path, capsys):
    src = tmp_path / "h.py"
    src.write_text("from mmcv.runner import get_dist_info\n\nrank, ws = get_dist_info()\n")
    assert migrate([str(src), "--check", "-q"]) == 1
    assert migrate([str(src), "--diff", "-q"]) == 1
    diff = capsys.readouterr().out
    assert "-from mmcv.runner import get_dist_info\n+from mmengine.dist import get_dist_info" in diff
    assert src.read_text().startswith("from mmcv.runner")                # --diff wrote nothing


def test_target_runtime(tmp_path):
    src = tmp_path / "h.py"
    shutil.copy(HOOK, src)
    assert migrate([str(src), "-o", str(tmp_path / "o"), "--target", "runtime", "-q"]) == 0
    text = (tmp_path / "o" / "h.py").read_text()
    assert "from runtime.hooks import Hook\nfrom runtime.registry import HOOKS\n" in text


def test_code_that_cannot_be_parsed_is_an_error_with_file_and_line(tmp_path, capsys):
    src = tmp_path / "broken.py"
    src.write_text("import os\n\ndef f(:\n    pass\n")
    assert migrate([str(src), "--check", "-q"]) == 2
    err = capsys.readouterr().err
    assert f"{src}:3" in err and "Traceback" not in err


def test_code_with_conflict_markers_is_refused(tmp_path, capsys):
    src = tmp_path / "h.py"
    text = "import os\n<<<<<<< HEAD\nx = 1\n=======\nx = 2\n>>>>>>> b\n"
    src.write_text(text)
    assert migrate([str(src), "--in-place", "-q"]) == 2
    assert "merge conflict" in capsys.readouterr().err and src.read_text() == text


def test_migrate_never_imports_torch_on_code(tmp_path):
    code = ("import sys; from migrator.cli import main; rc = main(['%s', '--check', '-q']);"
            "assert 'torch' not in sys.modules and 'mmengine' not in sys.modules; sys.exit(rc)"
            ) % FIXTURES
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 1


def test_precommit_hooks_cover_code():
    import re
    import yaml
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    for h in hooks:
        assert re.search(h["files"], "mypkg/core/hooks.py")
        assert re.search(h["files"], "configs/x/y.py")
