"""Framework cost of the bundled runtime next to real MMEngine 0.10.7, in one run.

    python benchmarks/runtime_overhead.py [--iters 2000] [--repeat 3] [--baseline DIR]
                                          [--callgrind [N]]

Every number comes from fresh subprocesses (one thread, CPU) on the same tiny model
(Linear(4, 1), MSE loss), the same synthetic data (64 samples, batch 8, InfiniteSampler,
num_workers=0) and the same settings: IterBasedTrainLoop, SGD with momentum, an iter-based
MultiStepLR, the default hooks (logger every 10 iterations; checkpoints off).

* per-iteration overhead: time per iteration of the runner's train loop (stamped by a hook at
  every iteration after `WARMUP`) minus that of a bare PyTorch loop doing the same dataloading,
  forward, backward and step, run right after in the same process. Both are the median over
  chunks of CHUNK iterations (each chunk contains its share of logging iterations), on two
  clocks: the process's CPU time (user + system, `time.process_time`: what the framework costs,
  and what stays stable while other jobs load a shared machine; the ratio is computed from it)
  and wall time (shown too; under load it mostly measures the scheduler). Target: ours <= a
  quarter of MMEngine's.
  `--baseline DIR` also runs the runtime found in DIR (e.g. an older commit's tree, from
  `git archive <commit> runtime | tar -x -C DIR`) interleaved with the others, so a change is
  measured against the code before it in the same run.
* instructions per iteration (`--callgrind`, when valgrind and a C compiler are there): the
  same three loops (and the baseline), one process each under valgrind's callgrind, counting
  only the N iterations after `WARMUP` (instrumentation switched on and off from inside the
  process through callgrind's client requests, a 4-line C helper compiled on the fly). An
  instruction count does not depend on the machine's load, so it is the stable second measure
  of the same ratio: (ours - bare) / (MMEngine - bare), per iteration. It leaves out what CPU
  time holds and instructions do not (system calls' kernel time, cache misses).
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
CG_HELPER = r"""
#include <valgrind/callgrind.h>
void cg_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void cg_stop(void) { CALLGRIND_STOP_INSTRUMENTATION; }
"""


class _Counter:
    """Callgrind's instruction counting switched on/off from inside the process (no-op unless
    the parent set BENCH_CG_LIB, i.e. the process runs under callgrind)."""

    def __init__(self):
        lib = os.environ.get("BENCH_CG_LIB")
        if lib:
            import ctypes
            self._lib = ctypes.CDLL(lib)
        else:
            self._lib = None

    def start(self):
        if self._lib is not None:
            self._lib.cg_start()

    def stop(self):
        if self._lib is not None:
            self._lib.cg_stop()


COUNTER = _Counter()


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


def _stamp() -> tuple:
    return time.perf_counter(), time.process_time()


def _chunked(stamps: list) -> dict:
    """Per-iteration wall and CPU time: the median over chunks of CHUNK consecutive iterations
    (each chunk includes its share of log iterations)."""
    def per_iter(k):
        return statistics.median((stamps[i + CHUNK][k] - stamps[i][k]) / CHUNK
                                 for i in range(0, len(stamps) - CHUNK, CHUNK))
    return dict(wall=per_iter(0), cpu=per_iter(1))


def bare_loop(iters: int) -> dict:
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
                if done == WARMUP:
                    COUNTER.start()
                stamps.append(_stamp())
            loss = torch.nn.functional.mse_loss(model(batch["inputs"]), batch["targets"])
            opt.zero_grad()
            loss.backward()
            opt.step()
            done += 1
            if done == iters:
                break
    COUNTER.stop()
    stamps.append(_stamp())
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
                if runner.iter == WARMUP:
                    COUNTER.start()
                self.stamps.append(_stamp())

        def after_train(self, runner):
            COUNTER.stop()
            self.stamps.append(_stamp())

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
    if COUNTER._lib is not None:   # under callgrind: the counted loop is all that is wanted
        return dict(per_iter=_chunked(clock.stamps), maxrss_mb=rss)
    # the bare loop in the same process right after: same allocator/thread state and load
    return dict(per_iter=_chunked(clock.stamps), bare_per_iter=bare_loop(iters), maxrss_mb=rss)


# ---------------------------------------------------------------------------------------- parent
def _env(pythonpath=None, **extra) -> dict:
    env = dict(os.environ, **extra)
    if pythonpath is not None:   # the child imports `runtime` from there
        env["PYTHONPATH"] = os.pathsep.join(
            [str(pythonpath)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                                 if p and Path(p).resolve() != ROOT])
    return env


def _spawn(*args, pythonpath=None) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *map(str, args)], cwd=ROOT,
                         capture_output=True, text=True, check=False, env=_env(pythonpath))
    if out.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _callgrind_helper(tmp: Path):
    """Compile the client-request helper; None (with the reason printed) when impossible."""
    import shutil
    cc = shutil.which("cc") or shutil.which("gcc")
    if shutil.which("valgrind") is None or cc is None:
        print("--callgrind: needs valgrind and a C compiler; skipped")
        return None
    (tmp / "cg.c").write_text(CG_HELPER)
    out = subprocess.run([cc, "-O1", "-shared", "-fPIC", "-o", str(tmp / "libcg.so"), str(tmp / "cg.c")],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        print(f"--callgrind: cannot build the helper (valgrind headers missing?): {out.stderr[-300:]}")
        return None
    return tmp / "libcg.so"


def _count(lib: Path, tmp: Path, *args, pythonpath=None) -> float:
    """Instructions per counted iteration of one child run under callgrind."""
    iters = int(args[-1])
    out_file = tmp / f"cg.{len(list(tmp.glob('cg.*')))}.out"
    env = _env(pythonpath, BENCH_CG_LIB=str(lib), PYTHONHASHSEED="0")
    cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out_file}",
           sys.executable, __file__, "--child", *map(str, args)]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"callgrind child {args} failed:\n{out.stderr[-3000:]}")
    for line in out_file.read_text().splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1]) / (iters - WARMUP)
    raise RuntimeError(f"no totals in {out_file}")


def _median(runs, key, clock=None):
    return statistics.median(r[key] if clock is None else r[key][clock] for r in runs)


def _overhead(runs, clock):
    """Median over processes of (runner - bare loop of the same process), per iteration."""
    return statistics.median(r["per_iter"][clock] - r["bare_per_iter"][clock] for r in runs)


def _timed(args, kinds) -> dict:
    """CPU/wall time per iteration, import time, peak memory (fresh processes, interleaved)."""
    n, rep = args.iters, args.repeat
    imports = {m: [_spawn("import", m) for _ in range(rep)]
               for m in ("runtime.runner", "mmengine.runner")}
    train = {"bare": [], "ours": [], "mmengine": [], "baseline": []}
    for _ in range(rep):     # interleaved, so drifting machine load hits all alike
        train["bare"].append(_spawn("bare", n))
        train["ours"].append(_spawn("runner", "runtime", n))
        train["mmengine"].append(_spawn("runner", "mmengine", n))
        if args.baseline is not None:
            train["baseline"].append(_spawn("runner", "runtime", n, pythonpath=args.baseline.resolve()))
    res = dict(import_torch_s=_median(imports["runtime.runner"], "torch"),
               import_ours_s=_median(imports["runtime.runner"], "added"),
               import_mmengine_s=_median(imports["mmengine.runner"], "added"),
               rss_bare_mb=_median(train["bare"], "maxrss_mb"),
               rss_ours_mb=_median(train["ours"], "maxrss_mb"),
               rss_mmengine_mb=_median(train["mmengine"], "maxrss_mb"))
    for clock in ("cpu", "wall"):
        res[f"bare_{clock}_us"] = _median(train["ours"] + train["mmengine"], "bare_per_iter", clock) * 1e6
        for kind in kinds:
            res[f"{kind}_{clock}_us"] = _median(train[kind], "per_iter", clock) * 1e6
            res[f"{kind}_{clock}_overhead_us"] = _overhead(train[kind], clock) * 1e6
        for kind in kinds:
            res[f"{kind}_{clock}_ratio"] = (res[f"{kind}_{clock}_overhead_us"]
                                            / res[f"mmengine_{clock}_overhead_us"])
    heads = ["runtime", "mmengine"] + (["baseline"] if train["baseline"] else []) + ["bare torch"]
    rows = []
    for clock, what in (("cpu", "CPU time"), ("wall", "wall time")):
        rows.append((f"{what} per iteration (us)", [res[f"{k}_{clock}_us"] for k in kinds]
                     + [res[f"bare_{clock}_us"]]))
        rows.append((f"  framework overhead (us)", [res[f"{k}_{clock}_overhead_us"] for k in kinds]
                     + [0.0]))
        rows.append((f"  overhead / mmengine's", [res[f"{k}_{clock}_ratio"] for k in kinds] + [None]))
    rows.append(("import <pkg>.runner after torch (s)", [res["import_ours_s"], res["import_mmengine_s"]]
                 + ([None] if train["baseline"] else []) + [res["import_torch_s"]]))
    rows.append(("peak RSS of a training process (MB)", [res["rss_ours_mb"], res["rss_mmengine_mb"]]
                 + ([None] if train["baseline"] else []) + [res["rss_bare_mb"]]))
    print(f"{n} iterations (warmup {WARMUP}), median of {rep} fresh processes each, torch threads=1"
          + (f"; baseline = the runtime in {args.baseline}" if train["baseline"] else ""))
    print(f"{'':40s}" + "".join(f" {h:>12s}" for h in heads))
    for name, values in rows:
        print(f"{name:40s}" + "".join(f" {'':>12s}" if v is None else f" {v:12.4g}" for v in values))
    return res


def _instructions(args, kinds) -> dict:
    """Instructions per iteration under callgrind (one process each)."""
    res: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench_cg_") as tmp:
        lib = _callgrind_helper(Path(tmp))
        if lib is not None:
            m = WARMUP + args.callgrind
            ir = dict(bare=_count(lib, Path(tmp), "bare", m),
                      ours=_count(lib, Path(tmp), "runner", "runtime", m),
                      mmengine=_count(lib, Path(tmp), "runner", "mmengine", m))
            if args.baseline is not None:
                ir["baseline"] = _count(lib, Path(tmp), "runner", "runtime", m,
                                        pythonpath=args.baseline.resolve())
            for kind in kinds:
                res[f"{kind}_ir"] = ir[kind]
                res[f"{kind}_ir_overhead"] = ir[kind] - ir["bare"]
            res["bare_ir"] = ir["bare"]
            for kind in kinds:
                res[f"{kind}_ir_ratio"] = res[f"{kind}_ir_overhead"] / res["mmengine_ir_overhead"]
            heads = ["runtime", "mmengine"] + (["baseline"] if "baseline" in ir else []) + ["bare torch"]
            print(f"callgrind: {args.callgrind} iterations after a warmup of {WARMUP}, one process each")
            print(f"{'':40s}" + "".join(f" {h:>12s}" for h in heads))
            for name, key in (("instructions per iteration (k)", "ir"),
                              ("  framework overhead (k)", "ir_overhead"),
                              ("  overhead / mmengine's", "ir_ratio")):
                values = [res[f"{k}_{key}"] for k in kinds]
                values.append(res["bare_ir"] if key == "ir" else (0.0 if key == "ir_overhead" else None))
                if key != "ir_ratio":
                    values = [v / 1000 for v in values]
                print(f"{name:40s}" + "".join(f" {'':>12s}" if v is None else f" {v:12.4g}"
                                              for v in values))
    return res


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3,
                        help="fresh processes per kind for the timings (0: no timings, e.g. "
                             "with --callgrind alone)")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="a directory holding another `runtime/` package to measure alongside")
    parser.add_argument("--callgrind", type=int, nargs="?", const=300, default=None, metavar="N",
                        help="also count instructions per iteration under valgrind's callgrind "
                             "over N iterations after the warmup (default 300)")
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

    res: dict = {}
    kinds = ["ours", "mmengine"] + (["baseline"] if args.baseline is not None else [])
    if args.repeat > 0:
        res.update(_timed(args, kinds))
    if args.callgrind:
        res.update(_instructions(args, kinds))
    parts = []
    if "ours_cpu_ratio" in res:
        res["overhead_ratio"] = res["ours_cpu_ratio"]
        parts.append(f"overhead ratio ours/mmengine (CPU time): {res['ours_cpu_ratio']:.2f} "
                     "(target <= 0.25)")
    if "ours_ir_ratio" in res:
        parts.append(f"instructions: {res['ours_ir_ratio']:.3f}")
    if "import_ours_s" in res:
        parts.append(f"import added: {res['import_ours_s']:.3f} s (target <= 0.1 s)")
    print("; ".join(parts))
    return res


if __name__ == "__main__":
    main()
