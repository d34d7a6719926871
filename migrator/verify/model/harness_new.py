"""New side of the model comparison, and the comparison: runs inside the new-codebase env
(mmcv 2.1.0, mmengine 0.10.7, mmdet 3.3.0 / mmpretrain 1.2.0 / mmseg 1.2.2).

`python -P harness_new.py WORK_DIR`, one job per stdin line `{"id", "old", "new"}`, after
`harness_old.py` wrote `WORK_DIR/<id>.old.pt` (`inenv.serve`: the verdict record is the job's
done line on stdout). Per job it loads
the new config with mmengine's `Config.fromfile`, initialises its `default_scope`
(`init_default_scope`), builds `MODELS.build(model)` (the top-level `data_preprocessor` merged
in, as the Runner does) from `inenv.prepare`'s copy, renames the old state dict through the
checkpoint table (`migrator/checkpoint/table.py`, selected by the new config's scope and model
types), loads it (`strict=False`, keys with a different shape left out and reported), runs
`side.run` on the old side's batch and ground truth, and compares (`compare.compare`).
"""
from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if sys.path and os.path.abspath(sys.path[0]) == HERE:
    sys.path.pop(0)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import json
import time

ADAPTERS = {"mmdet": "det", "mmpretrain": "cls", "mmseg": "seg"}
OLD_CODEBASE = {"mmdet": "mmdet", "mmpretrain": "mmcls", "mmseg": "mmseg"}


def build(path: str):
    import copy
    from mmengine.config import Config, ConfigDict
    from mmengine.registry import MODELS, init_default_scope
    from migrator.verify.model.inenv import prepare, to_plain
    cfg = Config.fromfile(path)
    scope = cfg.get("default_scope")
    init_default_scope(scope or "mmengine")
    from migrator.verify.model.inenv import with_teacher
    model_cfg = with_teacher(prepare(to_plain(cfg.model)), path, Config.fromfile)
    if cfg.get("data_preprocessor") is not None:
        model_cfg.setdefault("data_preprocessor", to_plain(copy.deepcopy(cfg.data_preprocessor)))
    from migrator.verify.model.inenv import revert_sync_bn
    return scope, model_cfg, revert_sync_bn(MODELS.build(ConfigDict(copy.deepcopy(model_cfg))))


def load_mapped(model, old_sd: dict, scope: str, model_cfg: dict, rules=None):
    """Rename `old_sd` through the table (or `rules`), load it; (names, {"missing",
    "unexpected", "shape"})."""
    from migrator.checkpoint.table import key_map, rules_for, selector_types
    if rules is None:
        rules = rules_for(scope, selector_types(model_cfg))
    names = key_map(old_sd, [tuple(r) for r in rules])
    from migrator.verify.model.inenv import full_state_dict, load_full
    target = full_state_dict(model)            # an LD/LAD teacher's keys included
    sd, unexpected, shape = {}, [], []
    for k, v in old_sd.items():
        nk = names[k]
        if nk is None:
            continue
        if nk not in target:
            unexpected.append(k)
        elif tuple(target[nk].shape) != tuple(v.shape):
            shape.append([nk, list(v.shape), list(target[nk].shape)])
        else:
            sd[nk] = v
    missing = [k for k in target if k not in sd and not any(s[0] == k for s in shape)]
    load_full(model, sd)
    return names, {"missing": missing, "unexpected": unexpected, "shape": shape}


def one(job: dict, work: str) -> dict:
    import torch
    from migrator.verify.model import cls, det, seg
    from migrator.verify.model.compare import compare
    from mmengine.config import Config
    from migrator.verify.model.inenv import adjusted, error_info, to_plain
    from migrator.verify.model.side import run
    start = time.time()
    rec = {"kind": "model", "old": job["old"], "new": job["new"], "verdict": "ERROR",
           "first_difference": None, "checked": [], "stopped_at": None, "known_deviations": []}
    phases = {}
    mark = [time.process_time()]          # phases in CPU seconds (a shared machine)

    def lap(name):
        now = time.process_time()
        phases[name] = round(phases.get(name, 0.0) + now - mark[0], 3)
        mark[0] = now
    old = torch.load(os.path.join(work, f"{job['id']}.old.pt"), weights_only=True)
    lap("load old")
    side_file = os.path.join(work, f"{job['id']}.old.json")
    old_t = {"seconds": old["seconds"], "phases": old.get("phases", {})}
    if os.path.exists(side_file):
        with open(side_file) as f:
            old_t = json.load(f)
    rec["phases"] = {"old": old_t["phases"], "new": phases}
    if "error" in old:
        e = old["error"]
        rec["first_difference"] = {"where": f"old {e['stage']}", "old": f"{e['type']}: "
                                   f"{e['message']}", "new": "not run",
                                   "message": f"the old model could not be run ({e['stage']}): "
                                              f"{e['type']}: {e['message']} [{e['where']}]"}
        rec["seconds"] = round(old_t["seconds"] + time.time() - start, 2)
        return rec
    stage = "config"
    try:
        stage = "build"
        scope, model_cfg, model = build(job["new"])
        if job.get("no_dropout"):
            from migrator.verify.model.inenv import no_dropout
            no_dropout(model)
            rec["no_dropout"] = True
        lap("build")
        adapter = {"det": det, "cls": cls, "seg": seg}[ADAPTERS[scope]]
        stage = "checkpoint"
        names, ckpt = load_mapped(model, old.pop("state_dict"), scope, model_cfg,
                                  job.get("rules"))      # loaded: its copy is not needed
        lap("checkpoint")
        stage = "run"
        new = {"result": run(model, adapter, "new", old["img"], old["gt"], phases),
               "adjusted": adjusted(to_plain(Config.fromfile(job["new"]).model))}
        mark[0] = time.process_time()
        rec.update(compare(old, new, ckpt, names, OLD_CODEBASE[scope]))
        lap("compare")
        rec["input_shape"] = list(old["img"].shape)
    except Exception as e:  # noqa: BLE001
        info = error_info(e, stage)
        rec["first_difference"] = {"where": f"new {stage}", "old": "ok",
                                   "new": f"{info['type']}: {info['message']}",
                                   "message": f"the new model could not be run ({stage}): "
                                              f"{info['type']}: {info['message']} "
                                              f"[{info['where']}]"}
    rec["seconds"] = round(old_t["seconds"] + time.time() - start, 2)
    return rec


def main(argv) -> int:
    work = argv[0]
    from migrator.verify.model.inenv import init_dist, quiet, serve
    quiet()
    init_dist()
    return serve(lambda job: one(job, work))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
