"""What a Runner writes into its log file while it starts, and the version it stamps on its
outputs, against real mmengine 0.10.7.

The same config (`Config` of each library, so both have `pretty_text`) is trained by
`runtime.runner.Runner` and by `mmengine.runner.Runner`, in this process; their log files are
split into messages and compared section by section: the environment block (same keys in the same
order, same values except the MMEngine version), the `Config:` dump (ours is our own formatter, so
the text differs: both must execute to the config that was run), the hook order table (identical
text) and the order of the three. Version strings: checkpoint meta, MessageHub runtime info and
the logged `MMEngine:` line all carry `runtime.version.mmengine_version()`, which names the real
MMEngine release and the runtime's `__version__`, which is mmmigrate's.
"""
import itertools
import re
import tomllib
from pathlib import Path

import pytest
import torch
from torch.utils.data import Dataset

pytest.importorskip("mmengine.runner")

ROOT = Path(__file__).resolve().parent.parent
_ids = itertools.count()
LINE = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d - mmengine - (\w+) - ", re.M)


class StartupData(Dataset):
    def __init__(self, n=8):
        self.x = torch.randn(n, 4, generator=torch.Generator().manual_seed(0))

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return dict(inputs=self.x[i], targets=self.x[i].sum(0, keepdim=True))


def _register(lib):
    if lib == "mmengine":
        from mmengine.hooks import Hook
        from mmengine.model import BaseModel
        from mmengine.registry import DATASETS, HOOKS, MODELS
    else:
        from runtime.hooks import Hook
        from runtime.model import BaseModel
        from runtime.registry import DATASETS, HOOKS, MODELS

    class StartupNet(BaseModel):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(4, 1)

        def forward(self, inputs, targets, mode="tensor"):
            out = self.fc(inputs)
            return dict(loss=torch.nn.functional.mse_loss(out, targets)) if mode == "loss" else out

    class ForwardedProbe(Hook):       # only the shared helper: appears in all three *_iter stages
        def _after_iter(self, runner, batch_idx, data_batch=None, outputs=None, mode="train"):
            pass

    class SaveProbe(Hook):
        priority = 45                 # not a Priority value: shown as the number

        def before_save_checkpoint(self, runner, checkpoint):
            pass

    MODELS.register_module(name="StartupNet", module=StartupNet, force=True)
    DATASETS.register_module(name="StartupData", module=StartupData, force=True)
    HOOKS.register_module(name="ForwardedProbe", module=ForwardedProbe, force=True)
    HOOKS.register_module(name="SaveProbe", module=SaveProbe, force=True)


def _cfg(work_dir):
    return dict(
        model=dict(type="StartupNet"), work_dir=str(work_dir),
        train_dataloader=dict(dataset=dict(type="StartupData", n=8), batch_size=4, num_workers=0,
                              sampler=dict(type="DefaultSampler", shuffle=True),
                              collate_fn=dict(type="default_collate")),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01, momentum=0.9)),
        param_scheduler=dict(type="MultiStepLR", by_epoch=True, milestones=[1]),
        env_cfg=dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method="fork", opencv_num_threads=0),
                     dist_cfg=dict(backend="nccl")),
        randomness=dict(seed=3, diff_rank_seed=False),
        default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=1),
                           logger=dict(type="LoggerHook", interval=1)),
        custom_hooks=[dict(type="EMAHook"), dict(type="ForwardedProbe", priority="ABOVE_NORMAL"),
                      dict(type="SaveProbe"), dict(type="EmptyCacheHook", priority=30)],
        experiment_name=f"startup_{next(_ids)}")


def _train(lib, work_dir):
    _register(lib)
    if lib == "mmengine":
        from mmengine.config import Config
        from mmengine.runner import Runner
    else:
        from runtime.config import Config
        from runtime.runner import Runner
    runner = Runner.from_cfg(Config(_cfg(work_dir)))
    runner.train()
    text = Path(runner.logger.log_file).read_text()
    hub_version = runner.message_hub.get_info("mmengine_version")
    ckpt = torch.load(work_dir / "epoch_1.pth", map_location="cpu", weights_only=False)
    return runner, _messages(text), hub_version, ckpt["meta"]


def _messages(text):
    """[(LEVEL, message)] of a log file (a message runs until the next stamped line)."""
    starts = list(LINE.finditer(text))
    return [(m.group(1), text[m.end():nxt.start() if nxt else len(text)].rstrip("\n"))
            for m, nxt in zip(starts, starts[1:] + [None])]


def _env_block(messages):
    """{'System environment': [(key, value)], 'Runtime environment': [...]} of the env message."""
    body = next(msg for _, msg in messages if "System environment:" in msg)
    assert body.startswith("\n" + "-" * 60 + "\nSystem environment:\n") and body.endswith("-" * 60)
    sections, current = {}, None
    for line in body.splitlines():
        if line in ("System environment:", "Runtime environment:"):
            current = sections.setdefault(line[:-1], [])
        elif line.startswith("    ") and ": " in line and current is not None:
            current.append(tuple(line[4:].split(": ", 1)))
    return sections


def _config_of(messages):
    text = next(msg for _, msg in messages if msg.startswith("Config:\n"))[len("Config:\n"):]
    scope = {}
    exec(compile(text, "<logged config>", "exec"), scope)
    return {k: v for k, v in scope.items() if not k.startswith("__")}


def _hooks_table(messages):
    return next(msg for _, msg in messages if msg.startswith("Hooks will be executed"))


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield {lib: _train(lib, tmp_path_factory.mktemp(lib)) for lib in ("runtime", "mmengine")}
    finally:
        torch.set_num_threads(before)


def test_environment_block_has_mmengines_keys_and_values(both):
    import mmengine
    from runtime.version import mmengine_version
    ours, theirs = (_env_block(both[lib][1]) for lib in ("runtime", "mmengine"))
    assert list(ours) == list(theirs) == ["System environment", "Runtime environment"]
    ours_sys, theirs_sys = dict(ours["System environment"]), dict(theirs["System environment"])
    assert [k for k, _ in ours["System environment"]] == [k for k, _ in theirs["System environment"]]
    assert theirs_sys.pop("MMEngine") == mmengine.__version__
    assert ours_sys.pop("MMEngine") == mmengine_version()
    assert ours_sys == theirs_sys        # platform, Python, CUDA, numpy seed, GCC, torch, OpenCV
    assert {"sys.platform", "Python", "numpy_random_seed", "GCC", "PyTorch"} <= set(ours_sys)
    # env_cfg items, the randomness config, the seed used, launcher, distributed, world size
    assert ours["Runtime environment"] == theirs["Runtime environment"] == [
        ("cudnn_benchmark", "False"),
        ("mp_cfg", "{'mp_start_method': 'fork', 'opencv_num_threads': 0}"),
        ("dist_cfg", "{'backend': 'nccl'}"), ("seed", "3"), ("diff_rank_seed", "False"),
        ("Distributed launcher", "none"), ("Distributed training", "False"), ("GPU number", "1")]


def test_config_dump_is_the_config_that_ran(both):
    ours, theirs = (_config_of(both[lib][1]) for lib in ("runtime", "mmengine"))
    assert ours.keys() == theirs.keys()
    for key in ours:
        if key not in ("work_dir", "experiment_name"):
            assert ours[key] == theirs[key], key
    runner = both["runtime"][0]
    assert ours == runner.cfg.to_dict()


def _dump_of(messages):
    return next(msg for _, msg in messages if msg.startswith("Config:\n"))[len("Config:\n"):]


def test_config_dump_lists_keys_in_mmengines_order(both):
    # MMEngine writes every dict's keys sorted by str(key); its line breaking comes from yapf,
    # which ours does not reproduce: the names, read in text order, must still be the same
    names = [re.findall(r"^(\w+) = |(\w+)=", _dump_of(both[lib][1]), re.M)
             for lib in ("runtime", "mmengine")]
    ours, theirs = ([a or b for a, b in found] for found in names)
    assert ours == theirs and len(ours) > 40
    top = re.findall(r"^(\w+) = ", _dump_of(both["runtime"][1]), re.M)
    assert top == sorted(top) and top[0] == "custom_hooks" and top[-1] == "work_dir"


def test_hook_order_table_is_mmengines(both):
    ours, theirs = (_hooks_table(both[lib][1]) for lib in ("runtime", "mmengine"))
    assert ours == theirs
    assert ours == "Hooks will be executed in the following order:\n" + both["runtime"][0].get_hooks_info()
    lines = ours.splitlines()
    # hand-checked pieces: a forwarded helper fills every *_iter stage, names vs numbers
    stage = lines.index("before_save_checkpoint:")
    assert lines[stage + 1:stage + 4] == [f"({45:<12}) {'SaveProbe':<35}",     # 45 runs before 50
                                          f"({'NORMAL':<12}) {'EMAHook':<35}", " -------------------- "]
    for name in ("after_val_iter", "after_test_iter", "after_train_iter"):
        block = lines[lines.index(f"{name}:") + 1:]
        block = block[:block.index(" -------------------- ")]
        assert f"({'ABOVE_NORMAL':<12}) {'ForwardedProbe':<35}" in block
    assert "ForwardedProbe" not in "\n".join(lines[lines.index("before_val_iter:"):lines.index("after_val_iter:")])
    assert f"({'HIGH':<12}) {'EmptyCacheHook':<35}" in lines


def test_startup_sections_come_in_mmengines_order(both):
    def order(messages):
        marks = []
        for _, msg in messages:
            for mark in ("System environment:", "Config:\n", "Hooks will be executed"):
                if mark in msg[:100] and mark not in marks:
                    marks.append(mark)
        return marks
    ours, theirs = (order(both[lib][1]) for lib in ("runtime", "mmengine"))
    assert ours == theirs == ["System environment:", "Config:\n", "Hooks will be executed"]
    first = [lvl for lvl, _ in both["runtime"][1][:3]]
    assert first == ["INFO", "INFO", "INFO"]


def test_version_strings_are_one_version(both):
    from packaging.version import Version

    import migrator
    import mmengine
    import runtime
    from runtime.version import mmengine_version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert runtime.__version__ == migrator.__version__ == project
    written = mmengine_version()
    assert Version(written).public == mmengine.__version__      # the release we reproduce
    assert Version(written).local == f"mmmigrate.{runtime.__version__}"
    _, _, hub_version, meta = both["runtime"]
    assert meta["mmengine_version"] == hub_version == written
    _, _, their_hub, their_meta = both["mmengine"]
    assert their_meta["mmengine_version"] == their_hub       # MMEngine too writes one string twice
    assert their_meta["mmengine_version"].startswith(mmengine.__version__)


def test_nothing_collected_when_info_is_dropped(tmp_path, monkeypatch):
    """At log level WARNING the environment is never collected (dry-run --full runs at ERROR)."""
    import runtime.utils.dl_utils as dl
    from runtime.config import Config
    from runtime.runner import Runner
    _register("runtime")
    calls = []
    monkeypatch.setattr(dl, "collect_env", lambda: calls.append(1) or {})
    cfg = _cfg(tmp_path)
    cfg["log_level"] = "WARNING"
    runner = Runner.from_cfg(Config(cfg))
    assert calls == []
    assert "Hooks will be executed" not in Path(runner.logger.log_file).read_text()


def test_logged_seed_is_the_seed_drawn(tmp_path):
    """randomness.seed=None: the config says None, the runtime block shows the seed used."""
    from runtime.config import Config
    from runtime.runner import Runner
    _register("runtime")
    cfg = _cfg(tmp_path)
    cfg["randomness"] = dict(seed=None)
    runner = Runner.from_cfg(Config(cfg))
    block = dict(_env_block(_messages(Path(runner.logger.log_file).read_text()))["Runtime environment"])
    assert isinstance(runner.seed, int) and block["seed"] == str(runner.seed)
