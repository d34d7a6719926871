"""`migrate verify` over pairs (mmdet 2.28.2 config, its hand-migrated mmdet 3.3.0 counterpart):
how often the OpenMMLab team's own manual migration behaves like the original schedule.

mmdet 3.x renamed files (`faster_rcnn_r50_fpn_1x_coco.py` -> `faster-rcnn_r50_fpn_1x_coco.py`,
`8x2` -> `8xb2`); names are matched per directory after normalising '-'/'_' to '_' and dropping
batch tokens (`8x2`, `8xb2`, `32x2`, `b16`) and `mstrain`/`ms` spelling variants. Old side: MMCV
model of the 2.28.2 file; new side: the 3.3.0 file loaded statically and run by `mmrun dry-run`.
Usage: python benchmarks/verify_pairs.py [-j 2] [--all]   (--all lists every difference line)
"""
import argparse
import collections
import re
import time
from concurrent.futures import ThreadPoolExecutor

from _common import real_configs

BATCH = re.compile(r"(?<![a-z0-9])(\d+x(b)?\d+|b\d+)(?![a-z0-9])")


def norm(stem: str) -> str:
    s = stem.lower().replace("-", "_")
    s = BATCH.sub("", s)
    s = s.replace("mstrain", "ms")
    return re.sub(r"_+", "_", s).strip("_")


def index(root):
    out = {}
    for p in root.rglob("*.py"):
        rel = p.relative_to(root)
        if rel.parts[0] == "_base_":
            continue
        out.setdefault((rel.parent.as_posix(), norm(p.stem)), p)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=60)
    ap.add_argument("--all", action="store_true")
    args = ap.parse_args()
    from migrator.load import load_config
    from migrator.verify.run import load_pair, trainable, verify_configs

    old_root, new_root = real_configs("mmdet", "2.28.2"), real_configs("mmdet", "3.3.0")
    olds, news = index(old_root), index(new_root)
    pairs = []
    for key in sorted(set(olds) & set(news)):
        old, new = olds[key], news[key]
        try:
            cfg = load_config(old).cfg
        except Exception:
            continue
        if trainable(cfg):
            pairs.append(load_pair(f"{old.relative_to(old_root)} ~ {new.relative_to(new_root)}",
                                   old, new, old_cfg=cfg))
    t0 = time.perf_counter()
    chunks = [pairs[i:i + args.chunk] for i in range(0, len(pairs), args.chunk)]
    with ThreadPoolExecutor(args.jobs) as pool:
        results = [r for rs in pool.map(verify_configs, chunks) for r in rs]
    dt = time.perf_counter() - t0
    counts = collections.Counter()
    diffs = collections.defaultdict(list)
    for r in results:
        if r.status == "VERIFIED":
            counts["agree"] += 1
        elif r.status == "DIFFERS":
            kind = r.first.verdict.kind
            counts[f"differ: {kind}"] += 1
            diffs[kind].append(r)
        else:
            msg = (r.error or r.first.error)[:100]
            counts["could not run"] += 1
            diffs["could not run"].append(r)
    print(f"{len(results)} matched trainable pairs (of {len(olds)} 2.28.2 and {len(news)} 3.3.0 "
          f"configs), verified in {dt:.1f} s")
    for k, n in counts.most_common():
        print(f"  {k:<30}{n:>6}")
    for kind, rs in diffs.items():
        print(f"\n== {kind} ({len(rs)})")
        for r in rs if args.all else rs[:12]:
            print(f"  {r.line()}")
        if not args.all and len(rs) > 12:
            print(f"  ... {len(rs) - 12} more (--all)")


if __name__ == "__main__":
    main()
