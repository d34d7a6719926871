"""MC304 imports of a project's runner classes follow MC301's rename to loops.

MMCV 1.x: a package re-exports its runner (`from .runner import CustomRunner` in
`core/__init__.py`, listed in `__all__`) and the config names it (`runner=dict(type=
'CustomRunner')`). MMEngine 0.10: the class is the loop `CustomEpochBasedTrainLoop`
(MC301, `runner_loop.loop_name`), registered in LOOPS; an import of the old name fails with
ImportError. The imported module is read from disk (`migrator.code.project`) to learn which of
its names are runner classes (also through re-exports, and also when it was migrated already);
the import, every use of the imported name in this file and its `__all__` entry are renamed.
An import under another name (`import ... as R`) keeps its alias.
"""
from __future__ import annotations

import libcst as cst

from ..project import runner_renames
from ._util import dotted

CODE = "MC304"


class RunnerNamesFixer:
    def __init__(self):
        self.renamed = {}          # qualified name of the imported class -> new name
        self.plain = {}            # old name -> new name (imported without alias)

    def leave_ImportFrom(self, ctx, original: cst.ImportFrom, updated: cst.ImportFrom):
        if isinstance(original.names, cst.ImportStar) or not ctx.path:
            return updated
        mod = dotted(original.module) if original.module else ""
        level = len(original.relative)
        if not level and (not mod or mod.split(".")[0] in ("mmcv", "mmengine", "torch",
                                                             "runtime")):
            return updated
        names = {dotted(a.name) for a in original.names}
        if not any("Runner" in (n or "") for n in names):
            return updated
        renames = runner_renames(ctx.path, mod, level)
        new_names = []
        for a in updated.names:
            old = dotted(a.name)
            if old in renames:
                new = renames[old]
                ctx.applied(CODE)
                self.renamed[f"{'.' * level}{mod}.{old}" if mod else f"{'.' * level}{old}"] = new
                if a.asname is None:
                    self.plain[old] = new
                a = a.with_changes(name=cst.Name(new))
            new_names.append(a)
        return updated.with_changes(names=new_names)

    def leave_Name(self, ctx, original: cst.Name, updated: cst.Name):
        if original.value in self.plain:
            for q in ctx.qnames(original):
                if q in self.renamed:
                    return updated.with_changes(value=self.renamed[q])
        return updated

    def leave_SimpleString(self, ctx, original: cst.SimpleString, updated: cst.SimpleString):
        v = original.evaluated_value
        if not self.plain or v not in self.plain:
            return updated
        node, parent = original, ctx.parent(original)
        while isinstance(parent, (cst.Element, cst.List, cst.Tuple)):
            node, parent = parent, ctx.parent(parent)
        if isinstance(parent, cst.Assign) and any(
                isinstance(t.target, cst.Name) and t.target.value == "__all__"
                for t in parent.targets):
            q = original.value[0] if original.value[0] in "'\"" else "'"
            return updated.with_changes(value=f"{q}{self.plain[v]}{q}")
        return updated
