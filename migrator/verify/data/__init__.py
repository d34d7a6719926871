"""Data verification: the old pipeline in the old codebase against the new pipeline plus the new
model's data_preprocessor in the new codebase, on a small generated dataset (issue 12).

Pure orchestration (no torch, no codebase import): `harness_old.py` runs under the old-codebases
interpreter (MMCV 1.7.2, MMEngine blocked) and generates the data and the old samples,
`harness_new.py` under the new one builds the new samples and compares (dv_compare.py), both
through `xenv.run_many` (many configs per process, one timeout per batch, failures named per
config). One verdict record per pair, in the shared format:
{"kind": "data", "old", "new", "verdict", "first_difference", "checked", "stopped_at",
 "known_deviations", "seconds"} (+ "reason" for SKIPPED, "error" for ERROR).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from ..xenv import run_many

HERE = Path(__file__).resolve().parent


def _record(old, new, verdict, seconds=0.0, **kw) -> dict:
    rec = {"kind": "data", "old": str(old), "new": str(new), "verdict": verdict,
           "first_difference": None, "checked": [], "stopped_at": None,
           "known_deviations": [], "seconds": round(seconds, 3)}
    rec.update(kw)
    return rec


def _error_text(err) -> str:
    if not isinstance(err, dict):
        return str(err)
    at = f" ({err['at']})" if err.get("at") else ""
    return f"{err.get('error')}: {err.get('message')}{at}"


def verify_data(pairs: Sequence[Tuple[str, str]], old_python, new_python, work_dir,
                batch: int = 40, jobs: int = 1, timeout: float = 1800.0,
                keep: bool = False) -> List[dict]:
    """One data verdict record per `(old_config, new_config)` pair, in order. Generated data
    and saved samples live under `work_dir/<index>/` (removed afterwards unless `keep`)."""
    from ...envs.old import old_python_env
    work = Path(work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    items = [{"id": str(i), "old": os.path.abspath(o), "data_dir": str(work / str(i) / "data"),
              "out": str(work / str(i) / "out")} for i, (o, _) in enumerate(pairs)]
    olds = run_many(HERE / "harness_old.py", items, old_python, batch=batch, jobs=jobs,
                    timeout=timeout, env=old_python_env(), cwd=str(work))
    records: List[Optional[dict]] = [None] * len(pairs)
    todo = []
    for i, ((o, n), res) in enumerate(zip(pairs, olds)):
        secs = res.get("seconds", 0.0)
        if res.get("status") == "skipped":
            records[i] = _record(o, n, "SKIPPED", secs, reason=res.get("reason"))
        elif res.get("status") != "ok":
            records[i] = _record(o, n, "ERROR", secs,
                                 error="old side: " + _error_text(res.get("error")))
        else:
            todo.append({"id": str(i), "new": os.path.abspath(n), "old": res,
                         "out": items[i]["out"]})
    news = run_many(HERE / "harness_new.py", todo, new_python, batch=batch, jobs=jobs,
                    timeout=timeout, cwd=str(work)) if todo else []
    for item, res in zip(todo, news):
        i = int(item["id"])
        o, n = pairs[i]
        secs = item["old"].get("seconds", 0.0) + res.get("seconds", 0.0)
        if "verdict" not in res:
            records[i] = _record(o, n, "ERROR", secs,
                                 error="new side: " + _error_text(res.get("error")))
            continue
        rec = _record(o, n, res["verdict"], secs, first_difference=res["first_difference"],
                      checked=res["checked"], stopped_at=res["stopped_at"],
                      known_deviations=res["known_deviations"])
        if res["verdict"] == "ERROR":
            rec["error"] = res["stopped_at"]
            rec["stopped_at"] = None
        records[i] = rec
    from ..model.known import annotate
    records = [annotate(r) if r and r["verdict"] == "DIFFERS" else r for r in records]
    if not keep:
        for item in items:
            shutil.rmtree(Path(item["out"]).parent, ignore_errors=True)
    return records  # type: ignore[return-value]


def line(rec: dict) -> str:
    """One line per record for the terminal: `DATA VERIFIED old -> new` or the first difference."""
    name = f"{rec['old']} -> {rec['new']}"
    v = rec["verdict"]
    kind = rec.get("kind", "data").upper()
    if v == "VERIFIED":
        extra = f" ({len(rec['checked'])} fields equal"
        extra += f", {len(rec['known_deviations'])} known deviations)" \
            if rec["known_deviations"] else ")"
        return f"{kind} VERIFIED {name}{extra}"
    if v == "DIFFERS":
        return f"{kind} DIFFERS  {name}: {rec['first_difference']['message']}"
    if v == "PARTIAL":
        return f"{kind} PARTIAL  {name}: equal up to {rec.get('stopped_at')}"
    if v == "SKIPPED":
        return f"{kind} SKIPPED  {name}: {rec.get('reason')}"
    return f"{kind} ERROR    {name}: {rec.get('error') or rec.get('stopped_at')}"
