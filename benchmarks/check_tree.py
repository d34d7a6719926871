"""`migrate --check` and full tree conversion over the mmdet 2.28.2 tree, plus tree size numbers.

    python benchmarks/check_tree.py

Prints the time of `migrate --check` over the old tree and over the migrated tree (target: under
1 s, pre-commit speed), of a full structure-preserving conversion (1 job and --jobs 2), and the
total lines of the old tree, the new tree and the flat conversion of every file.
"""
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, real_configs


def run(args):
    t = time.perf_counter()
    rc = subprocess.run([sys.executable, "-m", "migrator.cli", *args], cwd=ROOT,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    return time.perf_counter() - t, rc


def lines(d: Path) -> int:
    return sum(len(p.read_text().splitlines()) for p in d.rglob("*.py"))


def main():
    src = real_configs("mmdet", "2.28.2")
    n = len(list(src.rglob("*.py")))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t_py, _ = run(["--help"])
        t1, rc1 = run([str(src), "-o", str(tmp / "new1"), "-j", "1", "-q"])
        t2, rc2 = run([str(src), "-o", str(tmp / "new2"), "-j", "2", "-q"])
        tf, rcf = run([str(src), "-o", str(tmp / "flat"), "--flat", "-j", "2", "-q"])
        tc_old, rc_old = run([str(src), "--check", "-q", "-j", "1"])
        tc_new, rc_new = run([str(tmp / "new1"), "--check", "-q", "-j", "1"])
        print(f"mmdet 2.28.2: {n} files")
        print(f"  process start-up (migrate --help)    : {t_py:6.2f} s")
        print(f"  migrate --check, old tree (exit {rc_old})   : {tc_old:6.2f} s   (target < 1 s)")
        print(f"  migrate --check, new tree (exit {rc_new})   : {tc_new:6.2f} s   (target < 1 s)")
        print(f"  tree conversion, 1 job (exit {rc1})      : {t1:6.2f} s  ({n / t1:6.1f} files/s)")
        print(f"  tree conversion, 2 jobs (exit {rc2})     : {t2:6.2f} s  ({n / t2:6.1f} files/s)")
        print(f"  flat conversion, 2 jobs (exit {rcf})     : {tf:6.2f} s")
        print(f"  lines: old tree {lines(src):>7}   new tree {lines(tmp / 'new1'):>7}   "
              f"flat {lines(tmp / 'flat'):>7}")


if __name__ == "__main__":
    main()
