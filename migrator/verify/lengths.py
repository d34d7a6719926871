"""Which dataset lengths a pair is verified at, and what a schedule trace depends on.

Lengths (`choose_lengths`): the toy lengths of run.py (epochs of 1, 3 and 7 iterations and
epochs around half an iteration-counted warmup: every epoch boundary logic is exercised) plus
one REALISTIC length, the size of the training set the config names (TRAIN_SIZES, by dataset
type; RepeatDataset times and ConcatDataset sums applied), or DEFAULT_EPOCH_ITERS iterations per
epoch when the type is not in the table. An epoch run longer than REALISTIC_MAX_ITERS iterations
at that size is verified at the largest size within it (a 300-epoch ImageNet run: 133 iterations
per epoch instead of 10,010), so every tree finishes; the realistic check is the one reports
plot. A toy length outside the domain of a recorded approximation (a 1-epoch warmup with one
iteration per epoch, MA101) is not chosen, with a note.

Keys (`old_key`, `new_key`): the fields the MMCV model (mmcv.py) and the fast dry run
(runtime/dryrun.py: train_cfg, train_dataloader without its dataset, optim_wrapper,
auto_scale_lr, param_scheduler, default_hooks.checkpoint, whether val_dataloader / val_cfg /
val_evaluator are set) read; pairs with equal keys have equal traces, so a tree's many configs
sharing one schedule are traced once (tests/test_verify_tree.py checks the keys are complete).
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple

MAX_ITERS = 250_000
REALISTIC_MAX_ITERS = 40_000
DEFAULT_EPOCH_ITERS = 500
EPOCH_LENGTHS = (1, 3, 7)

# Training-split sizes of the datasets the OpenMMLab 2.x/0.x configs train on (images, or
# person instances for top-down pose), as the codebases' dataset classes count them.
TRAIN_SIZES = {
    # mmdet 2.x
    "CocoDataset": 117266, "CocoPanopticDataset": 117266, "LVISV1Dataset": 100170,
    "LVISV05Dataset": 56864, "VOCDataset": 16551, "WIDERFaceDataset": 12880,
    "OpenImagesDataset": 1743042, "OpenImagesChallengeDataset": 1743042,
    "Objects365V1Dataset": 608606, "Objects365V2Dataset": 1742289,
    # mmcls 0.x
    "ImageNet": 1281167, "ImageNet21k": 14197122, "CIFAR10": 50000, "CIFAR100": 50000,
    "MNIST": 60000, "FashionMNIST": 60000, "VOC": 5011, "CUB": 5994, "StanfordCars": 8144,
    # mmseg 0.x (CityscapesDataset: 2975 fine images, the same split in mmdet)
    "ADE20KDataset": 20210, "CityscapesDataset": 2975, "PascalVOCDataset": 10582,
    "PascalContextDataset": 4996, "PascalContextDataset59": 4996, "COCOStuffDataset": 118287,
    "LoveDADataset": 2522, "DRIVEDataset": 20, "STAREDataset": 20, "ChaseDB1Dataset": 20,
    "HRFDataset": 15, "iSAIDDataset": 33978,
    # mmpose 0.x
    "TopDownCocoDataset": 149813, "TopDownMpiiDataset": 22246, "BottomUpCocoDataset": 64115,
}


def train_size(ds: Any) -> Optional[int]:
    """Samples per epoch of `data.train` (None: unknown type)."""
    if isinstance(ds, (list, tuple)):
        sizes = [train_size(d) for d in ds]
        return None if None in sizes or not sizes else sum(sizes)
    if not isinstance(ds, dict):
        return None
    t = str(ds.get("type", ""))
    if t == "RepeatDataset":
        inner = train_size(ds.get("dataset"))
        return None if inner is None else inner * int(ds.get("times", 1))
    if t == "ConcatDataset":
        return train_size(ds.get("datasets"))
    if t in ("ClassBalancedDataset", "MultiImageMixDataset", "KFoldDataset"):
        return train_size(ds.get("dataset"))
    return TRAIN_SIZES.get(t.split(".")[-1])


def realistic_length(old_cfg: Dict[str, Any], per_step: int) -> Tuple[int, str]:
    """(dataset length, how it was chosen) of the realistic check."""
    data = old_cfg.get("data") if isinstance(old_cfg.get("data"), dict) else {}
    size = train_size(data.get("train"))
    why = f"{size} samples (the training set named)" if size else \
        f"{DEFAULT_EPOCH_ITERS} iterations per epoch (training set size unknown)"
    n = size or DEFAULT_EPOCH_ITERS * per_step
    runner = old_cfg.get("runner") or {}
    if runner.get("type") == "IterBasedRunner":
        return n, why
    epochs = runner.get("max_epochs", old_cfg.get("total_epochs")) or 1
    per_epoch = -(-n // per_step)
    if per_epoch * epochs > REALISTIC_MAX_ITERS:
        per_epoch = max(1, REALISTIC_MAX_ITERS // epochs)
        n = per_epoch * per_step
        why += f", capped at {REALISTIC_MAX_ITERS} iterations: {per_epoch} per epoch"
    return n, why


def toy_epochs(old_cfg: Dict[str, Any]) -> List[int]:
    elens = set(EPOCH_LENGTHS)
    for key in ("lr_config", "momentum_config"):
        hook = old_cfg.get(key) or {}
        w = hook.get("warmup_iters") if hook.get("warmup") else None
        if isinstance(w, int) and w > 0 and not hook.get("warmup_by_epoch", False):
            elens.update({max(1, w // 2), max(1, (w + 1) // 2 + 1)})
    runner = old_cfg.get("runner") or {}
    if runner.get("type") == "IterBasedRunner":
        return [3, 7]                        # epoch length only matters for converted schedulers
    epochs = runner.get("max_epochs", old_cfg.get("total_epochs")) or 1
    return [e for e in sorted(elens) if e * epochs <= MAX_ITERS] or [min(elens)]


# ---- what a trace depends on -----------------------------------------------------------------

OLD_KEYS = ("lr_config", "momentum_config", "optimizer", "runner", "total_epochs", "evaluation",
            "checkpoint_config", "auto_scale_lr")
NEW_KEYS = ("train_cfg", "optim_wrapper", "auto_scale_lr", "param_scheduler")


def _dump(v: Any) -> str:
    return json.dumps(v, sort_keys=True, default=repr)


def old_key(old_cfg: Dict[str, Any]) -> str:
    data = old_cfg.get("data") if isinstance(old_cfg.get("data"), dict) else {}
    sub = {k: data.get(k) for k in ("imgs_per_gpu", "samples_per_gpu", "train_dataloader")
           if k in data}
    return _dump([{k: old_cfg.get(k) for k in OLD_KEYS if k in old_cfg}, sub,
                  data.get("val") is not None])


def new_key(new_cfg: Dict[str, Any]) -> str:
    loader = new_cfg.get("train_dataloader")
    loader = {k: v for k, v in loader.items() if k != "dataset"} if isinstance(loader, dict) \
        else loader
    hooks = new_cfg.get("default_hooks")
    ck = hooks.get("checkpoint", "<default>") if isinstance(hooks, dict) else "<default>"
    return _dump([{k: new_cfg.get(k) for k in NEW_KEYS if k in new_cfg}, loader, ck,
                  [new_cfg.get(k) is not None for k in ("val_dataloader", "val_cfg",
                                                        "val_evaluator")],
                  new_cfg.get("custom_imports")])
