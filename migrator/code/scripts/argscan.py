"""Read what an old script's argparse setup declares, with libcst (nothing is executed).

`scan(module)` finds the function that creates `argparse.ArgumentParser(...)` (mmdet/mmcls/mmseg
call it `parse_args`) and returns, in source order, its option groups and `add_argument` calls:
the option strings, the argparse `dest`, the receiver (the parser or a group variable) and the
statement's source text, which the new script copies verbatim for the options it keeps.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

import libcst as cst
import libcst.matchers as m


@dataclass
class Argument:
    names: List[str]            # option strings as written: ['--gpu-ids'] or ['config']
    dest: str                   # argparse's dest: explicit dest=..., else derived like argparse
    receiver: str               # 'parser' or the group variable
    source: str                 # the whole statement, e.g. "parser.add_argument('--seed', ...)"
    line: int

    @property
    def key(self) -> str:
        """The name the option tables use: the first long option, else the positional name."""
        longs = [n for n in self.names if n.startswith("--")]
        return longs[0] if longs else self.names[0]


@dataclass
class Group:
    name: str                   # variable bound to the group
    receiver: str
    source: str                 # "group_gpus = parser.add_mutually_exclusive_group()"


@dataclass
class Setup:
    """Another assignment in the parser's function before `parse_args()` (e.g. mmcls's
    `out_options = [...]`, used by a `choices=`): copied verbatim before the options."""
    source: str
    receiver: str = ""
    function: Optional[str] = None


@dataclass
class ArgSpec:
    function: Optional[str] = None          # name of the function building the parser
    parser: Optional[str] = None            # its variable name
    description: Optional[str] = None       # source of the description= expression
    items: List[object] = field(default_factory=list)   # Setup | Group | Argument, in order

    @property
    def arguments(self) -> List[Argument]:
        return [i for i in self.items if isinstance(i, Argument)]

    def find(self, key: str) -> Optional[Argument]:
        return next((a for a in self.arguments if key in a.names), None)


def _str(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.SimpleString):
        v = node.evaluated_value
        return v if isinstance(v, str) else None
    return None


def _dest(names: List[str], call: cst.Call) -> str:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "dest":
            v = _str(arg.value)
            if v:
                return v
    longs = [n for n in names if n.startswith("--")]
    shorts = [n for n in names if n.startswith("-") and not n.startswith("--")]
    first = longs[0] if longs else shorts[0] if shorts else names[0]
    return first.lstrip("-").replace("-", "_")


_PARSER = m.Call(func=m.Attribute(value=m.Name("argparse"), attr=m.Name("ArgumentParser"))
                 | m.Name("ArgumentParser"))


class _Scanner(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (cst.metadata.PositionProvider,)

    def __init__(self, module: cst.Module):
        self.module = module
        self.spec = ArgSpec()
        self._func: List[str] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._func.append(node.name.value)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._func.pop()

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        stmt = node.body[0] if len(node.body) == 1 else None
        src = self.module.code_for_node(node).strip()
        line = self.get_metadata(cst.metadata.PositionProvider, node).start.line
        if isinstance(stmt, cst.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0].target, cst.Name):
            target = stmt.targets[0].target.value
            value = stmt.value
            if m.matches(value, _PARSER) and self.spec.parser is None:
                self.spec.parser = target
                self.spec.function = self._func[-1] if self._func else None
                for arg in value.args:
                    if arg.keyword is not None and arg.keyword.value == "description":
                        self.spec.description = self.module.code_for_node(arg.value)
            elif m.matches(value, m.Call(func=m.Attribute(
                    value=m.Name(), attr=m.Name("add_mutually_exclusive_group")
                    | m.Name("add_argument_group")))):
                self.spec.items.append(Group(target, value.func.value.value, src))
            elif self._func and not m.matches(value, m.Call(func=m.Attribute(
                    attr=m.Name("parse_args") | m.Name("parse_known_args")))):
                self.spec.items.append(Setup(src, function=self._func[-1]))
        elif isinstance(stmt, cst.Expr) and m.matches(stmt.value, m.Call(
                func=m.Attribute(value=m.Name(), attr=m.Name("add_argument")))):
            call = stmt.value
            names = [s for s in (_str(a.value) for a in call.args if a.keyword is None) if s]
            if names:
                self.spec.items.append(Argument(names, _dest(names, call),
                                                call.func.value.value, src, line))


def _before_parser(item: "Setup", spec: ArgSpec) -> bool:
    """Setup statements count only until the options end (not `args.x = ...` after parsing)."""
    return not item.source.startswith("args.")


def scan(module: cst.Module) -> ArgSpec:
    wrapper = cst.metadata.MetadataWrapper(module, unsafe_skip_copy=True)
    scanner = _Scanner(module)
    wrapper.visit(scanner)
    spec = scanner.spec
    if spec.parser is not None:    # only the parser's own groups and options
        receivers = {spec.parser} | {g.name for g in spec.items if isinstance(g, Group)}
        spec.items = [i for i in spec.items if i.receiver in receivers or (
            isinstance(i, Setup) and i.function == spec.function and _before_parser(i, spec))]
    return spec
