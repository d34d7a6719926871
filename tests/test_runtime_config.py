"""runtime.config.Config against hand-written config trees; where MMEngine is installed, the same
trees are also loaded with mmengine.Config and must give the same dict."""
import copy
import pickle
import sys
import textwrap
from argparse import ArgumentParser

import pytest

from runtime.config import Config, ConfigDict, ConfigParsingError, DictAction


def write(root, rel, text):
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text))
    return p


@pytest.fixture
def tree(tmp_path):
    write(tmp_path, "_base_/models/net.py", """
        model = dict(type='Net', backbone=dict(type='ResNet', depth=50, norm=dict(type='BN')),
                     head=dict(type='Head', num_classes=80, loss=dict(type='CE', weight=1.0)))
    """)
    write(tmp_path, "_base_/schedule.py", """
        optimizer = dict(type='SGD', lr=0.02, momentum=0.9)
        max_epochs = 12
        milestones = [8, 11]
    """)
    write(tmp_path, "_base_/runtime.yaml", """
        log_level: INFO
        load_from: null
        hooks: [{type: A}, {type: B, interval: 5}]
    """)
    child = write(tmp_path, "exp/child.py", """
        _base_ = ['../_base_/models/net.py', '../_base_/schedule.py', '../_base_/runtime.yaml']
        model = dict(backbone=dict(depth=101, norm=dict(_delete_=True, type='GN', groups=32)),
                     head=dict(num_classes={{_base_.max_epochs}}))
        optimizer = dict(lr=_base_.optimizer.lr * 2)
        steps = [m * 2 for m in _base_.milestones]
        lr_at = {{_base_.optimizer}}
        work_dir = './work_dirs/{{fileBasenameNoExtension}}'
        log_level = 'DEBUG'
    """)
    return tmp_path, child


def test_base_merge_delete_and_base_vars(tree):
    root, child = tree
    cfg = Config.fromfile(child)
    assert cfg.filename == str(child)
    assert cfg.model.backbone == dict(type="ResNet", depth=101, norm=dict(type="GN", groups=32))
    assert cfg.model.head.loss.weight == 1.0 and cfg.model.head.num_classes == 12
    assert cfg.optimizer == dict(type="SGD", lr=0.04, momentum=0.9)
    assert cfg.steps == [16, 22] and cfg.lr_at == dict(type="SGD", lr=0.02, momentum=0.9)
    assert cfg.work_dir == "./work_dirs/child"
    assert cfg.log_level == "DEBUG" and cfg.load_from is None
    assert cfg.hooks == [dict(type="A"), dict(type="B", interval=5)]
    assert isinstance(cfg.hooks[1], ConfigDict) and cfg.hooks[1].interval == 5
    assert "_base_" not in cfg and "max_epochs" in cfg
    assert isinstance(cfg.model.backbone, ConfigDict)
    assert "child.py" in cfg.text and "net.py" in cfg.text


def test_same_result_as_mmengine(tree):
    mmengine_config = pytest.importorskip("mmengine.config")
    root, child = tree
    ours = Config.fromfile(child).to_dict()
    theirs = mmengine_config.Config.fromfile(str(child)).to_dict()
    assert ours == theirs


def test_predefined_and_env_vars(tmp_path, monkeypatch):
    p = write(tmp_path, "a/cfg_x.py", """
        d = '{{ fileDirname }}'
        b = '{{fileBasename}}'
        e = '{{fileExtname}}'
        root = '{{$MMR_ROOT:/data/default}}/img'
        n = {{'$MMR_N:3'}}
    """)
    cfg = Config.fromfile(p)
    assert (cfg.d, cfg.b, cfg.e) == (str(p.parent), "cfg_x.py", ".py")
    assert cfg.root == "/data/default/img" and cfg.n == 3
    monkeypatch.setenv("MMR_ROOT", "/elsewhere")
    monkeypatch.setenv("MMR_N", "7")
    cfg = Config.fromfile(p)
    assert cfg.root == "/elsewhere/img" and cfg.n == 7 and cfg.env_variables["MMR_N"] == "7"


def test_errors_name_the_file(tmp_path):
    child = write(tmp_path, "c.py", "_base_ = './nope.py'\na = 1\n")
    with pytest.raises(FileNotFoundError, match=r"nope\.py.*a _base_ of .*c\.py"):
        Config.fromfile(child)
    bad = write(tmp_path, "bad.py", "a = dict(\nb = 2\n")
    with pytest.raises(SyntaxError, match=r"bad\.py"):
        Config.fromfile(bad)
    name_err = write(tmp_path, "n.py", "a = 1\nb = undefined_name + 1\n")
    with pytest.raises(ConfigParsingError, match=r"n\.py, line 2: NameError"):
        Config.fromfile(name_err)
    with pytest.raises(FileNotFoundError, match="missing.py"):
        Config.fromfile(tmp_path / "missing.py")
    b1 = write(tmp_path, "b1.py", "x = 1\n")
    b2 = write(tmp_path, "b2.py", "x = 2\n")
    dup = write(tmp_path, "dup.py", "_base_ = ['b1.py', 'b2.py']\n")
    with pytest.raises(KeyError, match="x"):
        Config.fromfile(dup)
    assert b1.exists() and b2.exists()
    loop = write(tmp_path, "loop.py", "_base_ = 'loop.py'\n")
    with pytest.raises(ConfigParsingError, match="circular"):
        Config.fromfile(loop)
    typ = write(tmp_path, "typ.py", "_base_ = 'b1.py'\nx = dict(a=1)\n")
    with pytest.raises(TypeError, match="_delete_"):
        Config.fromfile(typ)


def test_custom_imports_register_modules(tmp_path):
    write(tmp_path, "my_mmr_plugin.py", """
        from runtime.registry import MODELS
        @MODELS.register_module()
        class MmrPluginNet:
            def __init__(self, width):
                self.width = width
    """)
    cfg_path = write(tmp_path, "cfg.py", """
        custom_imports = dict(imports=['my_mmr_plugin'], allow_failed_imports=False)
        model = dict(type='MmrPluginNet', width=3)
    """)
    try:
        cfg = Config.fromfile(cfg_path)
        from runtime.registry import MODELS
        assert MODELS.build(cfg.model).width == 3
    finally:
        sys.modules.pop("my_mmr_plugin", None)
        from runtime.registry import MODELS
        MODELS._module_dict.pop("MmrPluginNet", None)
    failing = write(tmp_path, "f.py", "custom_imports = dict(imports=['no_such_mod_xyz'])\n")
    with pytest.raises(ImportError, match=r"f\.py.*no_such_mod_xyz"):
        Config.fromfile(failing)
    allowed = write(tmp_path, "g.py", "custom_imports = dict(imports=['no_such_mod_xyz'], "
                                      "allow_failed_imports=True)\n")
    with pytest.warns(UserWarning, match="no_such_mod_xyz"):
        assert Config.fromfile(allowed).custom_imports.imports == ["no_such_mod_xyz"]


def test_merge_from_dict_and_dict_action(tree):
    cfg = Config(dict(model=dict(backbone=dict(depth=50)),
                      pipeline=[dict(type="Load"), dict(type="Resize", scale=(1, 2))]))
    parser = ArgumentParser()
    parser.add_argument("--cfg-options", nargs="+", action=DictAction)
    args = parser.parse_args(["--cfg-options", "model.backbone.depth=101",
                              "model.backbone.frozen=true", "pipeline.1.scale=(3,4)",
                              "lr=0.1", "ids=[1,2,(3,a)]", "names=a,b", "none=None",
                              "model.neck.channels=[64,128]"])
    assert args.cfg_options["ids"] == [1, 2, (3, "a")] and args.cfg_options["names"] == ["a", "b"]
    cfg.merge_from_dict(args.cfg_options)
    assert cfg.model.backbone == dict(depth=101, frozen=True)
    assert cfg.pipeline[1] == dict(type="Resize", scale=(3, 4)) and cfg.pipeline[0].type == "Load"
    assert cfg.lr == 0.1 and cfg.none is None and cfg.model.neck.channels == [64, 128]
    with pytest.raises(KeyError, match="exceeds"):
        cfg.merge_from_dict({"pipeline.5.type": "X"})
    cfg.merge_from_dict({"model.backbone": dict(_delete_=True, type="Tiny")})
    assert cfg.model.backbone == dict(type="Tiny")


def test_attribute_access_and_dict_api():
    cfg = Config(dict(a=dict(b=1), lst=[dict(c=2)]))
    assert cfg.a.b == 1 and cfg["a"]["b"] == 1 and cfg.lst[0].c == 2
    with pytest.raises(AttributeError, match="nothere"):
        cfg.nothere
    with pytest.raises(AttributeError, match="zz"):
        cfg.a.zz
    cfg.x = dict(y=1)
    cfg.a.b = 5
    cfg["z"] = 3
    assert isinstance(cfg.x, ConfigDict) and cfg.x.y == 1 and cfg.a.b == 5 and cfg.z == 3
    assert cfg.get("missing", 7) == 7 and "x" in cfg and "q" not in cfg
    assert list(cfg.keys()) == ["a", "lst", "x", "z"] and dict(cfg.items())["z"] == 3
    assert type(cfg.to_dict()["a"]) is dict and type(cfg.to_dict()["lst"][0]) is dict
    with pytest.raises(KeyError, match="reserved"):
        Config(dict(filename=1))


def test_copy_pickle(tree):
    _, child = tree
    cfg = Config.fromfile(child)
    clone = copy.deepcopy(cfg)
    clone.model.backbone.depth = 1
    assert cfg.model.backbone.depth == 101 and clone.filename == cfg.filename
    shallow = copy.copy(cfg)
    shallow.new_key = 1
    assert "new_key" not in cfg
    back = pickle.loads(pickle.dumps(cfg))
    assert back.to_dict() == cfg.to_dict() and back.filename == cfg.filename
    assert isinstance(back.model, ConfigDict) and back.model.head.type == "Head"
    cd = pickle.loads(pickle.dumps(ConfigDict(a=dict(b=1))))
    assert cd.a.b == 1


def test_dump_round_trip(tree, tmp_path):
    _, child = tree
    cfg = Config.fromfile(child)
    cfg.merge_from_dict({"odd": {"1x": (1,), "y": float("inf"), "s": {3, 1}, "e": set()},
                         "typ": ConfigDict,
                         "long": [dict(type=f"T{i}", value=list(range(i))) for i in range(12)]})
    out = tmp_path / "dumped.py"
    cfg.dump(out)
    again = Config.fromfile(out)
    expected = cfg.to_dict()
    expected["typ"] = "runtime.config.config.ConfigDict"
    assert again.to_dict() == expected
    assert max(len(line) for line in out.read_text().splitlines()) <= 100
    assert cfg.dump() == out.read_text() == cfg.pretty_text
    cfg_js = Config(dict(a=1, b=[1, 2]))
    cfg_js.dump(tmp_path / "x.json")
    assert Config.fromfile(tmp_path / "x.json").to_dict() == dict(a=1, b=[1, 2])


def test_fromstring_and_lazy_rejected(tmp_path):
    cfg = Config.fromstring("a = 1\nb = dict(c=[1, 2])\n", ".py")
    assert cfg.b.c == [1, 2] and cfg.filename is None
    p = write(tmp_path, "lazy.py", "from mmengine.config import read_base\nwith read_base():\n"
                                   "    from .x import *\n")
    with pytest.raises(ConfigParsingError, match="read_base"):
        Config.fromfile(p)
