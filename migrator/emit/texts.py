"""Source text placed into a libcst tree without parsing it.

Emission writes new values as text (`values.format_value`, valid Python by construction) inside
a file's libcst tree. Parsing each text back into libcst nodes cost as much as half of parsing the
whole tree again, so a placeholder name stands for the text until the module is rendered:
`code_of` renders a node and puts the texts back. libcst renders a parsed expression exactly as
its source, so the output is the one a parse would give, byte for byte; the tree's self-check
loads every output back.
"""
from __future__ import annotations

import os
import re
from typing import Dict

import libcst as cst

_TAG = f"__mmmigrate_text_{os.getpid():x}_"     # not a name a config could use by accident
_RE = re.compile(re.escape(_TAG) + r"\d+__")
_TEXTS: Dict[str, str] = {}


def expression(code: str) -> cst.Name:
    """A node rendered as `code` by `code_of` (`code`: one Python expression)."""
    token = f"{_TAG}{len(_TEXTS)}__"
    _TEXTS[token] = code
    return cst.Name(token)


def resolve(text: str) -> str:
    """`text` with every placeholder replaced by the source it stands for."""
    if _TAG not in text:
        return text
    return _RE.sub(lambda m: _TEXTS.get(m.group(0), m.group(0)), text)


def code_of(node: cst.CSTNode) -> str:
    """The source of `node` (a module, or any node as written inside one)."""
    if isinstance(node, cst.Module):
        return resolve(node.code)
    return resolve(cst.Module([]).code_for_node(node))


def reset() -> None:
    """Forget the texts (at the start of each file: placeholders never outlive one render)."""
    _TEXTS.clear()
