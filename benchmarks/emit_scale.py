"""How `migrate` scales with the size of one config: generated configs of growing size.

    python benchmarks/emit_scale.py [--sizes 500,1000,2000,4000,8000] [--mb 2,4] [--tree]

Each config is an mmdet-style file (model, data with pipelines, schedule, runtime: the old fields
the rules convert) plus N user variables (directory strings, pipelines, dicts and lists, some
referring to earlier ones by name, as real configs do); `--mb` adds configs of about that many
megabytes. For each size the script runs the real CLI in-process (`migrate F -o OUT --flat`, and
with `--tree` also the structure-preserving `migrate F -o OUT`) and prints the CPU time and the
growth ratio against the previous size: (time ratio) / (size ratio). About 1 is linear, about
2 (for doubling sizes) quadratic. Each output is loaded back and compared with the conversion.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT  # noqa: F401  (puts the repository on sys.path)

from migrator.cli import main as migrate
from migrator.convert import convert_file
from migrator.load import clear_cache, load_config

HEAD = """\
model = dict(type='FasterRCNN', backbone=dict(type='ResNet', depth=50, num_stages=4),
             neck=dict(type='FPN', in_channels=[256, 512, 1024, 2048], out_channels=256))
dataset_type = 'CocoDataset'
data_root = 'data/coco/'
img_norm_cfg = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
train_pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize', img_scale=(1333, 800)),
                  dict(type='Normalize', **img_norm_cfg), dict(type='Collect', keys=['img'])]
"""
TAIL = """\
data = dict(samples_per_gpu=2, workers_per_gpu=2,
            train=dict(type=dataset_type, ann_file=data_root + 'a/train.json',
                       img_prefix=data_root + 'train2017/', pipeline=train_pipeline),
            val=dict(type=dataset_type, ann_file=data_root + 'a/val.json',
                     img_prefix=data_root + 'val2017/', pipeline=train_pipeline))
evaluation = dict(interval=1, metric='bbox')
optimizer = dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001)
optimizer_config = dict(grad_clip=None)
lr_config = dict(policy='step', warmup='linear', warmup_iters=500, warmup_ratio=0.001, step=[8, 11])
runner = dict(type='EpochBasedRunner', max_epochs=12)
checkpoint_config = dict(interval=1)
log_config = dict(interval=50, hooks=[dict(type='TextLoggerHook')])
dist_params = dict(backend='nccl')
log_level = 'INFO'
load_from = None
resume_from = None
workflow = [('train', 1)]
"""


def variable(i: int) -> str:
    """One user variable; every fourth refers to earlier ones, as pipelines and roots do."""
    kind = i % 4
    if kind == 0:
        return f"root_{i} = data_root + 'part_{i}/'\n"
    if kind == 1:
        return (f"pipe_{i} = [dict(type='LoadImageFromFile'), dict(type='Resize', "
                f"img_scale=({i}, {i + 1}), keep_ratio=True), dict(type='Pad', size_divisor=32)]\n")
    if kind == 2:
        return (f"cfg_{i} = dict(type='Block{i}', channels=[{i}, {2 * i}], ratio={i / 7!r}, "
                f"name='block_{i}', flags=(True, False, None))\n")
    return f"ref_{i} = dict(pipeline=pipe_{i - 2}, ann_file=root_{i - 3} + 'ann.json', n={i})\n"


def generate(n_vars: int) -> str:
    return HEAD + "".join(variable(i) for i in range(n_vars)) + TAIL


def vars_for_mb(mb: float) -> int:
    per = len(generate(400)) - len(generate(0))
    return int(mb * 1e6 / (per / 400))


def run_cli(args) -> float:
    """CPU seconds of one in-process run (-j 1: no worker processes), robust to a busy machine."""
    clear_cache()
    t = time.process_time()
    with contextlib.redirect_stderr(io.StringIO()) as err:
        rc = migrate(list(args) + ["-q", "-j", "1"])
    elapsed = time.process_time() - t
    if rc != 0:
        raise SystemExit(f"migrate {' '.join(args)} exited {rc}: {err.getvalue()[-2000:]}")
    return elapsed


def check_output(src: Path, out: Path) -> None:
    clear_cache()
    want = convert_file(src).new
    got = load_config(out).cfg

    def norm(v):
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [norm(x) for x in v]
        return v
    if norm(got) != norm(want):
        raise SystemExit(f"{out}: the output does not load back equal to the conversion")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="500,1000,2000,4000,8000")
    p.add_argument("--mb", default="2,4", help="extra sizes in megabytes ('' for none)")
    p.add_argument("--tree", action="store_true", help="also time tree mode (no --flat)")
    a = p.parse_args()
    sizes = [int(x) for x in a.sizes.split(",") if x]
    sizes += [vars_for_mb(float(x)) for x in a.mb.split(",") if x]
    modes = [("flat", ["--flat"])] + ([("tree", [])] if a.tree else [])
    print(f"{'mode':<5} {'variables':>9} {'MB':>6} {'CPU s':>8} {'growth ratio':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        for mode, extra in modes:
            prev = None
            for n in sizes:
                d = Path(tmp) / f"{mode}{n}"
                d.mkdir()
                src = d / f"cfg_{n}.py"
                src.write_text(generate(n))
                out = d / "out"
                secs = run_cli([str(src), "-o", str(out), *extra])
                check_output(src, out / src.name)
                mb = src.stat().st_size / 1e6
                ratio = "" if prev is None else f"{(secs / prev[1]) / (n / prev[0]):.2f}"
                print(f"{mode:<5} {n:>9} {mb:>6.2f} {secs:>8.2f} {ratio:>13}", flush=True)
                prev = (n, secs)


if __name__ == "__main__":
    sys.exit(main())
