"""`migrate --check` and full tree conversion over a real tree (mmdet 2.28.2 by default), plus
tree size numbers.

    python benchmarks/check_tree.py [--package mmcls --version 0.25.0] [--check-only]

Prints the time of `migrate --check` over the old tree, over the migrated tree (target: under
1 s, pre-commit speed) and on one child alone (what pre-commit passes: its bases are read too),
of a full structure-preserving conversion (1 job and --jobs 2), the total lines of the old tree,
the new tree and the flat conversion of every file, and whether `--check` and `--diff` agree on
the whole tree (the files --check flags == the files --diff prints a diff for or names as
changing only through their bases).
"""
import argparse
import re
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


def capture(args):
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "migrator.cli", *args], cwd=ROOT,
                       capture_output=True, text=True)
    return time.perf_counter() - t, p


def agreement(src: Path):
    """(files --check flags, files --diff covers, files flagged MM001) over the whole tree."""
    _, chk = capture([str(src), "--check", "-j", "1"])
    flagged = {m.group(1) for m in re.finditer(r"^(.+?):\d+: M[MC]\d{3} ", chk.stdout, re.M)}
    own = {m.group(1) for m in re.finditer(r"^(.+?):\d+: M[MC](?!001)\d{3} ", chk.stdout, re.M)}
    mm001 = flagged - own           # flagged only through their bases
    t, dif = capture([str(src), "--diff", "-j", "2"])
    covered = set(re.findall(r"^\+\+\+ b/(.+)$", dif.stdout, re.M)) | set(re.findall(
        r"^migrate: --diff: (.+?): no change of its own", dif.stderr, re.M))
    covered = {str(src / r) for r in covered}
    return flagged, covered, mm001, t


def lines(d: Path) -> int:
    return sum(len(p.read_text().splitlines()) for p in d.rglob("*.py"))


CHILD = {"mmdet": "faster_rcnn/faster_rcnn_r50_fpn_1x_coco.py",
         "mmcls": "resnet/resnet50_8xb32_in1k.py",
         "mmsegmentation": "pspnet/pspnet_r50-d8_512x1024_40k_cityscapes.py",
         "mmpose": "body/2d_kpt_sview_rgb_img/topdown_heatmap/coco/res50_coco_256x192.py"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--package", default="mmdet")
    ap.add_argument("--version", default="2.28.2")
    ap.add_argument("--check-only", action="store_true",
                    help="only the --check times (old tree, new tree, one child)")
    args = ap.parse_args()
    src = real_configs(args.package, args.version)
    n = len(list(src.rglob("*.py")))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t_py, _ = run(["--help"])
        t1, rc1 = run([str(src), "-o", str(tmp / "new1"), "-j", "1", "-q"])
        tc_old, rc_old = run([str(src), "--check", "-q", "-j", "1"])
        tc_new, rc_new = run([str(tmp / "new1"), "--check", "-q", "-j", "1"])
        child = src / CHILD.get(args.package, "")
        tc_child, rc_child = run([str(child), "--check", "-q", "-j", "1"]) if child.is_file() \
            else (float("nan"), None)
        print(f"{args.package} {args.version}: {n} files")
        print(f"  process start-up (migrate --help)    : {t_py:6.2f} s")
        print(f"  migrate --check, old tree (exit {rc_old})   : {tc_old:6.2f} s   (target < 1 s)")
        print(f"  migrate --check, new tree (exit {rc_new})   : {tc_new:6.2f} s   (target < 1 s)")
        print(f"  migrate --check, one child (exit {rc_child})  : {tc_child:6.2f} s   "
              f"({child.name}, bases read)")
        if args.check_only:
            print(f"  tree conversion, 1 job (exit {rc1})      : {t1:6.2f} s")
            return
        t2, rc2 = run([str(src), "-o", str(tmp / "new2"), "-j", "2", "-q"])
        tf, rcf = run([str(src), "-o", str(tmp / "flat"), "--flat", "-j", "2", "-q"])
        flagged, covered, mm001, t_diff = agreement(src)
        print(f"  --check flags {len(flagged)} files ({len(mm001)} only through their bases, "
              f"MM001); --diff ({t_diff:.1f} s) covers {len(covered)}; equal: {flagged == covered}"
              + ("" if flagged == covered else
                 f" (check only: {sorted(flagged - covered)[:5]}, diff only: "
                 f"{sorted(covered - flagged)[:5]})"))
        print(f"  tree conversion, 1 job (exit {rc1})      : {t1:6.2f} s  ({n / t1:6.1f} files/s)")
        print(f"  tree conversion, 2 jobs (exit {rc2})     : {t2:6.2f} s  ({n / t2:6.1f} files/s)")
        print(f"  flat conversion, 2 jobs (exit {rcf})     : {tf:6.2f} s")
        print(f"  lines: old tree {lines(src):>7}   new tree {lines(tmp / 'new1'):>7}   "
              f"flat {lines(tmp / 'flat'):>7}")


if __name__ == "__main__":
    main()
