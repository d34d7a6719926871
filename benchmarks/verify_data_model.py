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
       [--only REGEX] [--kinds data,model] [--batch 40] [--jobs 1] [--json out.json]
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


def pairs_of(codebase, every=1, only=None):
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
    if only:
        pairs = [p for p in pairs if re.search(only, p[0])]
    return pairs[::every], skipped


def _data_key(old, new) -> str:
    """What data verification reads of a pair, after `_base_` merging: the old `data` (train,
    val, test) and the new dataloaders' datasets with the data preprocessors. Two pairs with
    the same key get the same data verdict (the generated dataset depends on the same fields)."""
    from mmengine.config import Config
    from migrator.load import load_config
    o = load_config(old).cfg
    n = Config.fromfile(new).to_dict()
    model = n.get("model") or {}
    part = {"old": {k: (o.get("data") or {}).get(k) for k in ("train", "val", "test")},
            "old_model": (o.get("model") or {}).get("type"),
            "new": {k: (n.get(f"{k}_dataloader") or {}).get("dataset")
                    for k in ("train", "val", "test")},
            "pre": [model.get("data_preprocessor"), n.get("data_preprocessor")],
            "scope": n.get("default_scope")}
    return json.dumps(part, sort_keys=True, default=repr)


def dedupe(pairs):
    """(representatives, {pair: its representative}): one pair per distinct `_data_key`."""
    reps, of, seen = [], {}, {}
    for pair in pairs:
        try:
            key = _data_key(*pair)
        except Exception as e:  # noqa: BLE001 - an unreadable pair is its own group
            key = f"unreadable {pair}: {e}"
        if key not in seen:
            seen[key] = pair
            reps.append(pair)
        of[pair] = seen[key]
    return reps, of


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
    ap.add_argument("--only", help="pairs whose old path matches this regular expression")
    ap.add_argument("--kinds", default="data")
    ap.add_argument("--batch", type=int, default=40)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--json", help="write every record here")
    ap.add_argument("--dedupe", action="store_true",
                    help="data: run one pair per distinct (old data, new data) after merging; "
                         "its verdict holds for every config sharing it")
    args = ap.parse_args()
    from migrator.envs.new import new_python
    from migrator.envs.old_codebases import old_codebases_python
    from migrator.verify.deep import run_deep
    old_py, new_py = old_codebases_python(), new_python()
    kinds = args.kinds.split(",")
    everything = {}
    for cb in args.codebase.split(","):
        pairs, skipped = pairs_of(cb, args.every, args.only)
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
                run, of = pairs, {p: p for p in pairs}
                if args.dedupe and k == "data":
                    run, of = dedupe(pairs)
                    print(f"   {cb} data: {len(run)} distinct (old data, new data) pairs for "
                          f"{len(pairs)} configs (dedupe {time.perf_counter() - t_k:.0f} s); a "
                          f"verdict per distinct pair holds for every config sharing it",
                          flush=True)
                got = run_deep(run, [k], old_py, new_py, tmp)
                res[k] = {p: {k: dict(got[of[p]][k], old=p[0], new=p[1],
                                      verified_as=None if of[p] == p else of[p][0])}
                          for p in pairs}
                wall = time.perf_counter() - t_k
                recs = [got[p][k] for p in run]
                if len(run) != len(pairs):
                    allc = collections.Counter(r[k]["verdict"] for r in res[k].values())
                    print("   all configs (shared verdicts): " + ", ".join(
                        f"{v} {n}" for v, n in allc.most_common()))
                secs = [r["seconds"] for r in recs if r["verdict"] != "SKIPPED"]
                counts = collections.Counter(r["verdict"] for r in recs)
                unit = "distinct pairs" if len(run) != len(pairs) else "configs"
                print(f"-- {cb} {k}: wall {wall:.0f} s for {len(recs)} {unit}; per config "
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
                everything.setdefault(cb, {})[k] = [r[k] for r in res[k].values()]
        print(f"   {cb} total {time.perf_counter() - t:.0f} s", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(everything, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
