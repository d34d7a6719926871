"""Old side of the model comparison: runs inside the old-codebases env (MMCV 1.7.2 + mmdet
2.28.2 / mmcls 0.25.0 / mmseg 0.30.0).

`python -P harness_old.py WORK_DIR`, one job per stdin line `{"id", "old"}` (`inenv.serve`:
one done line per job on stdout, the process stays up for the next). Per job it
loads the old config with `mmcv.Config.fromfile`, builds the model with the codebase's own
builder (`build_detector` / `build_classifier` / `build_segmentor`) from `strip_pretrained`'s
copy of `cfg.model`, initialises it (`torch.manual_seed(0); model.init_weights()`), and writes
`WORK_DIR/<id>.old.pt` (torch.save): the initial state dict, the random input batch, the ground
truth (in a neutral form both sides build their API's structures from) and the side's results
(`side.run`). A job that fails before `side.run` gets `{"error": ...}` in the same file.
"""
from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if sys.path and os.path.abspath(sys.path[0]) == HERE:
    sys.path.pop(0)                     # never let migrator/verify/model shadow the stdlib
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)            # migrator.verify.model.* (pure Python + lazy torch)

import json
import time

SEGMENTORS = ("EncoderDecoder", "CascadeEncoderDecoder")
CLASSIFIERS = ("ImageClassifier",)


def codebase_of(model_type: str) -> str:
    if model_type in CLASSIFIERS:
        return "mmcls"
    if model_type in SEGMENTORS:
        return "mmseg"
    return "mmdet"


def build(cfg, codebase: str):
    from migrator.verify.model import cls, det, seg
    from migrator.verify.model.inenv import prepare, revert_sync_bn, to_plain
    from mmcv import Config, ConfigDict
    from migrator.verify.model.inenv import with_teacher
    model_cfg = ConfigDict(with_teacher(prepare(to_plain(cfg.model)), cfg.filename,
                                        Config.fromfile))  # 2.x code reads attributes
    if codebase == "mmcls":
        return cls, revert_sync_bn(cls.old_build(model_cfg))
    tr, te = cfg.get("train_cfg"), cfg.get("test_cfg")
    if codebase == "mmseg":
        return seg, revert_sync_bn(seg.old_build(model_cfg, tr, te))
    return det, revert_sync_bn(det.old_build(model_cfg, tr, te))


def one(job: dict, work: str) -> None:
    import torch
    from mmcv import Config
    from migrator.verify.model.inenv import (SEED_INIT, error_info, input_shapes,
                                             make_inputs)
    from migrator.verify.model.side import run
    start = time.time()
    out = {"side": "old", "config": job["old"]}
    phases = out["phases"] = {}
    mark = [time.process_time()]          # phases in CPU seconds (a shared machine)

    def lap(name):
        now = time.process_time()
        phases[name] = round(phases.get(name, 0.0) + now - mark[0], 3)
        mark[0] = now
    stage = "config"
    try:
        cfg = Config.fromfile(job["old"])
        out["model_type"] = cfg.model.get("type")
        out["codebase"] = codebase = codebase_of(out["model_type"])
        from migrator.verify.model.inenv import adjusted, to_plain
        out["adjusted"] = adjusted(to_plain(cfg.model))
        stage = "build"
        lap("config")

        def fresh():
            """The model built and initialised (seeded: the same weights every time)."""
            torch.manual_seed(SEED_INIT)
            adapter, model = build(cfg, codebase)
            lap("build")
            torch.manual_seed(SEED_INIT)
            model.init_weights()
            from migrator.verify.model.inenv import init_left_over
            init_left_over(model)
            lap("init_weights")
            from migrator.verify.model.inenv import full_state
            out["state_dict"] = full_state(model)         # an LD/LAD teacher included
            if job.get("no_dropout"):
                from migrator.verify.model.inenv import no_dropout
                no_dropout(model)
            return adapter, model
        adapter, model = fresh()
        stage = "run"
        shapes = input_shapes(codebase, cfg)
        for i, shape in enumerate(shapes):
            if i:          # built again: a forward at the smaller size may have changed buffers
                del model  # (mmcls SwinV2 no longer loads its own state dict after one)
                adapter, model = fresh()
            img = make_inputs(shape)
            gt = (adapter.make_gt(model, shape[0], shape[2:]) if codebase in ("mmseg", "mmdet")
                  else adapter.make_gt(model, shape[0]))
            result = run(model, adapter, "old", img, gt, phases)
            if not result["errors"] or i == len(shapes) - 1 or all(
                    e["type"] == "NotImplementedError" for e in result["errors"]):
                break                   # (a refusal to train is not about the input size)
        out["img"], out["gt"], out["result"] = img, gt, result
    except Exception as e:  # noqa: BLE001 - reported, never raised
        out["error"] = error_info(e, stage)
    mark[0] = time.process_time()
    out["seconds"] = time.time() - start
    torch.save(out, os.path.join(work, f"{job['id']}.old.pt"))
    lap("save")                          # after the save: in a side file the new side reads
    with open(os.path.join(work, f"{job['id']}.old.json"), "w") as f:
        json.dump({"seconds": time.time() - start, "phases": phases}, f)


def main(argv) -> int:
    work = argv[0]
    from migrator.verify.model.inenv import init_dist, quiet, serve
    quiet()
    init_dist()
    return serve(lambda job: one(job, work))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
