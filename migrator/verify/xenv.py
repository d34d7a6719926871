"""Run a harness script in an environment's interpreter over many items, in batches.

Host side only (runs in `migrate`'s interpreter: no torch, no codebase import). A harness is a
script under `migrator/verify/` run as `python -P SCRIPT OUT.jsonl - [ARGS...]`: it reads one item
per stdin line (a config path, or a JSON object), imports its codebase once, and appends one JSON
line per item to OUT.jsonl, flushed as it goes, carrying the item's identity under `key`. Every
batch is its own process with its own timeout; an item the process did not report (it crashed,
was killed, timed out) gets the result `missing(item, why)`, so every failure is named per item.
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Union

Item = Union[str, Mapping]


def identity(item: Item) -> str:
    """A string item is its own identity; a JSON item carries it under "id"."""
    return item if isinstance(item, str) else str(item["id"])


def _line(item: Item) -> str:
    return item if isinstance(item, str) else json.dumps(item)


def crash_result(item: Item, why: str) -> dict:
    return {"id": identity(item), "status": "error",
            "error": {"error": "crash", "message": why}}


def run_batch(script, chunk: Sequence[Item], python, timeout: float, *, args=(), cwd=None,
              env: Optional[Mapping[str, str]] = None, key: str = "id",
              missing: Callable[[Item, str], dict] = crash_result) -> Dict[str, dict]:
    """One process of `script` under `python` over `chunk`; identity -> result."""
    results, why = {}, None
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl") as out:
        try:
            proc = subprocess.run(
                [str(python), "-P", os.path.abspath(str(script)), out.name, "-",
                 *map(str, args)],
                input="\n".join(_line(i) for i in chunk), text=True, capture_output=True,
                timeout=timeout, cwd=cwd or tempfile.gettempdir(),
                env=None if env is None else dict(env))
            if proc.returncode:
                why = f"harness exited with {proc.returncode}: {proc.stderr[-300:]}"
        except subprocess.TimeoutExpired:
            why = f"harness timed out after {timeout:.0f}s"
        for line in open(out.name):
            if line.strip():
                r = json.loads(line)
                results[str(r[key])] = r
    for item in chunk:
        if identity(item) not in results:
            results[identity(item)] = missing(item, why or "no result")
    return results


def run_many(script, items: Sequence[Item], python, *, batch: int = 60, jobs: int = 1,
             timeout: float = 1800.0, **kw) -> List[dict]:
    """`items` through `script` under `python`, `batch` per process, `jobs` processes at a time
    (keywords as `run_batch`). One result per item, in order."""
    chunks = [list(items[i:i + batch]) for i in range(0, len(items), batch)]
    results: Dict[str, dict] = {}
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        for part in pool.map(lambda c: run_batch(script, c, python, timeout, **kw), chunks):
            results.update(part)
    return [results[identity(i)] for i in items]

