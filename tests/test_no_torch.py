"""`migrate`, `--check`, `--diff`, `--verify` and `migrate verify` in a fresh venv holding only
the core dependencies (libcst, pyyaml, jinja2 and what they pull), no system site-packages: no
torch, no numpy, no mmengine. mmmigrate itself is installed from a copy of this checkout with
`pip install --no-deps` (so its packaging, entry points and templates are what is tested). The
verdicts must be the same as in the full environment of the test suite."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from migrator.envs.base import EnvSpec, Step, ensure_venv

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """(python of the core-only venv, dir holding mmmigrate's `migrate` script and packages)."""
    py = ensure_venv(EnvSpec("core-only", [Step(["libcst", "pyyaml", "jinja2"]),
                                           # to build our wheel from the copy, offline
                                           Step(["setuptools>=61", "wheel"])],
                             system_site_packages=False))
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for pkg in ("migrator", "runtime"):
        shutil.copytree(ROOT / pkg, src / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path_factory.mktemp("site")
    proc = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                           "--disable-pip-version-check", "--target", str(target), str(src)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return py, target


def _run(bare, *args, cwd):
    py, target = bare
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PYTHONPATH"] = str(target)
    return subprocess.run([str(target / "bin" / "migrate"), *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def _full(*args, cwd):
    """The same command in the suite's environment (torch installed), on this checkout."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "migrator.cli", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_the_venv_has_no_torch(bare):
    py, target = bare
    for mod in ("torch", "numpy", "mmengine"):
        proc = subprocess.run([str(py), "-c", f"import {mod}"], capture_output=True, text=True)
        assert proc.returncode == 1 and "ModuleNotFoundError" in proc.stderr, mod
    proc = subprocess.run([str(py), "-c", "import migrator, runtime; print(migrator.__file__)"],
                          env={"PYTHONPATH": str(target)}, cwd=target, capture_output=True,
                          text=True)
    assert proc.stdout.startswith(str(target)), proc.stdout + proc.stderr


def test_migrate_check_diff_without_torch(bare, tmp_path):
    tree = ROOT / "fixtures" / "tree"
    out = _run(bare, tree, "-o", tmp_path / "new", "-q", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "new" / "toy_det" / "toy_det_1x.py").is_file()
    assert _run(bare, tmp_path / "new", "--check", cwd=tmp_path).returncode == 0
    check = _run(bare, tree, "--check", cwd=tmp_path)
    assert check.returncode == 1 and "lr_config" in check.stdout
    diff = _run(bare, tree, "--diff", "-q", cwd=tmp_path)
    assert diff.returncode == 1 and "+param_scheduler" in diff.stdout


def test_verify_without_torch_gives_the_same_verdicts(bare, tmp_path):
    tree = ROOT / "fixtures" / "tree"
    args = ("-q", "-j", "1", "--verify", "--html", "r.html", "--report-md", "r.md")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    bare_run = _run(bare, tree, "-o", "new", *args, cwd=tmp_path / "a")
    full_run = _full(tree, "-o", "new", *args, cwd=tmp_path / "b")
    assert "ImportError" not in bare_run.stdout + bare_run.stderr, bare_run.stdout
    assert bare_run.stdout == full_run.stdout and bare_run.returncode == full_run.returncode
    assert "VERIFIED new/toy_det/toy_det_1x.py" in bare_run.stdout        # a _base_-only child
    assert "0 could not run" in bare_run.stdout
    assert (tmp_path / "a" / "r.html").read_text().count("<svg") >= 3
    assert (tmp_path / "a" / "r.md").read_text() == (tmp_path / "b" / "r.md").read_text()
    pair = _run(bare, "verify", ROOT / "fixtures" / "verify" / "old_1x.py",
                ROOT / "fixtures" / "verify" / "new_1x.py", cwd=tmp_path)
    assert pair.returncode == 0 and pair.stdout.startswith("VERIFIED"), pair.stdout + pair.stderr


BLOCK = '''\
import sys
class _Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "numpy"):
            raise ImportError(name + " is not installed here")
sys.meta_path.insert(0, _Block())
'''


@pytest.mark.parametrize("opt", ["dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4)",
                                 "dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999))"])
def test_dry_run_fast_path_needs_no_torch(tmp_path, opt):
    """The schedule-only dry run of a torch optimizer uses the stand-in table whatever torch is
    installed, or none: the traces are those of the run with the real torch optimizer."""
    cfg = tmp_path / "cfg.py"
    cfg.write_text(f"optim_wrapper = dict(optimizer={opt})\n"
                   "param_scheduler = [dict(type='LinearLR', start_factor=0.001, by_epoch=False, "
                   "begin=0, end=20), dict(type='MultiStepLR', milestones=[2, 3], by_epoch=True)]\n"
                   "train_cfg = dict(by_epoch=True, max_epochs=4)\n"
                   "train_dataloader = dict(batch_size=2)\n")
    (tmp_path / "block" / "sitecustomize.py").parent.mkdir()
    (tmp_path / "block" / "sitecustomize.py").write_text(BLOCK)
    out = {}
    for name, path in (("blocked", f"{tmp_path / 'block'}{os.pathsep}{ROOT}"), ("torch", str(ROOT))):
        proc = subprocess.run([sys.executable, "-m", "runtime.cli", "dry-run", str(cfg),
                               "--dataset-len", "20", "--trace", "-"], capture_output=True,
                              text=True, env=dict(os.environ, PYTHONPATH=path))
        assert proc.returncode == 0, proc.stderr[-2000:]
        out[name] = proc.stdout
    probe = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True,
                           env=dict(os.environ, PYTHONPATH=str(tmp_path / "block")))
    assert probe.returncode == 1                              # the blocker works
    assert out["blocked"] == out["torch"]
    trace = json.loads(out["torch"])                          # 20 samples / 2 = 10 per epoch
    lr0 = 0.02 if "SGD" in opt else 1e-4
    assert trace["max_iters"] == 40 and trace["iters"][0]["lr"] == pytest.approx(lr0 * 0.001)
    assert trace["iters"][39]["lr"] == pytest.approx(lr0 * 0.01)  # after milestones 2 and 3
