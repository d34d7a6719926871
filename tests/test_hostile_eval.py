"""Hostile and unusual config values: the static evaluator stays bounded and leak-free, every
value MMEngine can hold is emitted as an expression giving the same value, and everything else
is a clean error naming file, line and field (never a traceback, never RecursionError).

The oracle for "a value MMEngine can hold" is real mmengine 0.10.7: `Config.fromfile` loads the
file and its `pretty_text` (what the Runner dumps into the work dir) loads back equal."""
import contextlib
import io
import os
import textwrap
import time
import warnings
from pathlib import Path

import pytest

from migrator.cli import main as migrate
from migrator.emit.values import Names, format_value
from migrator.errors import MigrateError
from migrator.load import clear_cache, load_config

mmengine_config = pytest.importorskip("mmengine.config")


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def _mmengine(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mmengine_config.Config.fromfile(str(path), import_custom_modules=False)


def _mmengine_round_trips(path, tmp_path) -> bool:
    """MMEngine loads the file and its dump loads back equal (a config the Runner can use)."""
    try:
        cfg = _mmengine(path)
        dumped = tmp_path / ("dump_" + path.name)
        dumped.write_text(cfg.pretty_text)
        return _mmengine(dumped).to_dict() == cfg.to_dict()
    except Exception:
        return False


def _cli(*args):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = migrate([str(a) for a in args] + ["-q", "-j", "1"])
    return rc, err.getvalue()


# ----------------------------------------------------------------------------- values
KEPT = {   # values MMEngine holds and dumps: emitted as an expression with the same value
    "range": "ids = range(0, 1)\nr2 = range(2, 10, 3)\nd = dict(gpus=range(4))\n",
    "bytes": "x = b'ab\\x00'\n",
    "complex": "x = 1 + 2j\ny = complex(0, -1.5)\n",
    "ellipsis": "x = ...\ny = [1, ...]\n",
    "frozenset": "x = frozenset([3, 1])\ny = frozenset()\n",
    "tuple_keys": "x = {(1, 2): 'a', (3,): 'b'}\n",
    "scalar_keys": "x = {1: 'a', None: 'n', 2.5: 'f', True: 't', b'k': 'b'}\n",
    "nested_odd": "model = dict(head=dict(ids=range(3), lut={(0, 1): frozenset({2})}))\n",
    "dict_literal_duplicate": "x = {'lr': 0.1, 'lr': 0.2}\n",
    "star_precedence": "a = dict(k=1, j=2)\nlater = {'k': 0, **a}\nearlier = {**a, 'k': 0}\n",
}


@pytest.mark.parametrize("name", sorted(KEPT))
def test_values_mmengine_holds_are_emitted_and_load_equal(tmp_path, name):
    src = _write(tmp_path, f"{name}.py", KEPT[name])
    assert _mmengine_round_trips(src, tmp_path), "the oracle says MMEngine cannot hold this"
    ref = _mmengine(src).to_dict()
    for mode in (["--flat"], []):
        out = tmp_path / ("out" + "".join(mode))
        rc, err = _cli(src, "-o", out, *mode)
        assert rc == 0, err
        got = _mmengine(out / src.name).to_dict()
        assert {k: got[k] for k in ref} == ref
    assert load_config(out / src.name).cfg == load_config(src).cfg


def test_kept_values_are_written_as_their_expression(tmp_path):
    assert format_value(range(0, 1)) == "range(0, 1)"
    assert format_value({(1, 2): ...}) == "{(1, 2): ...}"
    assert format_value(frozenset({3, 1})) == "frozenset({1, 3})"
    assert format_value(complex(float("inf"), 1)) == "complex(float('inf'), 1.0)"
    assert format_value([b"x", 2j]) == "[b'x', 2j]"


def test_star_unpacking_precedence_in_dict_displays(tmp_path):
    # Python: a later `**a` overrides 'k', an earlier one is overridden; the key keeps the
    # position where it first appeared
    src = _write(tmp_path, "p.py", KEPT["star_precedence"] + "c = dict(dict(k=1), k=5)\n")
    cfg = load_config(src).cfg
    assert cfg["later"] == {"k": 1, "j": 2} and list(cfg["later"]) == ["k", "j"]
    assert cfg["earlier"] == {"k": 0, "j": 2} and list(cfg["earlier"]) == ["k", "j"]
    assert cfg["c"] == {"k": 5}
    assert cfg == _mmengine(src).to_dict()


REFUSED = [   # name, source, line, field, fragment of the message
    ("zip", "x = zip([1], [2])\n", 1, "x", "zip(): a one-shot iterator"),
    ("map", "x = dict(a=map(str, [1]))\n", 1, "x.a", "map(): a one-shot iterator"),
    ("enumerate", "x = [1, enumerate('ab')]\n", 1, "x[1]", "enumerate(): a one-shot"),
    ("generator", "x = (i for i in range(3))\n", 1, "x", "a generator expression: a one-shot"),
    ("function", "n = 1\nx = dict(f=len)\n", 2, "x.f", "`len` is a function or class"),
    ("class", "x = [dict]\n", 1, "x[0]", "is a function or class"),
    ("unhashable_key", "x = {[1]: 2}\n", 1, "x", "unhashable type: 'list'"),
    ("int_digits", "x = 10**4000 * 10**4000\n", 1, "x", "integer too large"),
    ("int_grown", "x = 10**1400\nx *= x\nx *= x\n", 3, "x", "integer too large"),
    ("chained_pow", "x = 2**2**2**2**2**2\n", 1, "x", "integer too large"),
    ("shift", "x = 1 << 100000\n", 1, "x", "integer too large"),
    ("repeated_keyword", "x = 1\noptimizer = dict(lr=0.1, lr=0.2)\n", 2, None,
     "keyword argument repeated: lr"),
    ("repeated_keyword_star", "a = dict(lr=1)\nx = dict(**a, lr=2)\n", 2, "x",
     "got multiple values for keyword argument 'lr'"),
    ("self_containing", "a = [1]\na.append(a)\n", 2, "a[1]", "contains itself"),
    ("self_containing_dict", "d = dict()\nd['me'] = d\n", 2, "d.me", "contains itself"),
    ("deep_dict", "d = {}\nfor i in range(10000):\n    d = {'a': d}\n", 3, None,
     "nested deeper than 64 levels"),
    ("alias_explosion", "a = [1]\nfor i in range(60):\n    a = [a, a]\n", 3, None,
     "value too large"),
    ("alias_string", "a = ['x' * 1000000] * 1000\nb = str(a)\n", 2, "b", "value too large"),
    ("yaml_like_null", "x = 1\x00\n", None, None, "null bytes"),
    ("deep_source", "x = " + "-" * 5000 + "1\n", None, None, "nested too deeply to parse"),
    ("deep_expression", "x = " + "[" * 150 + "]" * 150 + "\n", 1, "x", "nested deeper than 100"),
]


@pytest.mark.parametrize("name,source,line,field,fragment", REFUSED, ids=[r[0] for r in REFUSED])
def test_values_mmengine_cannot_hold_are_clean_errors(tmp_path, name, source, line, field,
                                                      fragment):
    src = tmp_path / f"{name}.py"
    src.write_text(source)
    with pytest.raises(MigrateError) as exc:
        load_config(src)
    err = exc.value
    assert err.file == str(src) and err.line == line and fragment in str(err)
    if field is not None:
        assert err.field == field
    else:
        assert err.field is None or err.field.split(".")[0].split("[")[0] in source
    rc, out = _cli(src, "-o", tmp_path / "o", "--flat")
    assert rc == 2 and "Traceback" not in out and fragment in out


@pytest.mark.parametrize("name", ["zip", "map", "enumerate", "function", "class", "int_digits",
                                  "repeated_keyword", "repeated_keyword_star", "self_containing",
                                  "deep_dict", "unhashable_key"])
def test_refused_values_are_refused_by_mmengine_too(tmp_path, name):
    source = next(r[1] for r in REFUSED if r[0] == name)
    src = tmp_path / f"{name}.py"
    src.write_text(source)
    assert not _mmengine_round_trips(src, tmp_path)


def test_tree_run_reports_bad_file_and_converts_the_others(tmp_path):
    tree = tmp_path / "configs"
    tree.mkdir()
    (tree / "good.py").write_text("optimizer = dict(type='SGD', lr=0.1)\n")
    (tree / "bad.py").write_text("d = {}\nfor i in range(10000):\n    d = {'a': d}\n")
    (tree / "loop.py").write_text("a = [1]\na.append(a)\n")
    (tree / "gpus.py").write_text("gpu_ids = range(0, 1)\nids = range(2)\n")
    rc, err = _cli(tree, "-o", tmp_path / "new")
    assert rc == 2 and "Traceback" not in err and "RecursionError" not in err
    assert "bad.py:3" in err and "loop.py:2: a[1]" in err
    assert "optim_wrapper" in (tmp_path / "new" / "good.py").read_text()
    gpus = (tmp_path / "new" / "gpus.py").read_text()    # the case: converted, noted
    assert "ids = range(2)" in gpus and "original: range(0, 1)" in gpus


# ----------------------------------------------------------------------------- format strings
LEAKS = [
    "x = '{0.__self__.__loader__}'.format(len)\n",
    "x = '{0.__class__.__mro__}'.format('')\n",
    "x = '{a.__class__}'.format(a=1)\n",
    "x = '{0[os]}'.format(dict(os=1))\n",
    "x = list(map('{0.__self__}'.format, [len]))\n",
    "x = sorted(['b', 'a'], key='{0.__class__}'.format)\n",
    "f = '{0.__self__}'.format\nx = f(len)\n",
    "x = f'{len.__self__}'\n",
    "x = '{:{}}'.format(1, '0.__class__')\n",
]


@pytest.mark.parametrize("source", LEAKS)
def test_format_fields_cannot_walk_attributes(tmp_path, source):
    src = tmp_path / "leak.py"
    src.write_text(source)
    with pytest.raises(MigrateError) as exc:
        load_config(src)
    assert exc.value.line is not None and exc.value.field in ("x", "f")
    assert any(m in str(exc.value) for m in ("attribute or index access", "outside the static",
                                             "ValueError: Format specifier"))


def test_plain_format_fields_equal_python(tmp_path):
    src = _write(tmp_path, "fmt.py", """\
        a = '{}-{}'.format(1, 'b')
        b = '{1}{0}{1}'.format('x', 'y')
        c = '{n:>6.2f}|{n!r}|{s!s:^7}'.format(n=0.5, s='ab')
        d = '{:{w}}|'.format(3, w=4)
        e = '%(k)s=%05.1f %%' % dict(k='lr', v=1) if False else '%s=%05.1f %%' % ('lr', 2.25)
        f = f'{a!r:>12}{1:>{2 + 3}}'
        """)
    ns = {}
    exec(src.read_text(), ns)
    assert load_config(src).cfg == {k: ns[k] for k in "abcdef"}
    bad = _write(tmp_path, "mix.py", "x = '{}{0}'.format(1, 2)\n")
    with pytest.raises(MigrateError, match="cannot switch from automatic field numbering"):
        load_config(bad)


def test_no_secret_reaches_an_output(tmp_path, monkeypatch):
    monkeypatch.setenv("MMMIGRATE_TEST_SECRET", "s3cr3t-token-value")
    for i, source in enumerate(LEAKS):
        src = tmp_path / f"l{i}.py"
        src.write_text(source)
        rc, err = _cli(src, "-o", tmp_path / "out", "--flat")
        assert rc == 2 and "s3cr3t" not in err
    assert not any("s3cr3t" in p.read_text() for p in (tmp_path / "out").rglob("*") if p.is_file())


# ----------------------------------------------------------------------------- budgets
BUDGETS = [
    ("nested_loops", "n = 0\nfor i in range(10**7):\n    for j in range(10**7):\n        n += 1\n",
     "evaluation budget exceeded"),
    ("comprehension", "x = [i for i in range(10**7) for j in range(10**7)]\n",
     "evaluation budget exceeded"),
    ("sum_range", "x = sum(range(10**9))\n", "evaluation budget exceeded"),
    ("list_range", "x = list(range(10**8))\n", "evaluation budget exceeded"),
    ("format_width", "x = '{:>999999999}'.format(1)\n", "exceeds 10,000"),
    ("format_precision", "x = '{:.999999999f}'.format(1.0)\n", "exceeds 10,000"),
    ("nested_width", "x = '{:>{}}'.format(1, 10**9)\n", "exceeds 10,000"),
    ("fstring_width", "w = 10**9\nx = f'{1:>{w}}'\n", "exceeds 10,000"),
    ("percent_width", "x = '%999999999d' % 1\n", "exceeds 10,000"),
    ("percent_star", "x = '%*d' % (10**9, 1)\n", "exceeds 10,000"),
    ("str_repeat", "x = 'a' * 10**10\n", "sequence repetition too large"),
    ("list_repeat", "x = [0] * 10**8\n", "sequence repetition too large"),
    ("doubling", "x = 'ab'\nfor i in range(40):\n    x = x + x\n", "string longer than"),
    ("list_doubling", "x = [1]\nfor i in range(40):\n    x += x\n", "more than 1,000,000 items"),
    ("replace", "a = 'x' * 100000\nb = a.replace('x', a)\n", "str.replace result longer"),
    ("zfill", "b = 'x'.zfill(10**9)\n", "zfill width"),
    ("join", "a = ['x' * 100000] * 1000\nb = '-'.join(a)\n", "value too large"),
    ("sum_lists", "x = sum([[1] * 1000] * 10000, [])\n", "evaluation budget exceeded"),
]


@pytest.mark.parametrize("name,source,fragment", BUDGETS, ids=[b[0] for b in BUDGETS])
def test_budgets_end_hostile_configs_quickly(tmp_path, name, source, fragment):
    src = tmp_path / f"{name}.py"
    src.write_text(source)
    start = time.process_time()
    with pytest.raises(MigrateError) as exc:
        load_config(src)
    assert time.process_time() - start < 20      # ~2 s at most on a 2-core CI machine
    assert fragment in str(exc.value) and exc.value.line is not None


def test_deep_value_within_the_budget_passes_every_stage(tmp_path):
    # 61 levels (the budget is 64): evaluator, merge, rules, flat and tree emission, MMEngine
    src = _write(tmp_path, "deep.py", """\
        d = {}
        for i in range(30):
            d = dict(a=[d], k=i)
        model = dict(type='X', deep=d)
        optimizer = dict(type='SGD', lr=0.1)
        """)
    want = load_config(src).cfg["model"]
    for mode in (["--flat"], []):
        rc, err = _cli(src, "-o", tmp_path / ("o" + "".join(mode)), *mode)
        assert rc == 0, err
        assert _mmengine(tmp_path / ("o" + "".join(mode)) / "deep.py").to_dict()["model"] == want


def test_real_config_sizes_stay_far_below_the_budgets(tmp_path):
    # a realistically large computed config: 10,000-item lists, long strings, 5,000 loop steps
    src = _write(tmp_path, "big.py", """\
        classes = tuple(f'class_{i}' for i in range(10000))
        palette = [(i % 256, (i * 7) % 256, (i * 13) % 256) for i in range(10000)]
        msg = '-'.join(classes)
        acc = []
        for i in range(5000):
            acc.append(dict(i=i, name='n%04d' % i))
        big = 2 ** 4000
        flat = sum([[i] for i in range(3)], [9])
        flat_t = sum(((i, i) for i in range(2)), ())
        """)
    cfg = load_config(src).cfg
    assert len(cfg["palette"]) == 10000 and cfg["acc"][-1] == {"i": 4999, "name": "n4999"}
    assert cfg["big"] == 2 ** 4000
    assert cfg["flat"] == [9, 0, 1, 2] and cfg["flat_t"] == (0, 0, 1, 1)


# ----------------------------------------------------------------------------- emission names
def test_names_lookup_prefers_the_first_variable_and_longest_is_not_special():
    names = Names([("root", "data/"), ("coco", "data/coco/"), ("p1", [1, 2]), ("p2", [1, 2])])
    assert names.lookup("data/coco/x.json") == "root + 'coco/x.json'"   # first added wins
    assert names.lookup([1, 2]) == "p1"
    assert names.lookup((1, 2)) is None and names.lookup([1, 2.0]) is None   # types matter
    assert names.lookup("data/") == "root" and names.lookup("data") is None


def test_flat_emission_is_linear_in_the_number_of_variables(tmp_path):
    """Counted in Python function calls (cProfile's total, deterministic), not timed: at 8x the
    variables a linear emission makes ~7.5x the calls (330,675 -> 2,485,480 measured); the
    quadratic version of Names.lookup, scanning every variable, made 51x. Bound: 12x."""
    import cProfile
    import pstats
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from emit_scale import generate
    warm = tmp_path / "warm.py"                # the first run imports modules: not counted
    warm.write_text(generate(10))
    assert _cli(warm, "-o", tmp_path / "owarm", "--flat")[0] == 0
    calls = []
    for n in (250, 2000):
        src = tmp_path / f"c{n}.py"
        src.write_text(generate(n))
        clear_cache()
        prof = cProfile.Profile()
        prof.enable()
        rc, err = _cli(src, "-o", tmp_path / f"o{n}", "--flat")
        prof.disable()
        assert rc == 0, err
        calls.append(pstats.Stats(prof).total_calls)
    assert calls[1] / calls[0] < 12, calls      # linear: ~7.5; quadratic: 51


def test_keys_python_would_normalise_stay_in_braces():
    # found by the property suite: `dict(º=1)` is {'o': 1} (identifiers are NFKC-normalised)
    for key in ("º", "ﬁle", "x²"):
        text = format_value({key: 1})
        assert eval(text) == {key: 1}, text
    assert format_value({"ünï": 1}) == "dict(ünï=1)"


def test_step_budget_grows_with_the_file(tmp_path):
    # found by benchmarks/emit_scale.py: a 4 MB config of plain assignments needs more steps
    # than the fixed budget; the budget adds one step per character of the file
    lines = [f"v{i} = dict(type='T', a=[{i}, {i + 1}], b=('x', 'y'), c=dict(d={i}))\n"
             for i in range(40000)]
    src = tmp_path / "huge.py"
    src.write_text("".join(lines))
    cfg = load_config(src).cfg
    assert len(cfg) == 40000 and cfg["v39999"]["c"] == {"d": 39999}
