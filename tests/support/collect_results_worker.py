"""One rank of a CPU gloo group (or the single process, world 1): call mmengine 0.10.7's
`mmengine.dist.collect_results` and the runtime's `runtime.dist.collect_results` on the same
inputs (CASES) and torch.save what each returned on this rank, plus whether a given tmpdir
still exists afterwards. Usage: collect_results_worker.py RANK WORLD PORT OUT CWD."""
import os
import sys
from pathlib import Path


def cases(rank, world, tmp):
    """(name, results of this rank, size, device, tmpdir)."""
    r = rank
    return [
        ("even", [f"s{r + world * i}" for i in range(3)], 3 * world, "cpu", None),
        ("padded", [r + world * i for i in range(3)], 3 * world - 1, "cpu", None),
        ("uneven", list(range(r * 10, r * 10 + (3 if r == 0 else 2))), 99, "cpu", None),
        ("nones", [None if i == 1 else {"r": r, "i": i} for i in range(3)], 99, "cpu", None),
        ("given_tmpdir", [(r, i) for i in range(2)], 2 * world, "cpu", str(tmp / "given")),
        ("gpu_path", [r * 100 + i for i in range(2)], 2 * world - 1, "gpu", None),
    ]


def main(rank, world, port, out, cwd):
    import torch
    import torch.distributed as dist
    rank, world = int(rank), int(world)
    os.chdir(cwd)                       # the default tmpdir goes under ./.dist_test
    if world > 1:
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                                world_size=world)
    import mmengine.dist as mm
    import runtime.dist as rt
    got = {}
    for name, res, size, device, tmpdir in cases(rank, world, Path(cwd)):
        for lib, fn in (("mmengine", mm.collect_results), ("runtime", rt.collect_results)):
            d = tmpdir and f"{tmpdir}-{lib}"
            value = fn(list(res), size, device, tmpdir=d)
            if world > 1:
                dist.barrier()          # rank 0 has removed the tmpdir by now
            got[(name, lib)] = (value, d is not None and os.path.isdir(d))
    for lib, fn in (("mmengine", mm.collect_results), ("runtime", rt.collect_results)):
        try:
            fn([1], 1, "xpu")
        except NotImplementedError as e:
            got[("bad_device", lib)] = str(e)
    torch.save(got, out)
    if world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main(*sys.argv[1:])
