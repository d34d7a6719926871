"""Framework cost of the bundled runtime next to real MMEngine 0.10.7, in one run.

    python benchmarks/runtime_overhead.py [--iters 2000] [--repeat 3]

Every number comes from fresh subprocesses (one thread, CPU) on the same tiny model
(Linear(4, 1), MSE loss), the same synthetic data (64 samples, batch 8, InfiniteSampler,
num_workers=0) and the same settings: IterBasedTrainLoop, SGD with momentum, an iter-based
MultiStepLR, the default hooks (logger every 10 iterations; checkpoints off).

* per-iteration overhead: time per iteration of the runner's train loop (stamped by a hook at
  every iteration after `WARMUP`) minus that of a bare PyTorch loop doing the same dataloading,
  forward, backward and step, run right after in the same process. Both are the median over
  chunks of CHUNK iterations (robust to other load on a shared machine; each chunk contains its
  share of logging iterations). Target: ours <= half of MMEngine's.
* import time: `import runtime.runner` / `import mmengine.runner` after `import torch` in the
  same fresh interpreter (median of `--repeat` processes). Target: ours adds <= 0.1 s.
* peak memory: ru_maxrss of a process that imports its framework, builds the runner and trains
  (the bare loop's process is the baseline, torch itself included in all three).
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARMUP = 50
CHUNK = 50


# ------------------------------------------------------------------------------------ children
def _data():
    import torch
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=g)
    y = x.sum(1, keepdim=True)
    return [dict(inputs=x[i], targets=y[i]) for i in range(64)]


def child_import(module: str) -> dict:
    t0 = time.perf_counter()
    import torch  # noqa: F401
    t1 = time.perf_counter()
    __import__(module)
    t2 = time.perf_counter()
    return dict(torch=t1 - t0, added=t2 - t1)


def _chunked(stamps: list) -> float:
    """Per-iteration time robust to other load on the machine: the median over chunks of
    CHUNK consecutive iterations (each chunk includes its share of log iterations)."""
    chunks = [(stamps[i + CHUNK] - stamps[i]) / CHUNK for i in range(0, len(stamps) - CHUNK, CHUNK)]
    return statistics.median(chunks)


def bare_loop(iters: int) -> float:
    """The same data/forward/backward/step without a framework; per-iteration seconds."""
    import torch
    torch.manual_seed(0)
    data = _data()
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loader = torch.utils.data.DataLoader(data, batch_size=8, shuffle=True, num_workers=0)
    stamps, done = [], 0
    while done < iters:
        for batch in loader:
            if done >= WARMUP:
                stamps.append(time.perf_counter())
            loss = torch.nn.functional.mse_loss(model(batch["inputs"]), batch["targets"])
            opt.zero_grad()
            loss.backward()
            opt.step()
            done += 1
            if done == iters:
                break
    stamps.append(time.perf_counter())
    return _chunked(stamps)


def child_bare(iters: int) -> dict:
    import torch
    torch.set_num_threads(1)
    per_iter = bare_loop(iters)
    return dict(per_iter=per_iter, maxrss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def child_runner(lib: str, iters: int) -> dict:
    import torch
    torch.set_num_threads(1)
    if lib == "mmengine":
        from mmengine.hooks import Hook
        from mmengine.model import BaseModel
        from mmengine.runner import Runner
    else:
        from runtime.hooks import Hook
        from runtime.model import BaseModel
        from runtime.runner import Runner

    class Net(BaseModel):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(4, 1)

        def forward(self, inputs, targets, mode="tensor"):
            out = self.fc(inputs)
            if mode == "loss":
                return dict(loss=torch.nn.functional.mse_loss(out, targets))
            return out

    class Clock(Hook):
        priority = "HIGHEST"

        def __init__(self):
            self.stamps = []

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            if runner.iter >= WARMUP:
                self.stamps.append(time.perf_counter())

        def after_train(self, runner):
            self.stamps.append(time.perf_counter())

    clock = Clock()
    work_dir = tempfile.mkdtemp(prefix=f"bench_{lib}_")
    runner = Runner(
        model=Net(), work_dir=work_dir,
        train_dataloader=dict(dataset=_data(), batch_size=8, num_workers=0,
                              sampler=dict(type="InfiniteSampler", shuffle=True),
                              collate_fn=dict(type="default_collate")),
        train_cfg=dict(by_epoch=False, max_iters=iters),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01, momentum=0.9)),
        param_scheduler=dict(type="MultiStepLR", by_epoch=False, milestones=[iters // 2]),
        default_hooks=dict(checkpoint=None, logger=dict(type="LoggerHook", interval=10)),
        custom_hooks=[clock], randomness=dict(seed=0))
    runner.train()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # the bare loop in the same process right after: same allocator/thread state and load
    return dict(per_iter=_chunked(clock.stamps), bare_per_iter=bare_loop(iters), maxrss_mb=rss)


# ---------------------------------------------------------------------------------------- parent
def _spawn(*args) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *map(str, args)], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _median(runs, key):
    return statistics.median(r[key] for r in runs)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        if kind == "import":
            result = child_import(rest[0])
        elif kind == "bare":
            result = child_bare(int(rest[0]))
        else:
            result = child_runner(rest[0], int(rest[1]))
        print(json.dumps(result))
        return result

    n, rep = args.iters, args.repeat
    imports = {m: [_spawn("import", m) for _ in range(rep)]
               for m in ("runtime.runner", "mmengine.runner")}
    train = {"bare": [], "ours": [], "mmengine": []}
    for _ in range(rep):     # interleaved, so drifting machine load hits all three alike
        train["bare"].append(_spawn("bare", n))
        train["ours"].append(_spawn("runner", "runtime", n))
        train["mmengine"].append(_spawn("runner", "mmengine", n))
    bare = _median(train["ours"] + train["mmengine"], "bare_per_iter")
    ours = _median(train["ours"], "per_iter")
    theirs = _median(train["mmengine"], "per_iter")
    over_ours = statistics.median(r["per_iter"] - r["bare_per_iter"] for r in train["ours"])
    over_theirs = statistics.median(r["per_iter"] - r["bare_per_iter"] for r in train["mmengine"])
    res = dict(
        bare_us=bare * 1e6, ours_us=ours * 1e6, mmengine_us=theirs * 1e6,
        ours_overhead_us=over_ours * 1e6, mmengine_overhead_us=over_theirs * 1e6,
        import_torch_s=_median(imports["runtime.runner"], "torch"),
        import_ours_s=_median(imports["runtime.runner"], "added"),
        import_mmengine_s=_median(imports["mmengine.runner"], "added"),
        rss_bare_mb=_median(train["bare"], "maxrss_mb"), rss_ours_mb=_median(train["ours"], "maxrss_mb"),
        rss_mmengine_mb=_median(train["mmengine"], "maxrss_mb"))
    ratio = res["ours_overhead_us"] / res["mmengine_overhead_us"]
    rows = [
        ("time per iteration (us)", res["ours_us"], res["mmengine_us"], res["bare_us"]),
        ("framework overhead per iteration (us)", res["ours_overhead_us"], res["mmengine_overhead_us"], 0.0),
        ("import <pkg>.runner after torch (s)", res["import_ours_s"], res["import_mmengine_s"],
         res["import_torch_s"]),
        ("peak RSS of a training process (MB)", res["rss_ours_mb"], res["rss_mmengine_mb"], res["rss_bare_mb"]),
    ]
    print(f"{n} iterations (warmup {WARMUP}), median of {rep} fresh processes each, torch threads=1")
    print(f"{'':40s} {'runtime':>12s} {'mmengine':>12s} {'bare torch':>12s}")
    for name, a, b, c in rows:
        print(f"{name:40s} {a:12.4g} {b:12.4g} {c:12.4g}")
    print(f"overhead ratio ours/mmengine: {ratio:.2f} (target <= 0.5); "
          f"import added: {res['import_ours_s']:.3f} s (target <= 0.1 s)")
    res["overhead_ratio"] = ratio
    return res


if __name__ == "__main__":
    main()
