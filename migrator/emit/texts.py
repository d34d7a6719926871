"""Source text placed into a libcst tree without parsing it.

Emission writes new values as text (`values.format_value`, valid Python by construction) inside
a file's libcst tree. Parsing each text back into libcst nodes cost as much as half of parsing the
whole tree again, so a placeholder name stands for the text until the module is rendered:
`Texts.code_of` renders a node and puts the texts back. libcst renders a parsed expression
exactly as its source, so the output is the one a parse would give, byte for byte; the tree's
self-check loads every output back. The same placeholders stand for whole statements kept as
written (emit/lazy.py).

The registry is per emission (one `Texts` per rendered file): placeholders never outlive the
render that made them, and two emissions never share one.
"""
from __future__ import annotations

import os
import re
from typing import Dict

import libcst as cst

_TAG = f"__mmmigrate_text_{os.getpid():x}_"     # not a name a config could use by accident
_RE = re.compile(re.escape(_TAG) + r"\d+__")


class Texts:
    """Placeholder names and the source each stands for, for one emission."""

    def __init__(self) -> None:
        self._texts: Dict[str, str] = {}

    def token(self, code: str) -> str:
        """A fresh placeholder name that `resolve` replaces by `code`."""
        token = f"{_TAG}{len(self._texts)}__"
        self._texts[token] = code
        return token

    def expression(self, code: str) -> cst.Name:
        """A node rendered as `code` by `code_of` (`code`: one Python expression)."""
        return cst.Name(self.token(code))

    def resolve(self, text: str) -> str:
        """`text` with every placeholder replaced by the source it stands for."""
        if _TAG not in text:
            return text
        return _RE.sub(lambda m: self._texts.get(m.group(0), m.group(0)), text)

    def code_of(self, node: cst.CSTNode) -> str:
        """The source of `node` (a module, or any node as written inside one)."""
        if isinstance(node, cst.Module):
            return self.resolve(node.code)
        return self.resolve(cst.Module([]).code_for_node(node))
