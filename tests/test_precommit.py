"""The pre-commit hooks of this repository, installed by real `pre-commit` into a temporary git
repository holding an old-style config: the commit is refused, the `migrate` hook fixes the file
in place, and the next commit goes through. The hook environment installs mmmigrate with its core
dependencies only (no torch): its install time and size are measured on a fresh
PRE_COMMIT_HOME. Both hooks run serially (one process, one summary) however many files."""
import os
import re
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
    # without .git: in a git worktree `.git` is a file pointing at the shared repository, and
    # committing in the copy would commit onto this checkout's branch
    shutil.copytree(ROOT, snap, ignore=shutil.ignore_patterns(".git", ".cache", "*.egg-info",
                                                             "__pycache__", ".pytest_cache",
                                                             "work_dirs"))
    for cmd in (["init", "-q"], ["add", "-A"], ["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "snap",
                                "--allow-empty", "--no-verify"]):
        assert _git(snap, *cmd).returncode == 0
    return snap, _git(snap, "rev-parse", "HEAD").stdout.strip()


def _env(home):
    return dict(os.environ, PRE_COMMIT_HOME=str(home), GIT_AUTHOR_NAME="t",
                GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")


def _project(tmp_path, snap, rev, hooks=("migrate", "migrate-check"), n_files=1):
    proj = tmp_path / "proj"
    (proj / "configs").mkdir(parents=True)
    for i in range(n_files):
        (proj / "configs" / f"old{i or ''}.py").write_text(OLD)
    (proj / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {snap}\n    rev: {rev}\n    hooks:\n" +
        "".join(f"      - id: {h}\n" for h in hooks))
    assert _git(proj, "init", "-q").returncode == 0
    _git(proj, "add", "-A")
    return proj


def _du(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def test_hook_env_installs_without_torch(tmp_path, hook_rev):
    """A fresh PRE_COMMIT_HOME: `pre-commit install-hooks` builds the hook env from PyPI.
    Measured on the 2-core machine (see the report): tens of MB and well under a minute, where
    the torch dependency cost 5.4 GB and 2.5 minutes."""
    import time
    snap, rev = hook_rev
    proj = _project(tmp_path, snap, rev)
    home = tmp_path / "pc-home"
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "install-hooks"], cwd=proj,
                          env=_env(home), capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stdout + proc.stderr
    envs = [p for p in home.glob("repo*/py_env-*") if p.is_dir()]
    assert len(envs) == 1, list(home.iterdir())
    site = list(envs[0].glob("lib/python*/site-packages"))[0]
    installed = {p.name.split("-")[0].lower() for p in site.glob("*.dist-info")}
    assert {"mmmigrate", "libcst", "pyyaml", "jinja2"} <= installed, installed
    assert not {"torch", "numpy", "mmengine"} & installed, installed
    size = _du(envs[0])
    print(f"\nhook env: {size / 1e6:.1f} MB, install-hooks {seconds:.1f} s, packages "
          f"{sorted(installed)}")
    assert size < 150e6 and seconds < 600


def test_hooks_run_serially_with_one_summary(tmp_path, hook_rev):
    """8 files would be two batches run in parallel on 2 CPUs (pre-commit splits above 4
    files); `require_serial` keeps one `migrate` process and one summary."""
    snap, rev = hook_rev
    proj = _project(tmp_path, snap, rev, hooks=("migrate",), n_files=8)
    env = dict(_env(ROOT / ".cache" / "pre-commit"), PRE_COMMIT_COLOR="never")
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "run", "migrate", "--all-files",
                           "--verbose"], cwd=proj, env=env, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr      # files were modified
    out = proc.stdout + proc.stderr
    assert out.count("migrate summary") == 1, out
    assert re.search(r"files\s+8\b", out) and re.search(r"converted\s+8\b", out), out
    for i in range(8):
        assert "param_scheduler" in (proj / "configs" / f"old{i or ''}.py").read_text()


def test_hooks_refuse_then_fix(tmp_path, hook_rev):
    snap, rev = hook_rev
    proj = tmp_path / "proj"
    (proj / "configs").mkdir(parents=True)
    (proj / "configs" / "old.py").write_text(OLD)
    (proj / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {snap}\n    rev: {rev}\n    hooks:\n"
        f"      - id: migrate\n      - id: migrate-check\n")
    assert _git(proj, "init", "-q").returncode == 0
    env = _env(ROOT / ".cache" / "pre-commit")
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


def test_check_hook_flags_a_staged_child_of_old_style_bases(tmp_path, hook_rev):
    """pre-commit passes only the staged files: a child whose base (not staged, not changed)
    is old-style is refused, naming the base; `--diff` on the child alone shows the base's diff."""
    snap, rev = hook_rev
    proj = _project(tmp_path, snap, rev, hooks=("migrate-check",), n_files=0)
    (proj / "configs" / "_base_").mkdir()
    (proj / "configs" / "_base_" / "schedule.py").write_text(OLD)
    (proj / "configs" / "child.py").write_text("_base_ = ['./_base_/schedule.py']\n")
    env = _env(ROOT / ".cache" / "pre-commit")
    _git(proj, "add", "-A")
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "run", "migrate-check", "--files",
                           "configs/child.py"], cwd=proj, env=env, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert ("configs/child.py:1: MM001 _base_ inherits old-style fields from "
            "configs/_base_/schedule.py") in proc.stdout, proc.stdout
    assert "1 finding in 1 file to migrate" in proc.stdout
    diff = subprocess.run([sys.executable, "-m", "migrator.cli", "configs/child.py", "--diff"],
                          cwd=proj, env=dict(env, PYTHONPATH=str(ROOT)), capture_output=True,
                          text=True)
    assert diff.returncode == 1 and "+++ b/_base_/schedule.py" in diff.stdout
    assert "migrate: --diff: child.py: no change of its own; it inherits old-style fields from " \
           "_base_/schedule.py (diffed above)" in diff.stderr
