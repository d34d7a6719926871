"""Real OpenMMLab config trees for integration tests, fetched from PyPI once.

`real_configs('mmdet', '2.28.2')` downloads the wheel with pip into `<repo>/.cache/wheels`,
unpacks it into `<repo>/.cache/mmdet-2.28.2/` and returns its `.mim/configs` directory. Nothing
from the wheel is ever committed (`.cache/` is git-ignored); the wheel is not installed.
"""
from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"


def real_configs(package: str, version: str) -> Path:
    """The `.mim/configs` dir of `package==version`'s wheel (downloaded and unpacked once)."""
    target = CACHE / f"{package}-{version}"
    done = target / ".unpacked"
    if not done.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        with open(CACHE / f".lock-{package}-{version}", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)    # pytest-xdist workers may race for the download
            if not done.exists():
                wheel = _download(package, version)
                if target.exists():             # an interrupted earlier unpack
                    shutil.rmtree(target)
                with zipfile.ZipFile(wheel) as zf:
                    zf.extractall(target)
                done.write_text(wheel.name + "\n")
    found = sorted(target.glob("*/.mim/configs"))
    if not found:
        raise FileNotFoundError(f"{package}=={version}: the wheel has no .mim/configs directory")
    return found[0]


def _download(package: str, version: str) -> Path:
    wheels = CACHE / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    prefix = package.replace("-", "_").lower() + f"-{version}-"
    existing = [p for p in wheels.glob("*.whl") if p.name.lower().startswith(prefix)]
    if existing:
        return existing[0]
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                    "--disable-pip-version-check", "-q", f"{package}=={version}",
                    "-d", str(wheels)], check=True)
    existing = [p for p in wheels.glob("*.whl") if p.name.lower().startswith(prefix)]
    if not existing:
        raise FileNotFoundError(f"pip did not produce a wheel for {package}=={version}")
    return existing[0]


def converted_tree(package: str, version: str, ok=(0,), allow_errors: bool = False) -> Path:
    """`migrate <configs> -o <cache>` of a real tree, done once (shared by xdist workers).

    `allow_errors`: exit code 2 (some files could not be converted, each one in
    `report.json` with status "error"; the rest is written) is accepted too, for trees that
    ship configs whose `_base_` files are missing from the wheel (mmcls 0.25.0).

    The output directory is named after a hash of the compiler's source, so checkouts with
    different compilers sharing one cache never rebuild (or delete) each other's tree; older
    conversions of the same tree are removed once a new one is complete. `ok`: the exit codes
    accepted (2 for a real tree holding files that cannot be converted at all)."""
    src = real_configs(package, version)
    stamp = _migrator_stamp()
    out = CACHE / f"{package}-{version}-migrated-{stamp[:12]}"
    done = out / ".done"
    if not done.exists():
        with open(CACHE / f".lock-migrated-{package}-{version}-{stamp[:12]}", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not done.exists():
                if out.exists():
                    shutil.rmtree(out)
                from migrator.cli import main as migrate
                rc = migrate([str(src), "-o", str(out), "-q", "--report", str(out / "report.json")])
                if rc not in ok and not (allow_errors and rc == 2):
                    raise RuntimeError(f"migrate exited with {rc} on {src}")
                done.write_text(stamp)
                _prune_old_conversions(package, version, keep=out)
    return out


def _prune_old_conversions(package: str, version: str, keep: Path, max_age_s: float = 6 * 3600):
    """Remove conversions of this tree by other compiler versions not used for `max_age_s`."""
    import time
    for old in CACHE.glob(f"{package}-{version}-migrated*"):
        if old != keep and old.is_dir() and time.time() - old.stat().st_mtime > max_age_s:
            shutil.rmtree(old, ignore_errors=True)


def _migrator_stamp() -> str:
    """A hash of the compiler's source: the cached conversion is redone whenever it changes."""
    import hashlib
    h = hashlib.sha256()
    for f in sorted((ROOT / "migrator").rglob("*.py")):
        h.update(f.read_bytes())
    return h.hexdigest() + "\n"
