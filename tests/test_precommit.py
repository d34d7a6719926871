"""The pre-commit hooks of this repository, installed by real `pre-commit` into a temporary git
repository holding an old-style config: the commit is refused, the `migrate` hook fixes the file
in place, and the next commit goes through."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OLD = """\
optimizer = dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001)
lr_config = dict(policy='step', step=[8, 11])
runner = dict(type='EpochBasedRunner', max_epochs=12)
"""

pytestmark = pytest.mark.slow


def _git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)


@pytest.fixture
def hook_rev(tmp_path):
    """pre-commit installs hooks from a git revision: use HEAD of a snapshot of this checkout
    (with the working tree committed), so the test sees the code under test."""
    snap = tmp_path / "mmmigrate"
    shutil.copytree(ROOT, snap, ignore=shutil.ignore_patterns(".cache", "*.egg-info", "__pycache__",
                                                             ".pytest_cache", "work_dirs"))
    for cmd in (["add", "-A"], ["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "snap",
                                "--allow-empty", "--no-verify"]):
        assert _git(snap, *cmd).returncode == 0
    return snap, _git(snap, "rev-parse", "HEAD").stdout.strip()


def test_hooks_refuse_then_fix(tmp_path, hook_rev):
    snap, rev = hook_rev
    proj = tmp_path / "proj"
    (proj / "configs").mkdir(parents=True)
    (proj / "configs" / "old.py").write_text(OLD)
    (proj / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {snap}\n    rev: {rev}\n    hooks:\n"
        f"      - id: migrate\n      - id: migrate-check\n")
    assert _git(proj, "init", "-q").returncode == 0
    env = dict(os.environ, PRE_COMMIT_HOME=str(ROOT / ".cache" / "pre-commit"),
               # the hook environment installs mmmigrate with its torch dependency: take the CPU
               # wheel (never a multi-GB CUDA build)
               PIP_CONSTRAINT=str(tmp_path / "constraints.txt"),
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t")
    (tmp_path / "constraints.txt").write_text("torch==2.13.0\n")
    pre_commit = [sys.executable, "-m", "pre_commit"]
    assert subprocess.run(pre_commit + ["install"], cwd=proj, env=env).returncode == 0
    _git(proj, "add", "-A")
    first = subprocess.run(["git", "commit", "-m", "old config"], cwd=proj, env=env,
                           capture_output=True, text=True)
    assert first.returncode != 0, first.stdout + first.stderr       # refused
    assert _git(proj, "log").returncode != 0                          # no commit exists yet
    fixed = (proj / "configs" / "old.py").read_text()
    assert "param_scheduler" in fixed and "lr_config" not in fixed    # fixed in place
    _git(proj, "add", "-A")
    second = subprocess.run(["git", "commit", "-m", "migrated"], cwd=proj, env=env,
                            capture_output=True, text=True)
    assert second.returncode == 0, second.stdout + second.stderr
    # migrate-check alone refuses an old-style config
    (proj / "configs" / "again.py").write_text(OLD)
    _git(proj, "add", "-A")
    check = subprocess.run(pre_commit + ["run", "migrate-check", "--files", "configs/again.py"],
                           cwd=proj, env=env, capture_output=True, text=True)
    assert check.returncode == 1 and "configs/again.py:1: MM201 optimizer -> optim_wrapper" in check.stdout
