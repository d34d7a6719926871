"""Model verification: the old model in its old codebase against the converted one in its new one.

`verify_models(pairs, old_python, new_python, work_dir)` -> one verdict record per pair
(`{"kind": "model", "old", "new", "verdict", "first_difference", "checked", "stopped_at",
"known_deviations", "seconds"}`, the shared contract of issue 12). Pure orchestration: this
module never imports torch; the work runs in two subprocesses per batch of configs:

  harness_old.py (old env: MMCV 1.7.2, mmdet 2.28.2 / mmcls 0.25.0 / mmseg 0.30.0)
      builds each old model, `torch.manual_seed(0); init_weights()`, saves its state dict, a
      fixed random batch and ground truth, and runs eval/train/step (`side.py`);
  harness_new.py (new env: mmcv 2.1.0, mmengine 0.10.7, mmdet 3.3.0 / mmpretrain 1.2.0 /
      mmseg 1.2.2) builds each converted model, loads the old state dict through the checkpoint
      table (`migrator/checkpoint/table.py`), runs the same on the same batch and compares
      (`compare.py`).

What is compared per codebase: `cls.py`, `seg.py`, `det.py`. Identical set-up on both sides
(`inenv.prepare`): Pretrained init_cfgs removed, `pretrained=None`, SyncBN -> BN.
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
KNOWN = HERE / "known.py"


def _run(python, script: str, args: List[str], jobs: List[dict], env: Optional[dict],
         timeout: float, cwd: str) -> Tuple[int, str]:
    try:
        proc = subprocess.run([str(python), "-P", str(HERE / script), *args],
                              input="".join(json.dumps(j) + "\n" for j in jobs), text=True,
                              capture_output=True, timeout=timeout, env=env, cwd=cwd)
        return proc.returncode, proc.stderr[-400:]
    except subprocess.TimeoutExpired:
        return -1, f"timed out after {timeout:.0f}s"


def _old_env() -> Dict[str, str]:
    from migrator.envs.old import old_python_env
    return old_python_env()


def _new_env() -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONWARNINGS"] = env.get("PYTHONWARNINGS", "ignore")
    return env


def _crash(job: dict, side: str, why: str) -> dict:
    return {"kind": "model", "old": job["old"], "new": job["new"], "verdict": "ERROR",
            "first_difference": {"where": f"{side} harness", "old": "", "new": "",
                                 "message": f"the {side} harness died: {why}"},
            "checked": [], "stopped_at": None, "known_deviations": [], "seconds": 0.0}


def verify_models(pairs: Sequence[Tuple[str, str]], old_python, new_python, work_dir,
                  batch: int = 20, timeout: float = 3600.0,
                  old_env: Optional[Dict[str, str]] = None, log=None,
                  rules: Optional[Sequence[Tuple[str, Optional[str]]]] = None) -> List[dict]:
    """Verify each `(old_config, new_config)` pair; records in the order of `pairs`.

    `rules`: checkpoint renames to use instead of the table's (a checkpoint migration that
    differs from the table, e.g. one that lost a rename: the tests)."""
    from .known import annotate
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    jobs = [{"id": i, "old": str(Path(o).resolve()), "new": str(Path(n).resolve())}
            for i, (o, n) in enumerate(pairs)]
    if rules is not None:
        for j in jobs:
            j["rules"] = [list(r) for r in rules]
    env_old = old_env if old_env is not None else _old_env()
    records: Dict[int, dict] = {}
    cwd = tempfile.gettempdir()
    for start in range(0, len(jobs), batch):
        chunk = jobs[start:start + batch]
        t0 = time.time()
        todo = list(chunk)
        while todo:                           # a crash loses the rest of a process: go on
            rc, err = _run(old_python, "harness_old.py", [str(work)], todo, env_old, timeout,
                           cwd)
            done = [j for j in todo if (work / f"{j['id']}.old.pt").exists()]
            if len(done) < len(todo):
                first = next(j for j in todo if j not in done)
                records[first["id"]] = _crash(first, "old", f"exit {rc}: {err}")
                todo = [j for j in todo[todo.index(first) + 1:]
                        if not (work / f"{j['id']}.old.pt").exists()]
            else:
                todo = []
        todo = [j for j in chunk if (work / f"{j['id']}.old.pt").exists()]
        out = work / f"records-{start}.jsonl"
        while todo:
            rc, err = _run(new_python, "harness_new.py", [str(work), str(out)], todo,
                           _new_env(), timeout, cwd)
            got = {r["old"] + "\0" + r["new"] for r in _read(out)}
            left = [j for j in todo if j["old"] + "\0" + j["new"] not in got]
            if left:
                records[left[0]["id"]] = _crash(left[0], "new", f"exit {rc}: {err}")
                (work / f"{left[0]['id']}.old.pt").unlink(missing_ok=True)
                left = left[1:]
            todo = left
        by_pair = {(r["old"], r["new"]): r for r in _read(out)}
        for j in chunk:
            if (j["old"], j["new"]) in by_pair:
                records[j["id"]] = by_pair[(j["old"], j["new"])]
        if log:
            log(f"model verification: {start + len(chunk)}/{len(jobs)} configs "
                f"({time.time() - t0:.0f}s for the last {len(chunk)})")
    result = []
    for j, (o, n) in zip(jobs, pairs):
        rec = dict(records[j["id"]], old=str(o), new=str(n))
        result.append(annotate(rec))
    return result


def _read(path: Path) -> List[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
