"""Model verification over whole converted corpora (issue 12): mmcls 0.25.0 -> mmpretrain 1.2.0,
mmseg 0.30.0 -> mmseg 1.2.2, and the mmdet 2.28.2 single- and two-stage detectors -> mmdet 3.3.0.

Old trees: the real wheels' `.mim/configs` (tests/realdata.real_configs); new trees: `migrate`'s
structure-preserving conversion of them (tests/realdata.converted_tree). Every config with a
`model` (not a `_base_` file) is verified with `migrator.verify.model.verify_models` in the real
envs; mmdet configs are restricted to detectors with a `bbox_head` (single-stage) or an
`rpn_head` (two-stage). Configs whose old and new `model` dicts (read statically, `_base_`
merged) are identical to another config's give the same comparison: each distinct pair is run
once and stands for all of them (counted in the output; `--every` runs each config).

Prints the time per config, then per codebase the counts per verdict (configs and distinct
models), `stopped_at` grouped, and first differences grouped with the known deviations apart.
Usage: python benchmarks/verify_models.py [mmcls mmseg mmdet] [--limit N] [--match REGEX]
       [--every] [--out records.jsonl] [--batch 20]
"""
import argparse
import collections
import json
import re
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, real_configs  # noqa: F401  (sys.path set up by _common)

CORPORA = {"mmcls": ("mmcls", "0.25.0"), "mmseg": ("mmsegmentation", "0.30.0"),
           "mmdet": ("mmdet", "2.28.2")}


def _static(path):
    from migrator.load import load_config
    try:
        return load_config(path).cfg
    except Exception:  # noqa: BLE001 - such a file is left out (it does not convert either)
        return None


def candidates(corpus, match):
    from realdata import converted_tree
    pkg, ver = CORPORA[corpus]
    old_root, new_root = real_configs(pkg, ver), converted_tree(pkg, ver)
    out = []
    for old in sorted(old_root.rglob("*.py")):
        rel = old.relative_to(old_root)
        if "_base_" in rel.parts or (match and not re.search(match, str(rel))):
            continue
        new = new_root / rel
        cfg_old = _static(old)
        if not new.is_file() or not cfg_old or not isinstance(cfg_old.get("model"), dict):
            continue
        model = cfg_old["model"]
        if corpus == "mmdet" and not ("bbox_head" in model or "rpn_head" in model):
            continue
        cfg_new = _static(new)
        key = json.dumps([model, (cfg_new or {}).get("model"),
                          (cfg_new or {}).get("data_preprocessor")], sort_keys=True, default=str)
        out.append((str(rel), old, new, key))
    return out


def _group(messages):
    norm = collections.Counter(re.sub(r"\d+(\.\d+)?(e-?\d+)?", "N", m)[:150] for m in messages)
    return norm.most_common()


def report(corpus, recs, counts):
    verdicts = collections.Counter()
    distinct = collections.Counter()
    for r in recs:
        verdicts[r["verdict"]] += counts[r["new"]]
        distinct[r["verdict"]] += 1
    total = sum(verdicts.values())
    print(f"\n== {corpus}: {total} configs ({len(recs)} distinct models): " +
          ", ".join(f"{v} {verdicts[v]} ({distinct[v]})" for v in
                    ("VERIFIED", "PARTIAL", "DIFFERS", "ERROR", "SKIPPED") if verdicts[v]))
    stops = _group([r["stopped_at"] for r in recs if r["stopped_at"]])
    if stops:
        print("  stopped_at (distinct models):")
        for m, n in stops:
            print(f"    {n:4d}  {m}")
    for label, known in (("first differences, known deviations", True),
                         ("first differences, unexplained", False)):
        msgs = [f"{r['first_difference']['where']}: {r['first_difference']['message']}"
                for r in recs if r["first_difference"] and bool(r["known_deviations"]) == known]
        if msgs:
            print(f"  {label} (distinct models):")
            for m, n in _group(msgs):
                print(f"    {n:4d}  {m}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpora", nargs="*", default=list(CORPORA), choices=list(CORPORA))
    ap.add_argument("--limit", type=int, default=0, help="at most N distinct models per corpus")
    ap.add_argument("--match", default=None, help="only configs whose path matches REGEX")
    ap.add_argument("--every", action="store_true", help="run every config, not one per model")
    ap.add_argument("--out", type=Path, default=None, help="append the records here (JSONL)")
    ap.add_argument("--batch", type=int, default=20)
    args = ap.parse_args()
    from migrator.envs.new import new_python
    from migrator.envs.old_codebases import old_codebases_python
    from migrator.verify.model import verify_models
    old_py, new_py = old_codebases_python(log=print), new_python(log=print)
    for corpus in args.corpora:
        found = candidates(corpus, args.match)
        runs, counts, seen = [], collections.Counter(), {}
        for rel, old, new, key in found:
            if args.every or key not in seen:
                seen[key] = str(new)
                runs.append((rel, old, new))
            counts[seen[key] if not args.every else str(new)] += 1
        if args.limit:
            runs = runs[:args.limit]
        print(f"{corpus}: {len(found)} configs, {len(seen)} distinct models, running {len(runs)}")
        start = time.time()
        with tempfile.TemporaryDirectory(prefix="mmmigrate-models-") as work:
            recs = verify_models([(o, n) for _, o, n in runs], old_py, new_py, work,
                                 batch=args.batch, log=print)
        for (rel, _, _), r in zip(runs, recs):
            print(f"  {r['seconds']:7.1f}s  {r['verdict']:8s} {rel}"
                  + (f"  [{r['first_difference']['where']}]" if r["first_difference"] else "")
                  + (f"  (stands for {counts[r['new']]} configs)" if counts[r["new"]] > 1 else ""))
        print(f"  wall {time.time() - start:.0f}s for {len(runs)} models "
              f"({(time.time() - start) / max(1, len(runs)):.1f}s each)")
        report(corpus, recs, counts)
        if args.out:
            with open(args.out, "a") as f:
                for r in recs:
                    f.write(json.dumps(dict(r, corpus=corpus, configs=counts[r["new"]])) + "\n")


if __name__ == "__main__":
    sys.exit(main())
