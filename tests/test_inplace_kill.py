"""`migrate --in-place` over a copy of the real mmdet 2.28.2 tree, SIGKILLed (the whole process
group) at seeded random moments of every phase: converting, staging outputs in the journal,
renaming them into place, and recovering at the start of the next run. After each kill the tree
holds only its own files (no temp file), and every file is either as it was or as the
uninterrupted run (`-o`) writes it; a mixed tree only ever exists while a committed journal is there to
finish it. The last, uninterrupted rerun ends in the uninterrupted run's tree, byte for byte."""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from realdata import real_configs

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parent.parent
SEED = 20261202


def _snapshot(root: Path):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _journals(tmp: Path):
    home = tmp / "mmmigrate-journals"
    return sorted(home.iterdir()) if home.is_dir() else []


def _run(work: Path, env, until=None, timeout=300):
    """Start `migrate --in-place`; kill its process group once `until(seconds)` holds.
    Returns (killed, returncode, seconds)."""
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "migrator.cli", str(work), "--in-place", "-q",
                             "-j", "2"], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while until is not None and proc.poll() is None and not until(time.monotonic() - t0):
        time.sleep(0.0005)
    if until is not None and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return True, None, time.monotonic() - t0
    _, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err.decode()[-2000:]
    return False, 0, time.monotonic() - t0


def _reference(src: Path, dest: Path, env) -> Path:
    """The uninterrupted run: `migrate SRC -o DEST` (same compiler, private to this test)."""
    subprocess.run([sys.executable, "-m", "migrator.cli", str(src), "-o", str(dest), "-q",
                    "-j", "2"], env=env, check=True)
    return dest


def test_in_place_survives_kills(tmp_path):
    src = real_configs("mmdet", "2.28.2")
    work = tmp_path / "configs"
    shutil.copytree(src, work)
    original = _snapshot(work)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(tmp))
    # the reference converts a copy at a path like the work tree's: the codebase decision may
    # read path components (the wheel's path names mmdet, the work copy's does not)
    ref_src = tmp_path / "ref_in" / "configs"
    shutil.copytree(src, ref_src)
    ref = _reference(ref_src, tmp_path / "ref", env)
    final = {rel: ((ref / rel).read_bytes() if rel.endswith(".py") else data)
             for rel, data in original.items()}
    rng = random.Random(SEED)

    def files(j):
        try:
            return len(os.listdir(j / "files"))
        except OSError:
            return 0

    def staged_at_least(n):
        """This run's journal holds n staged outputs (journals of killed runs do not count)."""
        def until(_t):
            return any(files(j) >= n for j in _journals(tmp) if j.name not in old_journals)
        return until

    def renaming(_t):
        """A committed journal has fewer staged files than it had when committed (or when this
        run started): renames onto the tree are under way, in this run's commit or recovery."""
        for j in _journals(tmp):
            if j.name not in counts and (j / "manifest.json").exists():
                counts[j.name] = len(json.loads((j / "manifest.json").read_text())["entries"])
            if j.name in counts and files(j) < counts[j.name]:
                return True
        return False

    def after(lo, hi):
        s = rng.uniform(lo, hi)
        return lambda t: t >= s

    plan = [("convert", after(0.3, 5.0)) for _ in range(4)]
    plan += [("stage", staged_at_least(rng.randint(1, 200)))]
    plan += [("rename", renaming), ("recover", renaming), ("convert", after(0.3, 5.0))]
    log = []
    for phase, until in plan:
        old_journals = {j.name for j in _journals(tmp)}
        counts = {j.name: files(j) for j in _journals(tmp) if (j / "manifest.json").exists()}
        killed, _, secs = _run(work, env, until)
        if phase == "rename" and not killed:      # the renames took less than one poll:
            shutil.rmtree(work)                   # start over from the old tree, once
            shutil.copytree(src, work)
            counts.clear()
            killed, _, secs = _run(work, env, until)
        now = _snapshot(work)
        assert set(now) == set(original), f"after a kill ({phase}): files added or removed: " \
            f"{sorted(set(now) ^ set(original))[:5]}"
        bad = [r for r, d in now.items() if d not in (original[r], final[r])]
        assert not bad, f"after a kill ({phase}): neither old nor new: {bad[:5]}"
        mixed = any(d != original[r] for r, d in now.items()) and \
            any(d != final[r] for r, d in now.items())
        committed = any((j / "manifest.json").exists() for j in _journals(tmp))
        assert not mixed or committed, f"after a kill ({phase}): a mixed tree with no journal"
        log.append((phase, killed, round(secs, 2), "mixed" if mixed else
                    "new" if now == final else "old"))
    killed, rc, secs = _run(work, env)
    log.append(("final", killed, round(secs, 2), "-"))
    print("\nkill log (phase, killed, seconds, tree state after):", *log, sep="\n  ")
    assert sum(k for _, k, _, _ in log) >= 8, log
    assert _snapshot(work) == final
    assert _journals(tmp) == [], "a journal was left behind"
