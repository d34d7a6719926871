"""trace.compare(), the trace forms and the HTML report.

The "new" traces are written by hand the way MMEngine's schedulers define them (LinearLR:
factor = start + (1 - start) * i / end; MultiStepLR: x gamma at each milestone epoch), so an
equivalent old config must agree with them and a wrong conversion must be located exactly.
"""
import copy
import time

import pytest

from migrator.verify import compact, compare, expand, mmcv_trace, read_trace, write_trace

EPOCH_LEN, EPOCHS = 10, 12            # 20 images, 2 per GPU, 1 GPU


def old_cfg(**over):
    cfg = dict(optimizer=dict(type="SGD", lr=0.02, momentum=0.9, weight_decay=1e-4),
               lr_config=dict(policy="step", warmup="linear", warmup_iters=5,
                              warmup_ratio=0.001, step=[8, 11]),
               runner=dict(type="EpochBasedRunner", max_epochs=EPOCHS),
               checkpoint_config=dict(interval=1), evaluation=dict(interval=1),
               data=dict(samples_per_gpu=2))
    cfg.update(over)
    return cfg


def new_trace(milestones=(8, 11), warmup=5, start_factor=0.001, val=None, ckpt=None,
              epoch_len=EPOCH_LEN, epochs=EPOCHS):
    """MMEngine LinearLR(start_factor, end=warmup, by_epoch=False) + MultiStepLR(milestones)."""
    iters = []
    for i in range(epoch_len * epochs):
        e = i // epoch_len
        lr = 0.02 * 0.1 ** sum(e >= m for m in milestones)
        if i < warmup:
            lr *= start_factor + (1 - start_factor) * i / warmup
        iters.append({"iter": i, "epoch": e, "lr": lr, "momentum": 0.9})
    return {"max_iters": len(iters), "by_epoch": True, "epoch_len": epoch_len, "iters": iters,
            "val_at": list(range(1, epochs + 1)) if val is None else val,
            "ckpt_at": list(range(1, epochs + 1)) if ckpt is None else ckpt}


OLD = mmcv_trace(old_cfg(), 20)


def test_equivalent_conversion_agrees():
    v = compare(OLD, new_trace())
    assert v.ok and v.kind is None and v.message == "traces agree" and bool(v)


def test_off_by_one_milestone():
    v = compare(OLD, new_trace(milestones=(9, 11)))
    # epoch 8 starts at iteration 80: MMCV already decayed to 0.002, the new one is still 0.02
    assert not v.ok and (v.kind, v.iter) == ("lr", 80)
    assert v.old == pytest.approx(0.002) and v.new == pytest.approx(0.02)
    assert v.message == "iter 80: lr old=0.0020 new=0.0200"


def test_missing_warmup():
    v = compare(OLD, new_trace(warmup=0))
    assert (v.kind, v.iter) == ("lr", 0)
    assert v.message == "iter 0: lr old=2.0000e-05 new=2.0000e-02"


def test_close_values_get_enough_digits():
    new = new_trace()
    new["iters"][3]["lr"] *= 1.0001
    v = compare(OLD, new)
    # 0.02 * (0.001 + 0.999 * 3/5) = 0.02 * 0.6004 = 0.012008; x1.0001 = 0.0120092008
    # 4 and 5 decimals print alike (0.0120, 0.01201), so 6 are used
    assert v.message == "iter 3: lr old=0.012008 new=0.012009"
    assert compare(OLD, new, rtol=1e-3).ok


def test_wrong_val_interval():
    v = compare(OLD, new_trace(val=[2, 4, 6, 8, 10, 12]))
    assert v.kind == "val_at" and v.iter is None
    assert v.message == "val_at: old=[1,2,3,4,5,6,7,8,9,10,11,12] new=[2,4,6,8,10,12]"


def test_ckpt_and_max_iters_and_momentum():
    v = compare(OLD, new_trace(ckpt=[12]))
    assert v.kind == "ckpt_at" and v.message.startswith("ckpt_at: old=[1,2,")
    v = compare(OLD, new_trace(epochs=11))
    assert v.kind == "max_iters" and v.message == "max_iters: old=120 new=110"
    assert "val_at" in v.kinds and "ckpt_at" in v.kinds
    new = new_trace()
    for d in new["iters"][50:]:
        d["momentum"] = None
    v = compare(OLD, new)
    assert (v.kind, v.iter) == ("momentum", 50) and v.message == \
        "iter 50: momentum old=0.9 new=None"


def test_earliest_iteration_wins_across_kinds():
    new = new_trace(milestones=(9, 11))      # lr differs from iter 80
    for d in new["iters"][30:]:
        d["momentum"] = 0.95                 # momentum from iter 30
    v = compare(OLD, new)
    assert (v.kind, v.iter) == ("momentum", 30) and v.kinds == ("momentum", "lr")


def test_epoch_compared_only_when_both_epoch_based():
    new = new_trace()
    new["iters"][15]["epoch"] = 0
    assert compare(OLD, new).message == "iter 15: epoch old=1 new=0"
    a, b = copy.deepcopy(OLD), copy.deepcopy(new)
    a["by_epoch"] = b["by_epoch"] = False
    a["val_at"] = b["val_at"] = a["ckpt_at"] = b["ckpt_at"] = []
    assert compare(a, b).ok


def test_event_units_converted():
    # an iteration-counted checkpoint hook (MMEngine default_hooks.checkpoint by_epoch=False)
    # saving every 10 iterations == every epoch of 10 iterations
    new = new_trace(ckpt=list(range(10, 121, 10)))
    new["ckpt_by_epoch"] = False
    assert compare(OLD, new).ok
    new["ckpt_at"] = list(range(20, 121, 20))
    assert compare(OLD, new).message.startswith("ckpt_at (iterations): old=[10,20,")


def test_compact_and_files_roundtrip(tmp_path):
    c = compact(OLD)
    assert c["format"] == "mmmigrate-trace-rle/1"
    # 5 warmup values, then 0.02 / 0.002 / 0.0002 runs: 8 lr runs; momentum one run
    assert len(c["lr"]) == 8 and c["momentum"] == [[0.9, 120]]
    assert expand(c)["iters"] == OLD["iters"]
    p = tmp_path / "t.json"
    write_trace(OLD, p)
    assert compare(read_trace(p), new_trace()).ok
    write_trace(OLD, p, compact_form=False)
    assert read_trace(p)["iters"] == OLD["iters"]


def test_compare_speed_coco_1x():
    cfg = old_cfg(lr_config=dict(policy="step", warmup="linear", warmup_iters=500,
                                 warmup_ratio=0.001, step=[8, 11]))
    old = mmcv_trace(cfg, 117266, world_size=8)
    new = dict(old, iters=list(old["iters"]))
    new["iters"][80630] = dict(old["iters"][80630], lr=0.02)
    v = compare(old, new)
    assert v.message == "iter 80630: lr old=2.0000e-04 new=2.0000e-02"
    # Linear work, checked against a reference measured here, interleaved, best of 7 (the
    # absolute time, ~0.03 s idle, is benchmarks/verify_speed.py's). compare reads 3 columns of
    # both traces and scans them: ~15-20x one pass reading `lr` from every iteration's dict.
    # Formatting every iteration, or a quadratic scan, is far above the bound of 60x.
    t_cmp, t_ref = [], []
    for _ in range(7):
        t0 = time.perf_counter()
        compare(old, new)
        t_cmp.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        [d["lr"] for d in old["iters"]]
        t_ref.append(time.perf_counter() - t0)
    assert min(t_cmp) < 60 * min(t_ref), (min(t_cmp), min(t_ref))
