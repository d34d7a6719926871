"""The code-migration engine: one libcst walk shared by every fixer.

`migrate_source(text, path, target)` parses a module once, resolves names with libcst's
`QualifiedNameProvider` (so `from mmcv.runner import Hook as H`, `import mmcv.runner as R` and
`mmcv.runner.Hook` all read as `mmcv.runner.Hook`), and walks the tree once. On every node the
engine calls, in fixer order, each fixer's `visit_<Node>(ctx, node)` / `leave_<Node>(ctx, original,
updated)`. Fixers ask `ctx` for qualified names and for the class/method they are in, and record
imports to add (`AddImportsVisitor`), imports that may have become unused (`RemoveImportsVisitor`)
and findings. A finding with `todo=True` also becomes a `# TODO(migrate): ...` comment above the
statement it was found in; the statement itself stays as it was.

All or nothing per file: if a fixer fails or the result does not compile, the text is returned
unchanged with an error finding. `target='runtime'` maps `mmengine.X` imports to the bundled
`runtime.X` when the runtime provides the name (checked statically in runtime/'s sources), else
the use gets a TODO.

Train/test scripts and `apis/train.py`-style modules are first rewritten by
`scripts.rewrite_script` (templates); the fixers then run on its output, and its findings join
the file's as MC5xx (SCRIPT_CODES).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, ImportItem, RemoveImportsVisitor
from libcst.metadata import (MetadataWrapper, ParentNodeProvider, PositionProvider,
                             QualifiedNameProvider)

from .runtime_names import runtime_provides

TODO_PREFIX = "# TODO(migrate): "


@dataclass
class Finding:
    code: str          # rule code, e.g. MC201
    line: int
    message: str
    todo: bool = False  # not migrated: a TODO comment marks it in the output

    def __str__(self) -> str:
        return f"{self.line}: {self.code} {'TODO ' if self.todo else ''}{self.message}"


@dataclass
class CodeResult:
    path: str
    text: str
    new_text: str
    findings: List[Finding] = field(default_factory=list)
    rules: List[str] = field(default_factory=list)
    error: Optional[str] = None

    @property
    def changed(self) -> bool:
        return self.new_text != self.text

    @property
    def todos(self) -> List[Finding]:
        return [f for f in self.findings if f.todo]


@dataclass
class Scope:
    """The class or function the walk is in (innermost last on ctx.stack)."""
    node: cst.CSTNode
    kind: str                      # class kinds: hook | lr_hook | runner | constructor | model | ''
    info: dict = field(default_factory=dict)


class Ctx:
    """What a fixer may ask and record during the walk."""

    def __init__(self, engine: "Engine", target: str, path: str = ""):
        self._engine = engine
        self.target = target
        self.path = path if path and not path.startswith("<") else ""   # the module's file
        self.stack: List[Scope] = []
        self.findings: List[Finding] = []
        self.rules: List[str] = []
        self.imports: List[Tuple[str, Optional[str], Optional[str]]] = []
        self.maybe_unused: List[Tuple[str, Optional[str], Optional[str]]] = []
        self._pending: List[List[str]] = []    # TODO lines per open statement
        self.header: Sequence[cst.EmptyLine] = ()   # the module's leading comments
        self.local_kinds: Dict[str, str] = {}         # class name -> kind, for local subclasses
        self.flags: Set[str] = set()                  # per-file facts fixers share ('lr_hooks')

    # ---- names ----
    def qnames(self, node: cst.CSTNode) -> Set[str]:
        return {q.name for q in self._engine.get_metadata(QualifiedNameProvider, node, set())}

    def qname_in(self, node: cst.CSTNode, table) -> Optional[str]:
        from .tables import NAMES, lookup
        for q in sorted(self.qnames(node)):
            if q in table:
                return q
            if table is NAMES and lookup(q):
                return lookup(q)
        return None

    def api_qnames(self, node: cst.CSTNode) -> Set[str]:
        """Qualified names with submodule paths folded (mmcv.runner.hooks.logger.X ->
        mmcv.runner.X), for matching against the tables."""
        from .tables import lookup
        return {lookup(q) or q for q in self.qnames(node)}

    def line(self, node: cst.CSTNode) -> int:
        try:
            return self._engine.get_metadata(PositionProvider, node).start.line
        except KeyError:
            return 0

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        return self._engine.get_metadata(ParentNodeProvider, node, None)

    # ---- where we are ----
    def cls(self) -> Optional[Scope]:
        for s in reversed(self.stack):
            if isinstance(s.node, cst.ClassDef):
                return s
        return None

    def method(self) -> Optional[Scope]:
        """The function directly inside the innermost class, if the walk is in one."""
        for i in range(len(self.stack) - 1, 0, -1):
            if isinstance(self.stack[i].node, cst.FunctionDef) and \
                    isinstance(self.stack[i - 1].node, cst.ClassDef):
                return self.stack[i]
        return None

    # ---- records ----
    def module(self, mmengine_module: str) -> str:
        if self.target == "runtime" and mmengine_module.startswith("mmengine"):
            return "runtime" + mmengine_module[len("mmengine"):]
        return mmengine_module

    def can_import(self, mmengine_module: str, name: str) -> bool:
        return self.target != "runtime" or runtime_provides(self.module(mmengine_module), name)

    def add_import(self, mmengine_module: str, name: Optional[str] = None,
                   asname: Optional[str] = None) -> None:
        self.imports.append((self.module(mmengine_module), name, asname))

    def drop_if_unused(self, module: str, name: Optional[str] = None,
                       asname: Optional[str] = None) -> None:
        self.maybe_unused.append((module, name, asname))

    def applied(self, code: str) -> None:
        if code not in self.rules:
            self.rules.append(code)

    def note(self, node: cst.CSTNode, code: str, message: str) -> None:
        """Migrated, with something the user should know (a warning in the report)."""
        self.applied(code)
        self.findings.append(Finding(code, self.line(node), message))

    def todo(self, node: cst.CSTNode, code: str, message: str) -> None:
        """Not migrated: a TODO comment above the enclosing statement, and a finding."""
        self.findings.append(Finding(code, self.line(node), message, todo=True))
        if self._pending:
            self._pending[-1].append(f"{TODO_PREFIX}{message} [{code}]")


# scripts.rewrite_script's finding rules -> the engine's rule codes
SCRIPT_CODES = {"scripts.train": "MC501", "scripts.test": "MC502", "scripts.apis": "MC503"}


def script_findings(found) -> List[Finding]:
    """rewrite_script's dict findings `{kind, rule, message, line?}` as engine Findings."""
    return [Finding(code=SCRIPT_CODES.get(f.get("rule"), "MC500"), line=f.get("line", 0),
                    message=f["message"], todo=f["kind"] == "todo") for f in found]


_STATEMENT = (cst.SimpleStatementLine, cst.BaseCompoundStatement)
# Every rewrite starts from a name imported from mmcv or a codebase's get_root_logger, or an
# import of a project's runner class (MC304).
_TRIGGERS = ("mmcv", "get_root_logger", "Runner")


class Engine(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (QualifiedNameProvider, PositionProvider, ParentNodeProvider)

    def __init__(self, fixers: Sequence, target: str, path: str = ""):
        super().__init__()
        self.ctx = Ctx(self, target, path)
        self.fixers = list(fixers)
        self._visit: Dict[str, list] = {}
        self._leave: Dict[str, list] = {}
        for f in self.fixers:
            for attr in dir(f):
                if attr.startswith("visit_"):
                    self._visit.setdefault(attr[6:], []).append(getattr(f, attr))
                elif attr.startswith("leave_"):
                    self._leave.setdefault(attr[6:], []).append(getattr(f, attr))
        from .classes import classify_class
        self._classify = classify_class

    def on_visit(self, node: cst.CSTNode) -> bool:
        ctx = self.ctx
        if isinstance(node, cst.Module):
            ctx.header = node.header
        if isinstance(node, _STATEMENT):
            ctx._pending.append([])
        if isinstance(node, cst.ClassDef):
            ctx.stack.append(Scope(node, self._classify(ctx, node)))
        elif isinstance(node, cst.FunctionDef):
            ctx.stack.append(Scope(node, ""))
        for fn in self._visit.get(type(node).__name__, ()):
            fn(ctx, node)
        return True

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):
        ctx = self.ctx
        for fn in self._leave.get(type(original).__name__, ()):
            if not isinstance(updated, type(original)):
                break                           # a previous fixer replaced the node
            updated = fn(ctx, original, updated)
        if isinstance(original, (cst.ClassDef, cst.FunctionDef)):
            ctx.stack.pop()
        if isinstance(original, _STATEMENT):
            lines = ctx._pending.pop()
            if lines and isinstance(updated, cst.FlattenSentinel) and updated.nodes and \
                    isinstance(updated.nodes[0], _STATEMENT):      # one statement became several
                updated = cst.FlattenSentinel([_with_comments(updated.nodes[0], lines, ctx.header),
                                               *updated.nodes[1:]])
            elif lines and isinstance(updated, _STATEMENT):
                updated = _with_comments(updated, lines, ctx.header)
            elif lines and ctx._pending:
                ctx._pending[-1].extend(lines)  # the statement was replaced: comment the parent
        return updated


def _with_comments(stmt, lines: List[str], header=()):
    have = {ll.comment.value for ll in (*header, *stmt.leading_lines) if ll.comment is not None}
    new = [cst.EmptyLine(comment=cst.Comment(t)) for t in dict.fromkeys(lines) if t not in have]
    if not new:
        return stmt
    return stmt.with_changes(leading_lines=[*stmt.leading_lines, *new])


def migrate_source(text: str, path: str = "<string>", target: str = "mmengine") -> CodeResult:
    """Migrate one Python module's MMCV 1.x runner code to MMEngine (or the bundled runtime)."""
    if target not in ("mmengine", "runtime"):
        raise ValueError(f"target must be 'mmengine' or 'runtime', not {target!r}")
    from .fixers import FIXERS
    res = CodeResult(path, text, text)
    pre: List[Finding] = []
    if any(word in text for word in _TRIGGERS):
        from .scripts import rewrite_script
        try:
            script = rewrite_script(text, path, target)
        except cst.ParserSyntaxError:
            script = None                   # reported with its location below
        except Exception as exc:            # the template rewrite failed: the file stays as it was
            res.error = f"{path}: internal: script migration failed ({type(exc).__name__}: {exc})"
            return res
        if script is not None:
            text, pre = script[0], script_findings(script[1])
    if not any(word in text for word in _TRIGGERS):
        try:                        # nothing of MMCV's runner API can be in this module
            compile(text, path, "exec", dont_inherit=True)
        except SyntaxError as exc:
            res.error = f"{path}:{exc.lineno}: cannot parse: {exc.msg}"
        else:
            res.new_text, res.findings = text, pre
            res.rules = list(dict.fromkeys(f.code for f in pre if not f.todo))
        return res
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        line, msg = exc.raw_line, exc.message
        try:
            compile(text, path, "exec")
        except SyntaxError as py_exc:          # Python's own location is the precise one
            line, msg = py_exc.lineno, py_exc.msg
        res.error = f"{path}:{line}: cannot parse: {msg}"
        return res
    try:
        engine = Engine([f() for f in FIXERS], target, path)
        new = MetadataWrapper(module).visit(engine)
        ctx = engine.ctx
        # libcst cannot sort `Hook as H` against `Hook` in one batch: aliased ones go first
        wanted = list(dict.fromkeys(ctx.imports))
        for batch in ([i for i in wanted if i[2]], [i for i in wanted if not i[2]]):
            if batch:
                new = AddImportsVisitor(CodemodContext(filename=path),
                                        [ImportItem(*i) for i in batch]).transform_module(new)
        context2 = CodemodContext(filename=path)
        for mod, name, asname in ctx.maybe_unused:
            RemoveImportsVisitor.remove_unused_import(context2, mod, name, asname)
        if ctx.maybe_unused:
            new = RemoveImportsVisitor(context2).transform_module(new)
        from .fixers.residual import residual_imports
        new = residual_imports(new, ctx)
        new_text = new.code
        compile(new_text, path, "exec")
    except SyntaxError as exc:      # all or nothing: never hand back a broken file
        res.error = f"{path}:{exc.lineno}: internal: the rewrite does not compile: {exc.msg}"
        return res
    except Exception as exc:        # a fixer failed: the file stays as it was
        res.error = f"{path}: internal: code migration failed ({type(exc).__name__}: {exc})"
        return res
    res.new_text = new_text
    res.findings = sorted(pre + ctx.findings, key=lambda f: (f.line, f.code))
    res.rules = list(dict.fromkeys([f.code for f in pre if not f.todo] + ctx.rules))
    return res
