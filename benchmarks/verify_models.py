"""Model verification over whole converted corpora (issue 12): mmcls 0.25.0 -> mmpretrain 1.2.0,
mmseg 0.30.0 -> mmseg 1.2.2, and the mmdet 2.28.2 single- and two-stage detectors -> mmdet 3.3.0.

Old trees: the real wheels' `.mim/configs` (tests/realdata.real_configs); new trees: `migrate`'s
structure-preserving conversion of them (verify_data_model.converted, shared with it). Every config with a
`model` (not a `_base_` file) is verified with `migrator.verify.model.verify_models` in the real
envs; mmdet configs are restricted to detectors with a `bbox_head` (single-stage) or an
`rpn_head` (two-stage). Configs whose old and new `model` dicts (read statically, `_base_`
merged) are identical to another config's give the same comparison: each distinct pair is run
once and stands for all of them (counted in the output; `--every` runs each config).

Prints the time per config, then per codebase the counts per verdict (configs and distinct
models), `stopped_at` grouped, and first differences grouped with the known deviations apart,
and the run's wall and CPU seconds per model (the CPU time of the harness processes: on a
shared machine the wall time mostly measures the neighbours). The two harness processes stay
up for `--batch` models. `--summary` runs nothing and writes the results page
(benchmarks/results/verify_models.md, or --md) from the records in --out.
Usage: python benchmarks/verify_models.py [mmcls mmseg mmdet] [--limit N] [--match REGEX]
       [--every] [--out records.jsonl] [--resume [--rerun REGEX]] [--budget S] [--tier 0|1|2]
       [--per-dir N] [--no-dropout] [--summary [--md FILE]]
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


# what the comparison never reads: test_cfg (no post-processing, no slide inference: the heads'
# raw outputs are compared) and the preprocessor's normalisation/padding (the batch is made
# after it; verified by verify/data). Batch augments and num_classes stay in the key.
UNREAD = ("test_cfg",)
PRE_READ = ("batch_augments", "num_classes")


def model_key(old_model: dict, cfg_new) -> str:
    """Two configs with the same key get the same model comparison (same old and new model)."""
    new_model = dict((cfg_new or {}).get("model") or {})
    pre = dict(new_model.pop("data_preprocessor", None) or (cfg_new or {}).get(
        "data_preprocessor") or {})
    from migrator.verify.model.inenv import prepare    # what both sides build (no torch)
    strip = lambda m: {k: v for k, v in prepare(m).items() if k not in UNREAD}  # noqa: E731
    return json.dumps([strip(old_model), strip(new_model),
                       {k: v for k, v in pre.items() if k in PRE_READ}],
                      sort_keys=True, default=str)


def candidates(corpus, match):
    # the converted tree shared with verify_data_model.py: keyed by the compiler's source
    # without migrator/verify/ (editing a verifier does not convert the corpus again); exit 2
    # accepted (mmcls ships configs whose bases it lacks)
    from verify_data_model import converted
    pkg, ver = CORPORA[corpus]
    old_root = real_configs(pkg, ver)
    new_root = converted(pkg, ver)
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
        key = model_key(model, _static(new))
        out.append((str(rel), old, new, key))
    return out


def _group(messages):
    norm = collections.Counter(re.sub(r"\d+(\.\d+)?(e-?\d+)?", "N", m)[:150] for m in messages)
    return norm.most_common()


VERDICTS = ("VERIFIED", "PARTIAL", "DIFFERS", "ERROR", "SKIPPED")


def _first(r) -> str:
    fd = r["first_difference"]
    return fd["message"] if fd["message"].startswith(fd["where"]) else \
        f"{fd['where']}: {fd['message']}"


def _sizes(rs) -> str:
    """The range of the first differences' max |diff| over a group ('' when none states one)."""
    got = [float(m.group(1)) for r in rs for m in
           [re.search(r"max \|diff\| ([0-9.]+(?:e[-+]?\d+)?)", r["first_difference"]["message"])]
           if m]
    if not got:
        return ""
    lo, hi = min(got), max(got)
    return f"max \\|diff\\| {lo:.3g}" if lo == hi else f"max \\|diff\\| {lo:.3g} to {hi:.3g}"


def report(corpus, recs, counts):
    verdicts = collections.Counter()
    distinct = collections.Counter()
    for r in recs:
        verdicts[r["verdict"]] += counts[r["rel"]]
        distinct[r["verdict"]] += 1
    total = sum(verdicts.values())
    print(f"\n== {corpus}: {total} configs ({len(recs)} unique models): " +
          ", ".join(f"{v} {verdicts[v]} ({distinct[v]})" for v in VERDICTS if verdicts[v]))
    stops = _group([r["stopped_at"] for r in recs if r["stopped_at"]])
    if stops:
        print("  stopped_at (distinct models):")
        for m, n in stops:
            print(f"    {n:4d}  {m}")
    for label, known in (("first differences, known deviations", True),
                         ("first differences, unexplained", False)):
        msgs = [_first(r) for r in recs if r["first_difference"] and
                bool(r["known_deviations"]) == known]
        if msgs:
            print(f"  {label} (distinct models):")
            for m, n in _group(msgs):
                print(f"    {n:4d}  {m}")


def _cpu(r) -> float:
    return sum(sum((r.get("phases") or {}).get(side, {}).values()) for side in ("old", "new"))


def markdown(rows, source: Path, command: str) -> str:
    """The results page: per corpus the counts (unique models, configs they stand for in
    parentheses), then the first differences grouped, the known deviations with their reason."""
    out = ["# Model verification over the converted corpora (issue 12)", "",
           f"Written by `{command}` from `{source.name}` "
           f"({sum(len(r[1]) for r in rows)} records). Counts are unique (old model, new "
           "model) pairs; in parentheses the configs they stand for. DIFFERS known: the first "
           "difference is a real change between the codebase versions (`migrator/verify/model/"
           "known.py`, size and reason below); DIFFERS ours: unexplained (a conversion or "
           "harness bug). PARTIAL: compared up to a compiled MMCV kernel that is not built, "
           "everything before it equal. s/model: wall seconds inside both harnesses (build, "
           "init, both sides, comparison), CPU s/model the same in CPU seconds.", "",
           "| corpus | configs / unique models | done | VERIFIED | PARTIAL | DIFFERS known | "
           "DIFFERS ours | ERROR | s/model | CPU s/model |",
           "|---|---|---|---|---|---|---|---|---|---|"]

    def cnt(recs, counts, pred):
        sel = [r for r in recs if pred(r)]
        return f"{len(sel)} ({sum(counts[r['rel']] for r in sel)})"
    for corpus, recs, counts, n_configs, n_models in rows:
        n = max(1, len(recs))
        out.append("| " + " | ".join([
            corpus, f"{n_configs} / {n_models}", cnt(recs, counts, lambda r: True),
            cnt(recs, counts, lambda r: r["verdict"] == "VERIFIED"),
            cnt(recs, counts, lambda r: r["verdict"] == "PARTIAL"),
            cnt(recs, counts, lambda r: r["verdict"] == "DIFFERS" and r["known_deviations"]),
            cnt(recs, counts, lambda r: r["verdict"] == "DIFFERS" and not r["known_deviations"]),
            cnt(recs, counts, lambda r: r["verdict"] == "ERROR"),
            f"{sum(r['seconds'] for r in recs) / n:.1f}",
            f"{sum(_cpu(r) for r in recs) / n:.1f}"]) + " |")
    for corpus, recs, counts, n_configs, n_models in rows:
        out += ["", f"## {corpus}", "",
                f"{len(recs)} of {n_models} unique models run ({n_models - len(recs)} not run)."]
        partial = [r for r in recs if r["verdict"] == "PARTIAL"]
        if partial:
            out += ["", "PARTIAL, where the comparison stopped (models; every tensor compared "
                        "before the stop was equal: no first difference):", ""]
            by = collections.defaultdict(list)
            for r in partial:
                by[re.sub(r"\d+(\.\d+)?(e-?\d+)?", "N", r["stopped_at"])[:200]].append(r)
            for m, rs in sorted(by.items(), key=lambda x: -len(x[1])):
                n_chk = sorted(len(r["checked"]) for r in rs)
                out.append(f"- {len(rs)} x `{m}` ({n_chk[0]}-{n_chk[-1]} tensors/keys compared "
                           f"equal; e.g. {rs[0]['rel']})")
        known = collections.defaultdict(list)
        for r in recs:
            if r["known_deviations"]:
                known[r["known_deviations"][0]["why"]].append(r)
        if known:
            out += ["", "Known deviations (real changes between the versions):", "",
                    "| models | field | size over the models | first difference (example) | "
                    "why |", "|---|---|---|---|---|"]
            for why, rs in sorted(known.items(), key=lambda x: -len(x[1])):
                k = rs[0]["known_deviations"][0]
                ex = ", ".join(r["rel"] for r in rs[:3]) + (" ..." if len(rs) > 3 else "")
                first = _first(rs[0])[:160].replace("|", "\\|")
                out.append(f"| {len(rs)} | {k['field']} | {_sizes(rs)} | {ex}: `{first}` | "
                           f"{why} |")
        for verdict in ("DIFFERS", "ERROR"):
            rs = [r for r in recs if r["verdict"] == verdict and not r["known_deviations"]
                  and not r.get("not_runnable")]
            if rs:
                out += ["", f"{verdict}, unexplained (models):", ""]
                for r in rs:
                    out.append(f"- `{r['rel']}`: `{_first(r)[:240]}`")
        rs = [r for r in recs if r.get("not_runnable")]
        if rs:
            out += ["", "ERROR, not runnable in the offline envs (`known.NOT_RUNNABLE`; nothing "
                        "compared):", ""]
            for r in rs:
                out.append(f"- `{r['rel']}`: {r['not_runnable']} (`{_first(r)[:160]}`)")
    return "\n".join(out) + "\n"


DATASET_FIELDS = ("num_classes", "align_corners")


def family(key: str) -> str:
    """The key without dataset-dependent widths/flags: runs are ordered one per family first, so
    a run cut short has covered every architecture before its dataset variants."""
    def drop(v):
        if isinstance(v, dict):
            return {k: drop(x) for k, x in v.items() if k not in DATASET_FIELDS}
        if isinstance(v, list):
            return [drop(x) for x in v]
        return v
    return json.dumps(drop(json.loads(key)), sort_keys=True)


def arch(key: str) -> str:
    """Coarser still: the config directory's model types (detector/segmentor, backbone type and
    depth, neck, heads): tier 0 runs one model per architecture."""
    old = json.loads(key)[0]
    part = lambda v: ([part(x) for x in v] if isinstance(v, list) else  # noqa: E731
                      (v.get("type"), v.get("depth"), v.get("arch")) if isinstance(v, dict)
                      else None)
    return json.dumps([old.get("type")] + [part(old.get(k)) for k in
                                           ("backbone", "neck", "head", "decode_head",
                                            "auxiliary_head", "bbox_head", "rpn_head",
                                            "roi_head")])


def plan(corpus, args):
    """(runs [(rel, old, new)], counts: run rel -> configs it stands for, n configs,
    n unique models)."""
    found = candidates(corpus, args.match)
    runs, counts, seen = [], collections.Counter(), {}
    for rel, old, new, key in found:
        if args.every or key not in seen:
            seen[key] = rel
            runs.append((rel, old, new, key))
        counts[seen[key] if not args.every else rel] += 1
    if args.per_dir:
        per = collections.Counter()
        runs = [r for r in runs if per.update([r[0].split("/")[0]]) or
                per[r[0].split("/")[0]] <= args.per_dir]
    fams, archs = collections.Counter(), collections.Counter()
    ranked = []
    for r in runs:
        fams[family(r[3])] += 1
        archs[arch(r[3])] += 1
        tier = 0 if archs[arch(r[3])] == 1 else 1 if fams[family(r[3])] == 1 else 2
        ranked.append((tier, r[:3]))
    runs = [r for tier, r in sorted(ranked, key=lambda x: x[0])   # stable within a tier
            if tier <= args.tier]
    if args.limit:
        runs = runs[:args.limit]
    print(f"{corpus}: {len(found)} configs, {len(seen)} unique models "
          f"({len(archs)} architectures, {len(fams)} without num_classes/align_corners), "
          f"running {len(runs)}")
    return runs, counts, len(found), len(seen)


def _read_lines(path: Path):
    """The records file's lines (a committed copy may be gzipped: benchmarks/results/)."""
    if path.suffix == ".gz":
        import gzip
        with gzip.open(path, "rt") as f:
            return f.read().splitlines()
    return path.read_text().splitlines()


def _children_cpu() -> float:
    """User + system CPU seconds of the finished child processes (the harnesses): on a shared
    machine the wall time depends on the neighbours, the CPU time much less."""
    import resource
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def line(r, counts):
    rel = r["rel"]
    return (f"  {r['seconds']:7.1f}s  {r['verdict']:8s} {rel}"
            + (f"  [{r['first_difference']['where']}]" if r["first_difference"] else "")
            + (f"  (stands for {counts[rel]} configs)" if counts[rel] > 1 else ""))


def _corpus(name: str) -> str:
    if name not in CORPORA:
        raise argparse.ArgumentTypeError(f"{name!r}: one of {', '.join(CORPORA)}")
    return name


def main():
    ap = argparse.ArgumentParser()
    # no `choices` with nargs="*": Python 3.11's argparse checks the list default against
    # them ("invalid choice: ['mmcls', 'mmseg', 'mmdet']" when no corpus is named)
    ap.add_argument("corpora", nargs="*", type=_corpus, help="default: all three")
    ap.add_argument("--limit", type=int, default=0, help="at most N unique models per corpus")
    ap.add_argument("--match", default=None, help="only configs whose path matches REGEX")
    ap.add_argument("--per-dir", type=int, default=0,
                    help="at most N unique models per config directory (a sample)")
    ap.add_argument("--tier", type=int, default=2,
                    help="0: one model per architecture (types, depth), 1: and one per family "
                         "(the model dict without num_classes/align_corners), 2: every unique "
                         "model (default); lower tiers run first either way")
    ap.add_argument("--every", action="store_true", help="run every config, not one per model")
    ap.add_argument("--out", type=Path, default=None,
                    help="append the records here (JSONL), one batch at a time")
    ap.add_argument("--resume", action="store_true", help="skip models already in --out")
    ap.add_argument("--rerun", default=None,
                    help="with --resume: run again the models whose path matches REGEX (the "
                         "newest record of a model is the one reported)")
    ap.add_argument("--budget", type=float, default=0,
                    help="start no new batch after this many seconds (the rest is listed)")
    ap.add_argument("--batch", type=int, default=50,
                    help="restart the two harness processes after N models (they are kept "
                         "warm in between)")
    ap.add_argument("--no-dropout", action="store_true",
                    help="every dropout/drop-path rate 0 on both sides (diagnosis of train-mode "
                         "differences; use another --out)")
    ap.add_argument("--md", type=Path, default=None,
                    help="write the Markdown results page here (with --summary: "
                         "benchmarks/results/verify_models.md)")
    ap.add_argument("--summary", action="store_true",
                    help="run nothing: the report of the records in --out, and what is left")
    args = ap.parse_args()
    args.corpora = args.corpora or list(CORPORA)
    from migrator.envs.new import new_python
    from migrator.envs.old_codebases import old_codebases_python
    from migrator.verify.model import verify_models
    from migrator.verify.model.known import annotate
    old_py, new_py = old_codebases_python(log=print), new_python(log=print)
    t_start = time.time()
    rows = []
    for corpus in args.corpora:
        runs, counts, n_configs, n_models = plan(corpus, args)
        done = {}
        if (args.resume or args.summary) and args.out and args.out.exists():
            for ln in _read_lines(args.out):
                r = json.loads(ln)
                if r.get("corpus") == corpus and not (args.rerun and
                                                      re.search(args.rerun, r["rel"])):
                    done[r["rel"]] = annotate(dict(r, known_deviations=[],   # as known now
                                                            not_runnable=None))
        recs = [done[rel] for rel, _, _ in runs if rel in done]
        done_here = list(recs)
        todo = [] if args.summary else [r for r in runs if r[0] not in done]
        if args.summary:
            left = [rel for rel, _, _ in runs if rel not in done]
            print(f"  not run yet: {len(left)} unique models" +
                  (": " + ", ".join(left[:20]) + (" ..." if len(left) > 20 else "")
                   if left else ""))
        if recs:
            print(f"  {len(recs)} models from {args.out}")
        start = time.time()
        cpu0 = _children_cpu()

        def spent():
            return bool(args.budget) and time.time() - t_start > args.budget

        def keep(i, r):
            rel = todo[i][0]
            r = dict(r, corpus=corpus, rel=rel, configs=counts[rel])
            recs.append(r)
            print(line(r, counts), flush=True)
            if args.out:
                with open(args.out, "a") as f:
                    f.write(json.dumps(r) + "\n")
        if todo and not spent():
            # the work files live in memory when /dev/shm exists: one model's state dict and
            # update at a time (the harnesses run in lockstep), up to ~2 GB for ConvNeXt-L
            shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
            with tempfile.TemporaryDirectory(prefix="mmmigrate-models-", dir=shm) as work:
                verify_models([(o, n) for _, o, n in todo], old_py, new_py, work,
                              batch=args.batch, on_record=keep, stop=spent,
                              no_dropout=args.no_dropout)
        left = [rel for rel, _, _ in todo if rel not in {r["rel"] for r in recs}]
        if left:
            print(f"  budget spent: {len(left)} unique models not run: " + ", ".join(left))
        wall = time.time() - start
        ran = len(recs) - len(done_here)
        if ran:
            cpu = _children_cpu() - cpu0
            print(f"  {corpus}: this run {ran} models in {wall:.0f}s wall: "
                  f"{wall / ran:.1f} s/model wall, {cpu / ran:.1f} CPU s/model (the two "
                  "harness processes: imports, builds, both sides, comparison)")
        n = len(recs)
        covered = sum(counts[r["rel"]] for r in recs)
        secs = sum(r["seconds"] for r in recs)
        print(f"  {corpus}: {n} unique models standing for {covered} of {n_configs} configs; "
              f"this run: {wall:.0f}s wall, per model {secs / max(1, n):.1f}s "
              f"(build + both sides), per config {secs / max(1, covered):.1f}s "
              "with the models shared")
        report(corpus, recs, counts)
        rows.append((corpus, recs, counts, n_configs, n_models))
    md = args.md or (ROOT / "benchmarks" / "results" / "verify_models.md"
                     if args.summary and args.out else None)
    if md:
        cmd = ("python3 benchmarks/verify_models.py " + " ".join(args.corpora) +
               f" --out {args.out.name if args.out else '-'} --summary")
        md.write_text(markdown(rows, args.out or Path("-"), cmd))
        print(f"wrote {md}")


if __name__ == "__main__":
    sys.exit(main())
