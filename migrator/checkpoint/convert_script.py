"""The torch half of `migrate checkpoint` (runs in an interpreter that has torch).

`python -P convert_script.py OLD.pth NEW.pth [NEW_CONFIG.py]`, the rename pairs as JSON on stdin
(`[[pattern, replacement or null], ...]`, from `table.py`). Prints one JSON object:
`{"renamed": [[old, new], ...], "dropped": [...], "kept": N, "model": {"missing": [...],
"unexpected": [...], "shape": [...]} or {"skipped": why}}`, or `{"error": message}` (exit 2).

The checkpoint is read with `torch.load(..., weights_only=True)`: only tensors and plain
containers are unpickled, no code from the file ever runs. A file with a `state_dict` entry is an
MMCV checkpoint (its `meta` is kept, `optimizer` dropped: its state is indexed by parameter
order, which MMEngine's resume does not share with MMCV); a dict of tensors is a bare state dict.
The output is written to a temporary file beside NEW.pth and renamed over it (atomic). With a
config and the new codebase importable (the new env), the renamed keys are checked against the
model the config builds (`MODELS.build`, pretrained weights not loaded).
"""
from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if sys.path and os.path.abspath(sys.path[0]) == HERE:
    sys.path.pop(0)
ROOT = os.path.dirname(os.path.dirname(HERE))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import json
import tempfile


def fail(msg: str) -> int:
    print(json.dumps({"error": msg}))
    return 2


def _model_check(config: str, sd: dict) -> dict:
    try:
        import mmengine  # noqa: F401
        from migrator.verify.model.harness_new import build
        from migrator.verify.model.inenv import quiet
    except ImportError as e:
        return {"skipped": f"mmengine/codebase not importable here ({e})"}
    quiet()
    try:
        _scope, _cfg, model = build(config)
    except Exception as e:  # noqa: BLE001 - reported
        return {"skipped": f"the config's model does not build here: {type(e).__name__}: "
                           f"{str(e).splitlines()[0][:200] if str(e) else ''}"}
    target = model.state_dict()
    return {"missing": [k for k in target if k not in sd],
            "unexpected": [k for k in sd if k not in target],
            "shape": [[k, list(sd[k].shape), list(target[k].shape)] for k in sd
                      if k in target and hasattr(sd[k], "shape")
                      and tuple(sd[k].shape) != tuple(target[k].shape)]}


def main(argv) -> int:
    src, dst = argv[0], argv[1]
    config = argv[2] if len(argv) > 2 else None
    rules = [tuple(r) for r in json.loads(sys.stdin.read() or "[]")]
    import torch
    from migrator.checkpoint.table import key_map
    try:
        ckpt = torch.load(src, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any failure to unpickle safely
        first = str(e).splitlines()[0][:200] if str(e) else ""
        return fail(f"{src}: not a checkpoint torch can load safely (weights_only): "
                    f"{type(e).__name__}: {first}")
    if isinstance(ckpt, dict) and isinstance(ckpt.get("state_dict"), dict):
        sd, wrapper = ckpt["state_dict"], {k: v for k, v in ckpt.items()
                                           if k not in ("state_dict", "optimizer")}
    elif isinstance(ckpt, dict) and ckpt and all(isinstance(v, torch.Tensor)
                                                 for v in ckpt.values()):
        sd, wrapper = ckpt, None
    else:
        return fail(f"{src}: not a checkpoint: expected a dict with a 'state_dict' or a dict of "
                    f"tensors, got {type(ckpt).__name__}")
    try:
        names = key_map(sd, rules)
    except ValueError as e:
        return fail(f"{src}: {e}")
    out_sd = {names[k]: v for k, v in sd.items() if names[k] is not None}
    report = {"renamed": [[k, n] for k, n in names.items() if n is not None and n != k],
              "dropped": [k for k, n in names.items() if n is None],
              "kept": sum(1 for k, n in names.items() if n == k)}
    report["model"] = _model_check(config, out_sd) if config else {"skipped": "no config"}
    if wrapper is None:
        out = out_sd
    else:
        out = dict(wrapper, state_dict=out_sd)
        meta = dict(out.get("meta") or {})
        meta["mmmigrate"] = {"renamed": len(report["renamed"]), "dropped": len(report["dropped"]),
                             "source": os.path.basename(src)}
        out["meta"] = meta
    target_dir = os.path.dirname(os.path.abspath(dst))
    handle, tmp = tempfile.mkstemp(prefix=".migrate-ckpt-", suffix=".tmp", dir=target_dir)
    os.close(handle)
    try:
        torch.save(out, tmp)
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
