"""Two-process CPU training with gloo through `torch.distributed.run` (torchrun), as MMEngine's
Runner does with launcher='pytorch': DDP wrapping (MMDistributedDataParallel), sharded
DefaultSampler, and metrics gathered from both ranks over the *whole* validation set (an odd size,
so the sampler pads and `collect_results` must drop the padding)."""
import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

WORKER = textwrap.dedent("""
    import json, sys, torch
    sys.path.insert(0, {tutorial!r})
    torch.set_num_threads(1)
    from train import build_runner, loader
    from runtime.dist import get_rank, get_world_size, all_gather_object
    from runtime.model import MMDistributedDataParallel
    runner = build_runner({work_dir!r}, max_epochs=2, launcher="pytorch",
                          env_cfg=dict(dist_cfg=dict(backend="nccl")),
                          train_dataloader=loader(96, seed=1, shuffle=True, batch_size=16),
                          val_dataloader=loader(101, seed=2, shuffle=False, batch_size=16),
                          test_dataloader=loader(101, seed=3, shuffle=False, batch_size=16))
    runner.train()
    metrics = runner.test()
    weights = runner.model.module.head.weight.detach().clone()
    same = all(torch.equal(w, weights) for w in all_gather_object(weights))
    out = dict(rank=get_rank(), world=get_world_size(), metrics=metrics, same_weights=same,
               wrapped=isinstance(runner.model, MMDistributedDataParallel),
               iters=runner.iter, per_rank_batches=len(runner.train_dataloader),
               backend=torch.distributed.get_backend(), timestamp=runner.timestamp)
    with open({work_dir!r} + f"/result_{{get_rank()}}.json", "w") as f:
        json.dump(out, f)
""")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_torchrun_two_ranks_gloo(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER.format(tutorial=str(ROOT / "fixtures" / "tutorial"), work_dir=str(tmp_path)))
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    for _ in range(3):   # the free port may be taken between probing and binding: retry then
        proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
                               f"--master_port={_free_port()}", str(script)],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        if proc.returncode == 0 or "address already in use" not in proc.stderr.lower():
            break
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = [json.loads((tmp_path / f"result_{r}.json").read_text()) for r in (0, 1)]
    for rank, res in enumerate(results):
        assert res["rank"] == rank and res["world"] == 2 and res["backend"] == "gloo"
        assert res["wrapped"] and res["same_weights"]
        # 96 samples / 2 ranks / batch 16 -> 3 batches per rank per epoch
        assert res["per_rank_batches"] == 3 and res["iters"] == 6
        # every rank receives rank 0's metrics, computed over all 101 samples (not 102 padded)
        assert res["metrics"]["num_samples"] == 101
    assert results[0]["metrics"] == results[1]["metrics"]
    assert results[0]["timestamp"] == results[1]["timestamp"]
    assert (tmp_path / "epoch_2.pth").is_file()
