"""Flat emission: one self-contained MMEngine config (no `_base_`) per converted input.

Top-level keys follow the field order of MMEngine's documented configs (model, data, evaluation,
schedule, optimisation, runtime); keys we do not know keep their relative input order, after
`model` and before the dataloaders (dataset variables such as `data_root` and pipelines live
there in OpenMMLab configs). Report findings become comments above the key they concern:
`# TODO(migrate): ...` for what was not converted, `# migrate: ...` for approximations, each with
the original old value commented out below it, so nothing is lost.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List

import libcst as cst

from ..report import MISSING, Finding, Report
from .texts import Texts
from .values import NO_NAMES, Names, format_value

# MMEngine documentation order (mmdet 3.x / mmengine tutorials). Unknown keys go at UNKNOWN_SLOT.
FIELD_ORDER: List[str] = [
    "default_scope", "custom_imports", "model", "model_wrapper_cfg",
    "<unknown>",
    "train_dataloader", "val_dataloader", "test_dataloader", "val_evaluator", "test_evaluator",
    "train_cfg", "val_cfg", "test_cfg",
    "optim_wrapper", "param_scheduler", "auto_scale_lr",
    "default_hooks", "custom_hooks", "env_cfg", "vis_backends", "visualizer", "log_processor",
    "log_level", "load_from", "resume", "randomness", "launcher", "work_dir",
]
_RANK = {k: i for i, k in enumerate(FIELD_ORDER)}


def ordered_keys(cfg: Dict[str, Any]) -> List[str]:
    unknown = _RANK["<unknown>"]
    keyed = [(_RANK.get(k, unknown), i, k) for i, k in enumerate(cfg)]
    return [k for _, _, k in sorted(keyed)]


def finding_comment(f: Finding) -> List[str]:
    tag = "TODO(migrate)" if f.kind == "todo" else "migrate"
    lines = [f"# {tag}: {f.field}: {f.message}"]
    if f.original is not MISSING:
        body = format_value(f.original, width=75).splitlines()
        lines.append(f"#   original: {body[0]}")
        lines.extend(f"#   {ln}" for ln in body[1:])
    return lines


def _comment_lines(texts: Iterable[str]) -> List[cst.EmptyLine]:
    return [cst.EmptyLine(comment=cst.Comment(t.rstrip())) for t in texts]


def assignment(name: str, value: Any, texts: Texts, comments: Iterable[str] = (),
               names: Names = NO_NAMES) -> cst.SimpleStatementLine:
    """`name = value` as a libcst statement, the value placed as text through `texts`."""
    code = format_value(value, indent=0, prefix_len=len(name) + 3, names=names)
    return cst.SimpleStatementLine(
        body=[cst.Assign(targets=[cst.AssignTarget(cst.Name(name))],
                         value=texts.expression(code))],
        leading_lines=_comment_lines(comments))


def emit_flat(cfg: Dict[str, Any], report: Report, header: str = "") -> str:
    """Source of a flat MMEngine config for `cfg`, with the report's findings as comments.

    Built as text from `format_value` (valid Python by construction, checked by the tests that
    load every output back): a flat file has no source formatting to preserve, and skipping a
    libcst round trip keeps whole-tree conversion within 2x of a bare libcst parse.
    """
    by_anchor: Dict[Any, List[Finding]] = {}
    for f in report.findings:
        by_anchor.setdefault(f.anchor if f.anchor in cfg else None, []).append(f)
    out: List[str] = [header] if header else []
    user_vars = Names()     # dataset_type, data_root, pipelines...: referred to by name
    for key in ordered_keys(cfg):
        out.extend(ln for f in by_anchor.get(key, []) for ln in finding_comment(f))
        text = format_value(cfg[key], indent=0, prefix_len=len(key) + 3, names=user_vars)
        out.append(f"{key} = {text}")
        if key not in _RANK:
            user_vars.add(key, cfg[key])
    out.extend(ln for f in by_anchor.get(None, []) for ln in finding_comment(f))
    return "\n".join(out) + "\n"
