"""Self-contained HTML report of old (MMCV 1.x) vs new (MMEngine) traces.

No MMCV/MMEngine behaviour of its own: it draws what trace.compare() judged. Every chart is an
inline SVG polyline (old solid, new dashed) of lr and momentum over iterations, downsampled to at
most MAX_POINTS points while always keeping the first/last iteration, the value change points
(step boundaries) when there are few, and the first difference; validation and checkpoint events
are tick marks; the first difference is a red line. No JavaScript, no external resources.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from .trace import Verdict, columns

MAX_POINTS = 2000
WIDTH, HEIGHT = 720, 180
_TEMPLATES = Path(__file__).parent / "templates"


def sample_indices(n: int, values: Sequence[Sequence[Any]] = (), keep: Sequence[int] = (),
                   max_points: int = MAX_POINTS) -> List[int]:
    """Sorted iteration indices to draw: a uniform stride plus boundaries, `keep`, and the
    change points of `values` (each change keeps both sides) when they fit the budget."""
    if n <= 0:
        return []
    if n <= max_points:
        return list(range(n))
    must = {0, n - 1} | {k for k in keep if 0 <= k < n}
    must |= {k - 1 for k in keep if 0 < k < n}
    budget = max_points - len(must)
    changes: set = set()
    for vals in values:
        for i in range(1, min(n, len(vals))):
            if vals[i] != vals[i - 1]:
                changes.update((i - 1, i))
                if len(changes) > budget // 4:
                    break
        if len(changes) > budget // 4:
            changes = set()
            break
    stride_budget = max(1, budget - len(changes) - 1)
    stride = -(-n // stride_budget)
    idx = must | changes | set(range(0, n, stride))
    return sorted(idx)[:max_points] if len(idx) > max_points else sorted(idx)


def _scale(values: List[Optional[float]]):
    nums = [v for v in values if v is not None]
    if not nums:
        return None
    lo, hi = min(nums), max(nums)
    if hi == lo:
        pad = abs(hi) * 0.05 or 1.0
        lo, hi = lo - pad, hi + pad
    return lo, hi


def _points(idx: List[int], vals: List[Optional[float]], n: int, lo: float, hi: float) -> str:
    xs = WIDTH / max(1, n - 1)
    out = []
    for i in idx:
        v = vals[i] if i < len(vals) else None
        if v is None:
            continue
        out.append(f"{i * xs:.1f},{HEIGHT - (v - lo) / (hi - lo) * HEIGHT:.1f}")
    return " ".join(out)


def _event_x(trace: Dict[str, Any], kind: str, n: int) -> List[float]:
    key = "val_by_epoch" if kind == "val_at" else "ckpt_by_epoch"
    by_epoch = trace.get(key, trace.get("by_epoch", True))
    mult = trace.get("epoch_len", 1) if by_epoch else 1
    xs = WIDTH / max(1, n - 1)
    return [round(min(e * mult, n - 1) * xs, 1) for e in trace.get(kind) or []]


def _chart(name: str, old: List[Any], new: List[Any], n: int, diff_iter: Optional[int],
           old_t: Dict[str, Any], new_t: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    rng = _scale(list(old) + list(new))
    if rng is None:
        return None
    lo, hi = rng
    keep = [diff_iter] if diff_iter is not None else []
    idx = sample_indices(n, (old, new), keep)
    xs = WIDTH / max(1, n - 1)
    return {
        "name": name, "lo": f"{lo:.4g}", "hi": f"{hi:.4g}", "points": len(idx),
        "old": _points(idx, old, n, lo, hi), "new": _points(idx, new, n, lo, hi),
        "diff_x": None if diff_iter is None else round(diff_iter * xs, 1),
        "events": [{"kind": k, "who": who, "x": x}
                   for who, t in (("old", old_t), ("new", new_t))
                   for k in ("val_at", "ckpt_at") for x in _event_x(t, k, n)],
    }


def _verdict(v: Any) -> Verdict:
    if isinstance(v, Verdict):
        return v
    d = dict(v or {})
    d["kinds"] = tuple(d.get("kinds") or ())
    return Verdict(**d)


def render_html(results: List[Dict[str, Any]], title: str = "mmmigrate verification") -> str:
    """results: [{"name", "old_trace", "new_trace", "verdict"}] -> one HTML page."""
    import jinja2                          # lazy: migrator's import must stay cheap

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    sections = []
    for r in results:
        v = _verdict(r.get("verdict"))
        old_t, new_t = r["old_trace"], r["new_trace"]
        lr_o, mom_o, _ = columns(old_t)
        lr_n, mom_n, _ = columns(new_t)
        n = max(len(lr_o), len(lr_n))
        diff_iter = v.iter if v.kind in ("lr", "momentum", "epoch") else None
        charts = [c for c in (_chart("lr", lr_o, lr_n, n, diff_iter, old_t, new_t),
                              _chart("momentum", mom_o, mom_n, n, diff_iter, old_t, new_t)) if c]
        sections.append({"name": r.get("name", "?"), "verdict": v, "charts": charts,
                         "max_iters": n, "notes": list(old_t.get("notes") or []) +
                         list(new_t.get("notes") or []),
                         "val_old": old_t.get("val_at"), "val_new": new_t.get("val_at"),
                         "ckpt_old": old_t.get("ckpt_at"), "ckpt_new": new_t.get("ckpt_at")})
    n_ok = sum(1 for s in sections if s["verdict"].ok)
    return env.get_template("report.html.j2").render(
        title=title, sections=sections, n_ok=n_ok, n_total=len(sections),
        width=WIDTH, height=HEIGHT)
