"""The code-migration engine: name resolution through aliases (libcst's QualifiedNameProvider),
no false positives on look-alikes, all-or-nothing per file, --target runtime, classification of
configs vs code, and the static table of what runtime/ provides."""
import importlib

import pytest

from migrator.code import migrate_source
from migrator.code import engine as engine_mod
from migrator.code.classify import is_code_text
from migrator.code.runtime_names import module_names, runtime_provides

HOOK_BODY = "    def after_train_iter(self, runner):\n        pass\n"
NEW_SIG = "def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):"


@pytest.mark.parametrize("head,base", [
    ("from mmcv.runner import Hook\n", "Hook"),
    ("from mmcv.runner import Hook as H\n", "H"),
    ("import mmcv.runner as R\n", "R.Hook"),
    ("import mmcv.runner\n", "mmcv.runner.Hook"),
    ("import mmcv\n", "mmcv.runner.Hook"),
    ("from mmcv.runner.hooks import Hook as Base\n", "Base"),
    ("from mmcv.runner.hooks.hook import Hook\n", "Hook"),
    ("from mmcv import runner\n", "runner.Hook"),
])
def test_hook_base_resolved_through_aliases(head, base):
    res = migrate_source(f"{head}\n\nclass X({base}):\n{HOOK_BODY}")
    assert NEW_SIG in res.new_text, res.new_text
    assert "mmcv" not in res.new_text
    assert "from mmengine.hooks import Hook" in res.new_text


def test_local_subclass_of_a_migrated_hook_is_a_hook():
    src = ("from mmcv.runner import Hook\n\n\nclass A(Hook):\n    pass\n\n\n"
           f"class B(A):\n{HOOK_BODY}")
    assert NEW_SIG in migrate_source(src).new_text


@pytest.mark.parametrize("src", [
    f"class Hook:\n    pass\n\n\nclass X(Hook):\n{HOOK_BODY}",                       # local Hook
    f"from mmengine.hooks import Hook\n\n\nclass X(Hook):\n{HOOK_BODY}",           # already new
    f"from mydet.runner import Hook\n\n\nclass X(Hook):\n{HOOK_BODY}",             # not MMCV's
    "import mmcv\n\nimg = mmcv.imread('x.jpg')\nrunner = 1\nprint(runner.optimizer)\n",
    "from mmcv.cnn import ConvModule\n\nm = ConvModule(1, 2, 3)\n",
])
def test_lookalikes_untouched(src):
    res = migrate_source(src)
    assert res.new_text == src and not res.findings


def test_shadowed_name_untouched():
    src = ("from mmcv.runner import get_dist_info\n\n\ndef f(get_dist_info):\n"
           "    return get_dist_info()\n\n\nrank, ws = get_dist_info()\n")
    out = migrate_source(src).new_text
    assert out.startswith("from mmengine.dist import get_dist_info\n")
    assert "def f(get_dist_info):\n    return get_dist_info()" in out


def test_all_or_nothing_when_a_fixer_fails(monkeypatch):
    from migrator.code.fixers import hook_runner_attrs

    def boom(self, ctx, original, updated):
        raise RuntimeError("boom")
    monkeypatch.setattr(hook_runner_attrs.HookRunnerAttrsFixer, "leave_Attribute", boom)
    src = (f"from mmcv.runner import Hook, get_dist_info\n\n\nclass X(Hook):\n"
           "    def after_train_iter(self, runner):\n        runner.optimizer.zero_grad()\n")
    res = migrate_source(src, "pkg/x.py")
    assert res.new_text == src and not res.changed
    assert res.error.startswith("pkg/x.py: internal: code migration failed (RuntimeError: boom)")


def test_parse_error_names_file_and_line():
    res = migrate_source("def f(:\n    pass\n", "pkg/bad.py")
    assert res.error.startswith("pkg/bad.py:1: cannot parse") and not res.changed


def test_target_runtime_imports_what_runtime_provides():
    src = ("from mmcv.runner import HOOKS, Hook, DefaultOptimizerConstructor, get_dist_info\n"
           "from mmcv.runner import Priority\n\n"
           f"\n@HOOKS.register_module()\nclass X(Hook):\n{HOOK_BODY}\n\nrank, ws = get_dist_info()\n"
           "C = DefaultOptimizerConstructor\nP = Priority\n")
    res = migrate_source(src, target="runtime")
    lines = res.new_text.splitlines()
    assert "from runtime.hooks import Hook" in lines
    assert "from runtime.registry import HOOKS" in lines
    assert "from runtime.dist import get_dist_info" in lines
    # lazily exported (PEP 562) by runtime.optim, promised by its __all__
    assert "from runtime.optim import DefaultOptimWrapperConstructor" in lines
    assert "mmengine" not in res.new_text.replace("use mmengine.runner", "")
    # runtime.runner has no Priority: the import stays, under a TODO naming MMEngine's
    assert "from mmcv.runner import Priority" in res.new_text
    assert any(f.todo and "runtime.runner has no Priority: use mmengine.runner.Priority"
               in f.message for f in res.findings)
    assert migrate_source(res.new_text, target="runtime").new_text == res.new_text


def test_target_is_checked():
    with pytest.raises(ValueError):
        migrate_source("x = 1\n", target="mmcv")


@pytest.mark.parametrize("module", ["runtime.hooks", "runtime.registry", "runtime.runner",
                                    "runtime.model", "runtime.dist", "runtime.logging",
                                    "runtime.config", "runtime.optim"])
def test_runtime_names_are_real(module):
    """The static table (no import of runtime/) against the real modules."""
    real = importlib.import_module(module)
    names = module_names(module)
    assert names and all(hasattr(real, n) for n in names if not n.startswith("_")), \
        sorted(n for n in names if not hasattr(real, n))
    assert not runtime_provides(module, "NoSuchName")
    assert not runtime_provides("runtime.no_such_module", "Hook")


@pytest.mark.parametrize("text,code", [
    ("_base_ = ['a.py']\nmodel = dict(type='X')\n", False),
    ("optimizer = dict(type='SGD', lr=0.1)\n", False),
    ("import os\ndata_root = os.environ['DATA']\nmodel = dict()\n", False),   # a config (--exec)
    ("import torch\nx = torch.zeros(1)\n", True),
    ("def main():\n    pass\n", True),
    ("class A:\n    pass\n", True),
    ("model = dict()\n\n\ndef helper():\n    pass\n", True),
    ("def f(:\n", False),                                  # syntax error: the config path says so
    ("", False),
    ("print('hello')\n", True),
    ("a = [1]\na.append(2)\n", False),                    # configs may call methods
    ('"""Docstring."""\nmodel = dict()\n', False),
])
def test_classification(text, code):
    assert is_code_text(text) is code


def test_comment_header_not_duplicated():
    src = "from mmcv.parallel import DataContainer\n\nx = DataContainer\n"
    once = migrate_source(src).new_text
    assert once.count("# TODO(migrate): DataContainer") == 2
    assert migrate_source(once).new_text == once
