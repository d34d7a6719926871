"""Self-contained HTML report of old (MMCV 1.x) vs new (MMEngine) traces.

No MMCV/MMEngine behaviour of its own: it draws what trace.compare() judged, at the check a
reader cares about (`PairResult.shown`: the longest dataset length that differs, else the
longest that ran). Per pair:
  * lr over iterations on a log axis (old solid, new dashed; 0 drawn at the axis floor), the
    first difference as a red marker drawn over the curves, validation/checkpoint ticks;
  * the relative difference (new - old) / max(|old|, |new|) in % over the whole run: a 0.1 %
    warmup offset that is invisible in the lr chart is a bar here;
  * a zoom of the iterations around the first difference (every iteration a point) and a table
    of the values there, with enough digits to tell them apart;
  * momentum (linear axis) when the optimizer has one;
  * the schedule fields of both configs beside the charts.
Curves are downsampled to at most MAX_POINTS points (first/last iteration, the first difference
and, when there are few, the value change points are always kept; runs of equal values collapse
to their ends). Inline SVG and CSS only: no JavaScript, nothing fetched.
A report of more than INLINE_MAX pairs is an index page (summary table, links) plus one page per
pair in `<name>.files/`, so a whole tree stays small.
"""
from __future__ import annotations

import math
import pprint
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .trace import _fmt_pair, columns

MAX_POINTS = 1200
INLINE_MAX = 12
W, H = 640, 220                      # chart viewBox; the SVG itself scales to the page width
ML, MR, MT, MB = 70, 14, 16, 40      # margins: room for tick labels and axis titles
ZOOM_BEFORE, ZOOM_AFTER = 6, 18      # iterations shown around the first difference
TABLE_BEFORE, TABLE_AFTER = 3, 6
DELTA_FLOOR = 1e-4                   # %: below compare()'s rtol (1e-6), rounding noise, not drawn
_TEMPLATES = Path(__file__).parent / "templates"

OLD_FIELDS = ("optimizer", "lr_config", "momentum_config", "runner", "total_epochs",
              "evaluation", "checkpoint_config", "auto_scale_lr")
NEW_FIELDS = ("optim_wrapper", "param_scheduler", "train_cfg", "val_cfg", "auto_scale_lr")


# ---- sampling ---------------------------------------------------------------------------------

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


def _collapse(idx: List[int], vals: Sequence[Any]) -> List[int]:
    """Drop the inner points of runs of equal values (the line through them is the same)."""
    out = []
    for k, i in enumerate(idx):
        v = vals[i] if i < len(vals) else None
        prev = vals[idx[k - 1]] if k and idx[k - 1] < len(vals) else object()
        nxt = vals[idx[k + 1]] if k + 1 < len(idx) and idx[k + 1] < len(vals) else object()
        if not (v == prev and v == nxt):
            out.append(i)
    return out


# ---- axes -------------------------------------------------------------------------------------

def nice_ticks(lo: float, hi: float, n: int = 5) -> List[float]:
    """Round tick values (1, 2, 5 x 10^k steps) covering [lo, hi]."""
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 5, 10)), key=lambda st: abs((hi - lo) / st - n))
    first = math.ceil(lo / step - 1e-9) * step
    return [round(first + k * step, 12) for k in range(int((hi - first) / step + 1e-9) + 1)]


def log_ticks(lo: float, hi: float) -> List[float]:
    """Decades within [lo, hi]; 1-2-5 mantissas when the range spans less than two decades."""
    a, b = math.floor(math.log10(lo) + 1e-9), math.ceil(math.log10(hi) - 1e-9)
    mantissas = (1,) if b - a >= 3 else (1, 2, 5)
    ticks = [m * 10.0 ** e for e in range(a, b + 1) for m in mantissas]
    out = [t for t in ticks if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]
    return out if len(out) >= 2 else [lo, hi]


def fmt_num(v: float) -> str:
    """Short tick/cell label: 0.02, 2e-5, 1.5e6."""
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e5:
        return f"{v:.4g}"
    m, e = f"{v:.2e}".split("e")
    return f"{m.rstrip('0').rstrip('.')}e{int(e)}"


class Axis:
    """Maps a value range onto [a, b] pixels, linearly or on a log10 scale."""

    def __init__(self, lo: float, hi: float, a: float, b: float, log: bool = False):
        if hi <= lo:
            pad = abs(hi) * 0.05 or 1.0
            lo, hi = (lo / 2, hi * 2) if log else (lo - pad, hi + pad)
        self.lo, self.hi, self.a, self.b, self.log = lo, hi, a, b, log

    def __call__(self, v: float) -> float:
        f = (lambda x: math.log10(x)) if self.log else (lambda x: x)
        return self.a + (f(v) - f(self.lo)) / (f(self.hi) - f(self.lo)) * (self.b - self.a)

    def ticks(self) -> List[float]:
        return log_ticks(self.lo, self.hi) if self.log else nice_ticks(self.lo, self.hi)


def _y_range(values: Sequence[Optional[float]], log: bool) -> Optional[Tuple[float, float]]:
    nums = [v for v in values if v is not None and (v > 0 or not log)]
    if not nums:
        return None
    lo, hi = min(nums), max(nums)
    if log:
        lo = 10 ** math.floor(math.log10(lo) + 1e-9)
        hi = 10 ** math.ceil(math.log10(hi) - 1e-9) if hi > lo else lo * 10
    return lo, hi


def chart(title: str, ylabel: str, n0: int, n1: int, series: Sequence[Dict[str, Any]],
          log: bool = False, marker: Optional[int] = None, events: Sequence[Dict] = (),
          dots: bool = False, zero_line: bool = False) -> Optional[Dict[str, Any]]:
    """One SVG chart over iterations n0..n1. series: [{cls, label, vals (full list)}]."""
    window = [v for s in series for v in s["vals"][n0:n1 + 1]]
    rng = _y_range(window, log)
    if rng is None:
        return None
    x = Axis(n0, max(n1, n0 + 1), ML, W - MR)
    y = Axis(rng[0], rng[1], H - MB, MT, log)
    floor = y.lo

    def pt(i: int, v: Optional[float]) -> Optional[Tuple[float, float]]:
        if v is None:
            return None
        if log and v < floor:
            v = floor                           # 0 (or below the axis) drawn on the floor
        return round(x(i), 1), round(y(v), 1)

    lines, circles = [], []
    n = n1 - n0 + 1
    keep = [marker - n0] if marker is not None and n0 <= marker <= n1 else []
    for s in series:
        vals = s["vals"][n0:n1 + 1]
        idx = _collapse(sample_indices(n, (vals,), keep), vals)
        pts = [p for p in (pt(n0 + i, vals[i]) for i in idx if i < len(vals)) if p]
        lines.append({"cls": s["cls"], "pts": " ".join(f"{a},{b}" for a, b in pts)})
        if dots:
            circles += [{"cls": s["cls"], "x": a, "y": b} for a, b in pts]
    xt = [t for t in nice_ticks(n0, n1, 6) if float(t).is_integer()] or [n0]
    return {
        "title": title, "ylabel": ylabel, "w": W, "h": H, "ml": ML, "mr": MR, "mt": MT, "mb": MB,
        "lines": lines, "circles": circles,
        "xticks": [{"x": round(x(t), 1), "label": f"{int(t):,}"} for t in xt],
        "yticks": [{"y": round(y(t), 1), "label": fmt_num(t)} for t in y.ticks()],
        "marker": None if not keep else {"x": round(x(marker), 1),
                                         "label": f"first difference: iter {marker}"},
        "marker_right": keep and x(marker) > W - 200,
        "events": _event_paths(events, x, n0, n1),
        "zero": round(y(0), 1) if zero_line and y.lo < 0 < y.hi else None,
    }


def _event_paths(events, x, n0: int, n1: int) -> List[Dict[str, str]]:
    """Validation/checkpoint ticks as one SVG path per (kind, side), one tick per pixel column:
    old ticks in the upper half of a 12 px band above the x axis, new ticks in the lower half."""
    out = []
    for kind in ("val_at", "ckpt_at"):
        for who, top in (("old", H - MB - 12), ("new", H - MB - 6)):
            xs = sorted({round(x(e["at"]), 0) for e in events
                         if e["kind"] == kind and e["who"] == who and n0 <= e["at"] <= n1})
            if xs:
                out.append({"cls": "ev-val" if kind == "val_at" else "ev-ckpt",
                            "d": "".join(f"M{v:g},{top}v6" for v in xs)})
    return out


# ---- one pair -------------------------------------------------------------------------------

def _events(trace: Dict[str, Any], who: str, n: int) -> List[Dict[str, Any]]:
    out = []
    for kind in ("val_at", "ckpt_at"):
        key = "val_by_epoch" if kind == "val_at" else "ckpt_by_epoch"
        mult = trace.get("epoch_len", 1) if trace.get(key, trace.get("by_epoch", True)) else 1
        out += [{"kind": kind, "who": who, "at": min(e * mult, n - 1)} for e in trace.get(kind) or []]
    return out


def rel_delta(old: Sequence[Any], new: Sequence[Any], n: int) -> List[Optional[float]]:
    """(new - old) / max(|old|, |new|) in %, per iteration (None where a side has no value)."""
    out: List[Optional[float]] = []
    for i in range(n):
        a = old[i] if i < len(old) else None
        b = new[i] if i < len(new) else None
        if a is None or b is None:
            out.append(None)
        else:
            m = max(abs(a), abs(b))
            out.append(0.0 if m == 0 else (b - a) / m * 100.0)
    return out


def _cell(v: Any) -> str:
    return "" if v is None else fmt_num(v) if isinstance(v, float) else str(v)


def _same(a: Any, b: Any) -> bool:
    """Equal as compare() judges floats (rtol 1e-6, atol 1e-12)."""
    if a is None or b is None or not isinstance(a, float) or not isinstance(b, float):
        return a == b
    return abs(a - b) <= 1e-12 + 1e-6 * abs(b)


def _pair_text(a: Any, b: Any) -> Tuple[str, str]:
    """Both values with just enough digits to tell them apart (4 when they agree)."""
    if a is None or b is None:
        return _cell(a), _cell(b)
    if _same(a, b):
        return (f"{a:.6g}", f"{b:.6g}") if isinstance(a, float) and isinstance(b, float) \
            else (str(a), str(b))
    return _fmt_pair(a, b)


def value_rows(cols_old, cols_new, d: int, n: int) -> List[Dict[str, Any]]:
    """Rows of the table around iteration d: both sides' lr and momentum, the relative delta."""
    (lr_o, mom_o, ep_o), (lr_n, mom_n, _) = cols_old, cols_new
    rows = []
    for i in range(max(0, d - TABLE_BEFORE), min(n, d + TABLE_AFTER + 1)):
        get = lambda col: col[i] if col is not None and i < len(col) else None   # noqa: E731
        lo, ln, mo, mn = get(lr_o), get(lr_n), get(mom_o), get(mom_n)
        delta = rel_delta([lo], [ln], 1)[0]
        rows.append({"iter": i, "epoch": get(ep_o), "first": i == d,
                     "delta": "" if delta is None else "0" if abs(delta) < DELTA_FLOOR else
                     f"{delta:+.3g} %", "differs": not (_same(lo, ln) and _same(mo, mn))})
        rows[-1].update(zip(("lr_old", "lr_new"), _pair_text(lo, ln)))
        rows[-1].update(zip(("mom_old", "mom_new"), _pair_text(mo, mn)))
    return rows


def _pretty(cfg: Optional[Dict[str, Any]], keys: Sequence[str]) -> str:
    if not cfg:
        return ""
    parts = [f"{k} = {pprint.pformat(cfg[k], width=56, sort_dicts=False)}"
             for k in keys if cfg.get(k) is not None]
    hooks = cfg.get("default_hooks")
    if isinstance(hooks, dict) and hooks.get("checkpoint") is not None:
        parts.append("default_hooks.checkpoint = " +
                     pprint.pformat(hooks["checkpoint"], width=56, sort_dicts=False))
    data, loader = cfg.get("data"), cfg.get("train_dataloader")
    if isinstance(data, dict):
        per = {k: data[k] for k in ("samples_per_gpu", "imgs_per_gpu") if k in data}
        if per:
            parts.append(f"data: {per}")
    if isinstance(loader, dict) and "batch_size" in loader:
        parts.append(f"train_dataloader.batch_size = {loader['batch_size']}")
    return "\n".join(parts)


def deep_rows(recs: Optional[Dict[str, dict]]) -> List[Dict[str, Any]]:
    """The data/model records of one pair, as the template shows them (deep.py's format)."""
    from .deep import KINDS, cell
    rows = []
    for kind in KINDS:
        rec = (recs or {}).get(kind)
        if rec is None:
            continue
        verdict, detail = cell(rec)
        fd = rec.get("first_difference") or {}
        rows.append({"kind": kind, "verdict": verdict, "detail": detail,
                     "where": fd.get("where"), "old": fd.get("old"), "new": fd.get("new"),
                     "stopped_at": rec.get("stopped_at"), "checked": len(rec.get("checked") or []),
                     "deviations": list(rec.get("known_deviations") or []),
                     "seconds": rec.get("seconds")})
    return rows


def _approx_text(c) -> str:
    from .approx import describe
    return f"{c.verdict.message}; {describe(c.approx)}"


def pair_section(r, index: int, deep=None) -> Dict[str, Any]:
    """Everything the template draws for one PairResult (`deep`: its data/model records)."""
    sec: Dict[str, Any] = {
        "deep": deep_rows((deep or {}).get((str(r.old), str(r.new)))),
        "index": index, "name": r.name, "old": r.old, "new": r.new, "status": r.status,
        "line": r.line(), "notes": list(r.notes), "charts": [], "zoom": [], "rows": [],
        "detail": r.line().split(r.name, 1)[-1].lstrip(": "),
        "checks": [{"len": c.dataset_len, "ok": c.verdict is not None and c.verdict.ok,
                    "status": c.status, "realistic": c.realistic,
                    "text": c.error or (_approx_text(c) if c.status == "APPROXIMATE" else
                                        c.verdict.message if c.verdict is not None else
                                        "not run")}
                   for c in r.checks],
        "records": list(getattr(r, "records", []) or []),
        "old_cfg": _pretty(r.old_cfg, OLD_FIELDS), "new_cfg": _pretty(r.new_cfg, NEW_FIELDS),
    }
    c = r.shown
    if c is None:
        return sec
    v = c.verdict
    old_t, new_t = c.old_trace, c.new_trace
    co, cn = columns(old_t), columns(new_t)
    (lr_o, mom_o, _), (lr_n, mom_n, _) = co, cn
    n = max(len(lr_o), len(lr_n))
    d = v.iter if v.kind in ("lr", "momentum", "epoch") else None
    if v.kind == "max_iters":
        d = min(len(lr_o), len(lr_n))
    sec.update(shown_len=c.dataset_len, message=v.message, max_iters=n, ok=v.ok,
               epoch_len=old_t.get("epoch_len"),
               events_old=old_t.get("val_at"), events_new=new_t.get("val_at"),
               ckpt_old=old_t.get("ckpt_at"), ckpt_new=new_t.get("ckpt_at"),
               notes=sec["notes"] + list(old_t.get("notes") or []) + list(new_t.get("notes") or []))
    ev = _events(old_t, "old", n) + _events(new_t, "new", n)
    pair = [{"cls": "old", "vals": lr_o}, {"cls": "new", "vals": lr_n}]
    charts = [chart("learning rate", "lr (log scale)", 0, n - 1, pair, log=True, marker=d,
                    events=ev)]
    delta = rel_delta(lr_o, lr_n, n)
    if any(x is not None and abs(x) > DELTA_FLOOR for x in delta):
        charts.append(chart("lr difference", "(new − old) / max, %", 0, n - 1,
                            [{"cls": "delta", "vals": delta}], marker=d, zero_line=True))
    if d is not None and d < n:
        z0, z1 = max(0, d - ZOOM_BEFORE), min(n - 1, d + ZOOM_AFTER)
        zoom = chart(f"learning rate, iterations {z0}–{z1}", "lr", z0, z1, pair, marker=d,
                     dots=True)
        sec["zoom"] = [zoom] if zoom else []
        sec["rows"] = value_rows(co, cn, d, n)
    if any(m is not None for m in list(mom_o) + list(mom_n)):
        charts.append(chart("momentum", "momentum", 0, n - 1,
                            [{"cls": "old", "vals": mom_o}, {"cls": "new", "vals": mom_n}],
                            marker=d if v.kind == "momentum" else None))
    sec["charts"] = [ch for ch in charts if ch]
    return sec


# ---- pages ------------------------------------------------------------------------------------

def _env():
    import jinja2                          # lazy: migrator's import must stay cheap
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
                              autoescape=True, trim_blocks=True, lstrip_blocks=True)


def _summary(results, skipped, link, deep=None) -> Dict[str, Any]:
    from .deep import KINDS
    deep = deep or {}
    rows = [{"index": i, "name": r.name, "status": r.status, "href": link(i),
             "detail": r.line().split(":", 1)[1].strip() if r.status != "VERIFIED" else
             ", ".join(str(c.dataset_len) for c in r.checks),
             "deep": {d["kind"]: d for d in deep_rows(deep.get((str(r.old), str(r.new))))}}
            for i, r in enumerate(results, 1)]
    order = {"DIFFERS": 0, "ERROR": 1, "APPROXIMATE": 2, "VERIFIED": 3}
    bad = lambda x: any(d["verdict"] in ("DIFFERS", "ERROR") for d in x["deep"].values())  # noqa: E731
    rows.sort(key=lambda x: (0 if bad(x) and x["status"] == "VERIFIED" else
                             order.get(x["status"], 4), x["name"]))
    counts = {s: sum(r.status == s for r in results)
              for s in ("VERIFIED", "APPROXIMATE", "DIFFERS", "ERROR")}
    kinds = [k for k in KINDS if any(k in row["deep"] for row in rows)]
    deep_counts = {k: {v: sum(row["deep"].get(k, {}).get("verdict") == v for row in rows)
                       for v in ("VERIFIED", "DIFFERS", "PARTIAL", "ERROR", "SKIPPED")}
                   for k in kinds}
    return {"rows": rows, "counts": counts, "skipped": list(skipped), "total": len(results),
            "kinds": kinds, "deep_counts": deep_counts}


def render_html(results, skipped: Sequence[Tuple[str, str]] = (),
                title: str = "mmmigrate verification", deep=None) -> str:
    """One page: the summary table and every pair's section."""
    sections = [pair_section(r, i, deep) for i, r in enumerate(results, 1)]
    return _env().get_template("report.html.j2").render(
        title=title, summary=_summary(results, skipped, lambda i: f"#pair-{i}", deep),
        sections=sections, index_href=None)


def write_report(results, path, skipped: Sequence[Tuple[str, str]] = (),
                 title: str = "mmmigrate verification", deep=None) -> List[Path]:
    """Write the report at `path` (one page up to INLINE_MAX pairs, else an index page plus
    `<path stem>.files/NNNN.html` per pair). Returns the files written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if len(results) <= INLINE_MAX:
        path.write_text(render_html(results, skipped, title, deep), encoding="utf-8")
        return [path]
    sub = path.parent / f"{path.stem}.files"
    sub.mkdir(exist_ok=True)
    env = _env()
    written = []
    name = lambda i: f"{i:04d}-{re.sub(r'[^A-Za-z0-9._-]+', '_', results[i - 1].name)[-80:]}.html"  # noqa: E731
    tpl = env.get_template("report.html.j2")
    for i, r in enumerate(results, 1):
        page = sub / name(i)
        page.write_text(tpl.render(title=f"{title}: {r.name}", summary=None,
                                   sections=[pair_section(r, i, deep)],
                                   index_href=f"../{path.name}"),
                        encoding="utf-8")
        written.append(page)
    path.write_text(tpl.render(title=title, sections=[], index_href=None,
                               summary=_summary(results, skipped,
                                                lambda i: f"{sub.name}/{name(i)}", deep)),
                    encoding="utf-8")
    return [path] + written
