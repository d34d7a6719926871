"""mmseg models: a segmentor-level `pretrained` beside a backbone `init_cfg`.

Old behaviour (mmseg 0.30 EncoderDecoder/CascadeEncoderDecoder.__init__): `model.pretrained` is
handed to the backbone as `backbone.pretrained`, and the ResNet/HRNet/... backbones assert
`not (init_cfg and pretrained)`: a child that sets `backbone.init_cfg=dict(type='Pretrained',
checkpoint=...)` over a base with `model.pretrained` (six loveda configs of 0.30.0) failed to build.
New behaviour: mmseg 1.2.2 has the same assertion; its own configs for these files state the
child's checkpoint as `model.pretrained` and no backbone init_cfg (the weights the child asked
for, loaded the way the base loaded its own). That is what is written, with a warning; any
other init_cfg beside `pretrained` is left under a TODO.

Changed defaults (`tables.PINNED_DEFAULTS`): a model module of a listed type that leaves the
argument unset gets the value 0.30 built with, with a warning (VisionTransformer patch_bias=True:
1.2.2's default False drops the patch-embedding bias 0.30 always had).
"""
from __future__ import annotations

from typing import Any, Dict

from . import tables as T

NAME = "mmseg.model"


def _pin_defaults(v: Any, where: str, ctx) -> Any:
    if isinstance(v, list):
        return [_pin_defaults(x, f"{where}[{i}]", ctx) for i, x in enumerate(v)]
    if not isinstance(v, dict):
        return v
    out = {k: _pin_defaults(x, f"{where}.{k}", ctx) for k, x in v.items()}
    typ = v.get("type")
    pinned = T.PINNED_DEFAULTS.get(typ.split(".")[-1] if isinstance(typ, str) else None, {})
    for k, (was, now) in pinned.items():
        if k not in out:
            ctx.warn(where, f"mmseg 1.2.2's {typ} defaults to {k}={now!r}; mmseg 0.30 "
                     f"built it with {k}={was!r}: written", anchor="model")
            out[k] = was
    return out


def apply(cfg: Dict[str, Any], ctx) -> Dict[str, Any]:
    if isinstance(cfg.get("model"), dict):
        model = _pin_defaults(cfg["model"], "model", ctx)
        if model != cfg["model"]:
            cfg = {**cfg, "model": model}
            ctx.report.applied(NAME)
    return _pretrained(cfg, ctx)


def _pretrained(cfg: Dict[str, Any], ctx) -> Dict[str, Any]:
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
