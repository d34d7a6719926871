"""The table-driven pipeline engine: one old pipeline (a list of transform dicts) -> its new form.

Old behaviour (mmdet 2.x, mmseg 0.x, mmcls 0.x): each codebase's own transforms; `Normalize` and
`Pad` run per sample in the pipeline; `DefaultFormatBundle`/`ImageToTensor`/`ToTensor`/
`Transpose` make tensors and `Collect(keys, meta_keys)` picks the fields; `MultiScaleFlipAug`
runs the inner transforms once per (scale, flip) and the model merges the results;
`file_client_args` selects the storage backend.
New behaviour (mmcv 2.x + MMEngine codebases): mmcv 2.x `mmcv.transforms` (new argument names and
defaults, see `transforms.py`); normalisation and batch padding belong to the model's
`data_preprocessor` (mean, std, bgr_to_rgb, pad_size_divisor, ...); one `Pack*Inputs(meta_keys)`
ends the pipeline; the test pipeline is a plain one and test-time augmentation is a separate
`tta_pipeline` (`TestTimeAug`) plus a `tta_model`; `backend_args` selects the backend.

The engine knows only generic mechanics; what a transform becomes is in the tables
(`transforms.TRANSFORMS`, extended by each codebase's table). A `PipelineSpec` names the
codebase's Pack transform, its preprocessor's argument names and any extra named converters.
Conversion is a pure function of (pipeline, spec): equal inputs give equal outputs, so every
place a pipeline variable is used still refers to one converted value.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field as dc_field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

DROP = object()       # a value transform's answer: leave the argument out


@dataclass(frozen=True)
class PipelineSpec:
    table: Mapping[str, Mapping[str, Any]]          # type -> entry (see transforms.py)
    pack: str                                       # 'PackInputs', 'PackSegInputs', ...
    pack_meta_keys: Tuple[str, ...]                 # the new Pack's default meta_keys
    collect_meta_keys: Tuple[str, ...]              # the old Collect's default meta_keys
    preprocessor_type: str                          # 'ClsDataPreprocessor', ...
    preprocessor_args: Mapping[str, Optional[str]]  # generic name -> preprocessor argument
    meta_keys: Mapping[str, Optional[str]] = dc_field(default_factory=dict)  # old -> new meta key
    converters: Mapping[str, Callable] = dc_field(default_factory=dict)      # extra named kinds
    finish: Optional[Callable[[List[dict], "State"], List[dict]]] = None     # last pass
    tta_model: Optional[Mapping[str, Any]] = None   # the tta_model a TestTimeAug pipeline needs
    # also set model.data_preprocessor (same value) where the file has a model: for codebases
    # whose inference API builds `cfg.model` alone (mmseg init_model), not through the Runner
    preprocessor_on_model: bool = False
    # where val/test pipelines' values go when that differs (mmseg: 'test_cfg.size_divisor')
    test_preprocessor_args: Mapping[str, Optional[str]] = dc_field(default_factory=dict)


@dataclass
class Finding:
    kind: str            # 'warning' | 'todo'
    where: str           # relative to the pipeline: '[3].img_scale'
    message: str
    original: Any


@dataclass
class Converted:
    pipeline: List[Any]
    preprocessor: Dict[str, Any]          # generic names (size_divisor, to_rgb, ...)
    tta: Optional[List[Any]]              # the tta_pipeline, when the old test was augmented
    findings: List[Finding]


class State:
    """What converters share while one pipeline is converted."""

    def __init__(self, spec: PipelineSpec):
        self.spec = spec
        self.pre: Dict[str, Any] = {}
        self.findings: List[Finding] = []
        self.tta: Optional[List[Any]] = None
        self.pack_at: Optional[int] = None
        self.pack_meta: Optional[List[str]] = None
        self.loads: Dict[str, Any] = {}       # merged LoadAnnotations arguments seen

    def warn(self, where: str, message: str, original: Any = None) -> None:
        self.findings.append(Finding("warning", where, message, original))

    def todo(self, where: str, message: str, original: Any = None) -> None:
        self.findings.append(Finding("todo", where, message, original))

    def set_pre(self, where: str, key: str, value: Any) -> None:
        if key in self.pre and self.pre[key] != value:
            self.warn(where, f"`{key}` set twice in one pipeline ({self.pre[key]!r} and "
                      f"{value!r}); the data preprocessor keeps the first")
            return
        self.pre.setdefault(key, value)


# ----------------------------------------------------------------------------- value transforms

def _backend_args(v, st, where):
    """file_client_args=dict(backend='disk') is the default -> backend_args=None (dropped)."""
    if isinstance(v, dict) and set(v) <= {"backend"} and v.get("backend", "disk") == "disk":
        return DROP
    return v


def _prob(v, st, where):
    if v is None:
        return DROP
    if isinstance(v, (list, tuple)):
        return [float(x) for x in v]
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


def _hw_to_wh(v, st, where):
    """(h, w) -> (w, h); an int stays an int (both mean a square)."""
    if isinstance(v, (list, tuple)) and len(v) == 2:
        return (v[1], v[0])
    return v


def _float_pair(v, st, where):
    return tuple(float(x) for x in v) if isinstance(v, (list, tuple)) else v


VALUES: Dict[str, Callable] = {"backend_args": _backend_args, "prob": _prob,
                               "hw_to_wh": _hw_to_wh, "float_pair": _float_pair}


# ----------------------------------------------------------------------------- generic mapping

def map_args(t: Dict[str, Any], entry: Mapping[str, Any], st: State, where: str,
             skip: Tuple[str, ...] = ()) -> Dict[str, Any]:
    """Rename/drop/transform arguments as the entry's `args` says; add its `defaults`."""
    out: Dict[str, Any] = {"type": entry.get("new", t["type"])}
    rules = entry.get("args", {})
    for k, v in t.items():
        if k == "type" or k in skip:
            continue
        rule = rules.get(k, k)
        if rule is None:
            continue
        if isinstance(rule, str):
            out[rule] = copy.deepcopy(v)
        elif "todo" in rule:
            st.todo(f"{where}.{k}", f"{t['type']}: {rule['todo']}", v)
        else:
            nv = VALUES[rule["value"]](copy.deepcopy(v), st, f"{where}.{k}")
            if nv is not DROP:
                out[rule["to"]] = nv
    for k, v in entry.get("defaults", {}).items():
        out.setdefault(k, copy.deepcopy(v))
    return out


def _applies(t: Dict[str, Any], entry: Mapping[str, Any]) -> bool:
    when = entry.get("when")
    return not when or any(k in t for k in when)


# ----------------------------------------------------------------------------- named converters

def _scales(v) -> List[Any]:
    return list(v) if isinstance(v, list) else [v]


def _long_short(s):
    """mmdet 2.x sampled the long edge from the long sides and the short edge from the short
    sides; mmcv 2.x RandomResize samples element-wise: give it (long, short) tuples."""
    return (max(s), min(s)) if isinstance(s, (list, tuple)) and len(s) == 2 else s


def conv_resize_scales(t, entry, st, where, ctx_msfa=None):
    """mmdet/mmseg Resize(img_scale, multiscale_mode, ratio_range, keep_ratio=True) ->
    Resize(scale) / RandomResize(scale, ratio_range) / RandomChoiceResize(scales)."""
    old_keys = ("img_scale", "ratio_range", "multiscale_mode", "override", "bbox_clip_border",
                "min_size")
    if not any(k in t for k in old_keys) and ("scale" in t or "scale_factor" in t):
        return [copy.deepcopy(t)]                            # already mmcv 2.x style
    rest = map_args(t, entry, st, where, skip=("img_scale", "ratio_range", "multiscale_mode"))
    rest.pop("type")
    img_scale, ratio = t.get("img_scale"), t.get("ratio_range")
    if img_scale is None:
        if ctx_msfa is not None:                             # scale comes from MultiScaleFlipAug
            return [dict(type="Resize", **ctx_msfa, **rest)]
        st.todo(where, "Resize without img_scale (the scale came from the results at run time); "
                "mmcv 2.x Resize needs `scale` or `scale_factor`", t)
        return [copy.deepcopy(t)]
    scales = _scales(img_scale)
    mode = t.get("multiscale_mode", "range")
    if ratio is not None:
        if len(scales) != 1:
            st.todo(where, "ratio_range with several img_scale", t)
            return [copy.deepcopy(t)]
        return [dict(type="RandomResize", scale=scales[0], ratio_range=ratio, **rest)]
    if len(scales) == 1:
        return [dict(type="Resize", scale=scales[0], **rest)]
    if mode == "range":
        if len(scales) != 2:
            st.todo(where, "multiscale_mode='range' needs exactly two img_scale", t)
            return [copy.deepcopy(t)]
        return [dict(type="RandomResize", scale=[_long_short(s) for s in scales], **rest)]
    return [dict(type="RandomChoiceResize", scales=scales, **rest)]


def conv_flip(t, entry, st, where, ctx_msfa=None):
    """RandomFlip(flip_ratio|prob=None) never flipped outside MultiScaleFlipAug; mmcv 2.x refuses
    prob=None. Inside MultiScaleFlipAug the flip decision moves to the TTA pipeline."""
    if ctx_msfa is not None:
        return []
    out = map_args(t, entry, st, where)
    if "prob" not in out:
        st.warn(where, "RandomFlip without a probability never flipped; dropped", t)
        return []
    return [out]


def conv_normalize(t, entry, st, where, ctx_msfa=None):
    args = st.spec.preprocessor_args
    if not args.get("mean"):
        return [map_args(t, entry, st, where)]
    st.set_pre(where, "mean", list(t["mean"]))
    st.set_pre(where, "std", list(t["std"]))
    st.set_pre(where, "to_rgb", t.get("to_rgb", True))       # every 1.x Normalize: True
    return []


def _pad_parts(t) -> Dict[str, Any]:
    parts = {k: t[k] for k in ("size", "size_divisor", "pad_to_square", "seg_pad_val") if k in t}
    pv = t.get("pad_val")
    if isinstance(pv, dict):                                 # mmdet dict(img=, masks=, seg=)
        if "img" in pv:
            parts["pad_val"] = pv["img"]
        if "seg" in pv:
            parts["seg_pad_val"] = pv["seg"]
        if "masks" in pv:
            parts["mask_pad_val"] = pv["masks"]
    elif pv is not None:
        parts["pad_val"] = pv
    return {k: v for k, v in parts.items() if not (k == "pad_to_square" and v is False)}


def conv_pad(t, entry, st, where, ctx_msfa=None):
    """Pad moves into the data preprocessor when the preprocessor can express every argument;
    otherwise it stays a transform (mmcv 2.x Pad: pad_val=dict(img=, seg=))."""
    parts = _pad_parts(t)
    args = st.spec.preprocessor_args
    if all(args.get(k) for k in parts) and ("size" in parts or "size_divisor" in parts):
        for k, v in parts.items():
            st.set_pre(where, k, v)
        if st.loads.get("with_mask") and args.get("pad_mask"):
            st.set_pre(where, "pad_mask", True)
        if st.loads.get("with_seg") and args.get("pad_seg"):
            st.set_pre(where, "pad_seg", True)
        return []
    out = {"type": entry.get("new", "Pad")}
    for k in ("size", "size_divisor", "pad_to_square"):
        if k in parts:
            out[k] = copy.deepcopy(parts[k])
    if "size" in out:                      # every 1.x Pad took (h, w); mmcv 2.x Pad takes (w, h)
        out["size"] = _hw_to_wh(out["size"], st, where)
    pv = {k: parts[n] for k, n in (("img", "pad_val"), ("seg", "seg_pad_val"), ("masks", "mask_pad_val"))
          if n in parts}
    if pv:
        out["pad_val"] = pv
    for k in set(t) - {"type", "size", "size_divisor", "pad_to_square", "pad_val", "seg_pad_val"}:
        out[k] = copy.deepcopy(t[k])
    return [out]


def conv_format(t, entry, st, where, ctx_msfa=None):
    st.pack_at = -1                                          # position fixed by convert_list
    return []


def conv_collect(t, entry, st, where, ctx_msfa=None):
    st.pack_at = -1
    meta = t.get("meta_keys")
    if meta is not None and set(meta) != set(st.spec.collect_meta_keys):
        new = [st.spec.meta_keys.get(k, k) for k in meta]
        extra = [k for k in new if k and k not in st.spec.pack_meta_keys]
        if extra:
            st.pack_meta = list(st.spec.pack_meta_keys) + extra
    return []


def conv_variant(t, entry, st, where, ctx_msfa=None):
    """One old transform, two new ones chosen by a flag (mmcls `efficientnet_style`): the entry's
    `on` names the flag, `variants` maps True/False to an entry of its own."""
    sub = entry["variants"][bool(t.get(entry["on"], False))]
    kind = sub.get("kind")
    if kind is None:
        return [map_args(t, sub, st, where)]
    return (st.spec.converters.get(kind) or CONVERTERS[kind])(t, sub, st, where, ctx_msfa)


def conv_unsupported(t, entry, st, where, ctx_msfa=None):
    """A transform the new codebase does not have: left out of the pipeline (which would not
    build with it), kept under TODO with its original."""
    st.todo(where, f"{t['type']}: {entry['todo']}", t)
    return []


CONVERTERS: Dict[str, Callable] = {"variant": conv_variant, "unsupported": conv_unsupported,
    "resize_scales": conv_resize_scales, "flip": conv_flip, "normalize": conv_normalize,
    "pad": conv_pad, "format": conv_format, "collect": conv_collect,
}


# ----------------------------------------------------------------------------- MultiScaleFlipAug

def conv_tta(t, entry, st, where, ctx_msfa=None):
    """MultiScaleFlipAug(transforms, img_scale|scale_factor|img_ratios, flip, flip_direction) ->
    the inner transforms at one scale without flipping (the plain test pipeline) and, when it held
    several scales or flips, a TestTimeAug for `tta_pipeline` (filled in by `convert`)."""
    img_scale, ratios = t.get("img_scale"), t.get("img_ratios")
    factor = t.get("scale_factor")
    if img_scale is not None and ratios is not None:
        base = _scales(img_scale)[0]
        ratios = _scales(ratios)
        scales = [dict(scale=(int(base[0] * r), int(base[1] * r))) for r in ratios]
        main = ratios.index(1.0) if 1.0 in ratios else 0
    elif img_scale is not None:
        scales, main = [dict(scale=s) for s in _scales(img_scale)], 0
    elif factor is not None or ratios is not None:
        fs = _scales(factor if factor is not None else ratios)
        scales = [dict(scale_factor=f) for f in fs]
        main = fs.index(1.0) if 1.0 in fs else 0
    else:
        st.todo(where, "MultiScaleFlipAug without img_scale/scale_factor", t)
        return [copy.deepcopy(t)]
    inner = t.get("transforms", [])
    plain = _convert_list(inner, st, f"{where}.transforms", msfa=scales[main])
    flip = bool(t.get("flip", False))
    dirs = _scales(t.get("flip_direction", "horizontal"))
    if len(scales) > 1 or flip:
        if len(scales) > 1:
            st.warn(where, f"the old test ran {len(scales)} scales; the test pipeline now uses "
                    f"{scales[main]}, all of them are in tta_pipeline (run with --tta)", None)
        elif flip:
            st.warn(where, "the old test also ran flipped images; the test pipeline now runs "
                    "unflipped ones, the flips are in tta_pipeline (run with --tta)", None)
        resize_tf = [x for x in plain if x.get("type") in ("Resize",)]
        sub = State(st.spec)
        sub.loads = st.loads
        resize_args = {k: v for k, v in (resize_tf[0] if resize_tf else {}).items()
                       if k not in ("type", "scale", "scale_factor")}
        groups: List[List[dict]] = [[dict(type="Resize", **s, **resize_args) for s in scales]]
        if flip:
            flips = [dict(type="RandomFlip", prob=0.0, direction=dirs[0])]
            flips += [dict(type="RandomFlip", prob=1.0, direction=d) for d in dirs]
            groups.append(flips)
        groups += [[x] for x in plain if x not in resize_tf[:1]]
        st.tta = [dict(type="TestTimeAug", transforms=groups)]
    return plain


CONVERTERS["tta"] = conv_tta


# ----------------------------------------------------------------------------- the driver

def _convert_list(pipeline: List[Any], st: State, prefix: str, msfa=None) -> List[Any]:
    out: List[Any] = []
    outer_pack, outer_meta = st.pack_at, st.pack_meta
    st.pack_at, st.pack_meta = None, None
    for i, t in enumerate(pipeline):
        where = f"{prefix}[{i}]"
        if not isinstance(t, dict) or not isinstance(t.get("type"), str):
            out.append(copy.deepcopy(t))
            continue
        if t["type"] in ("LoadAnnotations", "LoadPanopticAnnotations"):
            st.loads.update({k: v for k, v in t.items() if k != "type"})
        entry = st.spec.table.get(t["type"])
        if entry is None or not _applies(t, entry):
            out.append(copy.deepcopy(t))
            continue
        kind = entry.get("kind")
        if kind is None:
            out.append(map_args(t, entry, st, where))
            continue
        fn = st.spec.converters.get(kind) or CONVERTERS[kind]
        res = fn(t, entry, st, where, ctx_msfa=msfa)
        if st.pack_at == -1:                # a formatting transform: Pack goes where it stood
            st.pack_at = len(out)
        out.extend(res)
    if st.pack_at is not None:
        pack: Dict[str, Any] = {"type": st.spec.pack}
        if st.pack_meta:
            pack["meta_keys"] = tuple(st.pack_meta)
        out.insert(st.pack_at, pack)
    st.pack_at, st.pack_meta = outer_pack, outer_meta
    return out


def convert(pipeline: List[Any], spec: PipelineSpec) -> Converted:
    """Convert one pipeline. Pure: the input is not changed, equal inputs give equal results.
    A pipeline that already holds the codebase's Pack transform or a TestTimeAug (neither existed
    in 1.x) is new-style: left as it is
    (old and new argument names overlap, e.g. `CenterCrop(crop_size)` was (h, w), is (w, h))."""
    st = State(spec)
    if any(isinstance(t, dict) and t.get("type") in (spec.pack, "TestTimeAug") for t in pipeline):
        return Converted(copy.deepcopy(pipeline), {}, None, [])
    out = _convert_list(pipeline, st, "")
    tta = None
    if st.tta is not None:
        i = next(j for j, t in enumerate(pipeline)
                 if isinstance(t, dict) and t.get("type") == "MultiScaleFlipAug")
        head = _convert_list(pipeline[:i], State(spec), "")
        tail = _convert_list(pipeline[i + 1:], State(spec), "")
        tta = head + st.tta + tail
    if spec.finish is not None:
        out = spec.finish(out, st)
        if tta is not None:
            tta = spec.finish(tta, st)
    return Converted(out, st.pre, tta, st.findings)
