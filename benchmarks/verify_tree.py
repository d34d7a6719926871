"""Verify the real mmdet 2.28.2 tree exactly as `migrate configs/ -o new/ --verify` does, and
print a table: verified / approximate (by approximation codes: within the bound the converter
recorded) / differs (by first-difference kind) / could not run (by reason) / not trainable alone
/ already MMEngine-style, and the largest relative deviation measured against its bound.

Conversion: the structure-preserving tree (`migrate configs/ -o OUT`, cached by
tests/realdata.converted_tree). Verification: `migrator.verify.run.verify_tree` over every
(source, output) pair of the tree, `_base_` files included, which is what the CLI calls after
writing: a file is verified when its old config (after `_base_` merging) has a model, a training
set, an optimizer and a run length, whatever its conversion status (children holding only
`_base_` are unchanged by migrate and verified); others are reported "not trainable alone".
Old side: migrator's model of MMCV 1.7.2; new side: `mmrun dry-run --batch` in `-j`
subprocesses (the CLI uses its `-j` the same way).
Usage: python benchmarks/verify_tree.py [-j 2] [--list KIND] [--dataset-len N,...]
       [--package mmpose --version 0.29.0] [--every K]   (another real tree; every K-th file)
"""
import argparse
import collections
import re
import sys
import time

from _common import real_configs


def _reason(text: str) -> str:
    """A short bucket for an error message."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "…", text)
    return text[:90]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--list", default=None, help="print the configs of one row (e.g. lr, ERROR)")
    ap.add_argument("--dataset-len", default=None)
    ap.add_argument("--package", default="mmdet")
    ap.add_argument("--version", default="2.28.2")
    ap.add_argument("--every", type=int, default=1, help="a sample: every K-th file (sorted)")
    args = ap.parse_args()
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent / "tests"))
    from realdata import converted_tree

    from migrator.verify.run import verify_tree

    t0 = time.perf_counter()
    src = real_configs(args.package, args.version)
    out = converted_tree(args.package, args.version, ok=(0, 2), allow_errors=True)
    t_conv = time.perf_counter() - t0
    files, missing = [], []
    for old in sorted(src.rglob("*.py"))[::args.every]:
        new = out / old.relative_to(src)
        (files if new.is_file() else missing).append((old, new))
    lengths = [int(x) for x in args.dataset_len.split(",")] if args.dataset_len else None
    t1 = time.perf_counter()
    tv = verify_tree(files, lengths, jobs=args.jobs)
    t_verify = time.perf_counter() - t1
    results = tv.results
    rows = collections.Counter()
    members = collections.defaultdict(list)
    for r in results:
        if r.status == "VERIFIED":
            key = ("verified", "")
        elif r.status == "APPROXIMATE":
            key = ("approximate", "+".join(r.first.approx["codes"]))
        elif r.status == "DIFFERS":
            c = r.first
            detail = "+".join(c.verdict.kinds or (c.verdict.kind,))   # every kind that differs
            why = r.cause(c)
            key = ("differs", detail + (f": {why[:70]}" if why else ""))
        else:
            msg = r.error or r.first.error
            key = ("could not run", _reason(msg))
        rows[key] += 1
        members[key].append(r)
    for old, _ in missing:
        rows[("could not run", "no converted file")] += 1
    for path, why in tv.skipped:
        key = ("not trainable alone" if "not trainable" in why else why, "")
        rows[key] += 1
        members[key].append(path)
    sample = "" if args.every == 1 else f" (every {args.every}th file)"
    print(f"{args.package} {args.version}: {len(files) + len(missing)} files{sample}; conversion {t_conv:.1f} s (cached), "
          f"verification {t_verify:.1f} s (-j {args.jobs})")
    print("  " + tv.summary())
    print(f"{'result':<24}{'kind / reason':<84}{'files':>8}")
    for (status, detail), n in sorted(rows.items(), key=lambda kv: (kv[0][0], -kv[1])):
        print(f"{status:<24}{detail:<84}{n:>8}")
    real = [(c.approx, r) for r in results for c in r.checks
            if c.realistic and c.status == "APPROXIMATE"]
    if real:
        a, r = max(real, key=lambda ar: ar[0]["max_dev"])
        print(f"APPROXIMATE at the realistic length: {len(real)} configs; largest relative "
              f"deviation {a['max_dev']:.3g} (bound there {a['bound_at']:.3g}), {r.name}")
    if args.list:
        for (status, detail), rs in members.items():
            if args.list in (status, detail):
                for r in rs:
                    print(f"  {r if isinstance(r, str) else r.line()}")


if __name__ == "__main__":
    main()
