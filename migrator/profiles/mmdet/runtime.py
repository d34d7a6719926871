"""mmdet runtime pieces: the training batch sampler and mmdet hooks.

Old behaviour (mmdet 2.x datasets/builder.py): training batches were grouped by aspect ratio
(GroupSampler / DistributedGroupSampler over the dataset's `flag`); custom hooks
SyncRandomSizeHook (YOLOX batch resizing), YOLOXModeSwitchHook, SyncNormHook, ...
New behaviour (mmdet 3.x): `train_dataloader.batch_sampler=dict(type='AspectRatioBatchSampler')`
groups by aspect ratio; the 3.x configs keep workers alive (`persistent_workers=True`: the same
batches, no worker restart per epoch) and write `drop_last=False` for val/test (the default); SyncRandomSizeHook is gone (BatchSyncRandomResize in the data
preprocessor); the other mmdet hooks keep their arguments.
"""
from __future__ import annotations

from typing import Any, Dict

from . import tables as T

NAME = "mmdet.runtime"


def apply(cfg: Dict[str, Any], ctx) -> Dict[str, Any]:
    out = dict(cfg)
    loader = cfg.get("train_dataloader")
    old = ctx.old if isinstance(ctx.old, dict) else {}
    if isinstance(loader, dict) and "batch_sampler" not in loader and "data" in old \
            and (loader.get("sampler") or {}).get("type") != "ClassAwareSampler":
        items = list(loader.items())
        at = next((i for i, (k, _) in enumerate(items) if k == "sampler"), len(items) - 1) + 1
        items.insert(at, ("batch_sampler", {"type": "AspectRatioBatchSampler"}))
        out["train_dataloader"] = dict(items)
    for split in ("train", "val", "test"):     # the 3.x configs' loader settings
        ld = out.get(f"{split}_dataloader")
        if not isinstance(ld, dict) or "data" not in old:
            continue
        extra = {}
        if ld.get("num_workers", 0) > 0 and "persistent_workers" not in ld:
            extra["persistent_workers"] = True
        if split != "train" and "drop_last" not in ld:
            extra["drop_last"] = False
        if extra:
            items = list(ld.items())
            at = next((i for i, (k, _) in enumerate(items) if k == "num_workers"), 0) + 1
            out[f"{split}_dataloader"] = dict(items[:at] + list(extra.items()) + items[at:])
    hooks = cfg.get("custom_hooks")
    if isinstance(hooks, list):
        kept = []
        old_hooks = old.get("custom_hooks") if isinstance(old.get("custom_hooks"), list) else []
        for i, h in enumerate(hooks):
            i = old_hooks.index(h) if h in old_hooks else i       # the old field's index
            gone = T.HOOK_ARGS_GONE.get(h.get("type")) if isinstance(h, dict) else None
            if gone and any(k in h for k in gone):
                ctx.warn(f"custom_hooks[{i}]", f"{h['type']} takes no {', '.join(gone)} in mmdet "
                         "3.x; dropped", original={k: h[k] for k in gone if k in h},
                         anchor="custom_hooks")
                h = {k: v for k, v in h.items() if k not in gone}
            kept.append(h)
        if kept != hooks:
            out["custom_hooks"] = kept
    if out != cfg:
        ctx.report.applied(NAME)
    return out
