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
  gt_bboxes   # deviation: the same float32 rescale/flip/clip arithmetic: compared to 1e-4 px.
  gt_labels, gt_label, gt_masks, gt_semantic_seg   exact.
Known changes between the versions are mapped, not called differences, and listed as known
deviations with their size: shapes `(h, w, c)` -> `(h, w)`; `scale_factor` a 4-array
`(w, h, w, h)` -> a `(w, h)` pair; gt masks padded by the old Pad but not by the new
preprocessor (pad_mask=False): the old mask's pad region must be all zero.
"""
from __future__ import annotations

ATOL = 1e-4
BOX_ATOL = 1e-4
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


def compare(name, codebase, old, new, checked, deviations):
    """The first difference between an old and a new sample of variant `name`, or None."""
    first = _tensor(f"{name} inputs", old["img"], new["img"], ATOL, checked)
    if first:
        return first
    if codebase == "mmcls":
        deviate(deviations, "meta", "not compared",
                "image classifiers read no image meta (mmcls 0.25's RandomResizedCrop even "
                "leaves img_shape at the loaded size)")
    for key in META if codebase != "mmcls" else ():
        first = _meta(name, key, old["meta"], new["meta"], checked, deviations)
        if first:
            return first
    for key in ("gt_bboxes", "gt_labels", "gt_label", "gt_masks", "gt_semantic_seg"):
        if key not in old or key not in new:
            if (key in old) != (key in new) and not name.startswith("test"):
                side = "old" if key in old else "new"
                return _diff(f"{name} {key}", old.get(key), new.get(key),
                             f"{name} {key}: only on the {side} side")
            continue
        a, b = old[key], new[key]
        where = f"{name} {key}"
        if key == "gt_masks":
            first = _masks(where, a, b, checked, deviations)
        elif key == "gt_bboxes":
            first = _tensor(where, a.float(), b.float(), BOX_ATOL, checked)
        else:
            first = _tensor(where, a.reshape(-1) if key == "gt_label" else a,
                            b.reshape(-1) if key == "gt_label" else b, 0, checked)
        if first:
            return first
    return None
