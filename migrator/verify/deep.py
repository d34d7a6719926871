"""Data and model verification for `migrate verify --data --model` and `migrate ... --verify=all`
(issue 12): orchestration only, no torch. The data kind is `migrator.verify.data.verify_data`,
the model kind `migrator.verify.model.verify_models`; both return one record per pair in the
shared format ({"kind", "old", "new", "verdict", "first_difference", "checked", "stopped_at",
"known_deviations", "seconds"}).
"""
from __future__ import annotations

import importlib
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

KINDS = ("data", "model")
# verdicts that make `migrate verify` exit 1 (PARTIAL and SKIPPED are printed, not failures)
FAILING = ("DIFFERS", "ERROR")


class DeepError(RuntimeError):
    """Verification cannot start (a missing module, an environment that does not build)."""


def add_deep_options(p) -> None:
    p.add_argument("--old-python", type=Path,
                   help="interpreter of the old env (MMCV 1.x + old codebases; default: "
                        "`migrate env create old ...`, built into the cache)")
    p.add_argument("--new-python", type=Path,
                   help="interpreter of the new env (mmcv 2.x + MMEngine + new codebases; "
                        "default: `migrate env create new ...`)")
    p.add_argument("--work-dir", type=Path,
                   help="where generated data and saved tensors go (default: a temp dir)")


def pythons(args) -> Tuple[Path, Path]:
    """The two interpreters: given with --old-python/--new-python, else built into the cache."""
    from ..envs.base import EnvBuildError
    out = []
    for side, given in (("old", getattr(args, "old_python", None)),
                        ("new", getattr(args, "new_python", None))):
        if given is not None:
            if not Path(given).is_file():
                raise DeepError(f"--{side}-python {given}: no such interpreter")
            out.append(Path(given))
            continue
        from ..envs.cli import create
        try:
            out.append(Path(create(side, "mmdet",
                                   log=lambda m: print(m, file=sys.stderr))))
        except EnvBuildError as e:
            raise DeepError(f"building the {side} env failed: {str(e).splitlines()[0]}") from e
    return out[0], out[1]


def _entry(kind: str):
    mod, fn = {"data": ("migrator.verify.data", "verify_data"),
               "model": ("migrator.verify.model", "verify_models")}[kind]
    try:
        return getattr(importlib.import_module(mod), fn)
    except (ImportError, AttributeError) as e:
        raise DeepError(f"--{kind}: {mod}.{fn} is not available in this checkout ({e})") from e


def run_deep(pairs: Sequence[Tuple[str, str]], kinds: Sequence[str], old_python, new_python,
             work_dir=None) -> Dict[Tuple[str, str], Dict[str, dict]]:
    """(old, new) -> {kind: record} for every pair and requested kind."""
    fns = {k: _entry(k) for k in kinds}          # fail before any work when one is missing
    out: Dict[Tuple[str, str], Dict[str, dict]] = {(str(o), str(n)): {} for o, n in pairs}
    if not pairs:
        return out
    with tempfile.TemporaryDirectory(prefix="mmmigrate-verify-") as tmp:
        base = Path(work_dir) if work_dir else Path(tmp)
        for kind, fn in fns.items():
            recs = fn([(str(o), str(n)) for o, n in pairs], old_python, new_python,
                      base / kind)
            for (o, n), rec in zip(pairs, recs):
                out[(str(o), str(n))][kind] = rec
    return out


def lines(deep: Dict[Tuple[str, str], Dict[str, dict]]) -> List[str]:
    from .data import line
    return [line(rec) for recs in deep.values() for rec in recs.values()]


def failed(deep: Dict[Tuple[str, str], Dict[str, dict]]) -> bool:
    return any(rec["verdict"] in FAILING for recs in deep.values() for rec in recs.values())


def cell(rec: Optional[dict]) -> Tuple[str, str]:
    """(verdict, one-line detail) of a record for the reports; ("", "") when absent."""
    if not rec:
        return "", ""
    v = rec["verdict"]
    if v == "DIFFERS":
        return v, rec["first_difference"]["message"]
    if v == "PARTIAL":
        return v, f"equal up to {rec.get('stopped_at')}"
    if v == "SKIPPED":
        return v, str(rec.get("reason") or "")
    if v == "ERROR":
        return v, str(rec.get("error") or rec.get("stopped_at") or "")
    n = len(rec.get("known_deviations") or [])
    return v, f"{len(rec.get('checked') or [])} fields equal" + (
        f", {n} known deviations" if n else "")


def md_lines(deep, schedule: Dict[Tuple[str, str], object], name) -> List[str]:
    """Markdown for report_md.py: counts per kind and verdict, then one row per config with the
    schedule, data and model verdicts side by side (first differences in the cells)."""
    kinds = [k for k in KINDS if any(k in recs for recs in deep.values())]
    out = ["### Data and model verification (real old vs new codebases)", ""]
    for k in kinds:
        counts: Dict[str, int] = {}
        for recs in deep.values():
            if k in recs:
                counts[recs[k]["verdict"]] = counts.get(recs[k]["verdict"], 0) + 1
        out.append(f"- {k}: " + ", ".join(f"{n} {v}" for v, n in sorted(counts.items())))
    out += ["", "| config | schedule | " + " | ".join(kinds) + " |",
            "|---|---|" + "---|" * len(kinds)]
    esc = lambda t: str(t).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    for pair, recs in deep.items():
        r = schedule.get(pair)
        cells = []
        for k in kinds:
            v, detail = cell(recs.get(k))
            cells.append(f"{v}: {esc(detail)}" if v not in ("VERIFIED", "") else v)
        out.append(f"| {name(getattr(r, 'name', pair[1]))} | {getattr(r, 'status', '')} | "
                   + " | ".join(cells) + " |")
    return out + [""]
