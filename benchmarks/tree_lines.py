"""Lines of the converted tree against the old one, for every real corpus we use.

    python benchmarks/tree_lines.py [--corpus mmpose] [--keep DIR]

Converts each tree with `migrate configs/ -o new/` (in process, one job) and prints, per corpus:
files, old lines, new lines, their ratio (target <= 1.3x), errors, and the files that grew most.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, real_configs  # noqa: F401 (sys.path set up)

CORPORA = [("mmdet", "2.28.2"), ("mmcls", "0.25.0"), ("mmsegmentation", "0.30.0"),
           ("mmpose", "0.29.0")]


def count_lines(d: Path):
    return {p.relative_to(d): len(p.read_text(encoding="utf-8", errors="replace").splitlines())
            for p in d.rglob("*.py")}


def measure(package: str, version: str, out: Path):
    from migrator.cli import main as migrate
    src = real_configs(package, version)
    t = time.perf_counter()
    rc = migrate([str(src), "-o", str(out), "-q", "-j", "1", "--report", str(out / "report.json")])
    elapsed = time.perf_counter() - t
    old, new = count_lines(src), count_lines(out)
    return rc, elapsed, old, new


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", action="append", help="package name (default: all)")
    ap.add_argument("--keep", help="write the converted trees under this directory")
    ap.add_argument("--top", type=int, default=3)
    args = ap.parse_args()
    corpora = [c for c in CORPORA if not args.corpus or c[0] in args.corpus]
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.keep or tmp)
        for pkg, ver in corpora:
            out = base / f"{pkg}-{ver}"
            rc, elapsed, old, new = measure(pkg, ver, out)
            o, n = sum(old.values()), sum(new.get(k, 0) for k in old)
            ratio = n / o
            worst = max(worst, ratio)
            print(f"{pkg} {ver}: {len(old)} files, old {o} lines, new {n} lines, "
                  f"ratio {ratio:.3f}x (target <= 1.3x), exit {rc}, {elapsed:.1f} s")
            grew = sorted(old, key=lambda k: new.get(k, 0) - old[k], reverse=True)[:args.top]
            for k in grew:
                print(f"    {k}: {old[k]} -> {new.get(k, 0)}")
    print(f"worst ratio {worst:.3f}x")
    return 0 if worst <= 1.3 else 1


if __name__ == "__main__":
    sys.exit(main())
