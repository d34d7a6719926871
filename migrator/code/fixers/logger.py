"""MC102 loggers: `get_logger` / `get_root_logger` -> `mmengine.logging.MMLogger`.

MMCV 1.x: `mmcv.utils.get_logger(name, log_file=None, log_level=logging.INFO, file_mode='w')`, and
the codebases' `get_root_logger(log_file=None, log_level=logging.INFO)` (mmdet/mmcls/mmseg
`utils/logger.py`: `get_logger(name='mmdet', ...)`). MMEngine 0.10: `MMLogger.get_instance(name,
log_file=..., log_level=..., file_mode=...)`; inside a Runner the runner's logger is
`MMLogger.get_current_instance()` (runner migration guide, "Migrate the training script": the
Runner builds the logger).
"""
from __future__ import annotations

import libcst as cst

from .. import tables

CODE = "MC102"
_GET_LOGGER_ARGS = ("name", "log_file", "log_level", "file_mode")
_ROOT_ARGS = ("log_file", "log_level")


class LoggerFixer:
    def leave_Call(self, ctx, original: cst.Call, updated: cst.Call):
        q = ctx.qname_in(original.func, tables.NAMES)
        if q is None or tables.NAMES[q].name != "MMLogger":
            return updated
        if not ctx.can_import("mmengine.logging", "MMLogger"):
            return updated
        root = q.endswith(".get_root_logger")
        order = _ROOT_ARGS if root else _GET_LOGGER_ARGS
        args = []
        for i, a in enumerate(updated.args):
            if a.star:
                ctx.todo(original, CODE, "pass the logger arguments by name to MMLogger.get_instance")
                return updated
            if a.keyword is None:
                a = a.with_changes(keyword=cst.Name(order[i]), equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""),
                    whitespace_after=cst.SimpleWhitespace("")))
            args.append(a)
        ctx.add_import("mmengine.logging", "MMLogger")
        ctx.drop_if_unused(q.rpartition(".")[0], q.rpartition(".")[2])
        ctx.applied(CODE)
        if root and not args:
            return cst.parse_expression("MMLogger.get_current_instance()")
        if root:
            pkg = q.split(".")[0]
            args = [cst.Arg(cst.SimpleString(f"'{pkg}'"))] + args
        else:
            name = [a for a in args if a.keyword.value == "name"]
            args = [a.with_changes(keyword=None, equal=cst.MaybeSentinel.DEFAULT) for a in name] + \
                   [a for a in args if a.keyword.value != "name"]
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return cst.Call(cst.parse_expression("MMLogger.get_instance"), args)
