"""The toy MMCV 1.x project (fixtures/mmcv_project/): migrate it, run it old and new.

`migrate_project(dst, target)` converts a copy of the project: the configs with the `migrate`
config compiler, every other Python file with the code migration
(`migrator.code.migrate_source`: `migrator.code.scripts.rewrite_script` for train/test
scripts and `apis/train.py`, then the fixers), all in one `migrate PROJECT -o DST` run.
`MANUAL_EDITS` lists what still has to be edited by hand after `migrate` (known gaps, each with
its reason); `migrate_project` asserts each edit's
text is really there, so a gap that gets closed makes the test fail until the entry is removed.

`train(project, work_dir, python, env)` runs `tools/train.py configs/toy_twice.py` with the same
command line on both sides and returns the records: RecordHook's JSON lines and the final
checkpoint's weights.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "fixtures" / "mmcv_project"
CONFIG = "configs/toy_twice.py"
TRAIN_ARGS = ["--seed", "0", "--deterministic", "--no-validate"]

# (file, text in the migrated file, replacement, why `migrate` does not do it yet)
MANUAL_EDITS: List[Tuple[str, str, str, str]] = []     # none left
RUNTIME_EDITS: List[Tuple[str, str, str, str]] = []    # runtime-only gaps (none left)


def migrate_code(text: str, path: str, target: str) -> Tuple[str, list]:
    """One Python file through the code migration (`migrate_source`: the script templates /
    apis rewrite, then the fixers)."""
    from migrator.code import migrate_source
    res = migrate_source(text, path, target)
    if res.error:
        raise RuntimeError(res.error)
    return res.new_text, [str(x) for x in res.findings]


def migrate_project(dst: Path, target: str = "mmengine") -> Dict[str, list]:
    """`migrate fixtures/mmcv_project -o DST --target TARGET` (configs and code in one run),
    then the manual edits; returns the report's findings per migrated file."""
    from migrator.cli import main as migrate
    if dst.exists():
        shutil.rmtree(dst)
    report = dst.parent / f"{dst.name}-report.json"
    rc = migrate([str(PROJECT), "-o", str(dst), "--target", target, "-q",
                  "--report", str(report)])
    if rc != 0:
        raise RuntimeError(f"migrate exited with {rc} on {PROJECT}")
    findings: Dict[str, list] = {}
    for entry in json.loads(report.read_text())["files"]:
        findings[entry["path"]] = entry.get("warnings", []) + entry.get("not_converted", [])
    for rel, old, new, why in MANUAL_EDITS + (RUNTIME_EDITS if target == "runtime" else []):
        p = dst / rel
        text = p.read_text()
        if old not in text:
            raise AssertionError(f"manual edit no longer needed in {rel} ({why}): remove it "
                                 "from MANUAL_EDITS")
        p.write_text(text.replace(old, new.format(pkg=target)))
    return findings


def train(project: Path, work_dir: Path, python: str = sys.executable,
          env: Dict[str, str] = None, extra: List[str] = (), config: str = CONFIG) -> dict:
    env = dict(os.environ if env is None else env)
    env.setdefault("PYTHONWARNINGS", "ignore")
    cmd = [str(python), "tools/train.py", config, "--work-dir", str(work_dir), *TRAIN_ARGS,
           *extra]
    proc = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True,
                          timeout=600)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} (in {project}) failed:\n{proc.stderr[-4000:]}")
    return records(work_dir)


def records(work_dir: Path) -> dict:
    import torch
    lines = [json.loads(l) for l in (work_dir / "hook_calls.jsonl").read_text().splitlines()]
    ckpts = sorted(list(work_dir.glob("epoch_*.pth")) + list(work_dir.glob("iter_*.pth")),
                   key=lambda p: int(p.stem.split("_")[1]))
    state = torch.load(ckpts[-1], map_location="cpu", weights_only=False)["state_dict"]
    return {"calls": lines, "weights": {k: v.double() for k, v in state.items()},
            "checkpoints": [p.name for p in ckpts]}
