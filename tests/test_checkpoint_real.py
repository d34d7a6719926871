"""`migrate checkpoint` on a real mmdet 2.28.2 checkpoint (issue 12): a DETR state dict written
by the old codebase (MMCV 1.7.2 env), renamed through the table for the converted config and
checked against the model mmdet 3.3.0 builds from it (the new env): every key maps (exit 0); the
same checkpoint against a config of another model is refused key by key (exit 1)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_verify_model import DETR, convert, envs  # noqa: F401 (fixture)

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent

SAVE = """import sys, torch
sys.path.insert(0, {root!r})
from mmcv import Config
from migrator.verify.model.harness_old import build
_, model = build(Config.fromfile({cfg!r}), "mmdet")
torch.save({{"meta": {{"epoch": 150, "mmdet_version": "2.28.2"}},
            "state_dict": model.state_dict(), "optimizer": {{"state": {{}}}}}}, {out!r})
"""


def migrate(*args):
    return subprocess.run([sys.executable, "-m", "migrator.cli", "checkpoint", *map(str, args)],
                          capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))


def test_real_detr_checkpoint(envs, tmp_path):  # noqa: F811
    from migrator.envs.old import old_python_env
    old_py, new_py = envs
    old, new = convert("mmdet", "2.28.2", DETR, tmp_path / "det")
    pth = tmp_path / "detr_old.pth"
    code = SAVE.format(root=str(ROOT), cfg=str(old), out=str(pth))
    res = subprocess.run([str(old_py), "-P", "-c", code], capture_output=True, text=True,
                         env=old_python_env(), cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    out = tmp_path / "detr_new.pth"
    res = migrate(pth, "-o", out, "--config", new, "--python", new_py)
    assert res.returncode == 0, res.stdout + res.stderr
    # 6 encoder layers x 12 + 6 decoder layers x 18 + decoder post_norm 2 + input_proj 2 +
    # query_embedding 1: every key of the transformer and the two moved modules
    assert "185 keys renamed, 0 dropped" in res.stdout, res.stdout
    assert ("renamed bbox_head.transformer.encoder.layers.0.attentions.0.attn.in_proj_weight -> "
            "encoder.layers.0.self_attn.attn.in_proj_weight") in res.stdout
    assert "every key matches the model the config builds" in res.stdout
    retina_old, retina = convert("mmdet", "2.28.2", "retinanet/retinanet_r18_fpn_1x_coco.py",
                                 tmp_path / "r")
    res = migrate(pth, "-o", tmp_path / "wrong.pth", "--config", retina, "--python", new_py)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "0 keys renamed, 0 dropped" in res.stdout        # no DETR rules for a RetinaNet
    assert "keys could not be mapped (written anyway" in res.stdout, res.stdout
