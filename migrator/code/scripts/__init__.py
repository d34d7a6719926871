"""Train/test scripts and `apis/train.py` functions: MMCV 1.x -> MMEngine 0.10 (or `runtime`).

`rewrite_script(text, path, target)` is the entry point the code engine calls before its fixers:
  * `tools/train.py`-style scripts (an argparse `ArgumentParser` plus MMCV 1.x imports or an old
    `train_*`/`set_random_seed` call) are regenerated from templates/train.py.j2, filled from the
    old script: its description, every `add_argument` (copied verbatim, or mapped/reported
    through the table in options.py), its `sys.path` setup and its leading comments;
  * `tools/test.py`-style scripts (a `checkpoint` positional) likewise from templates/test.py.j2;
  * modules with an `apis/train.py`-style function (see apis.py) get that function rewritten to
    `Runner.from_cfg(cfg)` + `runner.train()`; the rest of the module is left to the fixers.
It returns `(new_text, findings)` or None when the file is none of these (or is already an
MMEngine-era script). Findings are dicts `{kind: 'applied'|'todo'|'warn', rule, message,
line?}`. `target` is 'mmengine' or 'runtime' (the bundled runtime mirrors MMEngine's module
paths: `runtime.config`, `runtime.registry`, `runtime.runner`).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import libcst as cst

from . import options as opt
from .apis import rewrite_apis
from .argscan import ArgSpec, Argument, Group, Setup, scan

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TARGETS = {"mmengine": "mmengine", "runtime": "runtime"}
# targets that provide mmengine.evaluator.DumpResults (the runtime has no such metric)
DUMP_RESULTS = {"mmengine": "from mmengine.evaluator import DumpResults"}

# calls that mark a script as written for the MMCV 1.x training stack
OLD_CALLS = {"train_detector", "train_model", "train_segmentor", "train_classifier",
             "set_random_seed", "init_random_seed", "single_gpu_test", "multi_gpu_test",
             "init_dist", "build_dataloader", "load_checkpoint", "MMDataParallel",
             "MMDistributedDataParallel", "wrap_fp16_model"}

STANDARD = {
    "--work-dir": "parser.add_argument('--work-dir', help='the dir to save logs and models')",
    "--amp": ("parser.add_argument(\n    '--amp', action='store_true', default=False,\n"
              "    help='enable automatic-mixed-precision training')"),
    "--resume": ("parser.add_argument(\n    '--resume', nargs='?', type=str, const='auto',\n"
                 "    help='resume from the given checkpoint, or (no value) from the latest '\n"
                 "    'checkpoint in the work directory')"),
    "--cfg-options": ("parser.add_argument(\n    '--cfg-options', nargs='+', action=DictAction,\n"
                      "    help='override some settings in the used config, the key-value pair '\n"
                      "    'in xxx=yyy format will be merged into config file')"),
    "--launcher": ("parser.add_argument(\n    '--launcher', choices=['none', 'pytorch', 'slurm', "
                   "'mpi'], default='none',\n    help='job launcher')"),
    "--local_rank": "parser.add_argument('--local_rank', '--local-rank', type=int, default=0)",
}


def _env():
    import jinja2
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters["pyrepr"] = repr
    return env


def _imported_modules(module: cst.Module) -> List[str]:
    out = []
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.ImportFrom) and small.module is not None:
                out.append(cst.helpers.get_full_name_for_node(small.module))
            elif isinstance(small, cst.Import):
                out += [cst.helpers.get_full_name_for_node(a.name) for a in small.names]
    return out


def _called_names(module: cst.Module) -> set:
    found = set()

    class V(cst.CSTVisitor):
        def visit_Call(self, call):
            f = call.func
            if isinstance(f, cst.Name):
                found.add(f.value)
            elif isinstance(f, cst.Attribute):
                found.add(f.attr.value)

    module.visit(V())
    return found


def _is_old(module: cst.Module) -> bool:
    mods = _imported_modules(module)
    if any(m in ("runtime.runner", "mmengine.runner") for m in mods) and \
            not any(m == "mmcv" or m.startswith("mmcv.") for m in mods):
        return False
    return any(m == "mmcv" or m.startswith("mmcv.") for m in mods) or \
        bool(OLD_CALLS & _called_names(module))


def classify(module: cst.Module, path: str) -> Optional[str]:
    """'train' | 'test' | 'apis' | None."""
    if not _is_old(module):
        return None
    name = os.path.basename(str(path))
    spec = scan(module)
    if spec.parser is not None:
        if spec.find("checkpoint") is not None or name.startswith("test"):
            return "test"
        if name.startswith("train") or "train" in {a.dest for a in spec.arguments} or \
                {"train_detector", "train_model", "train_segmentor"} & _called_names(module):
            return "train"
        return None
    return "apis"


def _setup_lines(module: cst.Module) -> List[str]:
    """Module-level `sys.path` manipulation (projects that import their package from a
    checkout), kept verbatim, with the `import sys` it needs."""
    out = []
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            src = module.code_for_node(stmt).strip()
            if src.startswith("sys.path."):
                out.append(src)
    return out


def _docstring(module: cst.Module, kind: str, path: str) -> str:
    header = "".join(module.code_for_node(line) for line in module.header).rstrip()
    note = (f"# Migrated by mmmigrate from an MMCV 1.x {kind} script: the MMEngine Runner builds "
            "everything from the config.")
    doc = module.get_docstring(clean=False)
    parts = [p for p in (header, note, f'"""{doc}"""' if doc else "") if p]
    return "\n".join(parts)


def _calls_init_weights(module: cst.Module) -> bool:
    """The old script calls `<model>.init_weights()` (mmdet/mmcls/mmseg tools/train.py do,
    right after building the model)."""
    import libcst.matchers as m
    return bool(m.findall(module, m.Call(func=m.Attribute(attr=m.Name("init_weights")))))


def _render_script(module: cst.Module, path: str, kind: str, pkg: str
                   ) -> Tuple[str, List[dict]]:
    spec: ArgSpec = scan(module)
    table = opt.table(kind)
    findings: List[dict] = []
    arguments: List[str] = []
    effects: Dict[str, str] = {}
    cfg_options: List[str] = []
    aliases, ignored, todos = [], [], []
    used_groups = {a.receiver for a in spec.arguments}
    present = set()
    for item in spec.items:
        if isinstance(item, Group):
            if item.name in used_groups:
                arguments.append(item.source)
            continue
        if isinstance(item, Setup):
            arguments.append(item.source)
            continue
        a: Argument = item
        present.update(a.names)
        entry = next((table[n] for n in a.names if n in table), None)
        if a.key in ("--local_rank", "--local-rank"):
            arguments.append(STANDARD["--local_rank"])
            present.update({"--local_rank", "--local-rank"})
            continue
        arguments.append(a.source)
        if entry is None:
            todos.append(f"option `{a.key}` (line {a.line} of the old script) is parsed but its "
                         "effect in the old main() is not migrated")
            findings.append(dict(kind="todo", rule=f"scripts.{kind}", line=a.line,
                                 message=f"option `{a.key}`: kept, its effect not migrated"))
            continue
        if entry.effect == "cfg_options":
            cfg_options.append(a.dest)
        elif entry.effect:
            effects.setdefault(entry.effect, a.dest)
        if entry.kind == opt.ALIAS:
            aliases.append(dict(name=a.key, dest=a.dest, replacement=entry.replacement))
            findings.append(dict(kind="applied", rule=f"scripts.{kind}", line=a.line,
                                 message=f"option `{a.key}` -> {entry.replacement} (still "
                                         "accepted, with a deprecation warning)"))
        elif entry.kind == opt.IGNORED:
            ignored.append(dict(name=a.key, dest=a.dest, reason=entry.reason,
                                replacement=entry.replacement))
            findings.append(dict(kind="warn", rule=f"scripts.{kind}", line=a.line,
                                 message=f"option `{a.key}` has no MMEngine effect: "
                                         f"{entry.reason}" + (f"; use {entry.replacement}"
                                                              if entry.replacement else "")))
    for name in (opt.NEW_TRAIN if kind == "train" else opt.NEW_TEST):
        if name not in present:
            arguments.append(STANDARD[name])
            if name == "--cfg-options":
                cfg_options.insert(0, "cfg_options")
            findings.append(dict(kind="applied", rule=f"scripts.{kind}",
                                 message=f"added the MMEngine-era option `{name}`"))
    if kind == "test" and "checkpoint" not in effects:
        raise ValueError(f"{path}: a test script without a `checkpoint` argument")
    visual = [f"args.{effects[e]}" for e in ("show", "show_dir") if e in effects]
    extra = [DUMP_RESULTS[pkg]] if kind == "test" and "out" in effects and pkg in DUMP_RESULTS \
        else []
    text = _env().get_template(f"{kind}.py.j2").render(
        docstring=_docstring(module, kind, path), setup=_setup_lines(module), pkg=pkg,
        extra_imports=extra, description=spec.description or "None", arguments=arguments,
        aliases=aliases, ignored=ignored, effects=effects, cfg_options=cfg_options,
        todos=todos, visual_flags="[" + ", ".join(visual) + "]",
        init_weights=kind == "train" and _calls_init_weights(module),
        dump_results=pkg in DUMP_RESULTS)
    cst.parse_module(text)          # the template must always give valid Python
    findings.insert(0, dict(kind="applied", rule=f"scripts.{kind}", message=(
        f"regenerated as an MMEngine-era {kind} script ({pkg}.runner.Runner) from "
        f"templates/{kind}.py.j2")))
    return text, findings


def rewrite_script(text: str, path: str, target: str = "mmengine"
                   ) -> Optional[Tuple[str, List[dict]]]:
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r} (expected one of {sorted(TARGETS)})")
    pkg = TARGETS[target]
    module = cst.parse_module(text)
    kind = classify(module, path)
    if kind is None:
        return None
    if kind == "apis":
        done = rewrite_apis(module, pkg)
        if done is None:
            return None
        new, findings = done
        return new.code, findings
    return _render_script(module, path, kind, pkg)
