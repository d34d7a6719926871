"""Field-by-field agreement of our converted configs with the maintainers' own migrations.

Pairs: mmcls 0.25.0 -> mmpretrain 1.2.0 and mmseg 0.30.0 -> mmsegmentation 1.2.2 (and mmdet
2.28.2 -> 3.3.0 with the pairing of verify_pairs.py), matched per directory by file name. mmseg
1.x moved the crop size to the end and added a batch token (`pspnet_r50-d8_512x1024_40k_
cityscapes` -> `pspnet_r50-d8_4xb2-40k_cityscapes-512x1024`), so names are compared as sorted
token sets without `NxbM` tokens. Ours: the flat conversion (generic rules + the profile). Theirs:
the 1.x file, loaded statically. Both are flattened to leaves; pipelines are compared per
transform type (`train.pipeline.RandomResize.scale`), the data preprocessor as the model
finally sees it (`model.data_preprocessor`, else the top-level `data_preprocessor` the Runner
merges in). Each leaf is an agreement, a disagreement, ours-only or theirs-only; every
non-agreeing leaf is classified by the one table in agreement_classes.py (ours right, theirs
right, equivalent, their deliberate change; 'unclassified' when no entry matches, which must not
happen), and the summary prints the counts per field group and per class, entries that matched
nothing (stale) and the theirs-right findings fixed in the rules (FIXED).
tests/test_profiles_agreement.py asserts unclassified 0 and theirs right 0 for each codebase.

Usage: python benchmarks/profile_agreement.py [mmdet|mmpretrain|mmseg ...] [--examples N]

Measured (2 cores, ~5-25 s per codebase, 2026-12-02 15:20 UTC, branch h8):
  mmdet      427 pairs: agree 74560, differ 268, ours only 717, theirs only 4326; non-agreeing
             leaves: ours right 149, theirs right 0, equivalent 4737, their change 425
  mmpretrain 176 pairs (mobilenet-v3-small cifar: its _base_ is missing from the 0.25 wheel):
             agree 11714, differ 609, ours only 3970, theirs only 1295; ours right 84,
             theirs right 0, equivalent 5041, their change 749
  mmseg      473 pairs: agree 52075, differ 468, ours only 4, theirs only 4106; ours right 6,
             theirs right 0, equivalent 425, their change 4147
"""
import argparse
import collections
import re
import sys

from _common import real_configs

sys.path.insert(0, __import__("os").path.dirname(__file__))
from verify_pairs import norm as mmdet_norm  # noqa: E402

BATCH_NEW = re.compile(r"^\d+xb\d+$")

# codebase -> (old package, old version, new package, new version, ctx.codebase, file-name norm)
PAIRS = {
    "mmpretrain": ("mmcls", "0.25.0", "mmpretrain", "1.2.0", "mmcls"),
    "mmseg": ("mmsegmentation", "0.30.0", "mmsegmentation", "1.2.2", "mmseg"),
    "mmdet": ("mmdet", "2.28.2", "mmdet", "3.3.0", "mmdet"),
}

# The fields compared (top-level keys); the rest (runtime, schedules) is other benchmarks' job.
FIELDS = ("model", "train_dataloader", "val_dataloader", "test_dataloader", "val_evaluator",
          "test_evaluator", "default_scope", "visualizer", "data_preprocessor", "tta_model",
          "tta_pipeline")

# How each disagreement was judged: benchmarks/agreement_classes.py (one table, leaf by leaf).
from agreement_classes import CLASSES_ORDER, FIXED, TABLE  # noqa: E402


def token_norm(stem: str) -> str:
    toks = [t for t in re.split(r"[_\-]+", stem.lower()) if t and not BATCH_NEW.match(t)]
    return "_".join(sorted(toks))


def index(root, norm):
    out = {}
    for p in sorted(root.rglob("*.py")):
        rel = p.relative_to(root)
        if rel.parts[0] == "_base_":
            continue
        out.setdefault((rel.parent.as_posix(), norm(p.stem)), p)
    return out


def ours(path, codebase):
    """The flat conversion with the profile (the framework's, else the profile's RULES)."""
    from migrator.convert import convert_file
    conv = convert_file(path, codebase=codebase)
    new = conv.new
    try:
        from migrator.profiles import apply_profile  # noqa: F401  (h8det's framework)
        return new
    except ImportError:
        pass
    import importlib
    from migrator.load import load_config
    from migrator.report import Report
    from migrator.rules import Context, RunInfo
    prof = {"mmcls": "mmpretrain"}.get(codebase, codebase)
    mod = importlib.import_module(f"migrator.profiles.{prof}")
    old = load_config(path).cfg
    ctx = Context(report=Report(str(path)), path=str(path), codebase=codebase)
    ctx.old, ctx.run = old, RunInfo.from_old(old)
    for rule in mod.RULES:
        new = rule.apply(new, ctx)
    return new


def effective(cfg):
    cfg = dict(cfg)
    model = cfg.get("model")
    top = cfg.pop("data_preprocessor", None)
    if isinstance(model, dict):
        pre = model.get("data_preprocessor") or top
        model = {k: v for k, v in model.items() if k != "data_preprocessor"}
        cfg["model"] = model
        if pre is not None:
            cfg["data_preprocessor"] = pre
    elif top is not None:
        cfg["data_preprocessor"] = top
    for split in ("train", "val", "test"):
        loader = cfg.get(f"{split}_dataloader")
        if isinstance(loader, dict):
            cfg[f"{split}_dataloader"] = {k: v for k, v in loader.items() if k != "dataset"}
            cfg[f"{split}.dataset"] = _leaf_dataset(loader.get("dataset"))
    return {k: v for k, v in cfg.items() if k in FIELDS or k.endswith(".dataset")}


def _leaf_dataset(ds):
    while isinstance(ds, dict) and ("dataset" in ds or "datasets" in ds) and "pipeline" not in ds:
        ds = ds.get("dataset") or (ds.get("datasets") or [None])[0]
    return ds


def flatten(v, path, out):
    if isinstance(v, dict):
        if not v:
            out[path] = "{}"
        for k, x in v.items():
            flatten(x, f"{path}.{k}" if path else str(k), out)
    elif isinstance(v, (list, tuple)) and v and all(isinstance(t, dict) and "type" in t for t in v):
        seen = collections.Counter()
        for t in v:
            name = str(t["type"])
            seen[name] += 1
            key = f"{path}.{name}" + (f"#{seen[name]}" if seen[name] > 1 else "")
            rest = {k: x for k, x in t.items() if k != "type"}
            out[key] = "<present>"
            flatten(rest, key, out) if rest else None
    else:
        out[path] = _plain(v)


def _plain(v):
    if isinstance(v, (list, tuple)):
        return tuple(_plain(x) for x in v)
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    return repr(v)


def group_of(path):
    parts = path.split(".")
    if len(parts) > 2 and parts[1] == "dataset" and parts[2] == "pipeline":
        return f"pipeline.{parts[3].split('#')[0]}" if len(parts) > 3 else "pipeline"
    return ".".join(parts[:2])


def classify(cb, leaf, where=""):
    """(class, reason, entry index) of one non-agreeing leaf, by the first matching entry."""
    for i, entry in enumerate(TABLE):
        c, pattern, cls, reason = entry[:4]
        file = entry[4] if len(entry) > 4 else None
        if c in (cb, "*") and re.match(pattern, leaf) and (file is None or re.search(file, where)):
            return cls, reason, i
    return "unclassified", "", None


def run(cb, examples):
    from migrator.load import load_config
    old_pkg, old_v, new_pkg, new_v, ctx_cb = PAIRS[cb]
    norm = mmdet_norm if cb == "mmdet" else token_norm
    old_root, new_root = real_configs(old_pkg, old_v), real_configs(new_pkg, new_v)
    olds, news = index(old_root, norm), index(new_root, norm)
    keys = sorted(set(olds) & set(news))
    stats = collections.defaultdict(collections.Counter)      # group -> kind -> leaves
    classes = collections.defaultdict(collections.Counter)    # group -> class -> leaves
    samples = collections.defaultdict(collections.Counter)    # class -> sample -> leaves
    used = collections.Counter()                              # TABLE index -> leaves
    where = {}
    skipped = collections.Counter()
    for key in keys:
        rel = olds[key].relative_to(old_root).as_posix()
        try:
            a = effective(ours(olds[key], ctx_cb))
        except Exception as e:
            skipped[f"ours: {type(e).__name__}"] += 1
            continue
        try:
            b = effective(load_config(news[key]).cfg)
        except Exception as e:
            skipped[f"theirs: {type(e).__name__}"] += 1
            continue
        fa, fb = {}, {}
        flatten(a, "", fa)
        flatten(b, "", fb)
        for p in set(fa) | set(fb):
            g = group_of(p)
            if p in fa and p in fb:
                kind = "agree" if fa[p] == fb[p] else "differ"
            else:
                kind = "ours only" if p in fa else "theirs only"
            stats[g][kind] += 1
            if kind == "agree":
                continue
            cls, _, i = classify(cb, p, rel)
            classes[g][cls] += 1
            used[i] += 1
            sample = (i, kind, p, repr(fa.get(p))[:60], repr(fb.get(p))[:60])
            samples[cls][sample] += 1
            where.setdefault(sample, rel)
    n = len(keys) - sum(skipped.values())
    print(f"\n### {cb}: {len(keys)} pairs by name ({len(olds)} old, {len(news)} new configs), "
          f"{n} compared; skipped: {dict(skipped) or 0}")
    tot = collections.Counter()
    for s in stats.values():
        tot.update(s)
    print(f"leaves: agree {tot['agree']}, differ {tot['differ']}, ours only {tot['ours only']}, "
          f"theirs only {tot['theirs only']}")
    order = sorted(stats, key=lambda g: -(sum(stats[g].values()) - stats[g]["agree"]))
    print(f"{'field group':<44}{'agree':>7}{'differ':>7}{'ours':>6}{'theirs':>7}  classes")
    for g in order:
        s = stats[g]
        if sum(s.values()) == s["agree"]:
            continue
        print(f"{g:<44}{s['agree']:>7}{s['differ']:>7}{s['ours only']:>6}{s['theirs only']:>7}  "
              + ", ".join(f"{c} {v}" for c, v in classes[g].most_common()))
    by_class = collections.Counter()
    for c in classes.values():
        by_class.update(c)
    print(f"{cb}: non-agreeing leaves by class: "
          + ", ".join(f"{k} {by_class[k]}" for k in CLASSES_ORDER) +
          f"; unclassified: {by_class['unclassified']}")
    stale = [e for i, e in enumerate(TABLE) if e[0] == cb and not used[i]]
    for e in stale:
        print(f"  table entry matching nothing (stale): {e[1]!r} [{e[2]}]")
    for c, what, rule in FIXED:
        if c == cb:
            print(f"  fixed (theirs right, agrees now): {what} -> {rule}")
    for cls in ("unclassified",) + CLASSES_ORDER:
        per_entry = collections.defaultdict(list)
        for sample, count in samples[cls].items():
            per_entry[sample[0]].append((count, sample))
        for i in sorted(per_entry, key=lambda i: -sum(c for c, _ in per_entry[i])):
            rows = sorted(per_entry[i], key=lambda r: (-r[0], r[1][2]))
            total = sum(c for c, _ in rows)
            head = "no entry" if i is None else f"{TABLE[i][1]}  {TABLE[i][3]}"
            if cls != "unclassified" and not examples:
                continue
            print(f"\n== [{cls}] {total} leaves: {head}")
            for count, (_, kind, p, x, y) in rows[:examples if cls != "unclassified" else None]:
                print(f"  {count:>4}x {kind:<11} {p}: ours={x} theirs={y}  "
                      f"(e.g. {where[(_, kind, p, x, y)]})")
    return by_class, tot


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("codebases", nargs="*", default=["mmdet", "mmpretrain", "mmseg"])
    ap.add_argument("--examples", type=int, default=4)
    args = ap.parse_args()
    for cb in args.codebases:
        run(cb, args.examples)


if __name__ == "__main__":
    main()
