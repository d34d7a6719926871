"""What each MMCV 1.x-era `tools/train.py` / `tools/test.py` option becomes in the MMEngine era.

Read from the real scripts (mmdet 2.28.2, mmcls 0.25.0, mmseg 0.30.0 `tools/*.py`) and their
maintainers' successors (mmdet 3.3.0, mmpretrain 1.2.0, mmseg 1.2.2) and from MMEngine 0.10's
`Runner` (`randomness`, `launcher`, `resume`/`load_from`, `val_cfg=None` disables validation,
`BaseMetric(collect_device, collect_dir)`).

Every old option stays accepted by the new script, so old command lines keep working:
  KEEP    same name, same effect in the new script (the old `add_argument` is copied verbatim);
  ALIAS   accepted, mapped onto the MMEngine config (`effect`), and reported with `replacement`;
  IGNORED accepted but has no MMEngine counterpart: the script warns when it is used, and the
          finding says why (`reason`).
`effect` names a block of the jinja2 template (templates/train.py.j2 / test.py.j2) that applies
the option. Options found in an old script and missing here are copied verbatim and reported as
TODO: their effect on the old `main()` is not migrated.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional


@dataclass(frozen=True)
class Option:
    kind: str                       # 'keep' | 'alias' | 'ignored'
    effect: Optional[str] = None    # template block applying it
    replacement: str = ""           # what to use instead (for the report and the warning)
    reason: str = ""                # why it is ignored


KEEP, ALIAS, IGNORED = "keep", "alias", "ignored"

# Options every MMEngine-era script has; added when the old script lacks them.
NEW_TRAIN = ("--work-dir", "--amp", "--resume", "--cfg-options", "--launcher", "--local_rank")
NEW_TEST = ("--work-dir", "--cfg-options", "--launcher", "--local_rank")

COMMON: Dict[str, Option] = {
    "config": Option(KEEP),
    "--work-dir": Option(KEEP, "work_dir"),
    "--cfg-options": Option(KEEP, "cfg_options"),
    "--launcher": Option(KEEP, "launcher"),
    "--local_rank": Option(KEEP, "local_rank"),
    "--local-rank": Option(KEEP, "local_rank"),
    "--options": Option(ALIAS, "cfg_options", "--cfg-options"),
    "--gpus": Option(IGNORED, None, "--launcher pytorch with torchrun --nproc_per_node N",
                     "MMEngine runs one process per device; the number of devices is the "
                     "launcher's world size"),
    "--gpu-ids": Option(IGNORED, None, "CUDA_VISIBLE_DEVICES and --launcher",
                        "MMEngine places the model on the process's device (LOCAL_RANK)"),
    "--gpu-id": Option(IGNORED, None, "CUDA_VISIBLE_DEVICES",
                       "MMEngine places the model on the process's device (LOCAL_RANK)"),
    "--device": Option(IGNORED, None, "(automatic)",
                       "MMEngine picks cuda/npu/mlu/mps/cpu itself (mmengine.device)"),
    "--ipu-replicas": Option(IGNORED, None, "", "IPU training is not supported by MMEngine's "
                             "Runner"),
}

TRAIN: Dict[str, Option] = dict(COMMON, **{
    "--amp": Option(KEEP, "amp"),
    "--resume": Option(KEEP, "resume"),
    "--resume-from": Option(ALIAS, "resume_from", "--resume CKPT"),
    "--auto-resume": Option(ALIAS, "auto_resume", "--resume (no argument)"),
    "--load-from": Option(ALIAS, "load_from", "--cfg-options load_from=CKPT"),
    "--no-validate": Option(KEEP, "no_validate"),
    "--seed": Option(ALIAS, "seed", "--cfg-options randomness.seed=N"),
    "--deterministic": Option(ALIAS, "deterministic",
                              "--cfg-options randomness.deterministic=True"),
    "--diff-seed": Option(ALIAS, "diff_seed", "--cfg-options randomness.diff_rank_seed=True"),
    "--diff_seed": Option(ALIAS, "diff_seed", "--cfg-options randomness.diff_rank_seed=True"),
    "--auto-scale-lr": Option(KEEP, "auto_scale_lr"),
})

TEST: Dict[str, Option] = dict(COMMON, **{
    "checkpoint": Option(KEEP, "checkpoint"),
    "--out": Option(KEEP, "out"),
    "--eval": Option(ALIAS, "eval", "test_evaluator=dict(..., metric=...) in the config"),
    "--metrics": Option(ALIAS, "eval", "test_evaluator=dict(..., metric=...) in the config"),
    "--eval-options": Option(ALIAS, "eval_options", "test_evaluator keyword arguments"),
    "--metric-options": Option(ALIAS, "eval_options", "test_evaluator keyword arguments"),
    "--format-only": Option(ALIAS, "format_only", "test_evaluator=dict(..., format_only=True)"),
    "--gpu-collect": Option(ALIAS, "gpu_collect", "test_evaluator=dict(collect_device='gpu')"),
    "--tmpdir": Option(ALIAS, "tmpdir", "test_evaluator=dict(collect_dir=...)"),
    "--show": Option(ALIAS, "show", "default_hooks.visualization=dict(draw=True, show=True)"),
    "--show-dir": Option(ALIAS, "show_dir",
                         "default_hooks.visualization=dict(draw=True, test_out_dir=...)"),
    "--show-score-thr": Option(ALIAS, "show_score_thr",
                               "default_hooks.visualization=dict(score_thr=...)"),
    "--opacity": Option(IGNORED, None, "the visualizer's alpha in the config",
                        "mmseg 1.x sets it on SegLocalVisualizer(alpha=...)"),
    "--show-options": Option(IGNORED, None, "the visualizer's settings in the config",
                             "MMEngine draws through the visualization hook"),
    "--out-items": Option(IGNORED, None, "--out (dumps every prediction)",
                          "MMEngine's DumpResults writes the whole prediction list"),
    "--fuse-conv-bn": Option(IGNORED, None, "mmcv.cnn.fuse_conv_bn in a custom test loop",
                             "MMEngine has no conv-bn fusion; mmdet 3.x dropped the option"),
    "--aug-test": Option(IGNORED, None, "--tta with tta_model/tta_pipeline in the config",
                         "test-time augmentation is a model wrapper in MMEngine (mmseg 1.x "
                         "`--tta`)"),
})


def table(kind: str) -> Dict[str, Option]:
    return TRAIN if kind == "train" else TEST
