"""Stated deviations of approximate conversions: where and how large, checked exactly.

A fixture whose conversion is a documented approximation states, in its old file's header,

    # deviation: lr iters=<a>..<b> max=<m> at=<k>

meaning: |MMEngine lr - MMCV lr| / base lr is 0 (to 1e-9 relative) at every iteration outside
a..b, at most m inside, and its largest value is m (to 1e-6 relative), reached at iteration k.
`a`, `b`, `m`, `k` are arithmetic expressions of `L` (iterations per epoch) and `I` (total
iterations), e.g. `iters=1..2*L-1 max=0.9/(2*L) at=2*L-1`. A wrong conversion moves the deviation
somewhere else or makes it larger; a conversion that became exact makes the statement fail too
(stale statements do not survive).
"""
from __future__ import annotations

import ast
import operator
import re
from typing import Dict, List, Optional

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Pow: operator.pow}
LINE = re.compile(r"^#\s*deviation:\s*(\w+)\s+iters=(\S+)\.\.(\S+)\s+max=(\S+)\s+at=(\S+)\s*$", re.M)


def _eval(expr: str, names: Dict[str, float]):
    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name) and node.id in names:
            return names[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        raise ValueError(f"deviation: unsupported expression {expr!r}")
    return ev(ast.parse(expr, mode="eval"))


def stated(text: str) -> Dict[str, tuple]:
    """field -> (a, b, max, at) expression strings, from a fixture's header."""
    return {m.group(1): m.groups()[1:] for m in LINE.finditer(text)}


def check(got: List[float], want: List[float], base: float, statement: Optional[tuple],
          what: str, L: int) -> None:
    """Assert the MMEngine trace `got` matches MMCV's `want` as stated (exactly if no statement)."""
    assert len(got) == len(want), (what, len(got), len(want))
    names = {"L": L, "I": len(got)}
    if statement is None:
        a, b, top, at = 0, -1, 0.0, None
    else:
        a, b, top, at = (_eval(s, names) for s in statement)
    dev = [abs(x - y) / base for x, y in zip(got, want)]
    for i, (d, x, y) in enumerate(zip(dev, got, want)):
        if not a <= i <= b:
            assert abs(x - y) <= 1e-9 * max(abs(x), abs(y)) + 1e-15 * base, \
                f"{what} at iteration {i} (outside the stated {a}..{b}): MMEngine {x!r} vs MMCV {y!r}"
    if statement is None:
        return
    inside = dev[a:b + 1]
    worst = max(inside)
    k = a + inside.index(worst)
    assert worst <= top * (1 + 1e-6), \
        f"{what}: deviation {worst:.6g} x base lr at iteration {k} exceeds the stated {top:.6g}"
    assert worst >= top * (1 - 1e-6) and k == at, \
        f"{what}: stated max deviation {top:.6g} at iteration {at}, measured {worst:.6g} at {k}"
