"""Where a config file's values came from: base references and string expressions.

The static evaluator gives values only; emission of a tree needs to write some of them back the
way the user wrote them, so that the output stays as short and as editable as the input:

* `{{_base_.dataset_info}}` (MMCV's and MMEngine's placeholder for a value of the merged bases,
  substituted after the file ran) and `_base_.model.backbone` (MMEngine binds the name `_base_`
  to the merged bases while the file runs). MMEngine 0.10 accepts the placeholder only as a whole
  value, with a dotted path of keys (`[\\w.]+`; it writes a quoted placeholder string in its
  place and substitutes it afterwards, so inside a longer string it is not substituted), so only
  such references are recorded for writing back.
* string expressions built from the file's variables (`f'{data_root}/annotations/x.json'`,
  `data_root + 'train/'`): their source is kept, so a moved value still follows `data_root`.

`TracingInterpreter` records both while it evaluates; `Trace` is what the loader keeps per file.
Emission decides where each may be written (`emit.values.Names`), and the tree's self-check
proves every use.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from .static_eval import Interpreter

BASE = "_base_"


@dataclass
class Trace:
    """refs: dotted path in the merged bases -> the text the file wrote (`{{_base_.a.b}}` or
    `_base_.a.b`); exprs: string value -> source of the expression that built it."""
    refs: Dict[str, str] = field(default_factory=dict)
    exprs: Dict[str, str] = field(default_factory=dict)

    def resolved(self, base: Dict[str, Any]) -> List[Tuple[str, Any]]:
        """(reference text, value in `base`) for every recorded reference `base` still has."""
        out = []
        for path, text in self.refs.items():
            cur: Any = base
            for part in path.split("."):
                if type(cur) is not dict or part not in cur:
                    break
                cur = cur[part]
            else:
                out.append((text, cur))
        return out


def _dotted(n: ast.expr) -> Optional[str]:
    """`_base_.a.b` -> 'a.b' (attribute chains on the name `_base_` only), else None."""
    parts = []
    while isinstance(n, ast.Attribute):
        parts.append(n.attr)
        n = n.value
    if isinstance(n, ast.Name) and n.id == BASE and parts:
        return ".".join(reversed(parts))
    return None


def _uses_names(n: ast.expr) -> bool:
    return any(isinstance(x, ast.Name) for x in ast.walk(n))


class TracingInterpreter(Interpreter):
    """The static evaluator, recording base references and string expressions (see module)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.trace = Trace()
        self._exprs: Dict[str, ast.expr] = {}

    def _e_Set(self, n: ast.Set):
        out = super()._e_Set(n)
        if len(n.elts) == 1 and isinstance(n.elts[0], ast.Set) and len(n.elts[0].elts) == 1:
            path = _dotted(n.elts[0].elts[0])
            if path is not None:
                self.trace.refs[path] = "{{_base_.%s}}" % path
        return out

    def _e_Attribute(self, n: ast.Attribute):
        out = super()._e_Attribute(n)
        path = _dotted(n)
        if path is not None and BASE not in self.ns:
            self.trace.refs.setdefault(path, f"{BASE}.{path}")
        return out

    def _record(self, n: ast.expr, out: Any) -> Any:
        if type(out) is str and len(out) >= 4 and not self.scopes and out not in self._exprs \
                and _uses_names(n):
            self._exprs[out] = n
        return out

    def _e_JoinedStr(self, n: ast.JoinedStr):
        return self._record(n, super()._e_JoinedStr(n))

    def _e_BinOp(self, n: ast.BinOp):
        return self._record(n, super()._e_BinOp(n))

    def finish(self) -> Trace:
        """The trace, with expression sources rendered (once, after the file ran)."""
        for value, node in self._exprs.items():
            try:
                self.trace.exprs[value] = ast.unparse(node)
            except Exception:          # noqa: BLE001 - an unprintable node: not written back
                pass
        return self.trace
