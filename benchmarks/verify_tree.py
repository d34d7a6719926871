"""Verify every config of the real mmdet 2.28.2 tree (schedule-only path) and print a table:
verified / differs (by first-difference kind) / could not run (by reason).

Old side: migrator's model of MMCV 1.7.2 on the original file; new side: the structure-preserving
conversion (`migrate configs/ -o OUT`, cached by tests/realdata.converted_tree) run by
`mmrun dry-run --batch` in subprocesses (one per chunk, `-j` chunks in parallel). Base files and
partial configs (no optimizer or no runner/total_epochs) are not trainable and not counted.
Usage: python benchmarks/verify_tree.py [-j 2] [--list KIND] [--dataset-len N,...]
"""
import argparse
import collections
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from _common import real_configs


def _reason(text: str) -> str:
    """A short bucket for an error message."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "…", text)
    return text[:90]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=60)
    ap.add_argument("--list", default=None, help="print the configs of one row (e.g. lr, ERROR)")
    ap.add_argument("--dataset-len", default=None)
    args = ap.parse_args()
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent / "tests"))
    from realdata import converted_tree

    from migrator.load import load_config
    from migrator.verify.run import load_pair, trainable, verify_configs

    t0 = time.perf_counter()
    src = real_configs("mmdet", "2.28.2")
    out = converted_tree("mmdet", "2.28.2")
    t_conv = time.perf_counter() - t0
    pairs, skipped, unreadable = [], 0, []
    for old in sorted(src.rglob("*.py")):
        rel = old.relative_to(src)
        if rel.parts[0] == "_base_":
            continue
        try:
            cfg = load_config(old).cfg
        except Exception as exc:
            unreadable.append((str(rel), f"old: cannot load: {exc}"))
            continue
        if not trainable(cfg):
            skipped += 1
            continue
        new = out / rel
        if not new.is_file():
            unreadable.append((str(rel), "no converted file"))
            continue
        pairs.append(load_pair(str(rel), old, new, old_cfg=cfg))
    lengths = [int(x) for x in args.dataset_len.split(",")] if args.dataset_len else None
    chunks = [pairs[i:i + args.chunk] for i in range(0, len(pairs), args.chunk)]
    t1 = time.perf_counter()
    with ThreadPoolExecutor(args.jobs) as pool:
        results = [r for rs in pool.map(lambda c: verify_configs(c, lengths), chunks) for r in rs]
    t_verify = time.perf_counter() - t1

    rows = collections.Counter()
    members = collections.defaultdict(list)
    for r in results:
        if r.status == "VERIFIED":
            key = ("verified", "")
        elif r.status == "DIFFERS":
            c = r.first
            detail = c.verdict.kind
            key = ("differs", detail)
        else:
            msg = r.error or r.first.error
            key = ("could not run", _reason(msg))
        rows[key] += 1
        members[key].append(r)
    for rel, msg in unreadable:
        rows[("could not run", _reason(msg))] += 1
    print(f"mmdet 2.28.2: {len(results) + len(unreadable)} trainable configs "
          f"({skipped} non-trainable skipped); conversion {t_conv:.1f} s (cached), "
          f"verification {t_verify:.1f} s")
    print(f"{'result':<15}{'kind / reason':<92}{'configs':>8}")
    for (status, detail), n in sorted(rows.items(), key=lambda kv: (kv[0][0], -kv[1])):
        print(f"{status:<15}{detail:<92}{n:>8}")
    if args.list:
        for (status, detail), rs in members.items():
            if args.list in (status, detail):
                for r in rs:
                    print(f"  {r.line()}")


if __name__ == "__main__":
    main()
