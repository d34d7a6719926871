"""Shared by both data-verification harnesses (runs inside an env; imports numpy/torch lazily).

Variants: every config is run as `train[0] p=0` (every random flip forced off: prob 0),
`train[0] p=1` (forced on) and `test[0]` (the test pipeline, deterministic). Before the k-th
transform that draws random numbers both sides seed python's `random`, numpy and torch with
SEED + k (`seed_transforms`), so a transform that draws the same numbers in the same order in
both versions gives the same output whatever its predecessors drew: mmcv's RandomFlip direction
choice, mmseg's RandomCrop offsets, `ratio_range` / multi-scale Resize sampling
(`np.random.random_sample` / `np.random.randint`), mmseg's PhotoMetricDistortion (numpy draws
in one order in 0.30 and 1.2). Transforms whose versions draw differently are set to the same
extreme on both sides (EXTREMES) and listed as known deviations.
"""
from __future__ import annotations

import json
import sys
import time
import traceback

SEED = 20240601
VARIANTS = [("train", 0.0), ("train", 1.0), ("test", None)]
FLIP_TYPES = ("RandomFlip",)


# the aspect ratio (w / h) of generated image 0 (dv_gen.SIZES[0] = h 120, w 160)
RATIO = 160 / 120
# random transforms whose versions draw different numbers: both sides set them to the same
# extreme (side -> keywords), listed as a known deviation (what is not compared)
EXTREMES = {
    "RandomResizedCrop": {
        "old": {"scale": (1.0, 1.0), "ratio": (RATIO, RATIO)},
        "new": {"crop_ratio_range": (1.0, 1.0), "aspect_ratio_range": (RATIO, RATIO)},
        "why": "mmcls 0.25 draws the crop with python's random, mmpretrain 1.2 with numpy's: "
               "compared at the full-image crop (area 1, the image's aspect ratio), so size, "
               "interpolation and backend are checked, crop positions are not",
    },
    # mmcls 0.25's RandomResizedCrop(efficientnet_style=True) is mmpretrain 1.2's
    # EfficientNetRandomCrop: the same full-image extreme under the new name
    "EfficientNetRandomCrop": {
        "new": {"crop_ratio_range": (1.0, 1.0), "aspect_ratio_range": (RATIO, RATIO)},
        "why": "RandomResizedCrop(efficientnet_style=True) in mmcls 0.25 (python's random) is "
               "EfficientNetRandomCrop in mmpretrain 1.2 (numpy's): compared at the full-image "
               "crop, crop positions are not",
    },
    "ColorJitter": {
        "old": {"brightness": 0.0, "contrast": 0.0, "saturation": 0.0},
        "new": {"brightness": 0.0, "contrast": 0.0, "saturation": 0.0, "hue": 0.0},
        "size": "not compared: jitter factors",
        "why": "mmcls 0.25 draws the factors with python's random and shuffles the order, "
               "mmpretrain 1.2 draws a numpy permutation then the factors: compared at factor 0 "
               "(the identity on both sides), so the jitter amounts are not",
    },
}


# transforms that draw nothing; the others are numbered in order for per-transform seeding
DETERMINISTIC = ("LoadImageFromFile", "LoadAnnotations", "LoadProposals", "Normalize", "Pad",
                 "ImageToTensor",
                 "ToTensor", "DefaultFormatBundle", "Collect", "ToDataContainer", "Transpose",
                 "PackDetInputs", "PackSegInputs", "PackInputs", "PackClsInputs",
                 "FormatShape", "Collect3D", "SegRescale")


class _Seeded:
    """Wraps the k-th drawing transform: seeds random/numpy/torch with SEED + k before it runs,
    so a transform that draws the same numbers in both versions gets the same draws whatever
    the transforms before it consumed."""

    def __init__(self, t, k):
        self.t, self.k = t, k

    def __call__(self, results):
        seed_all(SEED + self.k)
        return self.t(results)

    def __getattr__(self, name):
        return getattr(self.t, name)


def wrapped(dataset):
    """A dataset and those it wraps (RepeatDataset.dataset, ConcatDataset.datasets)."""
    yield dataset
    inner = getattr(dataset, "dataset", None)
    if inner is not None:
        yield from wrapped(inner)
    for d in getattr(dataset, "datasets", None) or []:
        yield from wrapped(d)


def seed_transforms(dataset) -> None:
    """Per-transform seeding on a built dataset (and on the datasets it wraps)."""
    for ds in wrapped(dataset):
        pipe = getattr(ds, "pipeline", None)
        if pipe is None or not hasattr(pipe, "transforms"):
            continue
        k = 0
        for i, t in enumerate(pipe.transforms):
            if type(t).__name__ not in DETERMINISTIC and not isinstance(t, _Seeded):
                k += 1
                pipe.transforms[i] = _Seeded(t, k)


# random transforms whose versions draw different numbers and have no deterministic extreme
# short of doing nothing: removed from both pipelines, listed as "not compared"
DROPPED = {
    "mmcls": {
        "AutoAugment": "mmcls 0.25 picks the sub-policy with python's random.choice, "
                       "mmpretrain 1.2 with numpy's",
        "RandAugment": "mmcls 0.25 samples policies and magnitudes with python's random, "
                       "mmpretrain 1.2 with numpy's",
    },
    "mmdet": {
        "PhotoMetricDistortion": "mmdet 2.28 draws each operation's flag just before it, "
                                 "mmdet 3.3 draws all flags first (_random_flags)",
        "MixUp": "mmdet 2.28 and 3.3 draw the mixed image, scale and flip in another order "
                 "(yolox s/m/l/x: the first difference was train[0] p=0 inputs[0, 0, 0] "
                 "old=197 new=70 with it, none without); MixUp has no probability argument "
                 "in either version, so there is no extreme but removing it",
        # not random, but moved: the 3.x pipeline has no SegRescale (the profile hands its
        # factor to the semantic head), so the maps are compared at full size, before it
        "SegRescale": "mmdet 2.28 rescales the semantic map in the pipeline (SegRescale), "
                      "mmdet 3.3 in the semantic head (seg_rescale_factor, model side): the "
                      "maps are compared before the rescale",
    },
    "mmseg": {},
}


# transforms whose versions differ in a way the old side can be bridged to (harness_old.
# bridge_rng): the same quantities drawn from different generators (the old draw is routed to
# numpy over the same range, so positions are compared too), or a cast the new version adds
BRIDGED = {
    "mmcls": {
        "RandomCrop": "mmcls 0.25 draws the offsets with python's random.randint(0, h - th), "
                      "mmpretrain 1.2 with numpy's randint(0, h - th + 1), both top then left: "
                      "the old draw is made with numpy over the same range",
        "Lighting": "mmpretrain 1.2's Lighting casts the lit image back to the input dtype "
                    "(uint8: the fraction truncated, < 1 grey level; values outside 0..255 "
                    "wrap), mmcls 0.25's keeps float32: the old output is cast the same way, "
                    "so eigvec order, to_rgb and the alpha draws (numpy in both) are compared "
                    "exactly",
    },
    "mmdet": {
        "WIDERFaceDataset": "mmdet 2.28's WIDERFaceDataset reads its boxes through XMLDataset."
                            "get_ann_info, which subtracts 1 from every coordinate (VOC's "
                            "1-based pixels); mmdet 3.3's parses them with minus_one=False: a "
                            "real change of 1 px on every box coordinate (and so on the crops "
                            "MinIoURandomCrop picks). The old boxes are bridged +1 px, the rest "
                            "compared exactly",
    },
    "mmseg": {
        "iSAIDDataset": "mmseg 0.30's iSAIDDataset lists the images in os.scandir order "
                        "(unsorted, file-system dependent), mmseg 1.2 sorts them by path: the "
                        "old list is sorted by file name so that [0] is the same image",
    },
}


# old configs that do not build in their own codebase, repaired on the old side only, as their
# evident intent: type -> {argument: (the old codebase's name for it, why)}; reported as known
# deviations (the old config as written raises)
OLD_REPAIRS = {
    "mmdet": {"LoadAnnotations": {"normed_bbox": (
        "denorm_bbox", "ssd300 openimages: mmdet 2.28.2 LoadAnnotations has no normed_bbox "
        "(TypeError as written); its argument for normalised OpenImages boxes is denorm_bbox, "
        "which the other OpenImages configs set (3.x OpenImagesDataset denormalises itself): the "
        "old side runs with denorm_bbox=True")}},
}

# transforms only the old pipeline has: the old harness reports them (the new side cannot)
OLD_ONLY = ("MultiScaleFlipAug", "SegRescale", "LoadAnnotations.normed_bbox")

TTA = ("MultiScaleFlipAug: the old test-time augmentation compared at ratio 1.0 without "
       "flip against the new test_pipeline; the new tta_pipeline is not run")


def _single_scale(t) -> bool:
    """An old MultiScaleFlipAug with flips or several img_ratios (1.0 among them) set to ratio
    1.0 without flip, the single-scale pass the converted test_pipeline performs."""
    ratios = t.get("img_ratios")
    many = isinstance(ratios, (list, tuple)) and len(ratios) > 1
    if not (t.get("flip") or many) or (many and 1.0 not in ratios):
        return False
    t["flip"] = False
    if many:
        t["img_ratios"] = [1.0]
    return True


def set_extremes(pipeline, side: str, codebase: str) -> list:
    """Apply EXTREMES and DROPPED to `pipeline` (in place) for `side` ("old"/"new"); the
    names of those applied."""
    done = []
    for t in list(pipeline or []):
        typ = t.get("type") if isinstance(t, dict) else None
        if typ in DROPPED[codebase]:
            pipeline.remove(t)
            done.append(typ)
            continue
        if typ in BRIDGED[codebase]:
            done.append(typ)
        if typ == "MultiScaleFlipAug" and side == "old" and _single_scale(t):
            done.append(typ)
        for arg, (to, _) in OLD_REPAIRS.get(codebase, {}).get(typ, {}).items():
            if side == "old" and arg in t:
                t[to] = t.pop(arg)
                done.append(f"{typ}.{arg}")
        if typ == "Albu":
            _albu_off(t.get("transforms"))
            done.append(typ)
            continue
        if typ in EXTREMES and side in EXTREMES[typ]:
            t.update(EXTREMES[typ][side])
            done.append(typ)
        if isinstance(t, dict) and isinstance(t.get("transforms"), list):
            done += set_extremes(t["transforms"], side, codebase)
    return done


ALBU = ("Albu: every albumentations transform (a OneOf as a whole) at p=0 on both sides (albumentations "
        "1.3.1 in both envs: the draws would be the same, but the 2.x and 3.x wrappers call it "
        "at other points of the pipeline's random stream); the wrapper's box/label/mask "
        "conversion is compared, the augmentations are not")


def _albu_off(transforms) -> None:
    """The top-level albumentations transforms at p=0 (a OneOf at p=0 never runs its children,
    whose probabilities it normalises: they keep theirs, or it would divide by zero)."""
    for a in transforms or []:
        if isinstance(a, dict):
            a["p"] = 0.0


def why(typ: str, codebase: str):
    """(size, why) of the known deviation for an EXTREMES/DROPPED transform."""
    if typ in DROPPED[codebase]:
        return "not compared: removed from both pipelines", DROPPED[codebase][typ]
    if typ == "MultiScaleFlipAug":
        return "not compared: other scales and flips", TTA
    if typ == "Albu":
        return "not compared: the albumentations transforms (all at p=0)", ALBU
    if "." in typ:                                      # OLD_REPAIRS: "<type>.<argument>"
        t, arg = typ.split(".", 1)
        to, reason = OLD_REPAIRS[codebase][t][arg]
        return f"old config repaired: {arg} -> {to}", reason
    if typ in BRIDGED[codebase]:
        return "compared with the same draws or the old output bridged", \
            BRIDGED[codebase][typ]
    return EXTREMES[typ].get("size", "not compared: random positions"), EXTREMES[typ]["why"]


def variant_name(split, p) -> str:
    return f"{split}[0]" + ("" if p is None else f" p={p:g}")


def seed_all(seed=SEED):
    import random
    import numpy as np
    import torch
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def set_flip(pipeline, key: str, p) -> None:
    """Force every RandomFlip in `pipeline` (and in wrappers' `transforms`) to probability p,
    under the version's own keyword `key` (other probability keywords removed)."""
    for t in pipeline or []:
        if not isinstance(t, dict):
            continue
        if t.get("type") in FLIP_TYPES or str(t.get("type", "")).endswith(".RandomFlip"):
            for k in ("flip_ratio", "flip_prob", "prob"):
                t.pop(k, None)
            t[key] = p      # a float: with several directions both versions split it evenly
        for sub in ("transforms",):
            if isinstance(t.get(sub), list):
                set_flip(t[sub], key, p)


def walk(pipeline):
    """Every transform dict of a pipeline list, wrappers' `transforms` included."""
    for t in pipeline or []:
        if isinstance(t, dict):
            yield t
            if isinstance(t.get("transforms"), list):
                yield from walk(t["transforms"])


def leaves(ds):
    """The leaf dataset configs under dataset wrappers (RepeatDataset, ConcatDataset, ...)."""
    if isinstance(ds, (list, tuple)):
        for d in ds:
            yield from leaves(d)
        return
    if not isinstance(ds, dict):
        return
    inner = [ds[k] for k in ("dataset", "datasets") if k in ds]
    if not inner:
        yield ds
    for d in inner:
        yield from leaves(d)


def pipelines(ds):
    """Every `pipeline` list in a dataset config, wrappers included."""
    if isinstance(ds, (list, tuple)):
        for d in ds:
            yield from pipelines(d)
        return
    if not isinstance(ds, dict):
        return
    if isinstance(ds.get("pipeline"), list):
        yield ds["pipeline"]
    for k in ("dataset", "datasets"):
        if k in ds:
            yield from pipelines(ds[k])


def jsonable(v):
    try:
        import numpy as np
        import torch
        if isinstance(v, torch.Tensor):
            v = v.tolist()
        elif isinstance(v, np.ndarray):
            v = v.tolist()
        elif isinstance(v, np.generic):
            v = v.item()
    except ImportError:
        pass
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return repr(v)


def error(exc: BaseException, where: str) -> dict:
    tb = traceback.extract_tb(exc.__traceback__)
    loc = f"{tb[-1].filename.rsplit('site-packages/', 1)[-1]}:{tb[-1].lineno}" if tb else ""
    msg = str(exc).splitlines()[0][:300] if str(exc) else ""
    return {"where": where, "error": type(exc).__name__, "message": msg, "at": loc}


def main(argv, run_one) -> int:
    """`SCRIPT OUT.jsonl -`: one JSON item per stdin line, one JSON result line each."""
    import logging
    import warnings
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    out_path = argv[0]
    items = [json.loads(line) for line in sys.stdin if line.strip()]
    with open(out_path, "a") as out:
        for item in items:
            start = time.perf_counter()
            try:
                res = run_one(item)
            except BaseException as e:  # noqa: BLE001 - reported per config, never raised
                res = {"status": "error", "error": error(e, "harness")}
            res["id"] = item["id"]
            res["seconds"] = time.perf_counter() - start
            out.write(json.dumps(jsonable(res)) + "\n")
            out.flush()
    return 0
