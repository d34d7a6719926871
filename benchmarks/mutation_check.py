"""Mutation check: plant known, realistic bugs one at a time and see whether the tests notice.

Each mutant is a text patch (exact old -> new snippet, which must occur exactly once) applied to a
temporary copy of the repository; the test files relevant to it then run there (`pytest -x`).
A mutant is *killed* when they fail, *survived* when they pass. The unmutated copy runs the same
files first (they must pass, or the result means nothing). Prints one line per mutant and a
summary; exit status 1 if any mutant survived or could not be applied.

A test pattern is a file/glob, `path::test` (one test), or `-k=EXPR` (pytest's -k for the
mutant's run: only the cases that cover it, e.g. one fixture pair of tests/test_code_cases.py).
Each pytest run has a time limit (`--timeout`, default 900 s): a run that exceeds it is reported
as TIMEOUT, never waited on for ever.

    python benchmarks/mutation_check.py            # all mutants
    python benchmarks/mutation_check.py seed gamma # some of them
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

ROOT = Path(__file__).resolve().parent.parent

# name -> (what the bug is, [(file, old snippet, new snippet)], [test files or globs])
MUTANTS: Dict[str, Tuple[str, List[Tuple[str, str, str]], List[str]]] = {
    "seed": ("the train dataloader's sampler.seed dropped (rules/data.py)",
             [("migrator/rules/data.py", '        sampler["seed"] = seed\n', "        pass\n")],
             ["tests/test_cases.py"]),
    "log_interval": ("default log interval 10 -> 50 (rules/hooks.py)",
                     [("migrator/rules/hooks.py", 'interval = old.get("interval", 10)',
                       'interval = old.get("interval", 50)')],
                     ["tests/test_cases.py"]),
    "drop_last": ("the dry-run ignores drop_last (runtime/dryrun.py)",
                  [("runtime/dryrun.py", '    if loader.get("drop_last", False):\n        return per_rank // batch',
                    '    if False:\n        return per_rank // batch')],
                  ["tests/test_verify_drop_last.py", "tests/test_dryrun.py"]),
    "gamma": ("step momentum default gamma 0.5 -> 0.1, in the rule and in the MMCV model",
              [("migrator/rules/schedule_momentum.py", '"Step": (_step, {"step": REQUIRED, "gamma": 0.5,',
                '"Step": (_step, {"step": REQUIRED, "gamma": 0.1,'),
               ("migrator/verify/mmcv_lr.py", "def _mom_step(run, *, by_epoch=True, step, gamma=0.5,",
                "def _mom_step(run, *, by_epoch=True, step, gamma=0.1,")],
              ["tests/test_cases.py", "tests/test_rule_schedule.py", "tests/test_verify_mmcv.py"]),
    # the MMCV-model half of "gamma" alone: the oracle tests (real MMCV 1.7.2 source) catch it
    "gamma_model": ("step momentum default gamma 0.5 -> 0.1 in the MMCV model only",
                    [("migrator/verify/mmcv_lr.py", "def _mom_step(run, *, by_epoch=True, step, gamma=0.5,",
                      "def _mom_step(run, *, by_epoch=True, step, gamma=0.1,")],
                    ["tests/test_verify_mmcv.py"]),
    "dict_unpack": ("`{'k': v, **a}`: keys already set win over the unpacked dict (static_eval.py)",
                    [("migrator/static_eval.py", "                out.update(m)\n",
                      "                out.update({k2: v2 for k2, v2 in m.items() if k2 not in out})\n")],
                    ["tests/test_hostile_eval.py", "tests/test_static_eval*.py", "tests/test_load.py"]),
    # the code fixers (migrator/code/fixers/): each caught by its fixture pair
    # (tests/test_code_cases.py) and, where it changes behaviour, by a real-runner test
    "mc105_collate": ("MC105: functools.partial(collate, samples_per_gpu=...) kept",
                      [("migrator/code/fixers/collate.py",
                        "                return updated.args[0].value\n",
                        "                return updated\n")], ["tests/test_code_cases.py", "-k=collate"]),
    "mc106_registry": ("MC106: a root Registry('models') stays a fresh registry",
                       [("migrator/code/fixers/registry.py",
                         "        return updated.with_changes(value=cst.Name(alias))",
                         "        return updated")], ["tests/test_code_cases.py", "-k=registry"]),
    "mc107_dc": ("MC107: `data['img_metas'].data` left without its TODO",
                 [("migrator/code/fixers/data_container.py",
                   "                ctx.todo(original, CODE, _TODO.format(key=key))",
                   "                pass")], ["tests/test_code_cases.py", "-k=data_container"]),
    "mc108_eval": ("MC108 EvalHook stand-in: evaluates when epoch % interval == 0 (off by one)",
                   [("migrator/code/fixers/_stand_ins.py",
                     "            return (current + 1) % self.interval == 0",
                     "            return current % self.interval == 0")],
                   ["tests/test_code_real_hooks.py::test_eval_hooks_evaluate_and_save_best"]),
    "mc108_clip": ("MC108 OptimizerHook stand-in: grad_clip not handed to the optim wrapper",
                   [("migrator/code/fixers/_stand_ins.py",
                     "        if grad_clip is not None:\n            wrapper",
                     "        if False:\n            wrapper")],
                   ["tests/test_code_real_hooks.py::test_dist_optimizer_hook_clips_and_steps_once"]),
    "mc108_step": ("MC108: an OptimizerHook subclass's MMCV step kept (double step)",
                   [("migrator/code/fixers/no_equivalent.py",
                     '    return seen in (["zero_grad", "backward", "step"], ["zero_grad", '
                     '"backward", "clip", "step"])', "    return False")],
                   ["tests/test_code_cases.py", "-k=no_equivalent"]),
    "mc204_history": ("MC204: log_buffer val_history/n_history swapped",
                      [("migrator/code/fixers/hook_runner_attrs.py",
                        'part = 0 if original.value.attr.value == "val_history" else 1',
                        'part = 1 if original.value.attr.value == "val_history" else 0')],
                      ["tests/test_code_cases.py", "tests/test_code_runners.py",
                       "-k=hook_runner_attrs or log_buffer or history"]),
    "mc204_caller": ("MC204: a helper method called from one stage gets no mode",
                     [("migrator/code/fixers/hook_runner_attrs.py",
                       '    return modes.pop() if len(modes) == 1 else ""', '    return ""')],
                     ["tests/test_code_cases.py", "-k=hook_runner_attrs"]),
    "mc204_iterloader": ("MC204: runner.data_loader._dataloader kept (IterLoader's)",
                         [("migrator/code/fixers/hook_runner_attrs.py",
                           "                not updated.value.deep_equals(original.value):",
                           "                False:")],
                         ["tests/test_code_real_hooks.py::test_class_num_check_hook_epoch_and_iter"]),
    "mc301_val": ("MC301: a runner's val loop loses its before_val hook call",
                  [("migrator/code/fixers/runner_loop.py",
                    "        body.insert(0, cst.parse_statement(\"self.runner.call_hook('before_val')\"))\n",
                    "")], ["tests/test_code_cases.py", "tests/test_code_runners.py",
                          "-k=runner_loop or val_loop"]),
    "mc302_step": ("MC302: the StepLrUpdaterHook shim decays one step early",
                   [("migrator/code/fixers/_lr_policies.py",
                     "        lr = base_lr * (self.gamma ** exp)",
                     "        lr = base_lr * (self.gamma ** (exp + 1))")],
                   ["tests/test_code_lr_policies.py"]),
    "mc304_reexport": ("MC304: a renamed runner imported by name is not renamed where used",
                       [("migrator/code/fixers/runner_names.py",
                         "                    self.plain[old] = new\n", "                    pass\n")],
                       ["tests/test_code_cases.py", "-k=runner_names"]),
    "mc401_forward": ("MC401: model.train_step(data) becomes a 'tensor' forward, not 'loss'",
                      [("migrator/code/fixers/model_steps.py",
                        "data_preprocessor({data}, True), mode='loss')\")",
                        "data_preprocessor({data}, True), mode='tensor')\")")],
                      ["tests/test_code_cases.py",
                       "tests/test_code_real_hooks.py::test_precise_bn_hook",
                       "-k=model_steps or precise_bn"]),
    "mc108_wandb_window": ("MC108 WandbLoggerHook stand-in: averages interval + 1 values",
                           [("migrator/code/fixers/_stand_ins.py",
                             "            n = min(self.interval, len(values) - self._start.get(key, 0))",
                             "            n = min(self.interval + 1, len(values) - self._start.get(key, 0))")],
                           ["tests/test_code_real_wandb.py::test_mmcls_wandb_hook_offline"]),
    "mc108_wandb_flush": ("MC108 EvalHook stand-in: no logger flush before an iteration-based "
                          "evaluation",
                          [("migrator/code/fixers/_stand_ins.py",
                            '                if getattr(hook, "_mmcv_logger_stand_in", False):',
                            '                if False:')],
                          ["tests/test_code_real_wandb.py::test_mmseg_wandb_hook_offline_iter_based"]),
    "mc109_flip": ("MC109: bgr2rgb(img) -> img (the channel flip lost)",
                   [("migrator/code/fixers/image.py",
                     'return cst.parse_expression(f"({arg})[..., ::-1]" if needs_parens else f"{arg}[..., ::-1]")',
                     'return cst.parse_expression(f"({arg})" if needs_parens else arg)')],
                   ["tests/test_code_cases.py", "-k=image"]),
    "mc501_init": ("MC501: the train script no longer initialises the model where the old did",
                   [("migrator/code/scripts/__init__.py",
                     'init_weights=kind == "train" and _calls_init_weights(module),',
                     "init_weights=False,")],
                   ["tests/test_mmcv_project_iter.py::test_migrated_iter_runs_equal"]),
    "dist_collect": ("runtime.dist.collect_results: zip instead of zip_longest (uneven parts)",
                     [("runtime/dist/utils.py", "chain.from_iterable(zip_longest(*parts))",
                       "chain.from_iterable(zip(*parts))")],
                     ["tests/test_runtime_collect_results.py::"
                      "test_collect_results_two_ranks_equal_mmengine"]),
}

IGNORE = shutil.ignore_patterns(".git", ".cache", "__pycache__", "work_dirs", "*.pyc", ".pytest_cache")


def _copy(dest: Path) -> None:
    shutil.copytree(ROOT, dest, ignore=IGNORE, symlinks=True)
    cache = ROOT / ".cache"
    if cache.exists():
        os.symlink(cache.resolve(), dest / ".cache")


def _apply(tree: Path, patches) -> str:
    for rel, old, new in patches:
        path = tree / rel
        text = path.read_text()
        if text.count(old) != 1:
            return f"{rel}: the snippet occurs {text.count(old)} times"
        path.write_text(text.replace(old, new))
    return ""


def _tests(tree: Path, patterns: List[str]) -> List[str]:
    found: List[str] = []
    for pattern in patterns:
        if pattern.startswith("-k="):           # pytest -k EXPR
            found += ["-k", pattern[3:]]
            continue
        if "::" in pattern:                     # one test: path::name
            found.append(pattern)
            continue
        found += sorted(str(p.relative_to(tree)) for p in tree.glob(pattern))
    return found


def _pytest(tree: Path, tests: List[str], timeout: float) -> Tuple[int, float, str]:
    env = dict(os.environ, PYTHONPATH=str(tree), MMMIGRATE_CACHE=str((ROOT / ".cache").resolve()))
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p",
                               "no:cacheprovider", *tests], cwd=tree, env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return -9, time.perf_counter() - t0, f"over the {timeout:.0f} s limit"
    tail = [ln for ln in proc.stdout.splitlines() if ln.strip()][-1:] or [proc.stderr[-200:]]
    return proc.returncode, time.perf_counter() - t0, tail[0]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"mutants to run (default all: {', '.join(MUTANTS)})")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds per pytest run (default 900)")
    args = parser.parse_args(argv)
    names = args.names or list(MUTANTS)
    unknown = [n for n in names if n not in MUTANTS]
    if unknown:
        parser.error(f"unknown mutants {unknown}")
    results = {}
    with tempfile.TemporaryDirectory(prefix="mutation-") as tmp:
        for name in names:
            what, patches, patterns = MUTANTS[name]
            tree = Path(tmp) / name
            _copy(tree)
            t0 = time.perf_counter()
            tests = _tests(tree, patterns)
            rc, secs, tail = _pytest(tree, tests, args.timeout)
            if rc != 0:
                results[name] = "baseline fails"
                print(f"{name:13s} BASELINE FAILS  ({tail}) {' '.join(tests)}")
                continue
            problem = _apply(tree, patches)
            if problem:
                results[name] = "not applied"
                print(f"{name:13s} NOT APPLIED     {problem}")
                continue
            rc, secs, tail = _pytest(tree, tests, args.timeout)
            results[name] = "killed" if rc == 1 else ("survived" if rc == 0 else
                                                      "timeout" if rc == -9 else f"error rc={rc}")
            print(f"{name:13s} {results[name].upper():15s} {secs:5.1f}s (with baseline "
                  f"{time.perf_counter() - t0:5.1f}s)  {tail}  [{what}; {' '.join(tests)}]",
                  flush=True)
            shutil.rmtree(tree, ignore_errors=True)
    killed = sum(v == "killed" for v in results.values())
    print(f"mutants: {len(results)}, killed: {killed}, survived: "
          f"{sum(v == 'survived' for v in results.values())}, other: "
          f"{len(results) - killed - sum(v == 'survived' for v in results.values())}")
    return 0 if killed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
