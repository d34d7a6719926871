"""`apis/train.py`-style training functions -> `Runner.from_cfg(cfg)` + `runner.train()`.

MMCV 1.x (mmdet 2.x `train_detector`, mmcls 0.x `train_model`, mmseg 0.x `train_segmentor`):
the function built the dataloaders (`build_dataloader`), wrapped the model (`MMDataParallel`/
`MMDistributedDataParallel`), built the optimizer (`build_optimizer`) and the runner
(`build_runner`/`EpochBasedRunner(...)`), registered the hooks (`register_training_hooks`,
`EvalHook` when `validate`), resumed or loaded (`runner.resume`/`runner.load_checkpoint`) and
ran the workflow (`runner.run(data_loaders, cfg.workflow)`).
MMEngine 0.10: `Runner.from_cfg(cfg)` builds all of that from the migrated config
(`train_dataloader`, `optim_wrapper`, `param_scheduler`, `default_hooks`/`custom_hooks`,
`load_from`/`resume`, `launcher`) and `runner.train()` runs the train loop; validation runs when
`val_cfg`, `val_dataloader` and `val_evaluator` are set, so `validate=False` clears them.
A function is rewritten when its body builds a runner (`build_runner`, `register_training_hooks`)
and runs it (`<x>.run(<loaders>, <workflow>)`): one that only builds and returns a runner is
left to the fixers, since `runner.train()` would start training where the old code did not.
Its signature and docstring stay, so callers keep working.
Imports that only the old body used are removed.
"""
from __future__ import annotations

from typing import List, Optional, Set, Tuple

import libcst as cst
import libcst.matchers as m

OLD_CALLS = {"build_runner", "register_training_hooks"}
CFG_NAMES = ("cfg", "config")


def _is_train_function(node: cst.FunctionDef) -> bool:
    found = set()

    class V(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            f = call.func
            name = f.value if isinstance(f, cst.Name) else f.attr.value \
                if isinstance(f, cst.Attribute) else None
            if name in OLD_CALLS or (name == "run" and isinstance(f, cst.Attribute)
                                     and len(call.args) >= 2):
                found.add(name)

    node.body.visit(V())
    return "run" in found and bool(found & OLD_CALLS)


def _names(node: cst.CSTNode) -> Set[str]:
    out: Set[str] = set()

    class V(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            out.add(n.value)

        def visit_Import(self, n: cst.Import) -> bool:
            return False

        def visit_ImportFrom(self, n: cst.ImportFrom) -> bool:
            return False

    node.visit(V())
    return out


def _new_body(fn: cst.FunctionDef, cfg: str, unused: List[str]) -> cst.IndentedBlock:
    lines = []
    body = fn.body.body
    if body and m.matches(body[0], m.SimpleStatementLine(body=[m.Expr(m.SimpleString())])):
        doc = [body[0]]
    else:
        doc = []
    params = {p.name.value for p in fn.params.params + fn.params.kwonly_params}
    lines.append("# MMEngine: the Runner builds dataloaders, optimizer wrapper, schedulers, hooks "
                 "and loops from the config")
    if unused:
        lines.append(f"# TODO(migrate): {', '.join(f'`{u}`' for u in unused)} no longer used: "
                     f"Runner.from_cfg builds the model and datasets from `{cfg}`; distributed "
                     f"runs take `{cfg}.launcher`")
    code = "\n".join(lines) + "\n"
    if "validate" in params:
        code += (f"if not validate:\n    {cfg}.val_cfg = None\n    {cfg}.val_dataloader = None\n"
                 f"    {cfg}.val_evaluator = None\n")
    code += f"runner = Runner.from_cfg({cfg})\nrunner.train()\nreturn runner\n"
    stmts = list(cst.parse_module(code).body)
    # comments before the first statement of the parsed snippet are in its module header
    header = cst.parse_module(code).header
    if stmts:
        stmts[0] = stmts[0].with_changes(leading_lines=list(header) + list(stmts[0].leading_lines))
    return fn.body.with_changes(body=doc + stmts)


class _Rewriter(cst.CSTTransformer):
    def __init__(self) -> None:
        self.rewritten: List[str] = []
        self.skipped: List[str] = []
        self.old_names: Set[str] = set()
        self.depth = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.depth += 1
        return self.depth == 1

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef):
        self.depth -= 1
        if self.depth or not _is_train_function(original):
            return updated
        params = [p.name.value for p in original.params.params + original.params.kwonly_params]
        cfg = next((p for p in CFG_NAMES if p in params), None)
        if cfg is None:
            self.skipped.append(original.name.value)
            return updated
        self.old_names |= _names(original.body)
        unused = [p for p in params if p in ("model", "dataset", "datasets", "timestamp", "meta",
                                             "distributed")]
        self.rewritten.append(original.name.value)
        return updated.with_changes(body=_new_body(original, cfg, unused))


class _DropImports(cst.CSTTransformer):
    """Remove imported names in `drop` (whole statements when nothing is left)."""

    def __init__(self, drop: Set[str]):
        self.drop = drop
        self.dropped: List[str] = []

    def _bound(self, alias: cst.ImportAlias) -> str:
        if alias.asname is not None:
            return alias.asname.name.value
        return cst.helpers.get_full_name_for_node(alias.name).split(".")[0]

    def leave_ImportFrom(self, original, updated):
        if isinstance(updated.names, cst.ImportStar):
            return updated
        keep = [a for a in updated.names if self._bound(a) not in self.drop]
        self.dropped += [self._bound(a) for a in updated.names if self._bound(a) in self.drop]
        if not keep:
            return cst.RemoveFromParent()
        if len(keep) != len(updated.names):
            keep[-1] = keep[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return updated.with_changes(names=keep)
        return updated

    def leave_Import(self, original, updated):
        keep = [a for a in updated.names if self._bound(a) not in self.drop]
        self.dropped += [self._bound(a) for a in updated.names if self._bound(a) in self.drop]
        if not keep:
            return cst.RemoveFromParent()
        if len(keep) != len(updated.names):
            keep[-1] = keep[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return updated.with_changes(names=keep)
        return updated


def rewrite_apis(module: cst.Module, pkg: str) -> Optional[Tuple[cst.Module, List[dict]]]:
    """The module with every train function rewritten, or None when it has none."""
    rw = _Rewriter()
    new = module.visit(rw)
    findings: List[dict] = []
    for name in rw.skipped:
        findings.append(dict(kind="todo", rule="scripts.apis", message=(
            f"`{name}` runs an MMCV runner but has no `cfg` parameter: port it to "
            "Runner.from_cfg(cfg) + runner.train() by hand")))
    if not rw.rewritten:
        return (module, findings) if findings else None
    unused = rw.old_names - _names(new) - {"Runner"}
    dropper = _DropImports(unused)
    new = new.visit(dropper)
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor
    ctx = CodemodContext()
    AddImportsVisitor.add_needed_import(ctx, f"{pkg}.runner", "Runner")
    new = AddImportsVisitor(ctx).transform_module(new)
    for name in rw.rewritten:
        findings.append(dict(kind="applied", rule="scripts.apis", message=(
            f"`{name}`: build_dataloader/build_optimizer/build_runner/register_training_hooks/"
            f"runner.run -> {pkg}.runner.Runner.from_cfg(cfg) + runner.train()")))
    if dropper.dropped:
        findings.append(dict(kind="applied", rule="scripts.apis", message=(
            "removed imports only the old training code used: "
            + ", ".join(sorted(set(dropper.dropped))))))
    return new, findings
