"""Compare the old and the new side's results into one verdict record (inside an env only).

Order of the comparison, the first difference wins and everything equal before it is `checked`:
  checkpoint   the old state dict renamed through `migrator/checkpoint/table.py` loads into the
               new model with no missing key, no unexpected key and no shape mismatch;
  eval         every named eval tensor of the old side, in order, against the new side's tensor
               of that name (a name only one side has is a difference);
  loss         every loss-dict entry, old key renamed through `losskeys.LOSS_KEYS`, then the
               total loss;
  step         the SGD update (after - before) of every state-dict entry, old key renamed through
               the checkpoint table.
Where a side stopped at a missing kernel, only what both sides computed is compared, and the
record is PARTIAL with `stopped_at` naming the kernel and what was checked before it.
"""
from __future__ import annotations

from .losskeys import loss_key

# deviation: where the two versions compute the same thing, the results are bitwise identical
# on this machine (same torch, same ops); a tensor counts as equal when
# max|old - new| <= RTOL * max(max|old|, max|new|) + ATOL: float32 sums of the same terms in a
# different order differ by a few ulps (1e-6 relative); ATOL absorbs values that are exactly 0
# on one side and ~1e-12 on the other. Bitwise equality is recorded apart (`inexact`).
RTOL = 1e-6
ATOL = 1e-9


def short(t) -> str:
    import torch
    if not isinstance(t, torch.Tensor):
        return repr(t)[:80]
    if t.numel() == 1:
        return f"{t.item():.7g}"
    flat = t.detach().flatten()[:3].tolist()
    return f"{tuple(t.shape)} [{', '.join(f'{x:.6g}' for x in flat)}, ...]"


def diff(a, b):
    """None if equal (within the deviation above), else (message, old repr, new repr)."""
    import torch
    if tuple(a.shape) != tuple(b.shape):
        return f"shape {tuple(a.shape)} vs {tuple(b.shape)}", short(a), short(b)
    if a.numel() == 0:
        return None
    x, y = a.double(), b.double()
    if not torch.isfinite(x).all() or not torch.isfinite(y).all():
        same = torch.equal(torch.nan_to_num(x, 7.0, 8.0, 9.0), torch.nan_to_num(y, 7.0, 8.0, 9.0))
        return None if same else ("non-finite values differ", short(a), short(b))
    d = (x - y).abs()
    scale = max(x.abs().max().item(), y.abs().max().item())
    if d.max().item() <= RTOL * scale + ATOL:
        return None
    i = int(d.flatten().argmax())
    idx = tuple(int(v) for v in torch.unravel_index(torch.tensor(i), a.shape)) if a.dim() else ()
    return (f"max |diff| {d.max().item():.3g} at {list(idx)} "
            f"(old {x.flatten()[i].item():.7g}, new {y.flatten()[i].item():.7g})",
            short(a), short(b))


class Record:
    def __init__(self):
        self.first = None
        self.checked = []
        self.inexact = []

    def differ(self, where, old, new, message):
        if self.first is None:
            self.first = {"where": where, "old": old, "new": new, "message": message}

    def tensor(self, where, a, b):
        import torch
        if a.shape == b.shape and a.dtype == b.dtype and torch.equal(a, b):
            self.checked.append(where)         # bitwise equal (most tensors): no float64 pass
            return True
        d = diff(a, b)
        if d is None:
            self.checked.append(where)
            if a.shape == b.shape and not torch.equal(a, b):
                self.inexact.append(where)
        else:
            self.differ(where, d[1], d[2], f"{where}: {d[0]}")
        return d is None


def _pairs(rec, kind, old, new):
    """Compare two ordered [(name, tensor)] lists by name. A name ending in `?` is compared when
    both sides have it and left out (not checked) when one lacks it: an output one version
    stopped returning by design (mmcls ViT patch tokens, see `cls.py`)."""
    news = dict(new)
    for name, t in old:
        if name.endswith("?") and name not in news:
            continue
        if name not in news:
            rec.differ(f"{kind} {name}", short(t), "missing", f"{kind} {name}: only the old side "
                                                             "has it")
            continue
        rec.tensor(f"{kind} {name}", t, news.pop(name))
    for name, t in news.items():
        if name.endswith("?"):
            continue
        rec.differ(f"{kind} {name}", "missing", short(t), f"{kind} {name}: only the new side has it")


def compare(old: dict, new: dict, ckpt: dict, names: dict, codebase: str) -> dict:
    """`ckpt`: {"missing", "unexpected", "shape"} from loading; `names`: old key -> new key."""
    o, n = old["result"], new["result"]
    rec = Record()
    problems = [f"missing in the new model: {ckpt['missing'][:5]}" if ckpt["missing"] else "",
                f"unexpected (old keys the new model lacks): {ckpt['unexpected'][:5]}"
                if ckpt["unexpected"] else "",
                f"shape mismatch: {ckpt['shape'][:3]}" if ckpt["shape"] else ""]
    problems = [p for p in problems if p]
    if problems:
        first = (ckpt["missing"] or ckpt["unexpected"] or [s[0] for s in ckpt["shape"]])[0]
        rec.differ(f"checkpoint {first}",
                   "present" if not ckpt["missing"] else "absent",
                   "absent" if not ckpt["missing"] else "present", "; ".join(problems))
    else:
        rec.checked.append(f"checkpoint ({len(names)} keys)")
    # a config value both sides replaced before building (`inenv.prepare`: a fixed token grid
    # built smaller) must have been the same in both configs
    adj_o, adj_n = old.get("adjusted") or {}, new.get("adjusted") or {}
    for k in sorted(set(adj_o) | set(adj_n)):
        if adj_o.get(k) != adj_n.get(k):
            rec.differ(f"config {k}", str(adj_o.get(k)), str(adj_n.get(k)),
                       f"config {k}: old {adj_o.get(k)}, new {adj_n.get(k)} (both built at "
                       "the same smaller size, so compared here)")
        else:
            rec.checked.append(f"config {k} = {adj_o[k]} (built at a smaller size on both "
                               "sides)")
    stops = []
    if o["eval_stop"] or n["eval_stop"]:
        stops.append(("eval", o["eval_stop"] or n["eval_stop"], o["eval"], n["eval"]))
        k = min(len(o["eval"]), len(n["eval"]))
        _pairs(rec, "eval", o["eval"][:k], n["eval"][:k])
    else:
        _pairs(rec, "eval", o["eval"], n["eval"])
    # training both versions refuse on purpose (NotImplementedError on both sides: mmcls and
    # mmpretrain will not train a distilled EfficientFormer) is not compared: PARTIAL. Any
    # other error, even on both sides, is an ERROR (it may be the harness's own call)
    refused = {e["stage"]: (e, f) for e in o["errors"] for f in n["errors"]
               if e["stage"] == f["stage"] == "train"
               and e["type"] == f["type"] == "NotImplementedError"}
    def said(r, stage):        # what a side's stage gave: its error, else ok
        e = next((e for e in r["errors"] if e["stage"] == stage), None)
        return f"{e['type']}: {e['message']}" if e else "ok"
    for side, r in (("old", o), ("new", n)):
        for err in r["errors"]:
            if err["stage"] in refused:
                continue
            old_said, new_said = said(o, err["stage"]), said(n, err["stage"])
            rec.differ(err["stage"], old_said, new_said,
                       f"{err['stage']} raised on the {side} side only" if "ok" in
                       (old_said, new_said) else f"{err['stage']} raised on both sides")
    train_stop = o["train_stop"] or n["train_stop"]
    if train_stop and (o["partial"] != n["partial"]):
        rec.differ("train", str(o["partial"]), str(n["partial"]),
                   f"the full loss needs {train_stop}; partial losses: old {o['partial']}, "
                   f"new {n['partial']}")
    if o["total"] is not None and n["total"] is not None:
        mapped = [(loss_key(codebase, k), t) for k, t in o["losses"]]
        _pairs(rec, "loss", mapped, n["losses"])
        rec.tensor("loss total", o["total"], n["total"])
        step_new = n["step"]
        for k, t in o["step"].items():
            nk = names.get(k)
            if nk is None or nk not in step_new:
                continue                        # already reported by the checkpoint check
            rec.tensor(f"step {nk}", t, step_new[nk])
    stopped = "; ".join(f"{st}: both versions raise {e['type']} (old: {e['message'][:120]}; "
                        f"new: {f['message'][:120]}), not compared"
                        for st, (e, f) in refused.items()) or None
    if o["eval_stop"] or n["eval_stop"] or train_stop:
        op = o["eval_stop"] or n["eval_stop"] or train_stop
        done = [c.split(" ", 1)[1] for c in rec.checked if c.startswith("eval ")]
        kernel = f"mmcv.ops.{op} (compiled kernel missing): eval compared up to " \
                 f"{done[-1] if done else 'nothing'}"
        stopped = f"{stopped}; {kernel}" if stopped else kernel
        if train_stop:
            stopped += (f"; train: {o['partial']} and one SGD step on them, the rest of the "
                        "model not run" if o["partial"] and n["partial"]
                        else "; train: not compared")
    if rec.first is not None:
        verdict = "ERROR" if (o["errors"] and n["errors"] and
                              rec.first["where"] in ("eval", "train")) else "DIFFERS"
    else:
        verdict = "PARTIAL" if stopped else "VERIFIED"
    return {"verdict": verdict, "first_difference": rec.first, "checked": rec.checked,
            "stopped_at": stopped, "inexact": rec.inexact}
