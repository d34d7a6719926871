"""Compare one old sample with one new preprocessed sample (runs in the new env: torch).

Fields, in order (the first that differs is reported with its value):
  inputs      the image tensor the model receives: old `img` after Normalize/Pad/
              DefaultFormatBundle (or ImageToTensor), new `data_preprocessor` output `inputs[0]`.
              # deviation: old mmcv.imnormalize is cv2 float32 `(x - mean) * (1 / std)`, the new
              # preprocessors compute `(x - mean) / std` in torch: up to a few float32 ulp of
              # values below 3 (measured <= 4.8e-7); ATOL 1e-4 is 200x that and far below
              # the smallest real change (one grey level / std ~ 0.017).
  meta        ori_shape, img_shape, pad_shape, scale_factor, flip, flip_direction (the keys the
              models read), where both sides have them.
  gt_bboxes, proposals   # deviation: the same float32 rescale/flip/clip arithmetic: 1e-4 px.
  gt_labels, gt_label, gt_masks, gt_semantic_seg   exact.
Known changes between the versions are mapped, not called differences, and listed as known
deviations with their size: shapes `(h, w, c)` -> `(h, w)`; `scale_factor` a 4-array
`(w, h, w, h)` -> a `(w, h)` pair; gt masks padded by the old Pad but not by the new
preprocessor (pad_mask=False): the old mask's pad region must be all zero.
"""
from __future__ import annotations

ATOL = 1e-4
BOX_ATOL = 1e-4
# deviation: un-normalised pixels (x * std + mean) of float32 inputs agree to ~1e-5 grey levels;
# 1e-3 is far below one grey level (the step of the uint8 images the pipelines load)
PIX_ATOL = 1e-3
META = ("ori_shape", "img_shape", "pad_shape", "scale_factor", "flip", "flip_direction")


def short(v, n: int = 6) -> str:
    try:
        import torch
        if isinstance(v, torch.Tensor):
            flat = v.flatten().tolist()
            body = ", ".join(f"{x:.6g}" if isinstance(x, float) else str(x) for x in flat[:n])
            return f"tensor{tuple(v.shape)}[{body}{', ...' if len(flat) > n else ''}]"
    except ImportError:
        pass
    s = repr(v)
    return s if len(s) <= 120 else s[:117] + "..."


def record(verdict, first, checked, deviations, stopped_at=None) -> dict:
    return {"kind": "data", "verdict": verdict, "first_difference": first,
            "checked": list(checked), "stopped_at": stopped_at,
            "known_deviations": list(deviations)}


def deviate(deviations, field, size, why):
    if not any(d["field"] == field for d in deviations):
        deviations.append({"field": field, "size": size, "why": why})


def _diff(where, old, new, message):
    return {"where": where, "old": short(old), "new": short(new), "message": message}


def _tensor(where, a, b, atol, checked):
    import torch
    if tuple(a.shape) != tuple(b.shape):
        return _diff(where, tuple(a.shape), tuple(b.shape),
                     f"{where}: shape old={tuple(a.shape)} new={tuple(b.shape)}")
    if atol:
        bad = (a.double() - b.double()).abs() > atol
    else:
        bad = a.to(torch.int64) != b.to(torch.int64) if not a.is_floating_point() \
            else a.double() != b.double()
    if bool(bad.any()):
        idx = tuple(int(i) for i in bad.nonzero()[0])
        va, vb = a[idx].item(), b[idx].item()
        n = int(bad.sum())
        return {"where": where, "old": f"{va:.6g}", "new": f"{vb:.6g}",
                "message": f"{where}{list(idx)}: old={va:.6g} new={vb:.6g} "
                           f"({n} of {bad.numel()} elements differ)"}
    checked.append(where)
    return None


def _meta(name, key, old, new, checked, deviations):
    where = f"{name} meta.{key}"
    if key not in old or key not in new:
        if key in old or key in new:
            side = "old" if key in old else "new"
            deviate(deviations, f"meta.{key}", f"only on the {side} side",
                     "the other version's packing does not carry it; not compared")
        return None
    a, b = old[key], new[key]
    if key == "flip_direction" and old.get("flip") is False and new.get("flip") is False:
        if a != b:
            deviate(deviations, "meta.flip_direction", f"{a!r} -> {b!r} when not flipped",
                    "mmseg 0.x sets the configured direction even when it does not flip; "
                    "mmcv 2.x RandomFlip sets None (the models read it only when flip is True)")
        checked.append(where + " (not flipped)")
        return None
    if key.endswith("shape") and isinstance(a, list) and isinstance(b, list) \
            and len(a) == 3 and len(b) == 2:
        deviate(deviations, f"meta.{key}", "(h, w, c) -> (h, w): channel count dropped",
                 "MMEngine-era packing stores spatial shapes only")
        a = a[:2]
    if key == "scale_factor" and isinstance(a, list) and isinstance(b, list) \
            and len(a) == 4 and len(b) == 2:
        deviate(deviations, "meta.scale_factor", "4 values (w, h, w, h) -> 2 values (w, h)",
                 "mmcv 2.x Resize stores a (w_scale, h_scale) pair")
        a = a[:2]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b) \
            and all(isinstance(x, (int, float)) for x in a + b):
        # deviation: scale factors are float32 in the old meta, float64 in the new: 1e-6 rel
        same = all(abs(x - y) <= 1e-6 * max(1.0, abs(x), abs(y)) for x, y in zip(a, b))
    else:
        same = a == b
    if not same:
        return _diff(where, a, b, f"{where}: old={a!r} new={b!r}")
    checked.append(where)
    return None


def _masks(where, a, b, checked, deviations):
    if a.dim() == 3 and b.dim() == 3 and a.shape[0] == b.shape[0] \
            and a.shape[1] >= b.shape[1] and a.shape[2] >= b.shape[2] \
            and tuple(a.shape) != tuple(b.shape):
        pad = a.clone()
        pad[:, :b.shape[1], :b.shape[2]] = 0
        if bool(pad.any()):
            return _diff(where, a.shape, b.shape, f"{where}: old mask has pixels in the pad region")
        deviate(deviations, "gt_masks", f"old {tuple(a.shape)} padded vs new {tuple(b.shape)}",
                 "old Pad pads masks to pad_shape; the new preprocessor leaves them (pad_mask "
                 "False): the old pad region is all zero, the rest compared")
        a = a[:, :b.shape[1], :b.shape[2]]
    return _tensor(where, a, b, 0, checked)


def _normalisation_only(first, old, new):
    """When the inputs differ and the two sides normalise differently, un-normalise both: if
    the pixels are then equal (to PIX_ATOL grey levels), the difference is the normalisation
    alone, and the first difference says so with both (mean, std, to_rgb)."""
    import torch
    a, b = old.get("norm"), new.get("norm")
    if not a or not b or a == b or first["message"].split(": ", 1)[-1].startswith("shape"):
        return None
    x, y = old["img"].double(), new["img"].double()
    if x.dim() != 3 or x.shape[0] != len(a["mean"]) or x.shape[0] != len(b["mean"]):
        return None
    px = x * torch.tensor(a["std"]).view(-1, 1, 1) + torch.tensor(a["mean"]).view(-1, 1, 1)
    py = y * torch.tensor(b["std"]).view(-1, 1, 1) + torch.tensor(b["mean"]).view(-1, 1, 1)
    if a["to_rgb"] != b["to_rgb"] or float((px - py).abs().max()) > PIX_ATOL:
        return None
    where = first["where"]
    return {"where": where, "old": short(a), "new": short(b),
            "message": f"{where}: normalisation only (un-normalised pixels equal): old mean="
                       f"{a['mean']} std={a['std']}, new mean={b['mean']} std={b['std']}"}


def _pad_only(first, old, newimg):
    """When the inputs differ only outside the old image region `[:h, :w]` (old meta
    img_shape, before padding), the difference is the pad value alone: said so with both."""
    shape = (old.get("meta") or {}).get("img_shape")
    a = old["img"]
    if not shape or a.dim() != 3 or tuple(a.shape) != tuple(newimg.shape):
        return None
    h, w = int(shape[0]), int(shape[1])
    if (h, w) == tuple(a.shape[1:]) or h > a.shape[1] or w > a.shape[2]:
        return None
    if bool(((a[:, :h, :w].double() - newimg[:, :h, :w].double()).abs() > ATOL).any()):
        return None
    # the bottom-right pixel lies in the pad region: its value per channel
    va = [round(float(x), 4) for x in a[:, -1, -1]]
    vb = [round(float(x), 4) for x in newimg[:, -1, -1]]
    where = first["where"]
    return {"where": where, "old": short(va), "new": short(vb),
            "message": f"{where}: pad region only (image region [:{h}, :{w}] equal): old pad "
                       f"values {va}, new {vb}"}


def torch_int8():
    import torch
    return torch.int8


def _multilabel(a, b, deviations):
    """mmcls 0.25's multi-label `gt_label` is a (K,) int8 vector (1 present, -1 difficult),
    mmpretrain 1.2's the label indices: the new indices as the same vector (compared exact)."""
    import torch
    hot = torch.zeros(a.numel(), dtype=torch.int8)
    if b.numel():
        hot[b.reshape(-1).long()] = 1
    deviate(deviations, "gt_label", f"one-hot ({a.numel()},) int8 -> label indices",
            "mmpretrain 1.2 stores the labels present (one-hot built by the head); "
            "compared as the old vector")
    return a.reshape(-1), hot


def compare(name, codebase, old, new, checked, deviations):
    """The first difference between an old and a new sample of variant `name`, or None."""
    newimg = new["img"]
    if old.get("img_dtype") == "float16":
        # mmcls 0.25's ToHalf (IPU configs) hands the model float16; mmpretrain 1.2 has no such
        # transform (the IPU runner casts): the new inputs are rounded to float16 the same way
        newimg = newimg.half().float()
        deviate(deviations, "inputs dtype", "float16 -> float32 (new rounded to float16 to "
                "compare: a change below 2^-11 relative)", "mmcls 0.25 ToHalf has no "
                "mmpretrain 1.2 counterpart")
    first = _tensor(f"{name} inputs", old["img"], newimg, ATOL, checked)
    if first:
        return _normalisation_only(first, old, new) or _pad_only(first, old, newimg) or first
    if codebase == "mmcls":
        deviate(deviations, "meta", "not compared",
                "image classifiers read no image meta (mmcls 0.25's RandomResizedCrop even "
                "leaves img_shape at the loaded size)")
    for key in META if codebase != "mmcls" else ():
        first = _meta(name, key, old["meta"], new["meta"], checked, deviations)
        if first:
            return first
    for key in ("gt_bboxes", "gt_labels", "gt_label", "gt_masks", "gt_semantic_seg",
                "proposals"):
        if key not in old or key not in new:
            if (key in old) != (key in new) and not name.startswith("test"):
                side = "old" if key in old else "new"
                return _diff(f"{name} {key}", old.get(key), new.get(key),
                             f"{name} {key}: only on the {side} side")
            continue
        a, b = old[key], new[key]
        where = f"{name} {key}"
        if key == "gt_label" and a.dtype == torch_int8():
            a, b = _multilabel(a, b, deviations)
        if key == "gt_masks":
            first = _masks(where, a, b, checked, deviations)
        elif key in ("gt_bboxes", "proposals"):
            first = _tensor(where, a.float(), b.float(), BOX_ATOL, checked)
        else:
            first = _tensor(where, a.reshape(-1) if key == "gt_label" else a,
                            b.reshape(-1) if key == "gt_label" else b, 0, checked)
        if first:
            return first
    return None
