"""Known deviations: real changes between the codebase versions (pure data, no torch).

A record whose first difference matches an entry here is a difference of the codebases, not of
the conversion: the entry is added to the record's `known_deviations` (field, size, why). The
verdict stays what the comparison found (a known deviation is still a difference); the benchmark
and the reports group them apart from differences that would be conversion bugs.

An entry matches on the new config's path, the first difference's `where` and its message or
old/new values (regexes), and, for numerical deviations, a bound on the max |diff| the message
states: a larger difference of the same tensor is not this deviation.
"""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

# (path regex, where regex, message regex, max |diff| bound or None, field, why)
KNOWN: List[Tuple[str, str, str, Optional[float], str, str]] = [
    (r"/conformer/", r"^loss loss$", r"", None, "loss",
     "mmcls 0.25.0 ConformerHead.loss averages the conv and the transformer branch losses "
     "(sum / 2); mmpretrain 1.2.0 ConformerHead._get_loss sums them: the new loss is exactly "
     "twice the old one (same logits, same gradients up to that factor)"),
    (r"/convnext/", r"^(eval|step|loss) ", r"max \|diff\|", 1e-4, "backbone output",
     "mmpretrain 1.2.0 rewrote ConvNeXt (LayerNorm2d with data_format, channel-last block "
     "path): the same weights give float32 results that differ by rounding only (relative "
     "<= 3e-5 on the backbone outputs at 64x64, 1e-8 absolute on the SGD update); one block "
     "alone computes bitwise alike, the drift accumulates over the stages"),
    (r"/(vision_transformer|deit|deit3|t2t_vit)/", r"^(eval|step|loss) ", r"max \|diff\|", 1e-4,
     "transformer outputs",
     "mmpretrain 1.2.0 MultiheadAttention calls torch's fused F.scaled_dot_product_attention "
     "(torch >= 2.0); mmcls 0.25.0 computes softmax(q k^T * scale) v step by step: float32 "
     "rounding only (max |diff| ~3e-6 on tokens of magnitude ~1 at 64x64, ~1e-8 on the update)"),
    (r"/efficientnet/efficientnet-e[sml]_", r"^eval backbone\.", r"", None, "backbone output",
     "mmpretrain 1.2.0 EdgeResidual (the EdgeTPU variants' blocks) puts the stride on its 3x3 "
     "expansion conv and makes the 1x1 projection a plain Conv2d; mmcls 0.25.0 strided the 1x1 "
     "conv (with adaptive padding): same weights, different features from the first strided "
     "edge block on (output shapes equal)"),
    (r"/resnet/resnet50_8xb256-rsb-", r"^(step|loss) ", r"", None, "SGD update",
     "mmpretrain 1.2.0 ResNet spreads drop_path_rate linearly over the blocks (0 for the first "
     "block, the full rate for the last), mmcls 0.25.0 used the rate in every block: eval and "
     "the losses agree at init (zero-initialised residual BNs), the update of layer1.0.bn3 is "
     "1/0.95 times larger on the old side (its DropPath rescales by 1/keep_prob)"),
    (r"/(detr|deformable_detr)/", r"^(loss|step) ", r"", None, "train losses",
     "mmdet 3.x DETR runs its transformer batch-first: the dropout masks (p=0.1) are drawn over "
     "a (batch, query, channel) tensor instead of (query, batch, channel), so train-mode losses "
     "differ (loss_cls by 0.2-0.5% on the test batch); with every dropout at 0 in both "
     "configs all 19 loss terms are equal and the SGD update differs by float rounding "
     "(<= 1.5e-8 absolute). Deformable DETR (same batch-first layers, dropout 0.1): every "
     "eval output equal, loss_cls differs; presumed the same cause, not isolated"),
    (r"/cgnet/", r"^train$", r"IndexError: index 255 is out of bounds", None, "loss",
     "mmseg 1.2.2 CrossEntropyLoss with class_weight computes its mean's avg_factor as "
     "class_weight[label] over all pixels, ignored ones (255) included: it raises IndexError "
     "where mmseg 0.30.0 divided by the pixel count; CGNet is the one config with class_weight"),
]
# data side (migrator/verify/data): the old train and test pipelines normalise differently
# (mmcls tnt, repmlp); MMEngine's one data_preprocessor follows the train one, and migrate
# warns in the converted file ("normalises/pads differently from the one data_preprocessor")
KNOWN += [
    (r"", r"^(test\[0\]|train\[0\] p=[01]) inputs$",
     r"normalisation only \(un-normalised pixels equal\)", None, "train/test normalisation",
     "one data_preprocessor for every mode (MMEngine): the old train and test Normalize "
     "differed; the converted preprocessor takes the test one (as the maintainers' 1.x configs "
     "do), so the other mode differs; the pixels are equal, only mean/std differ"),
    (r"", r" inputs$", r"pad region only \(image region \[:\d+, :\d+\] equal\)", None,
     "fixed-size Pad value",
     "mmdet 2.x padded after Normalize (pad value 0 in normalised units); mmdet 3.x keeps a "
     "fixed-size Pad in the pipeline, before the data_preprocessor normalises: the pad region "
     "is (0 - mean) / std; the image region is equal"),
    (r"", r"meta\.img_shape$", r"", None,
     "meta.img_shape after a fixed-size pad",
     "mmdet 3.x Pad / RandomCenterCropPad store the padded size in img_shape (2.x kept the "
     "unpadded one; the inputs were compared equal before it)"),
]

# --- h13models ---
KNOWN += [
    (r"/yolact/", r"^loss loss_(segm|mask)\[[1-9]\d*\]$", r"max \|diff\|", 1.0,
     "gt masks of an image smaller than the batch",
     "mmdet 3.3.0 BaseMaskHead.loss pads every gt mask to batch_input_shape before the YOLACT "
     "losses; mmdet 2.28.2 YOLACT interpolated the unpadded mask onto the (padded) segm / "
     "proto grid. Only an image smaller than its batch differs (the test batch's second "
     "image, 144x176 in 160x192: loss_segm[1] 106.80 vs 106.88; image 0 equal); the YOLACT "
     "configs resize every image to 550x550 with no Pad, so their batches never hold one"),
]

KNOWN += [
    (r"", r"^loss (decode|aux(_\d+)?)\.loss_dice$", r"max \|diff\|", None, "DiceLoss",
     "mmseg 1.2.2 rewrote DiceLoss (mmdet's): sigmoid (use_sigmoid=True) instead of softmax, "
     "every class channel flattened into one dice per image with eps=1e-3 in the denominator "
     "only, ignore_index dropping a class channel; mmseg 0.30.0 averaged per-class binary "
     "dice losses over the valid (non-255) pixels with smooth=1 in numerator and denominator "
     "and a configurable exponent. No 1.2.2 argument gives the old formula (STDC's boundary "
     "head: aux_2.loss_dice 0.4048 vs 0.3707 on the test batch; every other loss equal)"),
]

# Models that cannot be built here, offline or at all in the old codebase: not a conversion
# question (nothing was compared). An
# ERROR matching here gets `not_runnable` (why); the reports list them apart from the
# unexplained errors. (path regex, where regex, message regex, why)
NOT_RUNNABLE: List[Tuple[str, str, str, str]] = [
    (r"/timm_example/", r"^old build$", r"Failed to import timm",
     "needs the timm package, in neither env (mmdet 2.28.2 borrows mmcls' TIMMBackbone, the "
     "converted config mmpretrain.TIMMBackbone), and its pretrained=True weights come from "
     "the model hub"),
    (r"/objects365/retinanet_r50_fpn_syncbn_1350k_obj365v1\.py$", r"^old build$",
     r"FasterRCNN\.__init__\(\) got an unexpected keyword argument 'bbox_head'",
     "the mmdet 2.28.2 config itself does not build: named RetinaNet, it inherits "
     "_base_/models/faster_rcnn_r50_fpn.py and sets model.bbox_head, which FasterRCNN refuses"),
]

_DIFF = re.compile(r"max \|diff\| ([0-9.]+(?:e[-+]?\d+)?)")


def annotate(rec: dict) -> dict:
    first = rec.get("first_difference") or {}
    text = " ".join(str(first.get(k, "")) for k in ("message", "old", "new"))
    for path, where, msg, why in NOT_RUNNABLE:
        if (rec.get("verdict") == "ERROR" and re.search(path, rec.get("new", "")) and
                re.search(where, first.get("where", "")) and re.search(msg, text)):
            return dict(rec, not_runnable=why)
    for path, where, msg, bound, field, why in KNOWN:
        if not (re.search(path, rec.get("new", "")) and re.search(where, first.get("where", ""))
                and re.search(msg, " ".join(str(first.get(k, "")) for k in
                                            ("message", "old", "new")))):
            continue
        if bound is not None:
            m = _DIFF.search(first.get("message", ""))
            if not m or float(m.group(1)) > bound:
                continue
        rec = dict(rec)
        rec["known_deviations"] = list(rec.get("known_deviations") or []) + [
            {"field": field, "size": first.get("message", ""), "why": why}]
        break
    return rec

# --- h12fix (data) ---
# more specific than the data entries above, so matched before them (inserted at the front)
KNOWN[:0] = [
    (r"", r" inputs$", r"pad region only \(image region \[:\d+, :\d+\] equal\): old pad values "
     r"\[-[0-9.]+, -[0-9.]+, -[0-9.]+\], new \[0\.0, 0\.0, 0\.0\]", None,
     "Pad before Normalize",
     "the old pipeline pads before it normalises (albu_example: Pad(size_divisor=32), Albu, "
     "Normalize), so its pad region is (0 - mean) / std; the MMEngine data_preprocessor pads "
     "after normalising with one scalar pad_value (0, as the maintainers' 3.3 albu config): "
     "the pad region differs by the per-channel -mean/std, the image region is equal"),
]

# --- h12models ---
KNOWN += [
    (r"/t2t_vit/", r"^eval backbone\.out\[0\]\.cls_token$", r"max \|diff\|", None,
     "T2T module attention scale",
     "mmpretrain 1.2.0 MultiheadAttention with a qk_scale given (the T2T module's two "
     "T2TTransformerLayers pass qk_scale=(input_dims // num_heads) ** -0.5, 147 ** -0.5 and "
     "576 ** -0.5) calls scaled_dot_product_attention_pyimpl(scale=head_dims ** -0.5), which "
     "divides q k^T by that scale: the logits are multiplied by sqrt(64) = 8 instead of by "
     "qk_scale (0.082, 0.042), a 97x / 192x sharper softmax than mmcls 0.25.0 computes. Same "
     "weights, different tokens from the T2T module on (max |diff| 1.92 on the cls token at "
     "64x64; the checkpoint maps and the transformer encoder's updates are equal)"),
    (r"/twins/", r"^(eval|step|loss) ", r"max \|diff\|", 1e-5, "update rounding",
     "mmpretrain 1.2.0 GlobalSubsampledAttention (Twins) computes attention with torch's fused "
     "F.scaled_dot_product_attention, mmcls 0.25.0 step by step (q k^T * scale, softmax, @ v): "
     "every eval output and the loss agree within float32 rounding (relative 1e-6), the SGD "
     "update differs by <= 7.5e-9 absolute (patch_embeds.0.projection.weight, values ~1e-4)"),
]
