"""Convert the whole mmdet 2.28.2 config tree and compare with a bare libcst parse of it.

    python benchmarks/convert_tree.py [--package mmdet --version 2.28.2] [--no-tree]

Prints files/s, failures (with reasons) and the ratio of our conversion time to
`libcst.parse_module` over the same files (the parse floor), measured in the same run: the flat
conversion and the structure-preserving tree conversion (`migrate configs/ -o new/`, one job,
self-check included, caches cleared first), each as a ratio to the floor (target: <= 2x).
Times are the best of `--repeat` rounds, the three runs taking turns within each round, as CPU
time of this process (what the work costs: stable on a shared machine) and as wall time (what a
user waits for on an idle one).
"""
import argparse
import sys
import time
from collections import Counter

import libcst

from _common import real_configs


def timed(fn, *args, repeat=1):
    """(best CPU seconds, best wall seconds, last result) of `repeat` runs."""
    cpu, wall, out = float("inf"), float("inf"), None
    for _ in range(repeat):
        c, w = time.process_time(), time.perf_counter()
        out = fn(*args)
        cpu, wall = min(cpu, time.process_time() - c), min(wall, time.perf_counter() - w)
    return cpu, wall, out


def bare_parse(files):
    for f in files:
        libcst.parse_module(f.read_text())


def convert_flat(files):
    from migrator.convert import convert_file
    from migrator.emit.flat import emit_flat
    from migrator.errors import MigrateError
    from migrator.load import clear_cache

    clear_cache()
    failures = []
    for f in files:
        try:
            conv = convert_file(f)
            emit_flat(conv.new, conv.report)
        except MigrateError as exc:
            failures.append((str(f), str(exc)))
        except Exception as exc:  # a bug of ours: counted, named, and shown
            failures.append((str(f), f"EXCEPTION {type(exc).__name__}: {exc}"))
    return failures


def tree_run(root):
    from migrator.load import clear_cache
    from migrator.project import convert_tree
    clear_cache()
    return convert_tree([root], jobs=1)


def interleaved(runs, repeat):
    """Best (CPU, wall) of `repeat` rounds per run and each run's last result. The runs take
    turns within each round, so a busy spell of a shared machine slows all of them alike
    instead of one (the ratios are what this benchmark reports)."""
    best = {name: [float("inf"), float("inf"), None] for name in runs}
    for _ in range(repeat):
        for name, fn in runs.items():
            cpu, wall, out = timed(fn)
            b = best[name]
            b[0], b[1], b[2] = min(b[0], cpu), min(b[1], wall), out
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--package", default="mmdet")
    ap.add_argument("--version", default="2.28.2")
    ap.add_argument("--no-tree", dest="tree", action="store_false")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    root = real_configs(args.package, args.version)
    files = sorted(root.rglob("*.py"))
    runs = {"parse": lambda: bare_parse(files), "flat": lambda: convert_flat(files)}
    if args.tree:
        runs["tree"] = lambda: tree_run(root)
    best = interleaved(runs, args.repeat)
    (t_parse, w_parse, _), (t_ours, w_ours, failures) = best["parse"], best["flat"]
    print(f"{args.package} {args.version}: {len(files)} config files (CPU s / wall s, best of "
          f"{args.repeat} interleaved rounds)")
    print(f"  bare libcst.parse_module : {t_parse:7.3f} / {w_parse:7.3f} s  "
          f"({len(files) / t_parse:7.1f} files/s)")
    print(f"  migrate --flat (in-proc) : {t_ours:7.3f} / {w_ours:7.3f} s  "
          f"({len(files) / t_ours:7.1f} files/s)")
    print(f"  ratio ours / bare parse  : {t_ours / t_parse:7.2f}x CPU, {w_ours / w_parse:.2f}x wall"
          f"   (target <= 2x)")
    print(f"  converted without exception: {len(files) - len(failures)}/{len(files)}")
    reasons = Counter(msg.split(": ")[-1][:80] for _, msg in failures)
    for reason, n in reasons.most_common():
        print(f"    {n:4d}  {reason}")
    if args.tree:
        t_tree, w_tree, results = best["tree"]
        errs = [r for r in results if r.status == "error"]
        print(f"  tree conversion (1 job)  : {t_tree:7.3f} / {w_tree:7.3f} s  "
              f"({len(files) / t_tree:7.1f} files/s), {len(errs)} errors")
        print(f"  ratio tree / bare parse  : {t_tree / t_parse:7.2f}x CPU, "
              f"{w_tree / w_parse:.2f}x wall   (target <= 2x); tree / flat "
              f"{t_tree / t_ours:.2f}x CPU")
        for r in errs[:10]:
            print(f"    {r.error}")
    return 1 if failures else 0

if __name__ == "__main__":
    sys.exit(main())
