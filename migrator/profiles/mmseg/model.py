"""mmseg models: a segmentor-level `pretrained` beside a backbone `init_cfg`.

Old behaviour (mmseg 0.30 EncoderDecoder/CascadeEncoderDecoder.__init__): `model.pretrained` is
handed to the backbone as `backbone.pretrained`, and the ResNet/HRNet/... backbones assert
`not (init_cfg and pretrained)`: a child that sets `backbone.init_cfg=dict(type='Pretrained',
checkpoint=...)` over a base with `model.pretrained` (six loveda configs of 0.30.0) failed to build.
New behaviour: mmseg 1.2.2 has the same assertion; its own configs for these files state the
child's checkpoint as `model.pretrained` and no backbone init_cfg (the weights the child asked
for, loaded the way the base loaded its own). That is what is written, with a warning; any
other init_cfg beside `pretrained` is left under a TODO.
"""
from __future__ import annotations

from typing import Any, Dict

NAME = "mmseg.model"


def apply(cfg: Dict[str, Any], ctx) -> Dict[str, Any]:
    model = cfg.get("model")
    if not isinstance(model, dict) or model.get("pretrained") is None:
        return cfg
    bb = model.get("backbone")
    init = bb.get("init_cfg") if isinstance(bb, dict) else None
    if not init:
        return cfg
    if not (isinstance(init, dict) and init.get("type") == "Pretrained"
            and set(init) <= {"type", "checkpoint"} and init.get("checkpoint")):
        ctx.todo("model.backbone.init_cfg", "mmseg's backbones refuse init_cfg beside the "
                 "segmentor's `pretrained` (AssertionError in 0.30 and 1.2.2): choose one",
                 original=init, anchor="model")
        return cfg
    ctx.warn("model.backbone.init_cfg", "mmseg 0.30 refused backbone.init_cfg beside "
             "model.pretrained (the backbone asserts `not (init_cfg and pretrained)`); written as "
             f"model.pretrained={init['checkpoint']!r}, the checkpoint the backbone asked for, "
             "as mmseg 1.2.2's own config does", original=init, anchor="model")
    new_bb = {k: v for k, v in bb.items() if k != "init_cfg"}
    out = {**cfg, "model": {**model, "pretrained": init["checkpoint"], "backbone": new_bb}}
    ctx.report.applied(NAME)
    return out
