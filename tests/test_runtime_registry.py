"""runtime.registry: registration, scoped lookup, default scope, lazy locations, build functions
and error messages (MMEngine 0.10 semantics)."""
import sys
import textwrap
import warnings

import pytest

from runtime.registry import (MODELS, OPTIMIZERS, PARAM_SCHEDULERS, DefaultScope, Registry,
                              UnknownTypeError, build_from_cfg, build_model_from_cfg,
                              build_runner_from_cfg, build_scheduler_from_cfg, init_default_scope)
from runtime.registry import registry as registry_mod
from runtime.utils import ManagerMixin


@pytest.fixture(autouse=True)
def clean_scope():
    """Each test starts without a default scope and leaves the global one as it found it."""
    saved = DefaultScope._instance_dict
    DefaultScope._instance_dict = type(saved)()
    registry_mod._warned_scopes.clear()
    yield
    DefaultScope._instance_dict = saved


@pytest.fixture
def tree():
    root = Registry("thing", scope="mmr_root")
    child = Registry("thing", parent=root, scope="mmr_child")
    other = Registry("thing", parent=root, scope="mmr_other")

    @root.register_module()
    class Base:
        def __init__(self, x=0):
            self.x = x

    @root.register_module(name="Shared")
    class RootShared:
        pass

    @child.register_module(name="Shared")
    class ChildShared:
        pass

    @other.register_module()
    class OnlyOther:
        pass
    return root, child, other, dict(Base=Base, RootShared=RootShared, ChildShared=ChildShared,
                                    OnlyOther=OnlyOther)


def test_register_variants_and_duplicates():
    reg = Registry("toy", scope="mmr_toy")

    @reg.register_module(name=["A1", "A2"])
    def make_a():
        return "a"
    reg.register_module(module=dict, name="D")
    assert reg.get("A1") is make_a and reg.get("A2") is make_a and reg.get("D") is dict
    assert "A1" in reg and "nope" not in reg and len(reg) == 3
    with pytest.raises(KeyError, match="already registered"):
        reg.register_module(module=list, name="D")
    reg.register_module(module=list, name="D", force=True)
    assert reg.get("D") is list
    with pytest.raises(TypeError):
        reg.register_module(module=3)
    with pytest.raises(TypeError):
        reg.register_module(name=5)
    assert reg.build(dict(type="A1")) == "a"


def test_inferred_scope_is_callers_package():
    assert Registry("x").scope == __name__.split(".")[0]
    assert MODELS.scope == "runtime"


def test_scoped_lookup(tree):
    root, child, other, cls = tree
    assert child.get("Base") is cls["Base"]                       # falls back to the parent
    assert child.get("Shared") is cls["ChildShared"]              # own entry first
    assert root.get("Shared") is cls["RootShared"]
    assert root.get("mmr_child.Shared") is cls["ChildShared"]     # root -> child by scope
    assert child.get("mmr_other.OnlyOther") is cls["OnlyOther"]   # sibling via the root
    assert child.get("mmr_root.Shared") is cls["RootShared"]
    assert child.get("mmr_child.Base") is None                    # scoped keys don't climb
    assert child.get("OnlyOther") is None
    assert root.children == {"mmr_child": child, "mmr_other": other} and child.root is root
    with pytest.raises(KeyError, match="exists"):
        Registry("thing", parent=root, scope="mmr_child")


def test_root_scope_answers_to_mmengine_and_runtime():
    reg = Registry("model", parent=MODELS, scope="mmr_proj")
    try:
        MODELS.register_module(module=dict, name="MmrRootOnly")
        assert reg.get("mmengine.MmrRootOnly") is dict and reg.get("runtime.MmrRootOnly") is dict
        assert MODELS.get("mmengine.MmrRootOnly") is dict
    finally:
        MODELS._module_dict.pop("MmrRootOnly")
        MODELS._children.pop("mmr_proj")


def test_dotted_import_fallback():
    reg = Registry("toy", scope="mmr_toy2")
    from fractions import Fraction
    assert reg.get("fractions.Fraction") is Fraction
    assert reg.build(dict(type="fractions.Fraction", numerator=3, denominator=6)) == Fraction(1, 2)
    assert reg.get("no_such_pkg_mmr.Thing") is None


def test_default_scope_selects_child_registry(tree):
    root, child, _, cls = tree
    assert isinstance(root.build(dict(type="Shared")), cls["RootShared"])
    with DefaultScope.overwrite_default_scope("mmr_child"):
        assert DefaultScope.get_current_instance().scope_name == "mmr_child"
        assert isinstance(root.build(dict(type="Shared")), cls["ChildShared"])
        assert isinstance(root.build(dict(type="Base", x=2)), cls["Base"])
        # `_scope_` in a config overrides the default scope for that object only
        assert isinstance(root.build(dict(type="Shared", _scope_="mmr_root")), cls["RootShared"])
    assert DefaultScope.get_current_instance() is None
    assert isinstance(root.build(dict(type="Shared", _scope_="mmr_child")), cls["ChildShared"])
    init_default_scope("mmr_child")
    init_default_scope("mmr_child")
    assert len(DefaultScope._instance_dict) == 1
    assert isinstance(root.build(dict(type="Shared")), cls["ChildShared"])


def test_missing_default_scope_package_warns_once_and_uses_root(tree):
    root, _, _, cls = tree
    DefaultScope.get_instance("mmr-test", scope_name="mmdet")   # mmdet is not installed
    with pytest.warns(RuntimeWarning, match='"mmdet" scope'):
        obj = root.build(dict(type="Base", x=4))
    assert isinstance(obj, cls["Base"]) and obj.x == 4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        root.build(dict(type="Base"))                            # second time: silent


def test_unknown_type_message(tree):
    root, child, _, _ = tree
    with pytest.raises(UnknownTypeError) as info:
        child.build(dict(type="Bsae"), key_path="model.backbone")
    msg = str(info.value)
    assert "'Bsae'" in msg and "mmr_child::thing" in msg and "model.backbone" in msg
    assert "Did you mean: Base" in msg
    assert isinstance(info.value, KeyError)
    with pytest.raises(KeyError, match="must contain the key"):
        root.build(dict(x=1))
    with pytest.raises(TypeError, match="type must be"):
        root.build(dict(type=3))
    with pytest.raises(TypeError, match="cfg should be"):
        root.build([1])


def test_init_errors_are_prefixed_with_class_name():
    reg = Registry("toy", scope="mmr_toy3")

    @reg.register_module()
    class Picky:
        def __init__(self, size):
            if size < 0:
                raise ValueError("size must be >= 0")

    with pytest.raises(ValueError, match=r"^Picky: size must be >= 0$"):
        reg.build(dict(type="Picky", size=-1))
    with pytest.raises(TypeError, match=r"^Picky: .*unexpected keyword argument 'colour'"):
        reg.build(dict(type="Picky", size=1, colour=2))


def test_default_args_and_class_type():
    reg = Registry("toy", scope="mmr_toy4")

    class Plain:
        def __init__(self, a, b=2):
            self.a, self.b = a, b
    obj = build_from_cfg(dict(type=Plain, a=1), reg, default_args=dict(a=9, b=3))
    assert (obj.a, obj.b) == (1, 3)
    obj = build_from_cfg(dict(a=5), reg, default_args=dict(type=Plain))
    assert obj.a == 5


def test_manager_mixin_classes_are_built_through_get_instance():
    reg = Registry("toy", scope="mmr_toy5")

    @reg.register_module()
    class Global(ManagerMixin):
        def __init__(self, name, value=0):
            super().__init__(name)
            self.value = value
    first = reg.build(dict(type="Global", name="g1", value=3))
    assert reg.build(dict(type="Global", name="g1")) is first
    assert Global.get_current_instance() is first and first.instance_name == "g1"


def test_locations_are_imported_on_first_lookup(tmp_path, monkeypatch):
    pkg = tmp_path / "mmr_lazy_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "things.py").write_text(textwrap.dedent("""
        from mmr_lazy_pkg.reg import REG
        @REG.register_module()
        class LazyThing:
            pass
    """))
    (pkg / "reg.py").write_text("from runtime.registry import Registry\n"
                                "REG = Registry('lazy', locations=['mmr_lazy_pkg.things'])\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        from mmr_lazy_pkg.reg import REG
        assert REG.scope == "mmr_lazy_pkg"
        assert "mmr_lazy_pkg.things" not in sys.modules
        assert REG.get("LazyThing").__name__ == "LazyThing"
        assert "mmr_lazy_pkg.things" in sys.modules
    finally:
        for name in [m for m in sys.modules if m.startswith("mmr_lazy_pkg")]:
            del sys.modules[name]


def test_child_registry_found_through_scope_package(tmp_path, monkeypatch):
    """default_scope='pkg' imports `pkg.registry`, where the package hangs its child registries."""
    pkg = tmp_path / "mmr_scope_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "registry.py").write_text(textwrap.dedent("""
        from runtime.registry import MODELS as ROOT_MODELS, Registry
        MODELS = Registry('model', parent=ROOT_MODELS, scope='mmr_scope_pkg')
        @MODELS.register_module()
        class PkgNet:
            pass
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with DefaultScope.overwrite_default_scope("mmr_scope_pkg"):
            assert MODELS.build(dict(type="PkgNet")).__class__.__name__ == "PkgNet"
    finally:
        MODELS._children.pop("mmr_scope_pkg", None)
        for name in [m for m in sys.modules if m.startswith("mmr_scope_pkg")]:
            del sys.modules[name]


def test_build_model_list_is_sequential():
    import torch.nn as nn
    reg = Registry("model", build_func=build_model_from_cfg, scope="mmr_toy6")
    reg.register_module(module=nn.Linear)
    reg.register_module(module=nn.ReLU)
    seq = reg.build([dict(type="Linear", in_features=2, out_features=3), dict(type="ReLU")])
    assert isinstance(seq, nn.Sequential) and isinstance(seq[0], nn.Linear) and len(seq) == 2


def test_build_runner_from_cfg():
    reg = Registry("runner", build_func=build_runner_from_cfg, scope="mmr_toy7")

    @reg.register_module()
    class Runner:
        @classmethod
        def from_cfg(cls, cfg):
            obj = cls()
            obj.cfg = cfg
            return obj

    @reg.register_module()
    class MyRunner(Runner):
        pass
    assert type(reg.build(dict(a=1))) is Runner
    built = reg.build(dict(runner_type="MyRunner", a=2))
    assert type(built) is MyRunner and built.cfg["a"] == 2
    with pytest.raises(UnknownTypeError, match="runner_type"):
        reg.build(dict(runner_type="MyRuner"))


def test_scheduler_build_function_with_fake_class():
    reg = Registry("sched", build_func=build_scheduler_from_cfg, scope="mmr_toy8")

    @reg.register_module()
    class Sched:
        def __init__(self, optimizer, milestones, by_epoch=True):
            self.optimizer, self.milestones, self.by_epoch = optimizer, milestones, by_epoch

        @classmethod
        def build_iter_from_epoch(cls, optimizer, milestones, epoch_length, by_epoch=True):
            return cls(optimizer, [m * epoch_length for m in milestones], by_epoch=False)
    plain = reg.build(dict(type="Sched", milestones=[1, 2]),
                      default_args=dict(optimizer="opt", epoch_length=5))
    assert plain.milestones == [1, 2] and plain.by_epoch
    conv = reg.build(dict(type="Sched", milestones=[1, 2], convert_to_iter_based=True),
                     default_args=dict(optimizer="opt", epoch_length=5))
    assert conv.milestones == [5, 10] and not conv.by_epoch
    with pytest.raises(ValueError, match="epoch_length"):
        reg.build(dict(type="Sched", milestones=[1], convert_to_iter_based=True),
                  default_args=dict(optimizer="opt"))


def test_real_optimizer_and_scheduler_registries():
    import torch
    params = [torch.nn.Parameter(torch.zeros(2))]
    opt = OPTIMIZERS.build(dict(type="SGD", lr=0.1, momentum=0.9), default_args=dict(params=params))
    assert isinstance(opt, torch.optim.SGD)
    sched = PARAM_SCHEDULERS.build(
        dict(type="MultiStepLR", milestones=[1, 3], by_epoch=True, convert_to_iter_based=True),
        default_args=dict(optimizer=opt, epoch_length=4))
    assert sorted(sched.milestones) == [4, 12] and sched.by_epoch is False
    with pytest.raises(UnknownTypeError, match="Did you mean: SGD"):
        OPTIMIZERS.build(dict(type="SDG", lr=0.1), default_args=dict(params=params))
