"""Verify the mmdet 1x schedule at COCO size on the schedule-only path (target: < 2 s).

117,266 training images, samples_per_gpu=2 x 8 GPUs -> 7,330 iterations per epoch, 12 epochs
(87,960 iterations), step [8, 11], linear warmup of 500 iterations. Old side: migrator's model of
MMCV 1.7.2; new side: runtime.dryrun.schedule_trace on the converted config, in-process and via
`mmrun dry-run --batch` (a fresh subprocess, as `migrate --verify` runs it). For the torch
optimizers the fast path uses a stand-in optimizer built from torch's constructor defaults and
never imports torch (tests/test_dryrun.py checks both against the real optimizer and Runner).
"""
import time

from _common import timed

OLD = dict(
    optimizer=dict(type="SGD", lr=0.02, momentum=0.9, weight_decay=0.0001),
    optimizer_config=dict(grad_clip=None),
    data=dict(samples_per_gpu=2, workers_per_gpu=2,
              train=dict(type="CocoDataset", ann_file="a.json", img_prefix="x/", pipeline=[]),
              val=dict(type="CocoDataset", ann_file="a.json", img_prefix="x/", pipeline=[]),
              test=dict(type="CocoDataset", ann_file="a.json", img_prefix="x/", pipeline=[])),
    evaluation=dict(interval=1, metric="bbox"),
    checkpoint_config=dict(interval=1),
    lr_config=dict(policy="step", warmup="linear", warmup_iters=500, warmup_ratio=0.001, step=[8, 11]),
    runner=dict(type="EpochBasedRunner", max_epochs=12),
)
N, W = 117_266, 8


def main():
    from migrator.convert import convert_dict
    from migrator.verify import compare, mmcv_trace
    from migrator.verify.run import run_new_side

    t0 = time.perf_counter()
    new = convert_dict(OLD, "coco_1x.py", codebase="mmdet").new
    t_conv = time.perf_counter() - t0
    t_old, old = timed(mmcv_trace, OLD, N, W)
    import sys
    from runtime.dryrun import schedule_trace
    t_new, new_t = timed(schedule_trace, new, N, W)          # cold: first imports
    torch_loaded = "torch" in sys.modules
    t_warm, _ = timed(schedule_trace, new, N, W, repeat=3)
    t_cmp, verdict = timed(compare, old, new_t)
    t_sub, out = timed(run_new_side, [dict(cfg=new, dataset_lens=[N], world_size=W)])
    sub_verdict = compare(old, out[0]["traces"][0])
    print(f"iterations: {old['max_iters']} ({old['epoch_len']} per epoch)")
    print(f"convert            {t_conv:7.3f} s")
    print(f"old side (MMCV)    {t_old:7.3f} s")
    print(f"new side in-proc   {t_new:7.3f} s   (cold; {t_warm:.3f} s warm; torch imported: {torch_loaded})")
    print(f"compare            {t_cmp:7.3f} s")
    print(f"total in-process   {t_old + t_new + t_cmp:7.3f} s   verdict: {verdict.message}")
    print(f"new side subprocess{t_sub:7.3f} s   (process start included)  verdict: {sub_verdict.message}")
    print(f"total via migrate  {t_old + t_sub + t_cmp:7.3f} s")


if __name__ == "__main__":
    main()
