"""Data (and model) verification over whole converted corpora: time per config per codebase,
verdict counts, first differences grouped.

Pairs: every config of the real old tree (mmdet 2.28.2 / mmcls 0.25.0 / mmseg 0.30.0, from the
wheels) whose old config, after `_base_` merging, has a model and a data.train (the same
`migrator.verify.run.missing_parts` the CLI uses, minus optimizer/runner), against its conversion
in the structure-preserving converted tree (`converted` below). Old side in the
old-codebases env, new side in the new env (`migrate env create old|new`), `--batch` configs per
process. Time per config is the harness's own time for that config (the codebase import,
about 7 s per process and side, is paid once per batch and reported apart).
Usage: python benchmarks/verify_data_model.py [--codebase mmcls,mmseg,mmdet] [--every K]
       [--kinds data,model] [--batch 40] [--jobs 1] [--json out.json]
"""
import argparse
import collections
import json
import re
import statistics
import sys
import tempfile
import time

from _common import real_configs

from realdata import CACHE, ROOT

CORPORA = {"mmdet": ("mmdet", "2.28.2"), "mmcls": ("mmcls", "0.25.0"),
           "mmseg": ("mmsegmentation", "0.30.0")}


def _compiler_stamp() -> str:
    """A hash of the compiler's source without `migrator/verify/` (the verifiers do not change
    the conversion): the cached converted tree is redone whenever the compiler changes."""
    import hashlib
    h = hashlib.sha256()
    for f in sorted((ROOT / "migrator").rglob("*.py")):
        if "verify" not in f.relative_to(ROOT / "migrator").parts:
            h.update(f.read_bytes())
    return h.hexdigest()


def converted(pkg, ver):
    """`migrate <tree> -o <cache dir>` once per compiler version. Unlike
    tests/realdata.converted_tree, exit status 2 is accepted: the mmcls 0.25.0 tree has files
    that cannot be converted (upstream `_base_` files that do not exist, an unknown lr policy);
    they are reported by migrate and simply have no converted file here."""
    from migrator.cli import main as migrate
    out = CACHE / f"{pkg}-{ver}-migrated-bench-{_compiler_stamp()[:12]}"
    if not (out / ".done").exists():
        rc = migrate([str(real_configs(pkg, ver)), "-o", str(out), "-q"])
        print(f"   converted {pkg} {ver} into {out} (migrate exit {rc})", flush=True)
        (out / ".done").write_text(str(rc))
    return out


def pairs_of(codebase, every=1):
    from migrator.load import load_config
    from migrator.verify.run import missing_parts
    pkg, ver = CORPORA[codebase]
    old_root, new_root = real_configs(pkg, ver), converted(pkg, ver)
    pairs, skipped = [], 0
    for old in sorted(old_root.rglob("*.py")):
        if "_base_" in old.parts:
            continue
        new = new_root / old.relative_to(old_root)
        try:
            cfg = load_config(old).cfg
        except Exception:
            skipped += 1
            continue
        if not new.is_file() or set(missing_parts(cfg)) & {"model", "data.train"}:
            skipped += 1
            continue
        pairs.append((str(old), str(new)))
    return pairs[::every], skipped


def bucket(rec) -> str:
    """A grouping key: verdict, then the first difference's place and message without numbers."""
    fd = rec.get("first_difference") or {}
    text = fd.get("message") or rec.get("error") or rec.get("reason") or rec.get("stopped_at") or ""
    text = re.sub(r"/\S+", "…", text)
    text = re.sub(r"-?\d+(\.\d+)?(e-?\d+)?", "N", text)
    return f"{rec['verdict']}: {text[:120]}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--codebase", default="mmcls,mmseg,mmdet")
    ap.add_argument("--every", type=int, default=1, help="every K-th config (a stated sample)")
    ap.add_argument("--kinds", default="data")
    ap.add_argument("--batch", type=int, default=40)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--json", help="write every record here")
    args = ap.parse_args()
    from migrator.envs.new import new_python
    from migrator.envs.old_codebases import old_codebases_python
    from migrator.verify.deep import run_deep
    old_py, new_py = old_codebases_python(), new_python()
    kinds = args.kinds.split(",")
    everything = {}
    for cb in args.codebase.split(","):
        pairs, skipped = pairs_of(cb, args.every)
        print(f"== {cb} {CORPORA[cb][1]}: {len(pairs)} pairs (every {args.every}), "
              f"{skipped} without model/data.train or unreadable", flush=True)
        t = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            from migrator.verify import deep as D
            for k in kinds:
                D._entry(k)
            res = {}
            for k in kinds:
                t_k = time.perf_counter()
                res[k] = run_deep(pairs, [k], old_py, new_py, tmp)
                wall = time.perf_counter() - t_k
                recs = [r[k] for r in res[k].values()]
                secs = [r["seconds"] for r in recs if r["verdict"] != "SKIPPED"]
                counts = collections.Counter(r["verdict"] for r in recs)
                print(f"-- {cb} {k}: wall {wall:.0f} s for {len(recs)} configs; per config "
                      f"median {statistics.median(secs) if secs else 0:.2f} s, "
                      f"mean {statistics.mean(secs) if secs else 0:.2f} s, "
                      f"max {max(secs) if secs else 0:.2f} s (harness time, imports apart)")
                print("   verdicts: " + ", ".join(f"{v} {n}" for v, n in counts.most_common()))
                groups = collections.Counter(bucket(r) for r in recs if r["verdict"] != "VERIFIED")
                for g, n in groups.most_common(25):
                    print(f"   {n:4d}  {g}")
                devs = collections.Counter(d["field"] + ": " + d["size"] for r in recs
                                           for d in r.get("known_deviations", []))
                print("   known deviations (configs): " + "; ".join(
                    f"{f} [{n}]" for f, n in devs.most_common(12)))
                everything.setdefault(cb, {})[k] = recs
        print(f"   {cb} total {time.perf_counter() - t:.0f} s", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(everything, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
