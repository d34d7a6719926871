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
        self.evaluated = []

    def evaluate(self, results, logger=None, **kwargs):      # the 2.x/0.x dataset API
        """loss: mean squared error of the predictions against `y`, in dataset order."""
        assert len(results) == len(self)
        loss = float(sum(((r - d["y"]) ** 2).sum() for r, d in zip(results, self)) / len(self))
        self.evaluated.append(dict(n=len(results), loss=loss, **kwargs))
        return dict(loss=loss)

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
    # its own experiment name: runners built in the same second share a MessageHub otherwise
    runner = Runner(model=model or Toy(), work_dir=str(tmp_path),
                    experiment_name=f"hooks-{tmp_path.name}",
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
            ema = {k: ema[k].mul(1 - m).add(p[k], alpha=m) for k in ema}
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
        assert torch.allclose(got[k], v, atol=1e-6, rtol=0), k
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
    # DistEvalHook x3 (run B): rank 0's dataset.evaluate got all 4 results in dataset order
    # (each rank tested its half: DistributedSampler, gathered by collect_results), computed
    # with rank 0's BatchNorm state (broadcast before testing: rank 1's differed before)
    r0, r1 = ranks
    assert not torch.allclose(r0["bn_before_eval"], r1["bn_before_eval"])
    assert torch.allclose(r1["bn_after_eval"], r0["bn_before_eval"], atol=0, rtol=0)
    assert [e["n"] for e in r0["evaluated"]] == [4, 4, 4] and r1["evaluated"] == []
    for e in r0["evaluated"]:
        assert e["loss"] == pytest.approx(r0["expected_loss"], abs=1e-6)
    assert r0["best"] == pytest.approx(r0["expected_loss"], abs=1e-6)   # mmdet's save_best
    # not exercised: gpu_collect (needs CUDA), DDP-wrapped models (no GPU; the ranks' weights
    # are kept equal with lr 0 instead)


class EvalRec(Hook):
    priority = "LOWEST"

    def __init__(self):
        self.states = []

    def after_train_epoch(self, runner):
        self.states.append({k: v.clone() for k, v in runner.model.state_dict().items()})


def _expected_losses(states, val):
    out = []
    for st in states:
        m = BNToy()
        m.load_state_dict(st)
        preds = code_hooks.single_gpu_test(m, val)
        out.append(val.dataset.evaluate(preds)["loss"])
    val.dataset.evaluated.clear()
    return out


@pytest.mark.parametrize("codebase", ["mmdet", "mmcls", "mmseg"])
def test_eval_hooks_evaluate_and_save_best(tmp_path, codebase):
    """mmdet's EvalHook (dynamic_intervals), mmcls' EvalHook (the MMCV test_fn: the stand-in's
    model.test_step), mmseg's EvalHook (by_epoch=False: every `interval` iterations), each with
    save_best: dataset.evaluate is called with the model's predictions at the right times, the
    metric reaches the message hub and the best checkpoint is the best epoch/iteration's."""
    import os
    code_hooks.apis_stand_ins()
    cls = code_hooks.load(f"{codebase}.core.evaluation.eval_hooks").EvalHook
    val = loader(3, 1, seed=7)
    rec = EvalRec()
    if codebase == "mmdet":
        # interval 1, from epoch 2 on 2: evaluated after epochs 0, 1 and 3 (bisect on epoch + 1)
        hook = cls(val, interval=1, dynamic_intervals=[(2, 2)], save_best="loss")
        epochs, iters = 4, None
    elif codebase == "mmcls":
        hook = cls(val, interval=1, save_best="auto")
        epochs, iters = 2, None
    else:
        hook = cls(val, interval=2, save_best="loss")        # by_epoch=False (mmseg's default)
        epochs, iters = 1, None

    class IterRec(Hook):
        priority = "LOWEST"
        states = []

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            self.states.append({k: v.clone() for k, v in runner.model.state_dict().items()})
    model = BNToy()
    runner = run(tmp_path, [hook, rec, IterRec()], model=model, n_train=4, batch=2, epochs=epochs,
                 iters=iters)
    got = list(val.dataset.evaluated)
    if codebase == "mmdet":
        want = _expected_losses([rec.states[e] for e in (0, 1, 3)], val)
        best_name = lambda i: f"best_loss_epoch_{(0, 1, 3)[i] + 1}.pth"  # noqa: E731
    elif codebase == "mmcls":
        want = _expected_losses(rec.states, val)
        best_name = lambda i: f"best_loss_epoch_{i + 1}.pth"  # noqa: E731
    else:       # 2 iterations: evaluated after iteration 1 (runner.iter + 1 == 2)
        want = _expected_losses([IterRec.states[1]], val)
        best_name = lambda i: "best_loss_iter_2.pth"  # noqa: E731
    IterRec.states.clear()
    assert [g["n"] for g in got] == [3] * len(want)
    assert [g["loss"] for g in got] == pytest.approx(want, abs=1e-6)
    assert runner.message_hub.get_scalar("val/loss").data[0].tolist()[:len(want)] == \
        pytest.approx(want, abs=1e-6)
    best = min(range(len(want)), key=lambda i: want[i])
    assert runner.message_hub.get_info("best_score") == pytest.approx(want[best], abs=1e-6)
    ckpts = sorted(f for f in os.listdir(tmp_path) if f.startswith("best_"))
    assert ckpts == [best_name(best)]                 # earlier bests were removed
    assert runner.message_hub.get_info("eval_iter_num") == 3
    saved = torch.load(tmp_path / ckpts[0], map_location="cpu", weights_only=False)["state_dict"]
    ref = rec.states[(0, 1, 3)[best]] if codebase == "mmdet" else \
        rec.states[best] if codebase == "mmcls" else None
    if ref is not None:
        for k, v in ref.items():
            assert torch.equal(saved[k], v), k


def _clip_reference(model, batches, lr, max_norm):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for b in batches:
        opt.zero_grad()
        model(**b, mode="loss")["loss"].backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.grad is not None],
                                       max_norm=max_norm)
        opt.step()


@pytest.mark.parametrize("codebase", ["mmdet", "mmcls"])
def test_dist_optimizer_hook_clips_and_steps_once(tmp_path, codebase):
    """mmdet's and mmcls' DistOptimizerHook (subclasses of MMCV's OptimizerHook, which MC108
    ports): built from their own __init__, the optim wrapper
    steps once per iteration and clips the gradient norm to grad_clip's max_norm, as MMCV's
    OptimizerHook did; MMEngine logs the norm as train/grad_norm."""
    import copy
    import warnings
    # mmcls.utils.auto_select_device (used by its sync_random_seed only): CPU here, as theirs
    # returns without CUDA
    code_hooks.stand_in("mmcls.utils", auto_select_device=lambda: "cpu")
    cls = code_hooks.load(f"{codebase}.core.utils.dist_utils").DistOptimizerHook
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hook = cls(grad_clip=dict(max_norm=0.05))
    # mmdet's __init__ warns and calls the stand-in's; mmcls' sets its attributes and its
    # after_train_iter (MMCV's step) was dropped by MC108
    assert any("deprecated" in str(w.message) for w in caught) == (codebase == "mmdet")
    assert "after_train_iter" not in vars(cls)
    model = Toy()
    reference = copy.deepcopy(model)
    runner = run(tmp_path, [hook], model=model, n_train=4, val=1)
    _clip_reference(reference, list(loader(4)), 0.1, 0.05)
    for (n, p), q in zip(model.named_parameters(), reference.parameters()):
        assert torch.allclose(p, q, atol=1e-7, rtol=0), n
    norms = runner.message_hub.get_scalar("train/grad_norm").data[0]
    assert len(norms) == 4 and (norms > 0.05).any()          # clipping really happened


def test_optimizer_hook_subclasses_of_the_fixture(tmp_path):
    """fixtures/code/no_equivalent: ClipOptimizerHook's after_train_iter was MMCV's own step
    (dropped by MC108: trains like a plain run); LoggedOptimizerHook's is not (its step would
    come after the OptimWrapper's): refused when built."""
    import copy
    from code_cases import load_expected
    mod = load_expected("no_equivalent", "bases")
    model = Toy()
    reference = copy.deepcopy(model)
    run(tmp_path, [mod.ClipOptimizerHook(grad_clip=dict(max_norm=0.05))], model=model, val=1)
    _clip_reference(reference, list(loader(4)), 0.1, 0.05)
    for (n, p), q in zip(model.named_parameters(), reference.parameters()):
        assert torch.allclose(p, q, atol=1e-7, rtol=0), n
    with pytest.raises(NotImplementedError, match="overrides OptimizerHook.after_train_iter"):
        mod.LoggedOptimizerHook()
