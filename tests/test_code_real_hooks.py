"""Every hook class of mmdet 2.28.2's, mmcls 0.25.0's and mmseg 0.30.0's `core/` hook modules,
migrated (tests/code_hooks.py), run through a real mmengine 0.10.7 `Runner` (train + val loop)
on a toy model, registered from the migrated modules (built from `custom_hooks` configs).
Each test asserts the hook's methods ran and did their job where it is observable; expected
values come from the hooks' MMCV-era sources, computed by hand or with plain torch.

Stand-ins, each the smallest honest one: a toy model with the attribute a hook touches
(`bbox_head.use_l1`, `num_classes`, BatchNorm layers), a toy dataset with the method a hook calls
(`update_skip_type_keys`, `update_dynamic_scale`, `CLASSES`). What needs several processes
(SyncNormHook, SyncRandomSizeHook) runs in a 2-process CPU gloo group (tests/support/
dist_hooks_worker.py). Not exercised, and why, is said at each test.
"""
import logging

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mmengine")

from mmengine.hooks import Hook  # noqa: E402
from mmengine.model import BaseModel  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

import code_hooks  # noqa: E402
from test_code_real import CountMetric, Toy, _data  # noqa: E402

pytestmark = pytest.mark.integration


class ListSet(list):
    """A dataset: a list of dicts, with what the hooks call on their datasets."""
    CLASSES = ("a", "b", "c")

    def __init__(self, items):
        super().__init__(items)
        self.calls = []

    def update_skip_type_keys(self, keys):          # mmdet MultiImageMixDataset
        self.calls.append(("skip", tuple(keys)))

    def update_dynamic_scale(self, scale):          # mmdet MultiImageMixDataset
        self.calls.append(("scale", tuple(scale)))


class BNToy(BaseModel):
    """Linear -> BatchNorm1d -> Linear; `num_classes` and `bbox_head.use_l1` as the code bases'
    heads have them."""

    def __init__(self, num_classes=3):
        super().__init__()
        self.fc = torch.nn.Linear(2, 3)
        self.bn = torch.nn.BatchNorm1d(3)
        self.bbox_head = torch.nn.Linear(3, 1)
        self.bbox_head.use_l1 = False
        self.bbox_head.num_classes = num_classes

    def forward(self, x, y, mode="tensor"):
        pred = self.bbox_head(self.bn(self.fc(x)))
        if mode == "loss":
            return dict(loss=((pred - y) ** 2).mean())
        return list(pred)


def loader(n, batch=1, seed=0):
    g = torch.Generator().manual_seed(seed)
    items = [dict(x=torch.randn(2, generator=g), y=torch.randn(1, generator=g)) for _ in range(n)]
    return DataLoader(ListSet(items), batch_size=batch, shuffle=False)


def run(tmp_path, hooks, *, model=None, n_train=4, batch=1, epochs=1, by_epoch=True, iters=None,
        val=2):
    from mmengine.evaluator import Evaluator
    train_cfg = dict(by_epoch=True, max_epochs=epochs, val_interval=1) if by_epoch else \
        dict(by_epoch=False, max_iters=iters, val_interval=iters)
    runner = Runner(model=model or Toy(), work_dir=str(tmp_path),
                    train_dataloader=loader(n_train, batch),
                    val_dataloader=loader(val, batch, seed=1), val_cfg=dict(),
                    val_evaluator=Evaluator([CountMetric()]), train_cfg=train_cfg,
                    optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)), custom_hooks=hooks,
                    default_hooks=dict(checkpoint=None), log_level=logging.INFO)
    runner.train()
    return runner


class Snap(Hook):
    """Records the model's parameters after every train iteration (after the hook under test:
    LOWEST priority) and once in before_run."""
    priority = "LOWEST"

    def __init__(self):
        self.params = []

    def _snap(self, runner):
        self.params.append({k: v.detach().clone() for k, v in runner.model.state_dict().items()
                            if not k.startswith("ema_")})

    def before_run(self, runner):
        self._snap(runner)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self._snap(runner)


def _ema_expected(snaps, momenta, interval):
    ema = dict(snaps[0])
    for i, (p, m) in enumerate(zip(snaps[1:], momenta)):
        if (i + 1) % interval == 0:
            ema = {k: (1 - m) * ema[k] + m * p[k] for k in ema}
    return ema


@pytest.mark.parametrize("name,kw,momentum", [
    # mmdet ema.py: BaseEMAHook's constant momentum; LinearMomentumEMAHook's
    # min(momentum ** interval, (1 + iter) / (warm_up + iter))
    ("BaseEMAHook", dict(momentum=0.3, interval=2), lambda i: 0.3),
    ("LinearMomentumEMAHook", dict(momentum=0.5, interval=1, warm_up=4),
     lambda i: min(0.5, (1 + i) / (4 + i))),
    ("ExpMomentumEMAHook", dict(momentum=0.1, total_iter=3),
     lambda i: (1 - 0.1) * __import__("math").exp(-(1 + i) / 3) + 0.1),
])
def test_ema_hooks(tmp_path, name, kw, momentum):
    mod = code_hooks.load("mmdet.core.hook.ema")
    if name == "BaseEMAHook":        # not registered in mmdet: built directly
        hooks = [mod.BaseEMAHook(**kw)]
    else:
        hooks = [dict(type=name, **kw)]
    snap = Snap()
    model = Toy()
    run(tmp_path, hooks + [snap], model=model, n_train=4)
    assert len(snap.params) == 5
    expected = _ema_expected(snap.params, [momentum(i) for i in range(4)],
                             kw.get("interval", 1))
    # after_train_epoch swapped: the model holds the EMA weights, ema_* buffers the raw ones
    got = {k: v for k, v in model.state_dict().items() if not k.startswith("ema_")}
    for k, v in expected.items():
        assert torch.allclose(got[k], v, atol=1e-7, rtol=0), k
        assert torch.allclose(model.state_dict()[f"ema_{k.replace('.', '_')}"],
                              snap.params[-1][k], atol=0, rtol=0), k
    assert not torch.allclose(expected["fc.weight"], snap.params[-1]["fc.weight"])


def test_yolox_mode_switch_hook(tmp_path):
    code_hooks.load("mmdet.core.hook.yolox_mode_switch_hook")
    model = BNToy()

    class Seen(Hook):
        priority = "LOWEST"
        use_l1 = []

        def before_train_epoch(self, runner):
            self.use_l1.append(runner.model.bbox_head.use_l1)
    runner = run(tmp_path, [dict(type="YOLOXModeSwitchHook", num_last_epochs=1,
                                 skip_type_keys=("Mosaic",)), Seen()],
                 model=model, n_train=4, batch=2, epochs=3)
    # (epoch + 1) == max_epochs - num_last_epochs at epoch 1: skip keys set once, L1 switched on
    assert runner.train_dataloader.dataset.calls == [("skip", ("Mosaic",))]
    assert Seen.use_l1 == [False, True, True]
    # not exercised: the persistent_workers dataloader restart (needs worker processes)


def test_class_num_check_hook_epoch_and_iter(tmp_path):
    code_hooks.load("mmcls.core.hook.class_num_check_hook")
    hook = dict(type="ClassNumCheckHook")
    run(tmp_path / "ok", [hook], model=BNToy(3), batch=2)           # CLASSES has 3 names
    with pytest.raises(AssertionError, match=r"num_classes` \(2\).*length of `CLASSES` 3"):
        run(tmp_path / "bad", [hook], model=BNToy(2), batch=2)
    # iter-based: MMCV checked runner.data_loader._dataloader.dataset in before_train_iter and
    # before_val_iter (IterLoader); MMEngine's loaders are the DataLoaders themselves
    calls = []

    class Spy(ListSet):
        @property
        def CLASSES(self):
            calls.append(1)
            return ("a", "b", "c")
    r = Runner(model=BNToy(3), work_dir=str(tmp_path / "iter"),
               train_dataloader=DataLoader(Spy([dict(x=torch.randn(2), y=torch.randn(1))] * 4),
                                           batch_size=2),
               train_cfg=dict(by_epoch=False, max_iters=3),
               optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)), custom_hooks=[hook],
               default_hooks=dict(checkpoint=None), log_level=logging.WARNING)
    r.train()
    # before_train_epoch once (IterBasedTrainLoop calls it), before_train_iter 3 times; each
    # _check_head reads CLASSES three times (the None test, is_seq_of, the one head's length)
    assert len(calls) == 3 * (1 + 3)


def test_precise_bn_hook(tmp_path):
    code_hooks.load("mmcls.core.hook.precise_bn_hook")
    model = BNToy()
    runner = run(tmp_path, [dict(type="PreciseBNHook", num_samples=4, interval=1)],
                 model=model, n_train=6, batch=2, val=2)
    # mmcls update_bn_stats: num_iter = 4 // (2 * 1) = 2 batches of the train loader, forward in
    # train mode with momentum 1 (running stats = that batch's), averaged over the batches
    means, varis = [], []
    with torch.no_grad():
        for i, batch in enumerate(runner.train_dataloader):
            if i == 2:
                break
            h = model.fc(batch["x"])
            means.append(h.mean(0))
            varis.append(h.var(0, unbiased=True))
    assert torch.allclose(model.bn.running_mean, sum(means) / 2, atol=1e-6, rtol=0)
    assert torch.allclose(model.bn.running_var, sum(varis) / 2, atol=1e-6, rtol=0)
    assert model.bn.momentum == 0.1                     # restored
    # not exercised: scaled_all_reduce across GPUs (world size 1 returns the tensors unchanged)


def test_memory_profiler_hook(tmp_path, caplog):
    pytest.importorskip("psutil")
    pytest.importorskip("memory_profiler")
    code_hooks.load("mmdet.core.hook.memory_profiler_hook")
    seen = []

    class Rec(logging.Handler):
        def emit(self, record):
            if "Memory information" in record.getMessage():
                seen.append(record.getMessage())
    from mmengine.logging import MMLogger
    handler = Rec()
    runner_logger = None
    try:
        runner = Runner(model=Toy(), work_dir=str(tmp_path), train_dataloader=loader(4),
                        val_dataloader=loader(2, seed=1), val_cfg=dict(),
                        val_evaluator=__import__("mmengine.evaluator", fromlist=["x"]).Evaluator(
                            [CountMetric()]),
                        train_cfg=dict(by_epoch=True, max_epochs=1, val_interval=1),
                        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
                        custom_hooks=[dict(type="MemoryProfilerHook", interval=2)],
                        default_hooks=dict(checkpoint=None), log_level=logging.INFO)
        runner_logger = runner.logger
        runner_logger.addHandler(handler)
        runner.train()
    finally:
        if runner_logger is not None:
            runner_logger.removeHandler(handler)
    # every_n_train_iters(runner, 2): after train iterations 1 and 3; MMCV's after_iter also ran
    # after val iterations, with the same runner.iter test: after training runner.iter is 4,
    # (4 + 1) % 2 != 0, so the val iterations log nothing
    assert len(seen) == 2, seen
    assert all("available_memory" in s and "current_process_memory" in s for s in seen)
    assert isinstance(MMLogger.get_current_instance(), MMLogger)


def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sync_norm_and_sync_random_size_hooks_in_two_processes(tmp_path):
    """Two CPU processes in a gloo group (torch.distributed, world size 2), each a real Runner
    with launcher 'none' (the group is ours; MMEngine's get_dist_info sees it)."""
    import os
    import subprocess
    import sys
    root = code_hooks.package_root()
    port = _free_port()
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([here, os.environ.get("PYTHONPATH", "")]))
    procs = [subprocess.Popen([sys.executable, os.path.join(here, "code_hooks.py"), str(root),
                               str(r), "2", str(port), str(tmp_path / f"rank{r}.pt")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for r in range(2)]
    logs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], "\n".join(l[-3000:] for l in logs)
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)]
    assert [r["world"] for r in ranks] == [2, 2]
    # SyncNormHook(num_last_epochs=1, interval=5), 2 epochs: before epoch 0 (epoch + 1 ==
    # max_epochs - num_last_epochs) the interval becomes 1, so both epochs end with a sync (with
    # interval 5 neither would); the last one averages the two ranks' BN states
    b0, b1 = ranks[0]["before"], ranks[1]["before"]
    assert not torch.allclose(b0["running_mean"], b1["running_mean"])     # different data
    for r in ranks:
        for k in ("running_mean", "running_var"):
            assert torch.allclose(r["after"][k], (b0[k] + b1[k]) / 2, atol=1e-6, rtol=0), k
    # SyncRandomSizeHook: rank 0 draws the size, broadcast: both datasets get the same one
    c0, c1 = ranks[0]["calls"], ranks[1]["calls"]
    assert c0 == c1 and [c[0] for c in c0] == ["scale", "scale"]
    for _, (h, w) in c0:      # (32 * randint(14, 26), 32 * int(size * 320 / 640))
        assert h % 32 == 0 and 14 * 32 <= h <= 26 * 32 and w == 32 * int(h / 32 * 0.5)
