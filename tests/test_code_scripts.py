"""Train/test script and apis rewrites (migrator/code/scripts): option mapping, executed.

The generated scripts are executed (target runtime: `runtime.config.Config` loads the config);
only `Runner` is replaced by a recorder of the config it is given, since what is under test is
how the old command line lands in the MMEngine config. Training itself is tested end to end in
test_mmcv_project.py."""
import sys
import textwrap

import libcst as cst
import pytest

from migrator.code.scripts import rewrite_script
from migrator.code.scripts.argscan import scan
from mmcv_project import PROJECT

TRAIN = PROJECT / "tools" / "train.py"
TEST = PROJECT / "tools" / "test.py"

CONFIG = """
model = dict(type='X')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1))
train_cfg = dict(by_epoch=True, max_epochs=1)
val_cfg = dict(type='ValLoop')
val_dataloader = dict(batch_size=1)
val_evaluator = dict(type='Accuracy')
test_evaluator = dict(type='Accuracy')
"""


class _Model:
    def __init__(self):
        self.calls = []

    def init_weights(self):
        self.calls.append("init_weights")


class _Recorder:
    seen = []

    @classmethod
    def from_cfg(cls, cfg):
        cls.seen.append(cfg)
        return cls()

    def __init__(self):
        self.model = _Model()
        _Recorder.last = self

    def train(self):
        self.model.calls.append("train")

    def test(self):
        pass


def _run(text, argv, tmp_path, monkeypatch):
    cfg = tmp_path / "cfg.py"
    cfg.write_text(CONFIG)
    script = tmp_path / "script.py"
    script.write_text(text)
    ns = {"__name__": "generated", "__file__": str(script)}
    exec(compile(text, str(script), "exec"), ns)
    ns["Runner"] = _Recorder
    _Recorder.seen = []
    monkeypatch.setattr(sys, "argv", ["script.py", str(cfg), *argv])
    with _nowarn():
        ns["main"]()
    return _Recorder.seen[-1]


class _nowarn:
    def __enter__(self):
        import warnings
        self._w = warnings.catch_warnings(record=True)
        self.log = self._w.__enter__()
        warnings.simplefilter("always")
        return self.log

    def __exit__(self, *a):
        return self._w.__exit__(*a)


@pytest.fixture(scope="module")
def train_text():
    return rewrite_script(TRAIN.read_text(), "tools/train.py", "runtime")[0]


def test_model_initialised_where_the_old_script_did(train_text, tmp_path, monkeypatch):
    """The toy's tools/train.py calls model.init_weights() right after building the model: the
    migrated script initialises the runner's model before runner.train() (which builds the
    train loop first: tests/test_mmcv_project_iter.py); a script without the call gets none."""
    _run(train_text, [], tmp_path, monkeypatch)
    assert _Recorder.last.model.calls == ["init_weights", "train"]
    plain = TRAIN.read_text().replace("model.init_weights()", "pass")
    _run(rewrite_script(plain, "tools/train.py", "runtime")[0], [], tmp_path, monkeypatch)
    assert _Recorder.last.model.calls == ["train"]


def test_every_old_option_is_still_accepted(train_text):
    old = {n for a in scan(cst.parse_module(TRAIN.read_text())).arguments for n in a.names}
    new = {n for a in scan(cst.parse_module(train_text)).arguments for n in a.names}
    assert old <= new
    assert {"--amp", "--resume", "--cfg-options", "--launcher", "--work-dir",
            "--local-rank"} <= new


def test_resume_from_seed_deterministic_options(train_text, tmp_path, monkeypatch):
    cfg = _run(train_text, ["--resume-from", "a.pth", "--seed", "3", "--deterministic",
                            "--options", "model.depth=5", "--work-dir", str(tmp_path / "w")],
               tmp_path, monkeypatch)
    assert cfg.resume is True and cfg.load_from == "a.pth"
    assert cfg.randomness == {"seed": 3, "deterministic": True}
    assert cfg.model.depth == 5
    assert cfg.work_dir == str(tmp_path / "w")
    assert cfg.launcher == "none"
    assert cfg.val_cfg is not None


def test_no_validate_amp_and_resume_priority(train_text, tmp_path, monkeypatch):
    cfg = _run(train_text, ["--no-validate", "--amp", "--resume-from", "a.pth", "--resume"],
               tmp_path, monkeypatch)
    assert cfg.val_cfg is None and cfg.val_dataloader is None and cfg.val_evaluator is None
    assert cfg.optim_wrapper.type == "AmpOptimWrapper"
    assert cfg.optim_wrapper.loss_scale == "dynamic"
    assert cfg.resume is True and cfg.load_from is None     # --resume (auto) wins
    cfg = _run(train_text, [], tmp_path, monkeypatch)
    assert cfg.get("resume", False) is False and "seed" not in cfg.randomness


def test_test_script_eval_and_checkpoint(tmp_path, monkeypatch):
    text = rewrite_script(TEST.read_text(), "tools/test.py", "runtime")[0]
    cfg = _run(text, ["e.pth", "--eval", "top1", "top5", "--options", "a=1"], tmp_path,
               monkeypatch)
    assert cfg.load_from == "e.pth"
    assert cfg.test_evaluator == {"type": "Accuracy", "metric": ["top1", "top5"]}
    assert cfg.a == 1


def test_out_uses_dump_results_on_mmengine_and_is_reported_on_runtime():
    eng = rewrite_script(TEST.read_text(), "tools/test.py", "mmengine")[0]
    assert "from mmengine.evaluator import DumpResults" in eng
    assert "DumpResults(out_file_path=args.out)" in eng
    rt = rewrite_script(TEST.read_text(), "tools/test.py", "runtime")[0]
    assert "DumpResults(" not in rt and "import DumpResults" not in rt
    assert "# TODO(migrate): runtime has no DumpResults metric" in rt


def test_target_selects_the_package(train_text):
    eng = rewrite_script(TRAIN.read_text(), "tools/train.py", "mmengine")[0]
    assert "from mmengine.runner import Runner" in eng and "runtime" not in eng
    assert "from runtime.runner import Runner" in train_text and "mmengine." not in train_text
    with pytest.raises(ValueError):
        rewrite_script(TRAIN.read_text(), "tools/train.py", "mmcv")


def test_unknown_option_is_kept_with_a_todo():
    old = TRAIN.read_text().replace(
        "    parser.add_argument('--seed'",
        "    parser.add_argument('--my-flag', action='store_true')\n"
        "    parser.add_argument('--seed'")
    text, findings = rewrite_script(old, "tools/train.py", "mmengine")
    assert "parser.add_argument('--my-flag', action='store_true')" in text
    assert "# TODO(migrate): option `--my-flag`" in text
    assert any(f["kind"] == "todo" and "--my-flag" in f["message"] for f in findings)


def test_idempotent_and_not_a_script():
    for path, name in ((TRAIN, "tools/train.py"), (TEST, "tools/test.py")):
        for target in ("mmengine", "runtime"):
            new = rewrite_script(path.read_text(), name, target)[0]
            assert rewrite_script(new, name, target) is None
    hook = (PROJECT / "toyproj/core/hooks/record_hook.py").read_text()
    assert rewrite_script(hook, "record_hook.py", "mmengine") is None


def test_engine_templates_scripts_once():
    """migrate_source runs rewrite_script first: its findings become MC5xx Findings (todo for
    kind 'todo', with the old line), and the engine's output is neither re-templated nor
    changed by a second run."""
    from migrator.code import migrate_source
    old = TRAIN.read_text().replace(
        "    parser.add_argument('--seed'",
        "    parser.add_argument('--my-flag', action='store_true')\n"
        "    parser.add_argument('--seed'")
    for target in ("mmengine", "runtime"):
        res = migrate_source(old, "tools/train.py", target)
        assert res.error is None and "Runner.from_cfg(cfg)" in res.new_text
        assert f"from {target}.runner import Runner" in res.new_text
        assert "MC501" in res.rules
        todo = [f for f in res.findings if f.todo and "--my-flag" in f.message]
        assert len(todo) == 1 and todo[0].code == "MC501"
        assert todo[0].line == old.splitlines().index(
            "    parser.add_argument('--my-flag', action='store_true')") + 1
        assert rewrite_script(res.new_text, "tools/train.py", target) is None
        again = migrate_source(res.new_text, "tools/train.py", target)
        assert again.new_text == res.new_text and not again.findings and again.error is None
    res = migrate_source(TEST.read_text(), "tools/test.py", "mmengine")
    assert res.findings[0].code == "MC502" and res.findings[0].line == 0
    apis = migrate_source((PROJECT / "toyproj/apis/train.py").read_text(),
                          "toyproj/apis/train.py", "runtime")
    assert "runner = Runner.from_cfg(cfg)" in apis.new_text and "MC503" in apis.rules


def test_apis_train_function_becomes_runner_from_cfg():
    src = (PROJECT / "toyproj/apis/train.py").read_text()
    text, findings = rewrite_script(src, "toyproj/apis/train.py", "runtime")
    body = text[text.index("def train_model"):]
    assert "runner = Runner.from_cfg(cfg)\n    runner.train()\n    return runner" in body
    assert "if not validate:\n        cfg.val_cfg = None" in body
    assert "build_runner" not in text and "build_optimizer" not in text
    assert "MMDataParallel" not in text and "DistSamplerSeedHook" not in text
    assert "from runtime.runner import Runner" in text
    assert "def build_dataloader" in text and "def set_random_seed" in text   # kept
    assert rewrite_script(text, "toyproj/apis/train.py", "runtime") is None or \
        rewrite_script(text, "toyproj/apis/train.py", "runtime")[0] == text
    assert any("removed imports" in f["message"] for f in findings)
