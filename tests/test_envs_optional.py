"""The optional packages of the verification venvs (`migrator/envs/optional.py`): one table for
both venvs, a venv directory per spec digest (a changed spec builds beside the old venv instead
of replacing it under other checkouts), and, in the real venvs, each package importable with the
name mmdet 2.28.2 / 3.3.0 take from it."""
from __future__ import annotations

import json
import subprocess

import pytest

from migrator.envs import optional
from migrator.envs.base import EnvSpec, Step, versioned_name


def test_the_name_follows_the_steps():
    a = [Step(["x==1"])]
    b = [Step(["x==1"]), Step(["--no-deps", "y==2"])]
    assert versioned_name("env", a) == versioned_name("env", [Step(["x==1"])])
    assert versioned_name("env", a) != versioned_name("env", b)
    assert versioned_name("env", b) == f"env-{EnvSpec('env', b).digest()[:10]}"


def test_optional_steps_keep_the_system_numpy():
    """panopticapi-lite pins numpy<2 and albumentations asks for opencv-python-headless: the
    table installs those without their declared requirements."""
    first, second = optional.steps()
    assert first.args[0] == "--no-deps"
    assert {"panopticapi-lite==0.2.0", "albumentations==1.3.1", "lvis==0.5.3",
            "instaboostfast==0.1.2"} <= set(first.args)
    assert "--no-deps" not in second.args


PROBE = ("import importlib, json, sys\n"
         "out = {m: hasattr(importlib.import_module(m), a) for m, a in json.loads(sys.argv[1]).items()}\n"
         "import numpy; out['numpy'] = numpy.__version__\n"
         "print(json.dumps(out))\n")


@pytest.mark.integration
@pytest.mark.parametrize("side", ["old", "new"])
def test_each_optional_package_imports_in_the_venv(side):
    from migrator.envs.old import old_python_env
    if side == "old":
        from migrator.envs.old_codebases import old_codebases_python as py
        env = old_python_env()
    else:
        from migrator.envs.new import new_python as py
        env = None
    proc = subprocess.run([str(py()), "-c", PROBE, json.dumps(optional.IMPORTS)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out.pop("numpy").startswith("2."), "the system numpy 2.x, not a pinned one"
    assert out == {m: True for m in optional.IMPORTS}
