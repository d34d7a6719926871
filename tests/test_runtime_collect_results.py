"""runtime.dist.collect_results against mmengine 0.10.7's mmengine.dist.collect_results on the
same inputs (tests/support/collect_results_worker.py), in one process and in a 2-process CPU
gloo group: the same list on rank 0 (dataset order across ranks, zip_longest for parts of
unequal length, None items dropped, truncation to `size`), None on rank 1, the CPU path's
tmpdir removed afterwards, the device path, and the same error for an unknown device."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mmengine")

pytestmark = pytest.mark.integration
HERE = Path(__file__).resolve().parent
WORKER = HERE / "support" / "collect_results_worker.py"


def _port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(tmp_path, world):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parent),
                                                        os.environ.get("PYTHONPATH", "")]))
    port = _port()
    procs = [subprocess.Popen([sys.executable, str(WORKER), str(r), str(world), str(port),
                               str(tmp_path / f"rank{r}.pt"), str(tmp_path)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for r in range(world)]
    logs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0] * world, "\n".join(l[-3000:] for l in logs)
    return [torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in range(world)]


def _pairs(got):
    names = sorted({n for n, _ in got})
    return {n: (got[(n, "mmengine")], got[(n, "runtime")]) for n in names}


def test_collect_results_two_ranks_equal_mmengine(tmp_path):
    ranks = _run(tmp_path, 2)
    for r, got in enumerate(ranks):
        for name, (mm, rt) in _pairs(got).items():
            assert rt == mm, (r, name)
    r0 = ranks[0]
    assert r0[("even", "runtime")][0] == ["s0", "s1", "s2", "s3", "s4", "s5"]
    assert r0[("padded", "runtime")][0] == [0, 1, 2, 3, 4]
    assert r0[("uneven", "runtime")][0] == [0, 10, 1, 11, 2]
    assert r0[("nones", "runtime")][0] == [{"r": 0, "i": 0}, {"r": 1, "i": 0},
                                           {"r": 0, "i": 2}, {"r": 1, "i": 2}]
    assert r0[("given_tmpdir", "runtime")] == ([(0, 0), (1, 0), (0, 1), (1, 1)], False)
    assert r0[("gpu_path", "runtime")][0] == [0, 100, 1]
    assert all(v[0] is None for k, v in ranks[1].items() if k[0] != "bad_device")
    assert "xpu" in r0[("bad_device", "runtime")]
    assert not any((tmp_path / ".dist_test").iterdir())     # every default tmpdir removed


def test_collect_results_one_process_equal_mmengine(tmp_path):
    (got,) = _run(tmp_path, 1)
    for name, (mm, rt) in _pairs(got).items():
        assert rt == mm, name
    assert got[("padded", "runtime")][0] == [0, 1]                  # results[:size]
    assert got[("nones", "runtime")][0][1] is None                   # not filtered in 1 process


def test_migrated_dist_eval_hook_under_runtime(tmp_path):
    """mmcls 0.25.0's DistEvalHook migrated with --target runtime, in the runtime's Runner in a
    2-process gloo group without mmengine: rank 0 evaluated all 5 val predictions, in dataset
    order (each rank tested its DistributedSampler part: 3 + 2 samples, rank 1's padded one
    dropped by collect_results' [:size]), computed with rank 0's broadcast BN statistics."""
    from migrator.code import migrate_source
    from migrator.envs.old import BLOCK_MMENGINE
    from realdata import real_configs
    root = real_configs("mmcls", "0.25.0").parent.parent
    src = (root / "core" / "evaluation" / "eval_hooks.py").read_text()
    res = migrate_source(src, "mmcls/core/evaluation/eval_hooks.py", "runtime")
    assert res.error is None and "import mmengine" not in res.new_text and \
        "from mmengine" not in res.new_text
    assert "runtime.dist" in res.new_text
    pkg = tmp_path / "pkg" / "mmcls" / "core" / "evaluation"
    pkg.mkdir(parents=True)
    (pkg / "eval_hooks.py").write_text(res.new_text)
    for d in (pkg, pkg.parent, pkg.parent.parent):
        (d / "__init__.py").touch()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(BLOCK_MMENGINE), str(HERE.parent)]))
    port = _port()
    worker = HERE / "support" / "runtime_dist_eval_worker.py"
    procs = [subprocess.Popen([sys.executable, str(worker), str(tmp_path / "pkg"), str(r), "2",
                               str(port), str(tmp_path / f"eval{r}.pt")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for r in range(2)]
    logs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], "\n".join(l[-3000:] for l in logs)
    r0, r1 = [torch.load(tmp_path / f"eval{r}.pt", weights_only=False) for r in range(2)]
    assert r0["world"] == r1["world"] == 2
    assert not torch.allclose(r0["bn_before"], r1["bn_before"])
    assert torch.equal(r1["bn_after"], r0["bn_before"])       # rank 0's BN stats broadcast
    assert r1["evaluated"] == [] and len(r0["evaluated"]) == 1
    assert r0["evaluated"][0] == pytest.approx(r0["expected"], abs=1e-6)
