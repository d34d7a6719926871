"""Shared by both data-verification harnesses (runs inside an env; imports numpy/torch lazily).

Variants: every config is run as `train[0] p=1` (every random flip forced on: prob 1),
`train[0] p=0` (forced off) and `test[0]` (the test pipeline, deterministic). Before each
`dataset[0]` both sides seed python's `random`, numpy and torch with the same SEED, so
transforms that draw the same numbers in both versions (mmcv's RandomFlip direction choice,
mmseg's RandomCrop offsets and `ratio_range` sampling: `np.random.random_sample` /
`np.random.randint` in the same order) give the same sample.
"""
from __future__ import annotations

import json
import sys
import time
import traceback

SEED = 20240601
VARIANTS = [("train", 1.0), ("train", 0.0), ("test", None)]
FLIP_TYPES = ("RandomFlip",)


# the aspect ratio (w / h) of generated image 0 (dv_gen.SIZES[0] = h 120, w 160)
RATIO = 160 / 120
# random transforms whose versions draw different numbers: both sides set them to the same
# extreme (side -> keywords), listed as a known deviation (what is not compared)
EXTREMES = {
    "RandomResizedCrop": {
        "old": {"scale": (1.0, 1.0), "ratio": (RATIO, RATIO)},
        "new": {"crop_ratio_range": (1.0, 1.0), "aspect_ratio_range": (RATIO, RATIO)},
        "why": "mmcls 0.25 draws the crop with python's random, mmpretrain 1.2 with numpy's: "
               "compared at the full-image crop (area 1, the image's aspect ratio), so size, "
               "interpolation and backend are checked, crop positions are not",
    },
}


def set_extremes(pipeline, side: str) -> list:
    """Apply EXTREMES to `pipeline` for `side` ("old"/"new"); the names of those applied."""
    done = []
    for t in pipeline or []:
        if isinstance(t, dict) and t.get("type") in EXTREMES:
            t.update(EXTREMES[t["type"]][side])
            done.append(t["type"])
        if isinstance(t, dict) and isinstance(t.get("transforms"), list):
            done += set_extremes(t["transforms"], side)
    return done


def variant_name(split, p) -> str:
    return f"{split}[0]" + ("" if p is None else f" p={p:g}")


def seed_all():
    import random
    import numpy as np
    import torch
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)


def set_flip(pipeline, key: str, p) -> None:
    """Force every RandomFlip in `pipeline` (and in wrappers' `transforms`) to probability p,
    under the version's own keyword `key` (other probability keywords removed)."""
    for t in pipeline or []:
        if not isinstance(t, dict):
            continue
        if t.get("type") in FLIP_TYPES or str(t.get("type", "")).endswith(".RandomFlip"):
            for k in ("flip_ratio", "flip_prob", "prob"):
                t.pop(k, None)
            t[key] = p      # a float: with several directions both versions split it evenly
        for sub in ("transforms",):
            if isinstance(t.get(sub), list):
                set_flip(t[sub], key, p)


def leaves(ds):
    """The leaf dataset configs under dataset wrappers (RepeatDataset, ConcatDataset, ...)."""
    if isinstance(ds, (list, tuple)):
        for d in ds:
            yield from leaves(d)
        return
    if not isinstance(ds, dict):
        return
    inner = [ds[k] for k in ("dataset", "datasets") if k in ds]
    if not inner:
        yield ds
    for d in inner:
        yield from leaves(d)


def pipelines(ds):
    """Every `pipeline` list in a dataset config, wrappers included."""
    if isinstance(ds, (list, tuple)):
        for d in ds:
            yield from pipelines(d)
        return
    if not isinstance(ds, dict):
        return
    if isinstance(ds.get("pipeline"), list):
        yield ds["pipeline"]
    for k in ("dataset", "datasets"):
        if k in ds:
            yield from pipelines(ds[k])


def jsonable(v):
    try:
        import numpy as np
        import torch
        if isinstance(v, torch.Tensor):
            v = v.tolist()
        elif isinstance(v, np.ndarray):
            v = v.tolist()
        elif isinstance(v, np.generic):
            v = v.item()
    except ImportError:
        pass
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return repr(v)


def error(exc: BaseException, where: str) -> dict:
    tb = traceback.extract_tb(exc.__traceback__)
    loc = f"{tb[-1].filename.rsplit('site-packages/', 1)[-1]}:{tb[-1].lineno}" if tb else ""
    msg = str(exc).splitlines()[0][:300] if str(exc) else ""
    return {"where": where, "error": type(exc).__name__, "message": msg, "at": loc}


def main(argv, run_one) -> int:
    """`SCRIPT OUT.jsonl -`: one JSON item per stdin line, one JSON result line each."""
    import logging
    import warnings
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    out_path = argv[0]
    items = [json.loads(line) for line in sys.stdin if line.strip()]
    with open(out_path, "a") as out:
        for item in items:
            start = time.perf_counter()
            try:
                res = run_one(item)
            except BaseException as e:  # noqa: BLE001 - reported per config, never raised
                res = {"status": "error", "error": error(e, "harness")}
            res["id"] = item["id"]
            res["seconds"] = time.perf_counter() - start
            out.write(json.dumps(jsonable(res)) + "\n")
            out.flush()
    return 0
