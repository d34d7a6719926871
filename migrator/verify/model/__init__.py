"""Model verification: the old model in its old codebase against the converted one in its new one.

`verify_models(pairs, old_python, new_python, work_dir)` -> one verdict record per pair
(`{"kind": "model", "old", "new", "verdict", "first_difference", "checked", "stopped_at",
"known_deviations", "seconds"}`, the shared contract of issue 12). Pure orchestration: this
module never imports torch; the work runs in two long-lived subprocesses, one per env, kept
warm over up to `batch` configs and driven in lockstep (old job i, then new job i: one of
them computes at a time, and one `<id>.old.pt` exists at a time):

  harness_old.py (old env: MMCV 1.7.2, mmdet 2.28.2 / mmcls 0.25.0 / mmseg 0.30.0)
      builds each old model, `torch.manual_seed(0); init_weights()`, saves its state dict, a
      fixed random batch and ground truth, and runs eval/train/step (`side.py`);
  harness_new.py (new env: mmcv 2.1.0, mmengine 0.10.7, mmdet 3.3.0 / mmpretrain 1.2.0 /
      mmseg 1.2.2) builds each converted model, loads the old state dict through the checkpoint
      table (`migrator/checkpoint/table.py`), runs the same on the same batch and compares
      (`compare.py`).

Protocol (`inenv.serve`): one JSON job per stdin line; per job the harness prints
`@@mmmigrate-done <id> <json>` on its own stdout (the codebases' prints go to stderr). A worker
that dies or times out is restarted for the next job and the job gets an ERROR record naming
the exit code and the tail of its stderr.

What is compared per codebase: `cls.py`, `seg.py`, `det.py`. Identical set-up on both sides
(`inenv.prepare`): Pretrained init_cfgs removed, `pretrained=None`, SyncBN -> BN.
"""
from __future__ import annotations

import json
import os
import select
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
KNOWN = HERE / "known.py"
MARK = "@@mmmigrate-done "


class _Worker:
    """One harness process kept warm: `job(j)` sends a job and waits for its done line."""

    def __init__(self, python, script: str, args: List[str], env: Optional[dict], cwd: str,
                 log_path: Path):
        self.cmd = [str(python), "-P", str(HERE / script), *args]
        self.env, self.cwd, self.log_path = env, cwd, log_path
        self.proc = None
        self.jobs = 0

    def _start(self):
        self.err = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, env=self.env, cwd=self.cwd)
        self.jobs, self.buf = 0, b""

    def _tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-400:]
        except OSError:
            return ""

    def job(self, job: dict, timeout: float) -> Tuple[Optional[dict], str]:
        """(the harness's done payload, "") or (None, why it has none)."""
        if self.proc is None:
            self._start()
        self.jobs += 1
        try:
            self.proc.stdin.write((json.dumps(job) + "\n").encode())
            self.proc.stdin.flush()
        except OSError:
            pass                               # it died: reported below from its exit
        deadline = time.time() + timeout
        fd = self.proc.stdout.fileno()
        while True:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                text = line.decode("utf-8", "replace")
                if text.startswith(MARK):
                    ident, _, payload = text[len(MARK):].partition(" ")
                    if ident == str(job["id"]):
                        return (json.loads(payload) if payload else {}), ""
            left = deadline - time.time()
            if left <= 0:
                self.stop(kill=True)
                return None, f"timed out after {timeout:.0f}s"
            ready, _, _ = select.select([fd], [], [], min(left, 5.0))
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:                      # EOF: the process died
                rc = self.proc.wait()
                why = f"exit {rc}: {self._tail()}"
                self.stop()
                return None, why
            self.buf += chunk

    def stop(self, kill: bool = False):
        if self.proc is None:
            return
        if kill:
            self.proc.kill()
        else:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.err.close()
        self.proc = None


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
                  batch: int = 50, timeout: float = 1800.0,
                  old_env: Optional[Dict[str, str]] = None, log=None,
                  rules: Optional[Sequence[Tuple[str, Optional[str]]]] = None,
                  on_record: Optional[Callable[[int, dict], None]] = None,
                  stop: Optional[Callable[[], bool]] = None,
                  no_dropout: bool = False) -> List[dict]:
    """Verify each `(old_config, new_config)` pair; records in the order of `pairs`.

    `batch`: the two harness processes are restarted after this many configs (memory);
    `timeout`: per config and side. `on_record(i, rec)` is called as each record is made;
    `stop()`, asked before each config, ends the run early (the records made so far are
    returned). `no_dropout`: every dropout/drop-path rate 0 on both sides (a diagnosis of
    train-mode differences; the records say so). `rules`: checkpoint renames to use instead of the table's (a checkpoint
    migration that differs from the table, e.g. one that lost a rename: the tests)."""
    from .known import annotate
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    jobs = [{"id": i, "old": str(Path(o).resolve()), "new": str(Path(n).resolve())}
            for i, (o, n) in enumerate(pairs)]
    for j in jobs:
        if rules is not None:
            j["rules"] = [list(r) for r in rules]
        if no_dropout:
            j["no_dropout"] = True
    cwd = tempfile.gettempdir()
    old = _Worker(old_python, "harness_old.py", [str(work)],
                  old_env if old_env is not None else _old_env(), cwd, work / "old.stderr")
    new = _Worker(new_python, "harness_new.py", [str(work)], _new_env(), cwd,
                  work / "new.stderr")
    result = []
    t0 = time.time()
    try:
        for j, (o, n) in zip(jobs, pairs):
            if stop is not None and stop():
                break
            for w in (old, new):
                if w.jobs >= batch:
                    w.stop()
            t1 = time.time()
            got, why = old.job(j, timeout)
            t_old = time.time() - t1
            if got is None:
                rec = _crash(j, "old", why)
            else:
                t1 = time.time()
                got, why = new.job(j, timeout)
                rec = got if got is not None else _crash(j, "new", why)
                rec["process_seconds"] = {"old": round(t_old, 2),
                                          "new": round(time.time() - t1, 2)}
            for suffix in (".old.pt", ".old.json"):
                (work / f"{j['id']}{suffix}").unlink(missing_ok=True)
            rec = annotate(dict(rec, old=str(o), new=str(n)))
            result.append(rec)
            if on_record is not None:
                on_record(j["id"], rec)
            if log:
                log(f"model verification: {len(result)}/{len(jobs)} configs "
                    f"({time.time() - t0:.0f}s)")
    finally:
        old.stop()
        new.stop()
    return result
