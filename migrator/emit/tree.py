"""Structure-preserving tree emission: each output file corresponds to its input file.

MMCV and MMEngine share `_base_` inheritance (recursive dict merge, child wins, lists replaced,
`_delete_=True`, duplicate keys among the bases of one file are an error). For every file F of a
tree, with bases converted first, we write the file a maintainer would write:

* the flat conversion `want = rules(merge(F))` is the target;
* `have` = what F's converted bases give once merged (loaded back from the staged output);
* F's own statements are kept verbatim (comments, user variables, `_base_`) whenever merging them
  onto `have` still gives `want`; old-style statements are removed and the new fields take their
  place; any other difference is written as a minimal override dict (`_delete_=True` only where a
  merge cannot express the change; lists restated only when they changed);
* the result is loaded back and compared with `want` before it is accepted (the equivalence
  invariant), so a file is never written wrong.
"""
from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

import libcst as cst

from ..check import old_fields
from ..errors import MigrateError
from ..load import parse_python
from ..report import Finding, Report
from .flat import FIELD_ORDER, assignment, finding_comment
from ..provenance import Trace
from .lazy import assigned_names, lazy_module
from .texts import Texts
from .values import Names

from .merge import MISSING, NAN, merge_override, normalize, override, same  # noqa: F401
from .patch import patch_value

# Which new top-level fields an old field turns into: new fields are written where the first old
# field that produces them stood (so they appear where a reader expects them).
from migrator.rules.ownership import NEW_FROM_OLD  # noqa: E402 (the one ownership table)

@dataclass
class Statement:
    node: cst.BaseStatement
    name: Optional[str] = None          # single-name assignment target
    action: str = "keep"                 # keep | drop | replace
    new_value: Any = MISSING
    inserted: List[str] = field(default_factory=list)   # new fields written before this statement
    patch: Optional[Tuple[Any, Any]] = None   # (base value, wanted value): edit in place
    comments: List[str] = field(default_factory=list)
    index: int = 0                       # the statement line of the module it comes from
    line: Optional[cst.SimpleStatementLine] = None   # that line, when statements share it
    part: int = 0                        # and which of its statements this one is


def plan_statements(module: cst.Module, names: List[Optional[str]], own: Dict[str, Any],
                    old_names: Set[str], have: Dict[str, Any],
                    want: Dict[str, Any]) -> Tuple[List[Statement], Dict[str, Any]]:
    """Decide keep/drop/replace per top-level statement (`names`: what each statement of the
    Python syntax tree assigns, `lazy.assigned_names`); return the fields still to insert.
    Statements sharing a line (`a = 1; b = 2`: one libcst statement line) are planned one by
    one, each as a line of its own (`Statement.line` is the line they share)."""
    stmts: List[Statement] = []
    for i, node in enumerate(module.body):
        parts = node.body if isinstance(node, cst.SimpleStatementLine) else [node]
        if len(stmts) + len(parts) > len(names):
            break
        if len(parts) == 1:
            stmts.append(Statement(node, names[len(stmts)], index=i))
            continue
        for j, small in enumerate(parts):
            alone = cst.SimpleStatementLine(
                body=[small.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)],
                leading_lines=node.leading_lines if j == 0 else [],
                trailing_whitespace=node.trailing_whitespace if j == len(parts) - 1
                else cst.TrailingWhitespace())
            stmts.append(Statement(alone, names[len(stmts)], index=i, line=node, part=j))
    if len(stmts) != len(names) or (stmts and stmts[-1].index != len(module.body) - 1):
        raise MigrateError("internal: the Python and libcst syntax trees disagree on the "
                           "top-level statements; please report this bug")
    return _plan(stmts, own, old_names, have, want)


def _plan(stmts: List[Statement], own: Dict[str, Any], old_names: Set[str],
          have: Dict[str, Any], want: Dict[str, Any]) -> Tuple[List[Statement], Dict[str, Any]]:
    last: Dict[str, int] = {}
    for i, s in enumerate(stmts):
        if s.name:
            last[s.name] = i
    covered: Set[str] = set()
    for i, s in enumerate(stmts):
        if s.name in old_names and s.name != "_base_":
            s.action = "drop"            # every assignment of an old field, not only the last
            continue
        if not s.name or last[s.name] != i or s.name == "_base_":
            continue
        name = s.name
        if name in old_names or name not in want:
            s.action = "drop"
            continue
        covered.add(name)
        result = merge_override(have.get(name, MISSING), own.get(name, MISSING))
        if not same(result, want[name]):
            s.action = "replace"
            s.new_value = override(have.get(name, MISSING), want[name])
            s.patch = (have.get(name, MISSING), want[name])
    missing: Dict[str, Any] = {}
    for k, v in want.items():
        if k in covered:
            continue
        if k in have and same(have[k], v):
            continue
        missing[k] = override(have.get(k, MISSING), v)
    return stmts, missing


def place_new_fields(stmts: List[Statement], missing: Dict[str, Any]) -> List[str]:
    """Attach each missing field to the first dropped old statement that produces it.
    Returns the fields that go at the end of the file (in MMEngine's field order)."""
    rest = list(missing)
    for s in stmts:
        if s.action != "drop" or not s.name:
            continue
        for new in NEW_FROM_OLD.get(s.name, ()):
            if new in rest:
                rest.remove(new)
                s.inserted.append(new)
    order = {k: i for i, k in enumerate(FIELD_ORDER)}
    return sorted(rest, key=lambda k: (order.get(k, order["<unknown>"]), list(missing).index(k)))


def _has_delete(v: Any) -> bool:
    """`_delete_` anywhere in `v`: MMEngine's merge pops it from the dict it merges, so a value
    holding one must never be shared by two names."""
    if isinstance(v, dict):
        return "_delete_" in v or any(_has_delete(x) for x in v.values())
    if isinstance(v, (list, tuple)):
        return any(_has_delete(x) for x in v)
    return False


@dataclass
class Known:
    """What emission may refer to besides the file's variables: fields written above (by name),
    references to the converted bases and the input's string expressions (provenance.Trace)."""
    refs: List[Tuple[str, Any]] = field(default_factory=list)
    exprs: Dict[str, str] = field(default_factory=dict)
    emitted: List[Tuple[str, Any]] = field(default_factory=list)


def _names_before(stmts: List[Statement], upto: int, own: Dict[str, Any], exclude: str,
                  known: Optional[Known] = None) -> Names:
    pairs = []
    for s in stmts[:upto]:
        if s.name and s.action == "keep" and s.name != exclude and s.name in own:
            pairs.append((s.name, own[s.name]))
        elif s.name and s.action == "replace" and s.name != exclude and s.new_value is not MISSING \
                and not _has_delete(s.new_value):
            # a rewritten user variable (a converted pipeline) is still referred to by name
            pairs.append((s.name, s.new_value))
    # the items of a kept dict variable (`img_norm_cfg['mean']`), after every whole variable: a
    # value that moved out of the dict (Normalize -> data_preprocessor) still follows the variable
    items = [(f"{n}[{k!r}]", x) for n, v in pairs if type(v) is dict
             for k, x in v.items() if type(k) is str and type(x) in (list, tuple, dict)]
    if known is None:
        return Names(pairs, items)
    pairs += [(k, v) for k, v in known.emitted if k != exclude]
    return Names(pairs, items + list(known.refs), known.exprs)


def _comments(module: cst.Module) -> List[cst.Comment]:
    """Comments on their own lines at module level (where notes are written)."""
    out = [ln.comment for ln in module.header if ln.comment]
    for stmt in module.body:
        out += [ln.comment for ln in getattr(stmt, "leading_lines", ()) if ln.comment]
    return out + [ln.comment for ln in module.footer if ln.comment]


def render(module: cst.Module, stmts: List[Statement], tail: List[str], missing: Dict[str, Any],
           own: Dict[str, Any], findings: List[Finding], known: Optional[Known] = None,
           texts: Optional[Texts] = None) -> str:
    """The source of `module` with `stmts` applied; `texts`: the placeholders `module` and the
    statements hold (a fresh registry when None)."""
    known = known or Known()
    texts = texts or Texts()
    notes: Dict[Optional[str], List[str]] = {}
    placed = {k for s in stmts for k in s.inserted} | set(tail) | \
        {s.name for s in stmts if s.action != "drop" and s.name}
    existing = {c.value.strip() for c in _comments(module)}
    for f in findings:
        block = finding_comment(f)
        if block[0] in existing:        # already noted by an earlier run: stay idempotent
            continue
        key = f.anchor if f.anchor in placed else None
        notes.setdefault(key, []).extend(block)
    # Comments above a dropped old field move with it: above the new field it became (written
    # where an earlier old field stood), else to the next statement.
    inserted_at = {k for st in stmts for k in st.inserted} | set(tail)
    moved: Dict[str, List[cst.EmptyLine]] = {}
    keep_lead: Set[int] = set()
    for i, st in enumerate(stmts):
        if st.action != "drop" or st.inserted or not st.name:
            continue
        target = next((k for k in NEW_FROM_OLD.get(st.name, ()) if k in inserted_at), None)
        lines = [ln for ln in getattr(st.node, "leading_lines", []) if ln.comment]
        if target and lines:
            moved.setdefault(target, []).extend(lines)
        else:
            keep_lead.add(i)

    def new_field(k: str, upto: int) -> cst.SimpleStatementLine:
        stmt = assignment(k, missing[k], texts, notes.pop(k, []),
                          _names_before(stmts, upto, own, k, known))
        if not _has_delete(missing[k]):
            known.emitted.append((k, missing[k]))   # a later field equal to it says its name
        if k in moved:
            stmt = stmt.with_changes(leading_lines=moved.pop(k) + list(stmt.leading_lines))
        return stmt

    body: List[cst.BaseStatement] = []
    pending: List[cst.EmptyLine] = []   # comments of dropped statements move to the next one

    def add(node: cst.BaseStatement) -> None:
        if pending:
            node = node.with_changes(leading_lines=pending + list(node.leading_lines))
            pending.clear()
        body.append(node)

    # a line whose statements are all kept as they are stays as written; any other shared line
    # is written one statement a line
    edited = {s.index for s in stmts if s.line is not None and (s.action != "keep" or s.inserted)}
    for i, s in enumerate(stmts):
        if s.line is not None and s.index not in edited:
            if s.part == 0:
                add(_shared_line(s.line, stmts[i:i + len(s.line.body)], notes))
            continue
        if s.inserted or (s.action == "drop" and i in keep_lead):
            pending.extend(getattr(s.node, "leading_lines", []))
        for k in s.inserted:
            add(new_field(k, i))
        if s.action == "drop":
            continue
        node = s.node if not s.inserted else s.node.with_changes(leading_lines=[])
        if s.action == "replace":
            names = _names_before(stmts, i, own, s.name, known)
            expr = None
            if s.patch is not None and s.name in own:
                expr = patch_value(node.body[0].value, own[s.name], s.patch[0], s.patch[1], 0,
                                   names, texts)
            if expr is not None:
                node = node.with_changes(body=[node.body[0].with_changes(value=expr)])
            else:
                node = node.with_changes(body=assignment(s.name, s.new_value, texts, (), names).body)
        if s.name in notes:
            node = node.with_changes(leading_lines=list(node.leading_lines) + [
                cst.EmptyLine(comment=cst.Comment(t)) for t in notes.pop(s.name)])
        add(node)
    for k in tail:
        add(new_field(k, len(stmts)))
    footer = pending + list(module.footer) + [cst.EmptyLine(comment=cst.Comment(t))
                                               for ts in notes.values() for t in ts]
    return texts.code_of(module.with_changes(body=body, footer=footer))


def _shared_line(line: cst.SimpleStatementLine, parts: List[Statement],
                 notes: Dict[Optional[str], List[str]]) -> cst.SimpleStatementLine:
    """`line` (statements sharing it, all kept) as written, with the statements as emission has
    them (a `_base_` path rewritten) and the notes for any of them above it."""
    body = [p.node.body[0].with_changes(semicolon=small.semicolon)
            for p, small in zip(parts, line.body)]
    lead = list(line.leading_lines) + [cst.EmptyLine(comment=cst.Comment(t)) for p in parts
                                       for t in notes.pop(p.name, [])]
    return line.with_changes(body=body, leading_lines=lead)


class _RelativeBases(cst.CSTTransformer):
    """Absolute `_base_` paths inside the converted tree become relative to the file, so the
    output refers to its own converted bases (wherever the tree is written)."""

    def __init__(self, src: Path, root: Optional[str]):
        self.src, self.root = src, root

    def leave_SimpleString(self, original, updated):
        import os
        try:
            value = updated.evaluated_value
        except Exception:           # noqa: BLE001 - bytes or odd prefixes: leave it
            return updated
        if not isinstance(value, str) or not os.path.isabs(value) or self.root is None:
            return updated
        target = os.path.abspath(value)
        if os.path.commonpath([target, self.root]) != self.root:
            return updated
        return updated.with_changes(value=repr(os.path.relpath(target, self.src.parent)))


def _relative_bases(stmts: List[Statement], src: Path, root: Optional[str]) -> None:
    for s in stmts:
        if s.name == "_base_" and root:
            s.node = s.node.visit(_RelativeBases(src, root))


def _unchanged(src: Path, text: str, own: Dict[str, Any], old_names: Set[str],
               have: Dict[str, Any], want: Dict[str, Any], mine: List[Finding],
               forced: Set[str], root: Optional[str]) -> bool:
    """Emission would give `text` back: every statement kept, nothing to insert, no note, no
    absolute `_base_` path to rewrite. Decided without the libcst tree (most children of a tree
    only name their bases); when in doubt, False (and the file is emitted)."""
    if old_names or mine or any(k in want for k in forced):
        return False
    tree = parse_python(text, str(src))
    stmts, missing = _plan([Statement(None, n) for n in assigned_names(tree)], own, old_names,
                           have, want)
    if missing or any(st.action != "keep" for st in stmts):
        return False
    return not (root and any(_absolute_base(st) for st in tree.body))


def _absolute_base(stmt: ast.stmt) -> bool:
    """`stmt` assigns `_base_` a value holding an absolute path (rewritten relative)."""
    return isinstance(stmt, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == "_base_" for t in stmt.targets) and any(
        isinstance(n, ast.Constant) and isinstance(n.value, str) and os.path.isabs(n.value)
        for n in ast.walk(stmt.value))


def emit_tree_file(src: Path, text: str, own: Dict[str, Any], have: Dict[str, Any],
                   want: Dict[str, Any], report: Report, forced: Set[str] = frozenset(),
                   root: Optional[str] = None, trace: Optional[Trace] = None) -> str:
    """The new source of `src` given its converted bases (`have`) and its flat conversion (`want`).
    `forced` names fields that must be restated in full (`_delete_`) after a failed self-check;
    absolute `_base_` paths under `root` (the tree's root) are written relative. `trace` (from
    the loader) names the base references and string expressions the input wrote: a value equal
    to what a reference gives in the converted bases is written as that reference again."""
    texts = Texts()
    old_names = {f.field for f in old_fields(src, text)}
    mine = [f for f in report.findings if f.location is None or f.location.file in (None, str(src))]
    if _unchanged(Path(src), text, own, old_names, have, want, mine, forced, root):
        return text
    tree = parse_python(text, str(src))
    lazy = lazy_module(text, tree, texts)
    if lazy is not None:
        module = lazy.module
    else:
        try:
            module = cst.parse_module(text)
        except cst.ParserSyntaxError as exc:
            raise MigrateError(f"syntax error: {exc.message}", file=str(src),
                               line=exc.raw_line) from None
    stmts, missing = plan_statements(module, assigned_names(tree), own, old_names, have, want)
    if lazy is not None and root:       # absolute `_base_` paths are rewritten: the real statement
        for s in stmts:
            if s.name == "_base_" and _absolute_base(tree.body[s.index]):
                s.node = lazy.real(s.index)
    _relative_bases(stmts, Path(src), root)
    for k in forced:
        if k in want:
            full = want[k]
            value = {"_delete_": True, **full} if isinstance(full, dict) and isinstance(have.get(k), dict) else full
            hit = [s for s in stmts if s.name == k and s.action != "drop"]
            if hit:
                hit[-1].action, hit[-1].new_value, hit[-1].patch = "replace", value, None
            else:
                missing[k] = value
    tail = place_new_fields(stmts, missing)
    if lazy is not None:                # a statement emission edits: parsed now
        for s in stmts:
            if s.action == "replace":
                s.node = lazy.real(s.index)
    known = Known(refs=trace.resolved(have) if trace else [],
                  exprs=trace.exprs if trace else {})
    # a variable of the converted bases (`data_preprocessor`, `dataset_info`): `_base_.name`
    known.refs += [(f"_base_.{k}", v) for k, v in have.items()
                   if k not in FIELD_ORDER and k.isidentifier() and not k.startswith("_")]
    return render(module, stmts, tail, missing, own, mine, known, texts)
