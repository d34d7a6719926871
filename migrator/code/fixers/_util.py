"""Small libcst helpers shared by the fixers."""
from __future__ import annotations

from typing import Optional

import libcst as cst


def dotted(node: Optional[cst.BaseExpression]) -> Optional[str]:
    """'a.b.c' for Name/Attribute chains, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted(node.value)
        return f"{head}.{node.attr.value}" if head else None
    return None


def expr(code: str) -> cst.BaseExpression:
    return cst.parse_expression(code)


def stmt(code: str) -> cst.BaseStatement:
    return cst.parse_statement(code)


def code_of(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def root_name(node: cst.BaseExpression) -> Optional[cst.Name]:
    while isinstance(node, (cst.Attribute, cst.Subscript, cst.Call)):
        node = node.value if not isinstance(node, cst.Call) else node.func
    return node if isinstance(node, cst.Name) else None


def params_of(fn: cst.FunctionDef):
    return [p.name.value for p in fn.params.params]


def runner_param(fn: cst.FunctionDef) -> Optional[str]:
    """The name of a hook method's `runner` parameter (the one after `self`)."""
    names = params_of(fn)
    return names[1] if len(names) > 1 else None


def string_value(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value if isinstance(node.evaluated_value, str) else None
    return None
