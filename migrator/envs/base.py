"""Build and cache a virtual environment from a list of pip steps.

The cache root is `$MMMIGRATE_CACHE` (the test suite points it at the repository's git-ignored
`.cache/`), else `~/.cache/mmmigrate`. A venv is reused when its marker file holds the same spec
digest; a half-built venv (no marker) is removed and rebuilt. Venvs see the system site-packages
(`--system-site-packages`) so the CPU torch already installed is shared instead of copied;
packages a step installs into the venv shadow the system ones.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence


def cache_root() -> Path:
    root = os.environ.get("MMMIGRATE_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "mmmigrate"


class EnvBuildError(RuntimeError):
    """A pip step failed; the message names the step and ends with the log's tail."""


@dataclass
class Step:
    """One `pip install` call: its arguments and extra environment variables."""
    args: Sequence[str]
    env: Dict[str, str] = field(default_factory=dict)


@dataclass
class EnvSpec:
    name: str                       # directory name under <cache>/envs/
    steps: List[Step]
    system_site_packages: bool = True

    def digest(self) -> str:
        data = json.dumps([self.name, self.system_site_packages,
                           [[list(s.args), sorted(s.env.items())] for s in self.steps]])
        return hashlib.sha256(data.encode()).hexdigest()[:16]


def versioned_name(prefix: str, steps: Sequence[Step]) -> str:
    """`prefix-<digest of the steps>`: a changed spec gets a new directory, so checkouts that
    share one cache with an older spec keep their venv instead of having it rebuilt under them."""
    return f"{prefix}-{EnvSpec(prefix, list(steps)).digest()[:10]}"


def venv_python(path: Path) -> Path:
    return path / "bin" / "python"


def ensure_venv(spec: EnvSpec, root: Optional[Path] = None, log=None) -> Path:
    """Return the interpreter of `spec`'s venv, building it first if needed."""
    root = Path(root or cache_root()) / "envs"
    root.mkdir(parents=True, exist_ok=True)
    target = root / spec.name
    marker = target / ".mmmigrate-env"
    with open(root / f".lock-{spec.name}", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and marker.read_text().strip() == spec.digest():
            return venv_python(target)
        if target.exists():
            shutil.rmtree(target)
        cmd = [sys.executable, "-m", "venv", str(target)]
        if spec.system_site_packages:
            cmd.insert(3, "--system-site-packages")
        subprocess.run(cmd, check=True)
        py = venv_python(target)
        logfile = root / f"{spec.name}.log"
        with open(logfile, "w") as out:
            for i, step in enumerate(spec.steps):
                env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", **step.env)
                argv = [str(py), "-m", "pip", "install", *step.args]
                out.write(f"$ {' '.join(argv)}\n")
                out.flush()
                if log:
                    log(f"[{spec.name}] step {i + 1}/{len(spec.steps)}: pip install {' '.join(step.args)}")
                proc = subprocess.run(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
                if proc.returncode:
                    tail = logfile.read_text().splitlines()[-30:]
                    raise EnvBuildError(f"building env {spec.name!r}: step {i + 1} failed "
                                        f"(pip install {' '.join(step.args)}); log {logfile}:\n"
                                        + "\n".join(tail))
        marker.write_text(spec.digest() + "\n")
        return py
