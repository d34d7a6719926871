"""The static loader gives the config MMCV 1.x would see (checked against hand-written
expectations, against executing the file, and against MMEngine's Config.fromfile), never executes
anything unless asked, and reports bad input with file, line and field."""
import json
import os
import textwrap
from pathlib import Path

import pytest

from casekit import read_plain
from migrator.errors import Location, MigrateError
from migrator.load import clear_cache, load_config, load_file

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "load"
INHERIT = FIX / "inherit"
ERRORS = FIX / "errors"


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text))
    return p


def _mmengine_dict(path):
    mmengine_config = pytest.importorskip("mmengine.config")
    return mmengine_config.Config.fromfile(str(path), import_custom_modules=False).to_dict()


# ----------------------------------------------------------------------------- inheritance
CHILD_EXPECTED = {
    "norm_cfg": {"type": "BN", "requires_grad": True},
    "model": {
        "type": "FasterRCNN",
        "backbone": {"type": "ResNet", "depth": 101,
                     "norm_cfg": {"type": "BN", "requires_grad": True},
                     "out_indices": (0, 1, 2, 3)},
        "neck": {"type": "PAFPN", "in_channels": [64, 128], "out_channels": 64},
        "train_cfg": {"rpn": {"assigner": {"type": "MaxIoUAssigner", "pos_iou_thr": 0.7}}},
    },
    "optimizer": {"type": "AdamW", "lr": 0.0001},
    "optimizer_config": {"grad_clip": None},
    "lr_config": {"policy": "step", "warmup": "linear", "warmup_iters": 500, "step": [16, 22]},
    "runner": {"type": "EpochBasedRunner", "max_epochs": 24},
    "data_root": "data/coco/",
    "checkpoint_config": {"interval": 1},
    "log_config": {"interval": 50, "hooks": [{"type": "TextLoggerHook"}]},
    "workflow": [("train", 1)],
    "evaluation": {"interval": 2, "metric": "bbox"},
}


def test_base_list_merge_delete_and_key_order():
    loaded = load_config(INHERIT / "child.py")
    assert loaded.cfg == CHILD_EXPECTED
    assert list(loaded.cfg) == list(CHILD_EXPECTED)          # base keys first, new keys last
    assert list(loaded.cfg["model"]["neck"]) == ["type", "in_channels", "out_channels"]
    base = INHERIT / "_base_"
    assert loaded.files == [str(base / "model.py"), str(base / "schedule.py"),
                            str(base / "runtime.py"), str(INHERIT / "child.py")]
    assert loaded.sources["model"] == Location(str(INHERIT / "child.py"), 2)
    assert loaded.sources["optimizer_config"] == Location(str(base / "schedule.py"), 2)
    assert loaded.sources["workflow"] == Location(str(base / "runtime.py"), 4)
    assert set(loaded.sources) == set(loaded.cfg)


def test_placeholders_base_attribute_and_predefined_vars():
    cfg = load_config(INHERIT / "grandchild.py").cfg
    assert cfg["depth"] == 101
    assert cfg["log_hooks"] == [{"type": "TextLoggerHook"}]
    assert cfg["log_config"] == {"interval": 10, "hooks": [{"type": "TextLoggerHook"}]}
    assert cfg["total_epochs"] == 48
    assert cfg["work_dir"] == "./work_dirs/grandchild"
    assert cfg["runner"] == {"type": "EpochBasedRunner", "max_epochs": 36}
    assert list(cfg)[-4:] == ["depth", "log_hooks", "total_epochs", "work_dir"]


@pytest.mark.parametrize("name", ["child.py", "grandchild.py"])
def test_inheritance_fixtures_match_mmengine(name):
    ours = load_config(INHERIT / name).cfg
    ref = _mmengine_dict(INHERIT / name)
    assert ours == ref and list(ours) == list(ref)


def test_base_variables_usable_as_names_and_placeholders_in_strings():
    cfg = load_config(INHERIT / "base_names.py").cfg
    assert cfg["norm_cfg"] == {"type": "BN", "requires_grad": False}
    assert cfg["model"]["backbone"]["norm_cfg"] == {"type": "BN", "requires_grad": False}
    assert cfg["model"]["backbone"]["depth"] == 50
    assert cfg["ann_file"] == "data/coco/annotations/train.json"
    assert cfg["img_prefix"] == "data/coco/train2017/"
    assert cfg["first_channels"] == 256


def test_load_file_keeps_own_names_unmerged():
    fc = load_file(INHERIT / "child.py")
    base = INHERIT / "_base_"
    assert fc.path == str(INHERIT / "child.py")
    assert fc.bases == [str(base / "model.py"), str(base / "schedule.py"), str(base / "runtime.py")]
    assert list(fc.own) == ["model", "lr_config", "runner", "optimizer", "evaluation"]
    assert fc.own["optimizer"] == {"_delete_": True, "type": "AdamW", "lr": 0.0001}
    assert fc.own["model"]["neck"]["_delete_"] is True
    assert fc.sources["evaluation"] == Location(str(INHERIT / "child.py"), 9)
    grand = load_file(INHERIT / "grandchild.py")
    assert grand.bases == [str(INHERIT / "child.py")]
    assert grand.own["depth"] == 101 and "_base_" not in grand.own


def test_results_are_independent_copies():
    a = load_config(INHERIT / "child.py")
    a.cfg["model"]["backbone"]["depth"] = 7
    a.cfg["workflow"].append("x")
    b = load_config(INHERIT / "child.py")
    assert b.cfg == CHILD_EXPECTED


def test_delete_without_matching_base_key_is_removed(tmp_path):
    # MMCV would leave `_delete_` here (documented difference); nothing in it can use the key
    p = _write(tmp_path, "a.py", "model = dict(_delete_=True, head=dict(_delete_=True, n=1))\n")
    assert load_config(p).cfg == {"model": {"head": {"n": 1}}}


def test_child_mutating_base_through_base_name(tmp_path):
    _write(tmp_path, "base.py", "model = dict(backbone=dict(depth=50))\n")
    p = _write(tmp_path, "child.py", """\
        _base_ = './base.py'
        _base_.model.backbone.depth = 101
        """)
    assert load_config(p).cfg == {"model": {"backbone": {"depth": 101}}}
    assert load_config(p).cfg == _mmengine_dict(p)


def test_del_base_attribute_like_mmengine(tmp_path):
    _write(tmp_path, "base.py", "model = dict(a=1)\ntta_model = dict(b=2)\n")
    p = _write(tmp_path, "child.py", "_base_ = './base.py'\ndel _base_.tta_model\nx = 1\n")
    assert load_config(p).cfg == {"model": {"a": 1}, "x": 1} == _mmengine_dict(p)


def test_predefined_variables(tmp_path):
    p = _write(tmp_path, "sub dir/my_cfg.py", """\
        names = ['{{ fileDirname }}', '{{fileBasename}}', '{{ fileBasenameNoExtension }}',
                 '{{ fileExtname }}']
        """)
    assert load_config(p).cfg["names"] == [str(tmp_path / "sub dir"), "my_cfg.py", "my_cfg", ".py"]


def test_json_and_yaml_configs_with_bases(tmp_path):
    _write(tmp_path, "base.py", "optimizer = dict(type='SGD', lr=0.1)\nsteps = [1, 2]\n")
    _write(tmp_path, "mid.json", json.dumps({"_base_": "./base.py", "optimizer": {"lr": 0.2},
                                             "copy": "{{ _base_.steps }}"}))
    p = _write(tmp_path, "top.yaml", "_base_: ./mid.json\nextra: {a: 1}\n")
    assert load_config(p).cfg == {"optimizer": {"type": "SGD", "lr": 0.2}, "steps": [1, 2],
                                  "copy": [1, 2], "extra": {"a": 1}}


# ----------------------------------------------------------------------------- constructs
def test_all_constructs_equal_execution():
    path = FIX / "constructs" / "all_constructs.py"
    ours = load_config(path).cfg
    executed = read_plain(path)
    assert ours == executed
    assert list(ours) == list(executed)


SNIPPETS = {
    "dict_call_kwargs_and_unpack": "a = dict(x=1)\nb = dict(a, y=2, **dict(z=3))\n",
    "list_tuple_set_calls": "a = list(range(3))\nb = tuple(a)\nc = sorted(set([3, 1, 3]))\n",
    "string_ops": "a = 'x' + 'y' * 2\nb = '%s-%d' % ('k', 3)\nc = 'a,b'.split(',')\n",
    "fstring_conversions": "v = 0.5\na = f'{v!r}|{v:.2f}|{v!s:>6}|{[1]}'\n",
    "subscripts_and_slices": "a = [0, 1, 2, 3, 4]\nb = a[1:4:2]\nc = a[-1]\nd = {'k': a}['k'][2]\n",
    "comparisons_bool": "a = 1 < 2 < 3\nb = 2 in [1, 2] and 3 not in (4,)\nc = [] or 'd'\n",
    "conditional": "n = 3\na = 'odd' if n % 2 else 'even'\n",
    "comprehensions": ("a = [i * 2 for i in range(4) if i]\nb = {k: v for k, v in zip('ab', (1, 2))}\n"
                       "c = [(i, j) for i in range(2) for j in range(i, 2)]\nd = {i % 2 for i in range(5)}\n"),
    "comprehension_var_does_not_leak": "i = 'kept'\na = [i for i in range(2)]\n",
    "builtins": "a = (len('abc'), min(3, 1), max([2, 5]), abs(-2), round(1.26, 1), int(2.7), float('1.5'))\n"
                "b = sum([1, 2], 10)\nc = list(enumerate('ab', 1))\nd = any([0, 1]) and all([1])\n",
    "augmented": "a = 1\na += 2\nl = [1]\nl += [2]\nd = dict(k=[1])\nd['k'] *= 2\n",
    "unpacking": "a, b = 1, 2\n(c, d), e = (3, 4), 5\nf, *g = 'xyz'\n",
    "methods_in_place": "d = dict(a=1)\nd.update(b=2)\nd.setdefault('c', 3)\nl = [3]\nl.extend([1])\n"
                        "l.insert(0, 9)\nl.pop()\nx = d.pop('a')\nk = list(d.keys())\n",
    "aliasing": "p = [dict(t=1)]\nd = dict(train=dict(pipeline=p))\np[0]['t'] = 2\np.append(3)\n",
    "chained_assign": "a = b = [1]\nb.append(2)\n",
    "if_and_for_statements": "n = 2\nif n > 1:\n    m = 'many'\nelse:\n    m = 'one'\n"
                             "acc = []\nfor i in range(3):\n    acc.append(i)\n",
    "dunder_names_dropped": "__hidden = 1\nvisible = 2\n",
    "reassigned_key_keeps_first_position": "a = 1\nb = 2\na = 3\n",
    "del_statement": "a = 1\nb = 2\ndel a\na = 4\n",
    "docstring_and_pass": "'''doc'''\npass\nx = None\n",
    "isinstance_and_str_methods": "v = 'Ab'\na = isinstance(v, str) and v.lower().startswith('a')\n"
                                  "b = '-'.join(str(i) for i in range(3))\nc = '{}x{}'.format(2, 3)\n",
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_construct_equals_execution(tmp_path, name):
    p = _write(tmp_path, f"{name}.py", SNIPPETS[name])
    ours = load_config(p).cfg
    executed = read_plain(p)
    assert ours == executed
    assert list(ours) == list(executed)


# ----------------------------------------------------------------------------- errors
ERROR_CASES = [
    # file, field, line, fragments of the message
    ("syntax_error.py", None, 1, ["syntax error", "never closed"]),
    ("missing_base.py", "_base_", 3, ["_base_ file not found", "does_not_exist.py"]),
    ("circular_a.py", "_base_", 1, ["circular", "circular_a.py -> circular_b.py -> circular_a.py"]),
    ("duplicate_keys.py", "shared", 1, ["Duplicate key is not allowed among bases", "a.py", "b.py"]),
    ("non_dict_merge.py", "optimizer", 3, ["dict in the child config but a str", "_delete_"]),
    ("import_os.py", "os", 2, ["`import` is not allowed", "`migrate --exec`"]),
    ("function_def.py", "make_lr", 4, ["function definition is not allowed"]),
    ("while_loop.py", None, 2, ["`while` loop is not allowed"]),
    ("unknown_call.py", "optimizer", 2, ["call to `open()` is outside the static config subset"]),
    ("undefined_name.py", "model", 1, ["name 'NUM_CLASSES' is not defined"]),
    ("dunder_attr.py", "leak", 1, ["attribute", "outside the static config subset"]),
    ("missing_key.py", "lr", 2, ["key 'momentum' not found", "_base_.optimizer"]),
]


@pytest.mark.parametrize("name,field,line,fragments", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_bad_input_is_reported_with_location(name, field, line, fragments):
    with pytest.raises(MigrateError) as exc:
        load_config(ERRORS / name)
    err = exc.value
    assert err.field == field
    assert err.line == line
    assert err.file is not None and os.path.basename(err.file).startswith(name.split("_")[0])
    text = str(err)
    assert f":{line}:" in text
    for frag in fragments:
        assert frag in text


def test_error_in_base_names_the_base_file(tmp_path):
    _write(tmp_path, "base.py", "x = 1\ny = undefined_thing\n")
    p = _write(tmp_path, "child.py", "_base_ = './base.py'\n")
    with pytest.raises(MigrateError) as exc:
        load_config(p)
    assert exc.value.file == str(tmp_path / "base.py") and exc.value.line == 2
    assert exc.value.field == "y"


def test_nested_non_dict_merge_names_dotted_field(tmp_path):
    _write(tmp_path, "base.py", "model = dict(backbone='resnet50')\n")
    p = _write(tmp_path, "child.py", "_base_ = './base.py'\nx = 1\nmodel = dict(\n    backbone=dict(depth=50))\n")
    with pytest.raises(MigrateError) as exc:
        load_config(p)
    assert (exc.value.field, exc.value.line, exc.value.file) == ("model.backbone", 3, str(p))


def test_sources_follow_the_last_change(tmp_path):
    p = _write(tmp_path, "a.py", """\
        lr_config = dict(policy='step')
        other = 1
        lr_config.update(warmup='linear')
        model = dict(type='X')
        model['head'] = dict(n=1)
        other += 1
        """)
    src = load_config(p).sources
    assert (src["lr_config"].line, src["model"].line, src["other"].line) == (3, 5, 6)


def test_missing_top_file(tmp_path):
    with pytest.raises(MigrateError, match="config file not found"):
        load_config(tmp_path / "nope.py")


def test_static_loader_never_executes(tmp_path):
    marker = tmp_path / "marker"
    p = _write(tmp_path, "evil.py", f"x = open({str(marker)!r}, 'w')\n")
    with pytest.raises(MigrateError):
        load_config(p)
    assert not marker.exists()
    p2 = _write(tmp_path, "evil2.py", "x = ''.join.__self__.__class__\n")
    with pytest.raises(MigrateError):
        load_config(p2)
    p3 = _write(tmp_path, "big.py", "x = 'a' * 10 ** 9\n")
    with pytest.raises(MigrateError, match="too large"):
        load_config(p3)


def test_allow_exec_runs_rejected_files():
    loaded = load_config(ERRORS / "exec_ok.py", allow_exec=True)
    assert loaded.cfg == {"shared": 2, "work_dir": os.path.join("work_dirs", "exp"), "lr": 0.02,
                          "model": {"type": "X", "depth": 2}}
    assert loaded.sources["lr"] == Location(str(ERRORS / "exec_ok.py"), 9)
    with pytest.raises(MigrateError, match="not allowed"):
        load_config(ERRORS / "exec_ok.py")


# ----------------------------------------------------------------------------- cache
def test_cache_notices_changed_base(tmp_path):
    base = _write(tmp_path, "base.py", "lr = 0.1\n")
    child = _write(tmp_path, "child.py", "_base_ = './base.py'\nwd = 1\n")
    assert load_config(child).cfg == {"lr": 0.1, "wd": 1}
    base.write_text("lr = 0.5\nmomentum = 0.9\n")
    st = base.stat()
    os.utime(base, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))
    assert load_config(child).cfg == {"lr": 0.5, "momentum": 0.9, "wd": 1}


def test_cache_notices_rewrite_with_same_mtime(tmp_path):
    p = _write(tmp_path, "a.py", "lr = 0.1\n")
    st = p.stat()
    assert load_config(p).cfg == {"lr": 0.1}
    p.write_text("lr = 0.7\n")
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))      # same size, same mtime
    assert load_config(p).cfg == {"lr": 0.7}


# ----------------------------------------------------------------------------- real configs
def _mmdet_configs():
    from realdata import real_configs
    return real_configs("mmdet", "2.28.2")


@pytest.mark.integration
def test_mmdet2_tree_loads_statically():
    """Every config of the real tree loads without exec (its speed: benchmarks/convert_tree.py)."""
    root = _mmdet_configs()
    paths = sorted(root.rglob("*.py"))
    assert len(paths) == 666
    clear_cache()
    for p in paths:
        assert isinstance(load_config(p).cfg, dict), p


N_CHUNKS = 4


@pytest.mark.integration
@pytest.mark.parametrize("chunk", range(N_CHUNKS))
def test_mmdet2_tree_matches_mmengine(chunk):
    import warnings
    root = _mmdet_configs()
    paths = sorted(root.rglob("*.py"))[chunk::N_CHUNKS]
    differ = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for p in paths:
            ours = load_config(p).cfg
            ref = _mmengine_dict(p)
            if ours != ref or list(ours) != list(ref):
                differ.append(str(p.relative_to(root)))
    assert differ == []
