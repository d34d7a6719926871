"""A file's libcst module with its statements left unparsed until emission needs them.

Tree emission keeps most top-level statements of a file as written and edits a few. Parsing the
whole file with libcst was the largest single cost of a tree conversion (as much as the parse
floor of benchmarks/convert_tree.py), so the module is parsed from a skeleton instead: every
top-level statement's source, located with the Python syntax tree the loader already has, is
replaced by one placeholder name (emit/texts.py), while everything between statements (comments,
blank lines, the trailing comment and `;` of each statement line) stays as written. libcst
gives the skeleton the module header, footer and leading lines the whole file gives, and renders
a placeholder as the statement's source, byte for byte. A statement emission edits is parsed
alone (`LazyModule.real`), from the full lines it spans, and takes the skeleton's leading lines.

Only files whose top level is a sequence of simple statements, one per logical line, each
starting a line, are read this way (config files, in practice); for any other the caller parses
the whole text (`lazy_module` returns None).
"""
from __future__ import annotations

import ast
from typing import Dict, List, Optional

import libcst as cst

from .texts import Texts

_COMPOUND = tuple(getattr(ast, n) for n in (
    "If", "For", "AsyncFor", "While", "Try", "TryStar", "With", "AsyncWith", "FunctionDef",
    "AsyncFunctionDef", "ClassDef", "Match") if hasattr(ast, n))


def assigned_names(tree: ast.Module) -> List[Optional[str]]:
    """The name each top-level statement of the Python syntax tree assigns alone (`x = ...`),
    else None. Statements sharing a line (`a = 1; b = 2`) are one libcst statement line holding
    one small statement each, in the same order (emit/tree.py pairs them)."""
    return [_assigned(stmt) for stmt in tree.body]


def _assigned(stmt: ast.stmt) -> Optional[str]:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
            and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id
    return None


class LazyModule:
    """`module`: the skeleton's libcst module (one placeholder statement per statement of the
    file); `real(i)`: statement i as libcst parses it within the whole file."""

    def __init__(self, module: cst.Module, chunks: List[str]):
        self.module = module
        self._chunks = chunks

    def real(self, i: int) -> cst.BaseStatement:
        skeleton = self.module.body[i]
        chunk = self._chunks[i]
        stmt = _STATEMENTS.get(chunk)
        if stmt is None:
            if len(_STATEMENTS) >= 4096:
                _STATEMENTS.clear()
            stmt = _STATEMENTS[chunk] = cst.parse_module(chunk).body[0]
        return stmt.with_changes(leading_lines=skeleton.leading_lines)


# statement source -> its libcst statement, for one tree run (`clear_statements` at its start
# and end): the configs of a tree repeat their pipelines and models word for word, and libcst
# nodes are immutable (an edit makes new ones)
_STATEMENTS: Dict[str, cst.BaseStatement] = {}


def clear_statements() -> None:
    _STATEMENTS.clear()


def lazy_module(text: str, tree: ast.Module, texts: Texts) -> Optional[LazyModule]:
    """The skeleton module of `text` (parsed as `tree`), its placeholders registered in `texts`;
    None when `text` is not a plain sequence of simple statements (see the module docstring)."""
    if "\r" in text or not tree.body:
        return None
    starts = [0]                                   # offset of each line
    for line in text.split("\n")[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    pieces: List[str] = []
    chunks: List[str] = []
    pos, end_line = 0, 0
    for stmt in tree.body:
        last = stmt.end_lineno
        if isinstance(stmt, _COMPOUND) or stmt.col_offset != 0 or last is None \
                or stmt.lineno <= end_line:
            return None
        begin = starts[stmt.lineno - 1]
        line_end = text.find("\n", starts[last - 1])
        line_end = len(text) if line_end < 0 else line_end
        line = text[starts[last - 1]:line_end]
        col = stmt.end_col_offset
        if not line.isascii():                     # ast columns count UTF-8 bytes
            col = len(line.encode("utf-8")[:col].decode("utf-8"))
        stop = starts[last - 1] + col
        if "\\" in text[stop:line_end]:            # a continuation line after the statement
            return None
        pieces += [text[pos:begin], texts.token(text[begin:stop])]
        chunks.append(text[begin:line_end + 1])
        pos, end_line = stop, last
    pieces.append(text[pos:])
    try:
        module = cst.parse_module("".join(pieces))
    except cst.ParserSyntaxError:
        return None
    if len(module.body) != len(chunks):
        return None
    return LazyModule(module, chunks)
