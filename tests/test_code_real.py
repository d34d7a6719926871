"""The real oracle: the migrated fixture modules (fixtures/code/*/*_new.py) run under real
mmengine 0.10.7. Hooks are registered in a real `mmengine.runner.Runner` on a toy model and must
be called at the stages MMCV called them, with MMCV's values; the migrated loops, LR updater,
optimizer constructor and model train/update exactly as MMCV 1.x's runner would have (expected
values derived by hand from mmcv 1.7.2's runner/hooks sources, or from a plain torch loop)."""
import copy
import logging

import pytest

torch = pytest.importorskip("torch")
mmengine = pytest.importorskip("mmengine")

from mmengine.evaluator import BaseMetric, Evaluator  # noqa: E402
from mmengine.model import BaseModel  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

from code_cases import load_expected  # noqa: E402


class Toy(BaseModel):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 1)

    def forward(self, x, y, mode="tensor"):
        pred = self.fc(x)
        if mode == "loss":
            return dict(loss=((pred - y) ** 2).mean())
        return [pred]


class CountMetric(BaseMetric):
    def process(self, data_batch, data_samples):
        self.results.append(len(data_samples))

    def compute_metrics(self, results):
        return dict(n=sum(results))


def _data(n):
    g = torch.Generator().manual_seed(0)
    return [dict(x=torch.randn(2, generator=g), y=torch.randn(1, generator=g)) for _ in range(n)]


def _loader(n, batch=1):
    return DataLoader(_data(n), batch_size=batch, shuffle=False)


def _runner(tmp_path, hooks, *, n_train=2, epochs=1, val=0, model=None, train_cfg=None,
            optim_wrapper=None):
    kw = {}
    if val:
        kw = dict(val_dataloader=_loader(val), val_cfg=dict(),
                  val_evaluator=Evaluator([CountMetric()]))
    return Runner(model=model or Toy(), work_dir=str(tmp_path), train_dataloader=_loader(n_train),
                  train_cfg=train_cfg or dict(by_epoch=True, max_epochs=epochs, val_interval=1),
                  optim_wrapper=optim_wrapper or dict(optimizer=dict(type="SGD", lr=0.1)),
                  custom_hooks=hooks, default_hooks=dict(checkpoint=None), log_level=logging.WARNING,
                  **kw)


def test_hook_stages(tmp_path):
    hook = load_expected("hook_signatures", "stages").RecordHook()
    _runner(tmp_path, [hook], n_train=2, val=1).train()
    it = ["before_train_iter", "after_train_iter"]
    assert hook.calls == ["before_run", "before_train_epoch", *it, *it, "after_train_epoch",
                          "before_val_epoch", "before_val_iter", "after_val_iter",
                          "after_val_epoch", "after_run"]


def test_hook_keyword_signatures(tmp_path, capsys):
    hook = load_expected("hook_signatures", "defaults").KeywordHook()
    _runner(tmp_path, [hook], n_train=1, val=1).train()
    out = [l for l in capsys.readouterr().out.splitlines() if l and " - mmengine - " not in l]
    # after_train_iter(r, extra=None, batch_idx=...) by keyword; before_val_iter(**kwargs)
    assert out[:2] == ["0 None", "0"]
    assert out[2].startswith("1 {'batch_idx': 0, 'data_batch': {") and len(out) == 3


def test_hook_generic_methods_run_where_mmcv_ran_them(tmp_path):
    hook = load_expected("hook_generic", "generic").GenericHook()
    _runner(tmp_path, [hook], n_train=2, val=1).train()
    # mmcv Hook: before_train_epoch -> before_epoch, ...; epoch is 1 during the val epoch
    assert hook.calls == [("before_epoch", 0), ("before_iter", 0), ("after_iter", 0),
                          ("before_iter", 1), ("after_iter", 1), ("after_epoch", 0),
                          ("after_train_epoch", 0), ("before_epoch", 1), ("before_iter", 0),
                          ("after_iter", 0), ("after_epoch", 1)]


def test_hook_helpers(tmp_path):
    hook = load_expected("hook_helpers", "helpers").IntervalHook(interval=2)
    _runner(tmp_path, [hook], n_train=3, epochs=2).train()
    # MMCV: every_n_iters -> (iter+1) % 2, every_n_inner_iters -> (inner_iter+1) % 2,
    # end_of_epoch -> inner_iter + 1 == len(data_loader), is_last_iter -> iter + 1 == max_iters
    assert hook.seen == [("iters", 1), ("inner", 1), ("end_of_epoch", 2), ("iters", 3),
                         ("inner", 1), ("iters", 5), ("end_of_epoch", 5), ("last_iter", 5),
                         ("last_epoch", 1)]


def test_hook_runner_attributes(tmp_path):
    hook = load_expected("hook_runner_attrs", "attrs").AttrsHook()
    runner = _runner(tmp_path, [hook], n_train=2, val=1)
    runner.train()
    kinds = [s[0] for s in hook.seen]
    assert kinds == ["loader", "lr", "iter", "lr", "iter", "val"]
    assert hook.seen[0] == ("loader", 2, "train")
    assert hook.seen[1] == ("lr", 0.1, 0) and hook.seen[3] == ("lr", 0.1, 1)
    assert [s[1:5] for s in (hook.seen[2], hook.seen[4])] == [(0, 0, 1, "Toy"), (1, 0, 1, "Toy")]
    assert hook.seen[5] == ("val", "val", 1)
    # log_buffer.update -> message_hub: the last value logged is the last iteration's loss
    assert runner.message_hub.get_scalar("train/loss_copy").current() == pytest.approx(
        hook.seen[4][5])


class StepCount(Toy):
    def __init__(self):
        super().__init__()
        self.steps = 0

    def train_step(self, data, optim_wrapper):
        self.steps += 1
        return super().train_step(data, optim_wrapper)


def _iter_recorder():
    from mmengine.hooks import Hook

    class IterRecorder(Hook):
        def __init__(self):
            self.before, self.after = [], []

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            self.before.append((runner.iter, batch_idx))

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            self.after.append((runner.iter, batch_idx, sorted(outputs)))
    return IterRecorder()


def test_guide_custom_runner_loop(tmp_path):
    load_expected("runner_loop", "guide")
    rec, model = _iter_recorder(), StepCount()
    runner = _runner(tmp_path, [rec], n_train=3, model=model,
                     train_cfg=dict(type="CustomEpochBasedTrainLoop", max_epochs=1))
    runner.train()
    # MMCV CustomRunner.train: for each batch, twice (hooks, step, hooks); _iter += 1 per batch
    assert model.steps == 6
    assert rec.before == [(0, 0), (0, 0), (1, 1), (1, 1), (2, 2), (2, 2)]
    assert [a[2] for a in rec.after] == [["loss"]] * 6
    assert runner.iter == 3 and runner.epoch == 1


def test_run_iter_override_loop(tmp_path):
    load_expected("runner_loop", "run_iter")
    rec, model = _iter_recorder(), StepCount()
    runner = _runner(tmp_path, [rec], n_train=3, model=model, epochs=2,
                     train_cfg=dict(type="TwiceEpochBasedTrainLoop", max_epochs=2))
    runner.train()
    # MMCV train(): hooks once per batch around the overridden run_iter (two steps)
    assert model.steps == 12
    assert rec.before == [(0, 0), (1, 1), (2, 2), (3, 0), (4, 1), (5, 2)]
    assert runner.iter == 6


def _lrs(tmp_path, by_epoch, **kw):
    from mmengine.hooks import Hook
    mod = load_expected("lr_updater", "halving")

    class LrRecorder(Hook):
        priority = "LOWEST"

        def __init__(self):
            self.lrs = []

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            self.lrs.append(runner.optim_wrapper.optimizer.param_groups[0]["lr"])
    rec = LrRecorder()
    hook = mod.HalvingLrUpdaterHook(by_epoch=by_epoch, **kw)
    _runner(tmp_path, [hook, rec], n_train=3, epochs=2).train()
    return rec.lrs


def test_lr_updater_by_epoch_with_warmup(tmp_path):
    lrs = _lrs(tmp_path, True, every=1, warmup="linear", warmup_iters=2, warmup_ratio=0.5)
    # MMCV: regular lr 0.1 * 0.5 ** epoch; linear warmup lr * (1 - (1 - i/2) * 0.5) for i < 2,
    # at i == 2 the regular lr, afterwards what before_train_epoch set
    assert lrs == pytest.approx([0.05, 0.075, 0.1, 0.05, 0.05, 0.05], abs=1e-12)


def test_lr_updater_by_iter(tmp_path):
    lrs = _lrs(tmp_path, False, every=2, warmup="exp", warmup_iters=2, warmup_ratio=0.25)
    # MMCV: regular 0.1 * 0.5 ** (iter // 2); exp warmup lr * 0.25 ** (1 - i/2) for i < 2
    assert lrs == pytest.approx([0.1 * 0.25, 0.1 * 0.25 ** 0.5, 0.05, 0.05, 0.025, 0.025],
                                abs=1e-12)


def test_constructor_and_model_train_like_mmcv(tmp_path):
    load_expected("optim_constructor", "constructor")
    model = load_expected("model_steps", "toy_model").ToyModel()
    reference = copy.deepcopy(model)
    runner = _runner(tmp_path, [], n_train=4, epochs=2, model=model,
                     optim_wrapper=dict(constructor="HeadLrConstructor",
                                        optimizer=dict(type="SGD", lr=0.1, momentum=0.9)))
    runner.train()
    # MMCV: HeadLrConstructor's optimizer; OptimizerHook: zero_grad, loss.backward, step
    head = [p for n, p in reference.named_parameters() if n.startswith("head")]
    rest = [p for n, p in reference.named_parameters() if not n.startswith("head")]
    opt = torch.optim.SGD([dict(params=rest), dict(params=head, lr=1.0)], lr=0.1, momentum=0.9)
    for _ in range(2):
        for batch in _loader(4):
            opt.zero_grad()
            out = reference(**batch)
            sum(out.values()).backward()
            opt.step()
    got = dict(model.named_parameters())
    for n, p in reference.named_parameters():
        assert torch.allclose(got[n], p, atol=1e-6, rtol=0), n
    assert runner.optim_wrapper.optimizer.param_groups[1]["lr"] == 1.0


def test_constructor_init_is_built_by_keyword():
    from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS
    load_expected("optim_constructor", "init")
    # MMEngine's build_optim_wrapper passes optim_wrapper_cfg= by keyword (MC303 renames it)
    ctor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type="ScaledConstructor", optim_wrapper_cfg=dict(optimizer=dict(type="SGD", lr=0.1)),
        scale=2.0))
    wrapper = ctor(Toy())
    assert wrapper.optimizer.param_groups[0]["lr"] == pytest.approx(0.2)
