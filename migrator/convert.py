"""The conversion pipeline for one file: load (static) -> rules -> (emission happens in emit/).

No I/O besides reading the config files through `load.py`; no torch.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from .load import load_config
from .report import Report
from .rules import Context, apply_rules

# Dataset types that identify a codebase (for default_scope, metrics and visualizers).
CODEBASE_BY_DATASET = {
    "CocoDataset": "mmdet", "VOCDataset": "mmdet", "LVISV1Dataset": "mmdet", "LVISV05Dataset": "mmdet",
    "WIDERFaceDataset": "mmdet", "DeepFashionDataset": "mmdet", "OpenImagesDataset": "mmdet",
    "CocoPanopticDataset": "mmdet", "Object365V2Dataset": "mmdet", "XMLDataset": "mmdet",
    "ImageNet": "mmcls", "CIFAR10": "mmcls", "CIFAR100": "mmcls", "MNIST": "mmcls",
    "FashionMNIST": "mmcls", "CUB": "mmcls", "ImageNet21k": "mmcls",
    "ADE20KDataset": "mmseg", "PascalVOCDataset": "mmseg", "PascalContextDataset": "mmseg",
    "CityscapesDataset": None,  # exists in mmdet and mmseg: decided by the model below
}
CODEBASE_BY_MODEL_KEY = {"backbone": None, "decode_head": "mmseg", "roi_head": "mmdet",
                         "rpn_head": "mmdet", "bbox_head": "mmdet", "head": "mmcls"}


def _dataset_types(cfg: Dict[str, Any]) -> List[str]:
    out = []
    data = cfg.get("data")
    if isinstance(data, dict):
        for split in ("train", "val", "test"):
            d = data.get(split)
            while isinstance(d, dict):
                if isinstance(d.get("type"), str):
                    out.append(d["type"])
                d = d.get("dataset")
    if isinstance(cfg.get("dataset_type"), str):
        out.append(cfg["dataset_type"])
    return out


def detect_codebase(cfg: Dict[str, Any], path: Optional[str] = None) -> Optional[str]:
    """Best guess of the OpenMMLab codebase an old config belongs to (None when unsure)."""
    if isinstance(cfg.get("default_scope"), str):
        return cfg["default_scope"]
    model = cfg.get("model")
    if isinstance(model, dict):
        for key, cb in CODEBASE_BY_MODEL_KEY.items():
            if cb and key in model:
                return cb
    for t in _dataset_types(cfg):
        if CODEBASE_BY_DATASET.get(t):
            return CODEBASE_BY_DATASET[t]
    parts = Path(path).parts if path else ()
    for cb in ("mmdet", "mmcls", "mmseg", "mmpretrain"):
        if cb in parts:
            return cb
    return None


@dataclass
class Conversion:
    path: str
    old: Dict[str, Any]
    new: Dict[str, Any]
    report: Report
    files: List[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.new != self.old or bool(self.report.findings)


def convert_dict(cfg: Dict[str, Any], path: str = "<config>", sources=None,
                 codebase: Optional[str] = None) -> Conversion:
    report = Report(path)
    ctx = Context(report=report, path=path, sources=dict(sources or {}),
                  codebase=codebase or detect_codebase(cfg, path))
    new = apply_rules(dict(cfg), ctx)
    conv = Conversion(path, cfg, new, report)
    report.changed = conv.changed
    return conv


def convert_file(path, allow_exec: bool = False, codebase: Optional[str] = None) -> Conversion:
    """Load `path` with its `_base_` files statically and apply every rule."""
    loaded = load_config(path, allow_exec=allow_exec)
    conv = convert_dict(loaded.cfg, str(path), loaded.sources, codebase)
    conv.files = list(loaded.files)
    return conv
