"""End-to-end: the toy MMCV 1.x project (fixtures/mmcv_project/) under real MMCV 1.7.2, and its
migration under real MMEngine 0.10.7 and under the bundled runtime (no mmengine importable).

Compared: every RecordHook record (stage sequence with epoch/iter/inner_iter, the lr of the
backbone and head param groups seen in after_iter, the loss of every iteration, the head bias
every 5 iterations, end_of_epoch/batches in before_train_iter) and the final checkpoint's
weights. Both sides run `tools/train.py configs/toy_twice.py --seed 0 --deterministic
--no-validate`. Measured: identical records and max |weight difference| 0.0 on both targets
(asserted within 1e-6 for weights and exactly for the records). Known manual edits after
`migrate`: tests/mmcv_project.py MANUAL_EDITS / RUNTIME_EDITS.
"""
import os
from pathlib import Path

import pytest

import mmcv_project as mp

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def old_run(tmp_path_factory):
    from migrator.envs.old import old_python, old_python_env
    work = tmp_path_factory.mktemp("old") / "work"
    return mp.train(mp.PROJECT, work, old_python(), old_python_env())


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """target -> the migrated project (each migrated once per module)."""
    done = {}

    def get(target):
        if target not in done:
            done[target] = tmp_path_factory.mktemp(f"proj-{target}") / "proj"
            mp.migrate_project(done[target], target)
        return done[target]
    return get


def _compare(old, new):
    assert [c["stage"] for c in new["calls"]] == [c["stage"] for c in old["calls"]]
    for i, (a, b) in enumerate(zip(old["calls"], new["calls"])):
        assert a == b, f"record {i}: old {a} new {b}"
    assert new["checkpoints"] == old["checkpoints"]
    for k, v in old["weights"].items():
        assert (new["weights"][k] - v).abs().max().item() <= 1e-6, k


def test_old_run_is_the_expected_shape(old_run):
    calls = old_run["calls"]
    iters = [c for c in calls if c["stage"] == "after_iter"]
    assert len(iters) == 3 * 6 * 2             # 3 epochs x 6 batches x TwiceRunner's 2 steps
    assert [c["inner_iter"] for c in iters[:4]] == [0, 0, 1, 1]
    # MMCV's linear warmup over 5 iterations from 0.2 * lr, then 0.1 / (1 + 0.05 * iter)
    assert iters[0]["lr"] == pytest.approx(0.1 * 0.2)
    assert iters[10]["lr"] == pytest.approx(0.1 / (1 + 0.05 * 10))
    assert iters[10]["lr_head"] == pytest.approx(0.5 * 0.1 / (1 + 0.05 * 10))
    assert calls[0]["stage"] == "before_run" and calls[-1]["stage"] == "after_run"
    assert iters[-1]["loss"] < iters[0]["loss"]


def test_migrated_runs_equal_under_mmengine(old_run, migrated, tmp_path):
    project = migrated("mmengine")
    env = dict(os.environ, PYTHONPATH=str(mp.ROOT))
    _compare(old_run, mp.train(project, tmp_path / "work", env=env))


def test_migrated_runs_equal_under_runtime_without_mmengine(old_run, migrated, tmp_path):
    from migrator.envs.old import BLOCK_MMENGINE
    project = migrated("runtime")
    for f in project.rglob("*.py"):
        assert "from mmengine" not in f.read_text() and "import mmengine" not in f.read_text(), f
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(BLOCK_MMENGINE), str(mp.ROOT)]))
    _compare(old_run, mp.train(project, tmp_path / "work", env=env))


@pytest.mark.parametrize("target", ["mmengine", "runtime"])
def test_migrated_code_has_no_mmcv_import(migrated, target):
    import libcst as cst
    for f in migrated(target).rglob("*.py"):
        for node in cst.parse_module(f.read_text()).body:
            src = cst.Module([node]).code
            assert "from mmcv" not in src and "import mmcv" not in src, f


@pytest.mark.parametrize("package,version", [("mmdet", "2.28.2"), ("mmcls", "0.25.0"),
                                              ("mmsegmentation", "0.30.0")])
def test_codebase_train_script_trains_the_toy_project(old_run, migrated, tmp_path, package,
                                                      version):
    """mmdet 2.28.2's, mmcls 0.25.0's and mmseg 0.30.0's own tools/train.py, migrated, run the
    migrated toy project with the same command line (`--seed 0 --deterministic --no-validate`)
    and give the same records. The migrated scripts import mmengine only (not their code base:
    the 3.x/1.x code base would register its modules through `default_scope`), so they run with
    mmengine 0.10.7 alone."""
    import shutil
    from realdata import real_configs
    project = tmp_path / "proj"
    shutil.copytree(migrated("mmengine"), project)
    script = real_configs(package, version).parent.parent / ".mim" / "tools" / "train.py"
    new, _ = mp.migrate_code(script.read_text(), "tools/train.py", "mmengine")
    assert not [l for l in new.splitlines() if l.startswith(("import mm", "from mm"))
                and not l.startswith(("import mmengine", "from mmengine"))]
    (project / "tools" / "train.py").write_text(new)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(project), str(mp.ROOT)]))
    _compare(old_run, mp.train(project, tmp_path / "work", env=env))
