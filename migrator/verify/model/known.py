"""Known deviations: real changes between the codebase versions (pure data, no torch).

A record whose first difference matches an entry here is a difference of the codebases, not of
the conversion: the entry is added to the record's `known_deviations` (field, size, why). The
verdict stays what the comparison found (a known deviation is still a difference); the benchmark
and the reports group them apart from differences that would be conversion bugs.
"""
from __future__ import annotations

import re
from typing import List

# (pattern on first_difference.where, pattern on first_difference.message or "", field, why)
KNOWN: List[tuple] = [
]
# data side (migrator/verify/data): the old train and test pipelines normalise differently
# (mmcls tnt, repmlp); MMEngine's one data_preprocessor follows the train one, and migrate
# warns in the converted file ("normalises/pads differently from the one data_preprocessor")
KNOWN += [
    (r"^test\[0\] inputs$", r"normalisation only \(un-normalised pixels equal\)",
     "test normalisation",
     "one data_preprocessor for every mode (MMEngine): the old test Normalize differed from "
     "the train one; the pixels are equal, only mean/std differ"),
    (r" inputs$", r"pad region only \(image region \[:\d+, :\d+\] equal\)",
     "fixed-size Pad value",
     "mmdet 2.x padded after Normalize (pad value 0 in normalised units); mmdet 3.x keeps a "
     "fixed-size Pad in the pipeline, before the data_preprocessor normalises: the pad region "
     "is (0 - mean) / std; the image region is equal"),
    (r"meta\.img_shape$", r"",
     "meta.img_shape after a fixed-size pad",
     "mmdet 3.x Pad / RandomCenterCropPad store the padded size in img_shape (2.x kept the "
     "unpadded one; the inputs were compared equal before it)"),
]


def annotate(rec: dict) -> dict:
    first = rec.get("first_difference") or {}
    for where, msg, field, why in KNOWN:
        if re.search(where, first.get("where", "")) and re.search(msg, first.get("message", "")):
            rec = dict(rec)
            rec["known_deviations"] = list(rec.get("known_deviations") or []) + [
                {"field": field, "size": first.get("message", ""), "why": why}]
            break
    return rec
