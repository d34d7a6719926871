"""Verification: what MMCV 1.x did with an old config vs what MMEngine does with the new one.

  mmcv.py / mmcv_lr.py / mmcv_events.py   MMCV 1.7.2 semantics (lr/momentum updater hooks,
                                           EvalHook, CheckpointHook, runner length) -> trace
  trace.py                                 the shared trace format and compare() -> Verdict
  html.py + templates/report.html.j2       self-contained HTML report (inline SVG, no JS)

The MMEngine half of a comparison is recorded by the runtime (`mmrun dry-run`); this package
never imports torch nor `runtime`.
"""
from .mmcv import epoch_length, kept_checkpoints, mmcv_columns, mmcv_trace
from .trace import Verdict, compact, compare, expand, read_trace, write_trace

__all__ = ["Verdict", "compact", "compare", "epoch_length", "expand", "kept_checkpoints",
           "mmcv_columns", "mmcv_trace", "read_trace", "write_trace", "render_html"]


def render_html(results, skipped=(), title: str = "mmmigrate verification") -> str:
    """One HTML page for run.PairResult objects (see html.py)."""
    from .html import render_html as _render    # jinja2 only when a report is drawn
    return _render(results, skipped, title=title)
