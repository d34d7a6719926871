"""Helpers shared by the model harnesses; imported only inside an environment's interpreter.

Everything here may import torch (lazily, inside functions): the harness scripts
(`harness_old.py` in the old-codebases env, `harness_new.py` in the new one) import this module
after putting the repository root on `sys.path`. `migrate`'s own process never imports it.

Conventions both sides follow identically (so the same model sees the same thing):
  * `strip_pretrained`: every `init_cfg` of type Pretrained is dropped and every string
    `pretrained=` becomes None (nothing is downloaded; weights come from the old model's init).
  * the inputs are a fixed random normalised batch (`make_inputs`, seeded torch.Generator),
    written once by the old side and read back by the new side: the tensors the model sees
    after its data preprocessor (data preprocessing itself is verified by `verify/data`).
  * `seed_all(1)` right before every forward (dropout, DropPath, random samplers, batch
    augments draw the same numbers on both sides when both versions consume the RNG alike).
"""
from __future__ import annotations

import random
import traceback

SEED_INIT = 0     # torch.manual_seed(0); model.init_weights() on the old side
SEED_FORWARD = 1  # before every forward, on both sides


class KernelMissing(Exception):
    """A compiled MMCV kernel was called (the `_ext` stand-in raised): the comparison stops."""

    def __init__(self, op: str, after: str):
        super().__init__(op)
        self.op, self.after = op, after


def missing_kernel(exc: BaseException):
    """The kernel name if `exc` (or its cause chain) is the `_ext` stand-in's error, else None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        msg = str(exc)
        if type(exc).__name__ == "MissingKernelError" or "compiled MMCV ops are not built" in msg:
            head = msg.split(":", 1)[0].strip()
            return head.replace("mmcv._ext.", "") if head.startswith("mmcv._ext.") else head
        exc = exc.__cause__ or exc.__context__
    return None


def error_info(exc: BaseException, stage: str) -> dict:
    tb = traceback.extract_tb(exc.__traceback__)
    where = f"{tb[-1].filename.rsplit('site-packages/', 1)[-1]}:{tb[-1].lineno}" if tb else ""
    msg = str(exc).splitlines()[0][:300] if str(exc) else ""
    return {"stage": stage, "type": type(exc).__name__, "message": msg, "where": where}


def seed_all(seed: int) -> None:
    import numpy as np
    import torch
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def strip_pretrained(v):
    """A copy of a model config without Pretrained init_cfgs and with `pretrained=None`."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if k == "init_cfg" and _is_pretrained(x):
                continue
            if k == "init_cfg" and isinstance(x, (list, tuple)):
                x = [strip_pretrained(i) for i in x if not _is_pretrained(i)]
                if not x:
                    continue
            elif k in ("pretrained", "teacher_ckpt") and isinstance(x, str):
                x = None                 # a download (LD/LAD teachers: the state dict moves)
            else:
                x = strip_pretrained(x)
            out[k] = x
        return out
    if isinstance(v, (list, tuple)):
        return type(v)(strip_pretrained(i) for i in v)
    return v


SYNC_BN = ("SyncBN", "MMSyncBN", "NaiveSyncBN")


def prepare(model_cfg):
    """What both sides do to the model config before building it: `strip_pretrained`, and every
    synchronised BN (`SyncBN`, `MMSyncBN`, `NaiveSyncBN`) becomes `BN`. With one process these
    compute what BN computes (same parameters and buffers), but torch's SyncBatchNorm refuses CPU
    tensors in train mode. A backbone with a fixed token grid (`FIXED_GRID`) gets `GRID_SIZE`
    (`adjusted` says what was changed; both sides must have had the same value)."""
    cfg = _no_sync_bn(strip_pretrained(model_cfg))
    if adjusted(cfg):
        cfg = dict(cfg, backbone=dict(cfg["backbone"], img_size=GRID_SIZE))
    return cfg


# backbones whose relative position tables are sized by `img_size` (window = img_size / patch):
# they run at no other input size, and at mmseg's 640 px BEiT-L's attention maps alone need
# ~20 GB for one train step. Both sides build them at GRID_SIZE instead (64 px: a 4x4 grid of
# 16 px patches); the value each config had is compared first (`adjusted`)
FIXED_GRID = ("BEiT", "MAE")
GRID_SIZE = (64, 64)


def adjusted(model_cfg) -> dict:
    """{"backbone.img_size": the config's value} where `prepare` sets GRID_SIZE, else {}."""
    backbone = (model_cfg or {}).get("backbone") if isinstance(model_cfg, dict) else None
    if not isinstance(backbone, dict) or backbone.get("type") not in FIXED_GRID:
        return {}
    size = backbone.get("img_size", 224)
    size = (size, size) if isinstance(size, int) else tuple(size)
    return {} if size == GRID_SIZE else {"backbone.img_size": list(size)}


def _no_sync_bn(v):
    if isinstance(v, dict):
        v = {k: _no_sync_bn(x) for k, x in v.items()}
        if v.get("type") in SYNC_BN:
            v["type"] = "BN"
        return v
    if isinstance(v, (list, tuple)):
        return type(v)(_no_sync_bn(i) for i in v)
    return v


def _is_pretrained(x) -> bool:
    """A Pretrained init_cfg, or one with a checkpoint and no type (mmdet PVT/PVTv2 load
    `init_cfg.checkpoint` themselves in init_weights, in both versions)."""
    return isinstance(x, dict) and (x.get("type") in ("Pretrained", "PretrainedInit") or
                                    (x.get("type") is None and "checkpoint" in x))


def with_teacher(model_cfg: dict, config_path, load) -> dict:
    """A knowledge-distillation detector's `teacher_config` file (mmdet LD: a path relative to
    the repository, 'configs/gfl/...') read with the side's own `load` (Config.fromfile), and
    given as {"model": its prepared model} (both versions accept a config there): resolved
    against the config's directories, its pretrained backbone stripped like the student's."""
    from pathlib import Path
    t = model_cfg.get("teacher_config") if isinstance(model_cfg, dict) else None
    if not isinstance(t, str):
        return model_cfg
    rel = Path(t)
    found = rel if rel.is_absolute() else None
    for up in [] if found else Path(config_path).resolve().parents:
        for cand in (up / rel, up.joinpath(*rel.parts[1:]) if rel.parts[0] == "configs"
                     else None):
            if cand is not None and cand.is_file():
                found = cand
                break
        if found:
            break
    if found is None:
        return model_cfg                         # the codebase raises its own error
    return dict(model_cfg, teacher_config={"model": prepare(to_plain(load(str(found)).model))})


def to_plain(cfg):
    """mmcv/mmengine ConfigDict -> plain dicts and lists (recursively)."""
    if hasattr(cfg, "to_dict"):
        cfg = cfg.to_dict()
    if isinstance(cfg, dict):
        return {k: to_plain(v) for k, v in cfg.items()}
    if isinstance(cfg, (list, tuple)):
        return type(cfg)(to_plain(v) for v in cfg)
    return cfg


def flatten(prefix: str, obj, out=None):
    """Nested tuples/lists/dicts of tensors -> [(name, tensor)] (`x[0][1]`, `x.key`)."""
    import torch
    out = [] if out is None else out
    if isinstance(obj, torch.Tensor):
        out.append((prefix, obj.detach().clone()))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            flatten(f"{prefix}[{i}]", v, out)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        out.append((prefix, torch.tensor(float(obj))))
    return out


def input_shapes(codebase: str, cfg) -> list:
    """Candidate (batch, channels, height, width) shapes of the random batch, smallest first:
    a small batch keeps a CPU run short; a model that cannot run at it on the old side (fixed
    token counts: MLP-Mixer, ...) is run at the size its config's test pipeline feeds it."""
    chans = input_channels(cfg)
    if codebase == "mmdet":
        from .det import LARGE, PAD, STRIDE_128
        return [(2, chans) + PAD, (2, chans) + LARGE, (2, chans) + STRIDE_128]
    full = (2, chans) + (_cls_size(cfg) if codebase == "mmcls" else _seg_size(cfg))
    small = (2, chans, 64, 64)
    out = [small, full] if full[2] * full[3] > 64 * 64 else [full]
    crop = _train_crop(cfg) if codebase == "mmseg" else None
    if crop and crop[0] * crop[1] > full[2] * full[3]:
        # last resort, uncapped: a head that needs a large feature map (mmseg 0.30.0 LRASPPHead
        # pools with AvgPool2d(49, stride=(16, 20)) at 1/8: >= 392 px) runs at its train crop
        out.append((2, chans) + crop)
    return out


def _train_crop(cfg):
    """The train pipeline's RandomCrop crop_size (a dataset wrapper's inner pipeline too)."""
    train = (cfg.get("data") or {}).get("train") if isinstance(cfg.get("data"), dict) else None
    while isinstance(train, dict) and "pipeline" not in train and isinstance(
            train.get("dataset"), dict):
        train = train["dataset"]
    for t in _flat_pipeline((train or {}).get("pipeline") if isinstance(train, dict) else None):
        crop = t.get("crop_size")
        if t.get("type") == "RandomCrop" and isinstance(crop, (list, tuple)) and len(crop) == 2:
            return tuple(int(c) for c in crop)
    return None


def revert_sync_bn(model):
    """Every SyncBatchNorm module left in a built model as a plain BN (both sides alike): the
    ones a codebase builds from its own default `norm_cfg=dict(type='SyncBN')` with no dict in
    the config for `prepare` to change (mmseg Feature2Pyramid, BEiT's neck). The codebases' own
    `revert_sync_batchnorm` (mmengine's on the new side, MMCV 1.x's on the old): the same
    parameters and buffers, no input-dimension check."""
    try:
        from mmengine.model import revert_sync_batchnorm
    except ImportError:                           # the old env blocks mmengine
        from mmcv.cnn.utils import revert_sync_batchnorm
    return revert_sync_batchnorm(model)


# modules the old codebase leaves uninitialised once the pretrained backbone is stripped: their
# values were whatever memory held (the same on both sides, the state dict moves, but
# depending on the models run before in the process: tridentnet's RPN scores reached 1e10
# after guided_anchoring, no proposal survived, the RoI head saw none). Initialised as their
# init_cfg meant, on the old side after init_weights (seeded).
# mmdet 2.28.2 TridentConv: weight = nn.Parameter(torch.Tensor(...)), init_cfg Kaiming
# (uniform, fan_in) with override name='conv2', a name TridentConv has no child under: no
# layer is initialised (mmdet 3.3.0 has the same code)
UNINITIALISED = ("TridentConv",)


def init_left_over(model) -> None:
    import torch.nn as nn
    for m in model.modules():
        if type(m).__name__ in UNINITIALISED:
            nn.init.kaiming_uniform_(m.weight, a=0, mode="fan_in", nonlinearity="relu")
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)


def no_dropout(model) -> None:
    """Every dropout and drop-path rate to 0 (a diagnosis, both sides alike: `verify_models(...,
    no_dropout=True)`): a train-mode difference that goes away is the versions drawing their
    dropout masks differently, not a different computation."""
    import torch.nn as nn
    for m in model.modules():
        if isinstance(m, nn.modules.dropout._DropoutNd):
            m.p = 0.0
        for attr in ("drop_prob", "dropout", "attn_drop", "drop_path_rate", "dropout_rate"):
            if isinstance(getattr(m, attr, None), float):
                setattr(m, attr, 0.0)


def input_channels(cfg) -> int:
    """The backbone's `in_channels`, else the length of the test pipeline's Normalize mean
    (LeNet5 on MNIST: `mean=[33.46]`, one channel), else 3."""
    backbone = (cfg.get("model") or {}).get("backbone") or {}
    if isinstance(backbone.get("in_channels"), int):
        return backbone["in_channels"]
    data = cfg.get("data") or {}
    for split in ("test", "val", "train"):
        pipeline = (data.get(split) or {}).get("pipeline") if isinstance(data, dict) else None
        for t in _flat_pipeline(pipeline):
            mean = t.get("mean")
            if t.get("type") == "Normalize" and isinstance(mean, (list, tuple)) and mean:
                return len(mean)
    return 3


def _flat_pipeline(pipeline) -> list:
    """The transforms of a pipeline, those inside MultiScaleFlipAug & co. included."""
    out = []
    for t in pipeline if isinstance(pipeline, (list, tuple)) else []:
        if isinstance(t, dict):
            out.append(t)
            out.extend(_flat_pipeline(t.get("transforms")))
    return out


def _seg_size(cfg) -> tuple:
    """A backbone with a fixed token grid (BEiT's relative position tables) runs at GRID_SIZE
    (`prepare`); else the test crop, at most 256 (vision transformers resize their position
    embeddings to the input, in both versions)."""
    backbone = (cfg.get("model") or {}).get("backbone") or {}
    if backbone.get("type") in FIXED_GRID:
        return GRID_SIZE
    crop = ((cfg.get("model") or {}).get("test_cfg") or {}).get("crop_size")
    if isinstance(crop, (list, tuple)) and len(crop) == 2:
        return tuple(min(int(c), 256) for c in crop)
    return (128, 128)


def _cls_size(cfg) -> tuple:
    """The crop the old test pipeline feeds the classifier (224 when none is found)."""
    data = cfg.get("data") or {}
    pipeline = ((data.get("test") or {}).get("pipeline")) or []
    size = None
    for t in pipeline if isinstance(pipeline, list) else []:
        if not isinstance(t, dict):
            continue
        if t.get("type") == "CenterCrop":
            size = t.get("crop_size")
        elif t.get("type") in ("Resize", "RandomResizedCrop") and size is None:
            size = t.get("size")
    if isinstance(size, int):
        return (size, size)
    if isinstance(size, (list, tuple)) and len(size) == 2 and all(isinstance(s, int) and s > 0
                                                                 for s in size):
        return tuple(size)
    return (224, 224)


def make_inputs(shape) -> "torch.Tensor":
    import torch
    g = torch.Generator().manual_seed(12)
    return torch.randn(*shape, generator=g)


def sgd_step(model, loss) -> None:
    """One SGD step (lr 0.01, no momentum, no weight decay) on `loss`."""
    import torch
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=0.01, momentum=0.0)
    opt.zero_grad()
    loss.backward()
    opt.step()


def state(model) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


# mmdet knowledge-distillation detectors (LD, LAD; both versions) keep their teacher as a plain
# attribute (`object.__setattr__`): it is not in state_dict(), so each side would keep its own
# randomly initialised teacher (LAD's teacher assigns the student's labels: loss_cls differed
# by 1.7%). The harness moves it as `teacher_model.*` keys, built and loaded like the rest
TEACHER = "teacher_model"


def _teacher(model):
    t = getattr(model, "__dict__", {}).get(TEACHER)
    return t if hasattr(t, "state_dict") else None


def full_state_dict(model) -> dict:
    """model.state_dict() and an unregistered teacher's as `teacher_model.*`."""
    sd = dict(model.state_dict())
    t = _teacher(model)
    if t is not None:
        sd.update({f"{TEACHER}.{k}": v for k, v in t.state_dict().items()})
    return sd


def full_state(model) -> dict:
    return {k: v.detach().clone() for k, v in full_state_dict(model).items()}


def load_full(model, sd: dict) -> None:
    """load_state_dict(strict=False), the `teacher_model.*` keys into the teacher."""
    t, pre = _teacher(model), TEACHER + "."
    model.load_state_dict({k: v for k, v in sd.items() if t is None or not k.startswith(pre)},
                          strict=False)
    if t is not None:
        t.load_state_dict({k[len(pre):]: v for k, v in sd.items() if k.startswith(pre)},
                          strict=False)


def init_dist() -> None:
    """A one-process gloo group (SyncBN and friends ask for the world size)."""
    import os
    import tempfile
    import torch.distributed as dist
    if dist.is_available() and not dist.is_initialized():
        handle, name = tempfile.mkstemp(prefix="mmmigrate-pg-")
        os.close(handle)
        os.unlink(name)
        dist.init_process_group("gloo", init_method=f"file://{name}", rank=0, world_size=1)


def quiet() -> None:
    """Warnings and codebase logging off; one torch thread (both sides alike: the same
    reduction order, and no oversubscription when several harnesses share the cores)."""
    import logging
    import torch
    torch.set_num_threads(1)
    import warnings
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)


MARK = "@@mmmigrate-done "   # = migrator.verify.model.MARK


def _trim() -> None:
    """Give the freed heap back to the system (glibc keeps a large model's freed tensors in its
    arenas: the idle harness would hold gigabytes while the other side runs)."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def serve(handle) -> int:
    """A harness's main loop: one JSON job per stdin line, `handle(job)` -> a JSON-able payload
    (or None), then `@@mmmigrate-done <id> <payload>` on the real stdout. Everything the
    codebases print goes to stderr, so the protocol stream carries the done lines only."""
    import gc
    import json
    import os
    import sys
    proto = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    while True:
        line = sys.stdin.readline()
        if not line:
            return 0
        if not line.strip():
            continue
        job = json.loads(line)
        payload = handle(job)
        gc.collect()
        _trim()
        proto.write(f"{MARK}{job['id']} {json.dumps(payload) if payload is not None else ''}\n")
        proto.flush()
