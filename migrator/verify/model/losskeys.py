"""Loss-dict keys renamed between the old and the new codebases (pure data).

Keys are the flattened names the harness records: a per-level list is `loss_cls[0]`, a nested
dict `accuracy.top-1`. A key not listed keeps its name (mmdet `loss_cls`, `loss_rpn_cls`, mmseg
`decode.loss_ce`, `aux.loss_ce`, mmcls `loss` are the same in both versions).
"""
from __future__ import annotations

import re

# codebase -> [(pattern, replacement)]; found by running both versions on the same batch
LOSS_KEYS = {
    # mmcls 0.25.0 ClsHead.loss: losses['accuracy'] = {'top-1': ...}; mmpretrain 1.2.0
    # ClsHead._get_loss: losses['accuracy_top-1']
    "mmcls": [(r"^accuracy\.top-(\d+)$", r"accuracy_top-\1")],
}


def loss_key(codebase: str, key: str) -> str:
    for pattern, repl in LOSS_KEYS.get(codebase, []):
        if re.search(pattern, key):
            return re.sub(pattern, repl, key)
    return key
