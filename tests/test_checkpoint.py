"""`migrate checkpoint`: the key table's pure functions, the CLI's exit codes and its safety.

The torch part runs under this interpreter (`--python sys.executable`: the test environment has
torch, not the codebases, so the check against the model is reported as skipped); the check
against real models and the table's entries are tested with the real envs in
`test_checkpoint_real.py` and by the model verification.
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from migrator.checkpoint.table import RENAMES, key_map, rename, rules_for, selector_types

ROOT = Path(__file__).resolve().parent.parent
CONFIG = """default_scope = 'mmpretrain'
model = dict(type='ImageClassifier', backbone=dict(type='ResNet', depth=18),
             neck=dict(type='GlobalAveragePooling'),
             head=dict(type='LinearClsHead', num_classes=10, in_channels=512))
"""


def migrate(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "migrator.cli", "checkpoint", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))


def test_rename_first_matching_rule_wins_and_none_drops():
    rules = [(r"^bbox_head\.transformer\.encoder\.", "encoder."),
             (r"^bbox_head\.transformer\.", "transformer_rest."),
             (r"^bbox_head\.dropped\.", None)]
    assert rename("bbox_head.transformer.encoder.layers.0.w", rules) == "encoder.layers.0.w"
    assert rename("bbox_head.transformer.decoder.w", rules) == "transformer_rest.decoder.w"
    assert rename("bbox_head.dropped.x", rules) is None
    assert rename("backbone.conv1.weight", rules) == "backbone.conv1.weight"
    assert key_map(["a.x", "bbox_head.dropped.y"], rules) == {"a.x": "a.x",
                                                               "bbox_head.dropped.y": None}


def test_two_keys_onto_one_name_is_refused():
    with pytest.raises(ValueError, match="maps both 'a.w' and 'b.w' to 'c.w'"):
        key_map(["a.w", "b.w"], [(r"^[ab]\.", "c.")])


def test_rules_are_selected_by_scope_and_type():
    types = selector_types({"type": "X", "backbone": {"type": "B"}, "head": [{"type": "H"}]})
    assert types == {"model": "X", "backbone": "B", "head": "H"}
    for scope, field, names, pairs, why in RENAMES:
        assert why and pairs
        assert rules_for(scope, {field: names[0]})[:len(pairs)] == pairs or \
            all(p in rules_for(scope, {field: names[0]}) for p in pairs)
        assert rules_for("no-such-scope", {field: names[0]}) == []


def test_yolact_segm_head_moves_into_the_mask_head():
    """Found by the model verification (yolact_r101_1x8_coco: segm_head.segm_conv unexpected,
    mask_head.segm_branch.segm_conv missing); the protonet keeps its keys."""
    rules = rules_for("mmdet", {"model": "YOLACT"})
    assert key_map(["segm_head.segm_conv.weight", "segm_head.segm_conv.bias",
                    "mask_head.protonet.0.weight"], rules) == {
        "segm_head.segm_conv.weight": "mask_head.segm_branch.segm_conv.weight",
        "segm_head.segm_conv.bias": "mask_head.segm_branch.segm_conv.bias",
        "mask_head.protonet.0.weight": "mask_head.protonet.0.weight"}


@pytest.fixture
def ckpt(tmp_path):
    import torch
    path = tmp_path / "old.pth"
    torch.save({"meta": {"epoch": 3, "CLASSES": ("a", "b")},
                "state_dict": {"backbone.conv1.weight": torch.ones(2, 3)},
                "optimizer": {"state": {}, "param_groups": []}}, path)
    cfg = tmp_path / "new.py"
    cfg.write_text(CONFIG)
    return path, cfg


def test_written_atomically_meta_kept_optimizer_dropped(ckpt, tmp_path):
    import torch
    path, cfg = ckpt
    out = tmp_path / "new.pth"
    res = migrate(path, "-o", out, "--config", cfg, "--python", sys.executable)
    assert res.returncode == 0, res.stderr
    assert "0 keys renamed, 0 dropped, 1 kept" in res.stdout
    assert "not checked against the model" in res.stdout
    new = torch.load(out, weights_only=True)
    assert set(new) == {"meta", "state_dict"}
    assert new["meta"]["epoch"] == 3 and new["meta"]["mmmigrate"]["source"] == "old.pth"
    assert torch.equal(new["state_dict"]["backbone.conv1.weight"], torch.ones(2, 3))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".migrate-ckpt-")] == []


def test_missing_files_exit_2_naming_them(ckpt, tmp_path):
    path, cfg = ckpt
    res = migrate(tmp_path / "nope.pth", "-o", tmp_path / "x.pth", "--config", cfg)
    assert res.returncode == 2 and f"{tmp_path / 'nope.pth'}: no such checkpoint file" in res.stderr
    res = migrate(path, "-o", tmp_path / "x.pth", "--config", tmp_path / "nope.py")
    assert res.returncode == 2 and "nope.py: no such config file" in res.stderr
    res = migrate(path, "-o", tmp_path / "no" / "x.pth", "--config", cfg)
    assert res.returncode == 2 and "does not exist" in res.stderr
    assert "Traceback" not in res.stderr


def test_not_a_checkpoint_exits_2(ckpt, tmp_path):
    _, cfg = ckpt
    text = tmp_path / "notes.pth"
    text.write_text("hello")
    res = migrate(text, "-o", tmp_path / "x.pth", "--config", cfg, "--python", sys.executable)
    assert res.returncode == 2, res
    assert f"{text}: not a checkpoint torch can load safely" in res.stderr
    import torch
    torch.save([1, 2, 3], tmp_path / "list.pth")
    res = migrate(tmp_path / "list.pth", "-o", tmp_path / "x.pth", "--config", cfg,
                  "--python", sys.executable)
    assert res.returncode == 2 and "list.pth: not a checkpoint: expected a dict" in res.stderr
    assert not (tmp_path / "x.pth").exists()


class _Evil:
    def __reduce__(self):
        return (os.system, (f"touch {os.environ['EVIL_MARKER']}",))


def test_code_in_a_checkpoint_is_never_executed(ckpt, tmp_path, monkeypatch):
    _, cfg = ckpt
    marker = tmp_path / "pwned"
    monkeypatch.setenv("EVIL_MARKER", str(marker))
    evil = tmp_path / "evil.pth"
    with open(evil, "wb") as f:
        pickle.dump({"state_dict": {"x": _Evil()}}, f)
    res = migrate(evil, "-o", tmp_path / "x.pth", "--config", cfg, "--python", sys.executable)
    assert res.returncode == 2 and "weights_only" in res.stderr
    assert not marker.exists()
    assert not (tmp_path / "x.pth").exists()


def test_config_without_model_exits_2(ckpt, tmp_path):
    path, _ = ckpt
    cfg = tmp_path / "sched.py"
    cfg.write_text("optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))\n")
    res = migrate(path, "-o", tmp_path / "x.pth", "--config", cfg, "--python", sys.executable)
    assert res.returncode == 2 and "sched.py: no `model` dict" in res.stderr


def test_migrate_checkpoint_imports_no_torch(ckpt, tmp_path):
    """The host side runs the script in a subprocess: torch never enters migrate's process."""
    path, cfg = ckpt
    code = ("import sys; from migrator.checkpoint.cli import main; "
            f"rc = main([{str(path)!r}, '-o', {str(tmp_path / 'o.pth')!r}, '--config', "
            f"{str(cfg)!r}, '--python', {sys.executable!r}, '-q']); "
            "assert 'torch' not in sys.modules and 'numpy' not in sys.modules; sys.exit(rc)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert res.returncode == 0, res.stderr
