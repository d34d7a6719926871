"""Verify a conversion: MMCV 1.x's trace of the old config vs the runtime's trace of the new one.

Old side: `mmcv_trace` (mmcv.py) models what MMCV 1.7.2's EpochBasedRunner/IterBasedRunner,
LrUpdaterHook, MomentumUpdaterHook, EvalHook and CheckpointHook did with the old config.
New side: what MMEngine 0.10's Runner (train loop, ParamSchedulerHook, CheckpointHook) does with
the converted config, recorded by `mmrun dry-run --batch` (runtime/dryrun.py) in a SUBPROCESS:
migrate never imports torch nor `runtime`. Every config and every dataset length of one call
goes to a single subprocess, so torch is imported once; pairs whose schedule fields are equal
(lengths.old_key / new_key) are traced once.

Dataset lengths (lengths.py): toy lengths whose epochs of 1, 3 and 7 iterations and epochs
around half the warmup exercise every epoch boundary, and one realistic length (the size of the
training set the config names), the one the reports plot. Each check is VERIFIED (traces equal),
APPROXIMATE (only lr/momentum values differ, within the bound the converter recorded for its
approximations: approx.py) or DIFFERS; a pair takes the worst of its checks.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import approx as _approx
from .lengths import new_key, old_key, realistic_length, toy_epochs
from .mmcv import epoch_length, mmcv_columns, samples_per_gpu
from .trace import Verdict, compare

ORDER = ("VERIFIED", "APPROXIMATE", "DIFFERS", "ERROR")


@dataclass
class Check:
    """One dataset length of one pair."""
    dataset_len: int
    old_trace: Optional[Dict[str, Any]] = None
    new_trace: Optional[Dict[str, Any]] = None
    verdict: Optional[Verdict] = None
    error: Optional[str] = None            # "old: ..." / "new: ..." when a side could not run
    approx: Optional[Dict[str, Any]] = None  # approx.classify() of a difference
    realistic: bool = False                # the realistic length (the one reports plot)

    @property
    def status(self) -> str:
        if self.error or self.verdict is None:
            return "ERROR"
        if self.verdict.ok:
            return "VERIFIED"
        return "APPROXIMATE" if self.approx and "beyond" not in self.approx else "DIFFERS"

    def to_dict(self) -> Dict[str, Any]:
        d: Dict[str, Any] = {"dataset_len": self.dataset_len, "status": self.status,
                             "realistic": self.realistic}
        if self.error:
            d["error"] = self.error
        if self.verdict is not None and not self.verdict.ok:
            d["first_difference"] = self.verdict.message
        if self.approx:
            d["approximation"] = self.approx
        return d


@dataclass
class PairResult:
    name: str
    old: str
    new: str
    checks: List[Check] = field(default_factory=list)
    error: Optional[str] = None            # the pair could not be set up at all
    old_cfg: Optional[Dict[str, Any]] = field(default=None, repr=False)
    new_cfg: Optional[Dict[str, Any]] = field(default=None, repr=False)
    notes: List[str] = field(default_factory=list)
    records: List[Dict[str, Any]] = field(default_factory=list)   # the converter's approximations

    @property
    def status(self) -> str:
        """VERIFIED | APPROXIMATE | DIFFERS | ERROR: the worst of its checks."""
        if self.error or not self.checks:
            return "ERROR"
        return max((c.status for c in self.checks), key=ORDER.index)

    @property
    def first(self) -> Optional[Check]:
        """The check that decides the status (the first of the worst)."""
        st = self.status
        return next((c for c in self.checks if c.status == st), None)

    @property
    def shown(self) -> Optional[Check]:
        """The check a report draws: the realistic length when it differs or nothing differs,
        else the longest dataset length among those that differ."""
        ran = [c for c in self.checks if c.old_trace and c.new_trace]
        bad = [c for c in ran if not c.verdict.ok]
        real = [c for c in ran if c.realistic]
        if real and (not bad or not real[0].verdict.ok):
            return real[0]
        pool = bad or ran
        return max(pool, key=lambda c: c.dataset_len) if pool else None

    def line(self) -> str:
        st = self.status
        lens = ",".join(str(c.dataset_len) for c in self.checks)
        if st == "VERIFIED":
            return f"VERIFIED {self.name} (dataset lengths {lens})"
        if self.error:
            return f"ERROR    {self.name}: {self.error}"
        c = self.first
        if c.error:
            return f"ERROR    {self.name}: {c.error} (dataset_len={c.dataset_len})"
        if st == "APPROXIMATE":
            c = self.shown if self.shown is not None and self.shown.status == st else c
            return (f"APPROXIMATE {self.name}: {_approx.describe(c.approx)} "
                    f"(dataset_len={c.dataset_len}; lengths {lens})")
        extra = f" [{c.approx['beyond']}]" if c.approx and "beyond" in c.approx else ""
        why = self.cause(c)
        extra += f" [{why}]" if why else ""
        return f"DIFFERS  {self.name}: {c.verdict.message} (dataset_len={c.dataset_len}){extra}"

    def cause(self, c: Check) -> Optional[str]:
        """A known cause of a difference, read from the new config (None: none known)."""
        new = self.new_cfg or {}
        if c.verdict.kind == "val_at" and new.get("val_dataloader") is not None and \
                new.get("val_cfg") is not None and new.get("val_evaluator") is None:
            return ("the new config has no val_evaluator (a TODO of the conversion): MMEngine "
                    "validates only with val_dataloader, val_cfg and val_evaluator all set")
        return None

    def to_dict(self) -> Dict[str, Any]:
        return {"name": self.name, "old": self.old, "new": self.new, "status": self.status,
                **({"error": self.error} if self.error else {}),
                "notes": list(self.notes), "approximations": list(self.records),
                "checks": [c.to_dict() for c in self.checks]}


def length_free(old_cfg: Dict[str, Any], new_cfg: Optional[Dict[str, Any]]) -> bool:
    """An IterBasedRunner run whose converted schedulers all count iterations: neither side
    reads the dataset length (MMCV's IterBasedRunner never calls before_train_epoch; MMEngine's
    IterBasedTrainLoop steps only by_epoch schedulers per data pass), so one length suffices."""
    runner = old_cfg.get("runner") or {}
    if runner.get("type") != "IterBasedRunner" or not isinstance(new_cfg, dict):
        return False
    scheds = new_cfg.get("param_scheduler") or []
    scheds = [scheds] if isinstance(scheds, dict) else scheds
    return all(isinstance(s, dict) and s.get("by_epoch") is False for s in scheds)


def choose_lengths(old_cfg: Dict[str, Any], world_size: int = 1,
                   records: Sequence[Dict[str, Any]] = (), notes: Optional[List[str]] = None,
                   new_cfg: Optional[Dict[str, Any]] = None) -> Tuple[List[int], Optional[int]]:
    """(training-set sizes to verify at, the realistic one): see lengths.py."""
    per_step = int(samples_per_gpu(old_cfg)) * world_size
    toys = [e * per_step for e in toy_epochs(old_cfg)]
    real, why = realistic_length(old_cfg, int(samples_per_gpu(old_cfg)) * world_size)
    if length_free(old_cfg, new_cfg):
        if notes is not None:
            notes.append(f"one check, dataset_len {real} ({why}): an iteration-based run whose "
                         "schedulers all count iterations does not depend on the dataset length")
        return [real], real
    keep = []
    runner = old_cfg.get("runner") or {}
    for n in toys:
        elen = epoch_length(n, int(samples_per_gpu(old_cfg)), world_size)
        its = runner.get("max_iters") if runner.get("type") == "IterBasedRunner" else \
            elen * (runner.get("max_epochs", old_cfg.get("total_epochs")) or 1)
        bad = _approx.out_of_domain(list(records), elen, its)
        if bad:
            if notes is not None:
                notes.append(f"dataset_len {n} ({elen} iteration(s) per epoch) not checked: "
                             f"outside the domain of {', '.join(bad)}")
            continue
        keep.append(n)
    if notes is not None:
        notes.append(f"realistic check: dataset_len {real}, {why}")
    return sorted(set(keep) | {real}), real


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return repr(v)


def run_new_side(items: Sequence[Dict[str, Any]], timeout: float = 1800) -> List[Dict[str, Any]]:
    """`mmrun dry-run --batch` on [{cfg, dataset_lens, world_size, full}] -> [{traces}|{error}]."""
    if not items:
        return []
    payload = json.dumps([_jsonable(it) for it in items])
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.run([sys.executable, "-m", "runtime.cli", "dry-run", "--batch"],
                          input=payload, capture_output=True, text=True, timeout=timeout, env=env)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        return [{"error": f"mmrun dry-run failed: {tail[0]}"}] * len(items)
    return json.loads(proc.stdout)


def _old_traces(old_cfg, lengths, world_size, validate: bool = True) -> List[Any]:
    out = []
    for n in lengths:
        try:   # column form: 8x less memory than one dict per iteration
            out.append(mmcv_columns(old_cfg, n, world_size, validate=validate))
        except Exception as exc:             # MMCV itself would have failed on this config
            out.append(f"old: {type(exc).__name__}: {exc}")
    return out


def assume_batch(old_cfg: Dict[str, Any], new_cfg: Dict[str, Any]):
    """A config with no data section (a schedule base audited on its own) has no batch size on
    either side: both run at the one default, DEFAULT_SAMPLES_PER_GPU (mmdet's train API), given
    to the new side as `train_dataloader.batch_size` (MMEngine's DataLoader would otherwise use
    torch's 1), and neither validates (no val set: MMEngine builds no ValLoop, mmdet's
    train_detector would have no `data.val` to build an EvalHook from).
    Returns (new_cfg, note or None)."""
    if old_cfg.get("data") is not None or new_cfg.get("train_dataloader") is not None:
        return new_cfg, None
    spg = int(samples_per_gpu(old_cfg))
    return dict(new_cfg, train_dataloader={"batch_size": spg}), \
        f"no data section: both sides at {spg} samples per GPU (the default), no validation"


def verify_configs(pairs: Sequence[Dict[str, Any]], lengths: Optional[List[int]] = None,
                   world_size: int = 1, full: bool = False, jobs: int = 1) -> List[PairResult]:
    """pairs: [{name, old, new, old_cfg, new_cfg}] (loaded dicts) -> one PairResult each. The new
    sides run in up to `jobs` `mmrun dry-run --batch` subprocesses; pairs with the same schedule
    fields share one trace per side and length (not with --full: the real Runner reads more)."""
    results, items, pending, shared = [], [], [], {}
    for p in pairs:
        r = PairResult(p["name"], str(p.get("old", "")), str(p.get("new", "")),
                       old_cfg=p.get("old_cfg"), new_cfg=p.get("new_cfg"))
        results.append(r)
        if p.get("error"):
            r.error = p["error"]
            continue
        new_cfg, note = assume_batch(p["old_cfg"], p["new_cfg"])
        if note:
            r.notes.append(note)
        r.records = _approx.records(p["old_cfg"])
        try:
            if lengths:
                lens, real = list(lengths), max(lengths)
            else:
                lens, real = choose_lengths(p["old_cfg"], world_size, r.records, r.notes,
                                            new_cfg)
        except Exception as exc:
            r.error = f"old: {type(exc).__name__}: {exc}"
            continue
        data = p["old_cfg"].get("data")
        validate = note is None and isinstance(data, dict) and data.get("val") is not None
        if note is None and not validate:
            r.notes.append("no data.val: the train APIs (train_detector, train_model, ...) build "
                           "the EvalHook from it, so the old config only ran with --no-validate: "
                           "no validation on the old side")
        key = None if full else (old_key(p["old_cfg"]), new_key(new_cfg), tuple(lens), validate)
        if key is not None and key in shared:
            shared[key][1].append(r)
            continue
        olds = _old_traces(p["old_cfg"], lens, world_size, validate=validate)
        if not lengths and isinstance(olds[lens.index(real)], str) and \
                any(isinstance(o, dict) for o in olds):   # MMCV itself fails at that size
            r.notes.append(f"realistic check dropped: MMCV fails at dataset_len {real} "
                           f"({olds[lens.index(real)][5:]})")
            olds.pop(lens.index(real))
            lens.remove(real)
            real = None
        r.checks = [Check(n, old_trace=o if isinstance(o, dict) else None,
                          error=o if isinstance(o, str) else None, realistic=n == real)
                    for n, o in zip(lens, olds)]
        if key is not None:
            shared[key] = (r, [])
        items.append(dict(cfg=new_cfg, dataset_lens=lens, world_size=world_size, full=full))
        pending.append(r)
    jobs = max(1, min(jobs, len(items) // 20 + 1))      # a subprocess costs ~0.3 s to start
    step = -(-len(items) // jobs) if items else 1
    chunks = [items[i:i + step] for i in range(0, len(items), step)]
    if len(chunks) > 1:
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(len(chunks)) as pool:
            outs = [o for part in pool.map(run_new_side, chunks) for o in part]
    else:
        outs = run_new_side(items)
    for r, out in zip(pending, outs):
        if "error" in out:
            for c in r.checks:
                c.error = c.error or f"new: {out['error']}"
            continue
        for c, t in zip(r.checks, out["traces"]):
            c.new_trace = t
            if c.error is None:
                c.verdict = compare(c.old_trace, t)
                if not c.verdict.ok:
                    c.approx = _approx.classify(c.old_trace, t, c.verdict, r.records,
                                                r.old_cfg, world_size)
    for first, others in shared.values():
        for r in others:
            r.checks = first.checks
    return results


def load_pair(name: str, old_path, new_path, old_cfg=None) -> Dict[str, Any]:
    """Load both configs statically (`_base_` resolved) for verify_configs()."""
    from ..load import load_config
    p: Dict[str, Any] = {"name": name, "old": str(old_path), "new": str(new_path)}
    try:
        p["old_cfg"] = old_cfg if old_cfg is not None else load_config(old_path).cfg
    except Exception as exc:
        p["error"] = f"old: cannot load: {exc}"
        return p
    try:
        p["new_cfg"] = load_config(new_path).cfg
    except Exception as exc:
        p["error"] = f"new: cannot load: {exc}"
    return p


def write_traces(results: List[PairResult], trace_dir) -> None:
    """Both traces of every check as compact JSON: <dir>/<name>.len<N>.{old,new}.json."""
    from .trace import write_trace
    d = Path(trace_dir)
    for r in results:
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", r.name).strip("_")
        for c in r.checks:
            for side, t in (("old", c.old_trace), ("new", c.new_trace)):
                if t is not None:
                    out = d / f"{stem}.len{c.dataset_len}.{side}.json"
                    out.parent.mkdir(parents=True, exist_ok=True)
                    write_trace(t, out)


def report(results: List[PairResult], out=None, trace_dir=None, html=None,
           skipped: Sequence[Tuple[str, str]] = (), deep=None, json_path=None) -> int:
    """Print one line per pair (and per skipped file), write the optional artefacts (`deep`:
    data/model records by (old, new), shown next to the schedule verdict in the HTML); exit
    status 1 on any schedule difference or error, else 0 (APPROXIMATE: within the bounds the
    converter recorded and warned about)."""
    out = out or sys.stdout
    for r in results:
        print(r.line(), file=out)
    for path, why in skipped:
        print(f"SKIPPED  {path}: {why}", file=out)
    if trace_dir:
        write_traces(results, trace_dir)
    if html:
        from .html import write_report
        write_report(results, html, skipped, deep=deep)
    if json_path:
        Path(json_path).write_text(json.dumps(TreeVerification(list(results), list(skipped))
                                              .to_dict(), indent=1) + "\n")
    return 0 if all(r.status in ("VERIFIED", "APPROXIMATE") for r in results) else 1


# ---- trees: which files are verified -------------------------------------------------------

def missing_parts(old_cfg: Dict[str, Any]) -> List[str]:
    """What an old config lacks before MMCV's train API could run it on its own (after
    `_base_` merging): a model, a training set, an optimizer, a run length."""
    missing = []
    if not isinstance(old_cfg.get("model"), dict):
        missing.append("model")
    data = old_cfg.get("data")
    if not isinstance(data, dict) or data.get("train") is None:
        missing.append("data.train")
    if not isinstance(old_cfg.get("optimizer"), dict):
        missing.append("optimizer")
    if not isinstance(old_cfg.get("runner"), dict) and old_cfg.get("total_epochs") is None:
        missing.append("runner")
    return missing


def trainable(old_cfg: Dict[str, Any]) -> bool:
    return not missing_parts(old_cfg)


def mmengine_style(cfg: Dict[str, Any]) -> bool:
    """Already an MMEngine config: no old optimizer, some new training field."""
    return "optimizer" not in cfg and any(k in cfg for k in ("optim_wrapper", "train_cfg",
                                                              "param_scheduler"))


@dataclass
class TreeVerification:
    """`migrate ... --verify` over many files: the pairs verified and the files skipped."""
    results: List[PairResult] = field(default_factory=list)
    skipped: List[Tuple[str, str]] = field(default_factory=list)     # (output file, reason)
    deep: Optional[Dict[Tuple[str, str], Dict[str, dict]]] = None   # --verify=all records

    def counts(self) -> Dict[str, int]:
        c = {"verified": 0, "approximate": 0, "differs": 0, "could not run": 0}
        for r in self.results:
            c[{"VERIFIED": "verified", "APPROXIMATE": "approximate",
               "DIFFERS": "differs"}.get(r.status, "could not run")] += 1
        c["not trainable alone"] = sum(w.startswith(NOT_TRAINABLE) for _, w in self.skipped)
        c["already MMEngine-style"] = sum(w == ALREADY_NEW for _, w in self.skipped)
        return c

    def summary(self) -> str:
        return "verify summary: " + ", ".join(f"{n} {k}" for k, n in self.counts().items())

    def to_dict(self) -> Dict[str, Any]:
        return {"summary": self.counts(), "results": [r.to_dict() for r in self.results],
                "skipped": [{"file": f, "reason": w} for f, w in self.skipped]}


NOT_TRAINABLE = "not trainable alone"
ALREADY_NEW = "already MMEngine-style: no MMCV 1.x side to compare"


def plan_pairs(files: Sequence[Tuple[Any, Any]]) -> Tuple[List[Dict[str, Any]],
                                                            List[Tuple[str, str]]]:
    """[(old source, written output)] -> (pairs for verify_configs, skipped files with why).
    Every file that could be trained on its own is verified, whatever its conversion status
    (a child holding only `_base_` is unchanged by migrate but is what users train)."""
    from ..load import load_config
    pairs, skipped = [], []
    for src, out in files:
        try:
            old_cfg = load_config(src).cfg
        except Exception:
            pairs.append(load_pair(str(out), src, out))     # reported as ERROR, with the reason
            continue
        if mmengine_style(old_cfg):
            skipped.append((str(out), ALREADY_NEW))
            continue
        missing = missing_parts(old_cfg)
        if missing:
            skipped.append((str(out), f"{NOT_TRAINABLE} (no {', '.join(missing)})"))
            continue
        pairs.append(load_pair(str(out), src, out, old_cfg=old_cfg))
    return pairs, skipped


def verify_tree(files: Sequence[Tuple[Any, Any]], lengths=None, world_size: int = 1,
                full: bool = False, jobs: int = 1) -> TreeVerification:
    """What `migrate ... -o OUT --verify` does after writing (benchmarks/verify_tree.py too)."""
    pairs, skipped = plan_pairs(files)
    return TreeVerification(verify_configs(pairs, lengths, world_size, full, jobs), skipped)


def verify_written(results, args) -> Tuple[int, Optional[TreeVerification]]:
    """`migrate ... -o OUT --verify`: verify every written output that is trainable alone.
    `results` are migrator.cli.Result objects (src, out, status). Returns (exit status, what
    was verified)."""
    if getattr(args, "in_place", False):
        print("migrate: error: --verify needs the old files: use -o OUT_DIR, not --in-place",
              file=sys.stderr)
        return 2, None
    files = [(r.src, r.out) for r in results
             if r.status != "error" and r.out and Path(r.out).is_file()]
    tv = verify_tree(files, args.dataset_len, args.world_size, args.full,
                     getattr(args, "jobs", 1) or 1)
    rc_deep = 0
    if getattr(args, "verify_all", False):          # --verify=all: data and model too
        from .cli import run_deep_cli
        rc_deep, tv.deep = run_deep_cli([(r.old, r.new) for r in tv.results if not r.error],
                                        ["data", "model"], args)
        if tv.deep is None:
            return rc_deep, tv
    rc = max(report(tv.results, sys.stdout, args.trace_dir, args.html, tv.skipped,
                    deep=tv.deep, json_path=getattr(args, "verify_json", None)), rc_deep)
    print(tv.summary(), file=sys.stdout)
    if not tv.results:
        print("migrate: --verify: no config among the outputs is trainable on its own",
              file=sys.stderr)
    return rc, tv
