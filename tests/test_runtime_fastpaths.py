"""The runtime's per-iteration fast paths give exactly what the plain (MMEngine-shaped) code gives.

Each fast path (see benchmarks/runtime_overhead.py) is checked against its slow equivalent or
against real mmengine 0.10.7: HistoryBuffer statistics/dtypes, the MMLogger direct write vs the
stdlib record path, LocalVisBackend lines vs json.dump, parse_losses values/gradients, the
skipped no-op model.train(), the cast_data shortcut, and call_hook's cached per-stage plan.
"""
import io
import itertools
import json
import logging
import random
from unittest import mock

import numpy as np
import pytest
import torch

from runtime.hooks import Hook
from runtime.logging import HistoryBuffer, MessageHub, MMLogger
from runtime.model import BaseModel
from runtime.visualization import LocalVisBackend

_ids = itertools.count()


def _name(prefix):
    return f"{prefix}_fast_{next(_ids)}"


def test_history_buffer_fast_append_matches_mmengine():
    from mmengine.logging import HistoryBuffer as MMHistoryBuffer
    rng = random.Random(3)
    for trial in range(120):
        max_length = rng.choice([4, 11, 1000000])
        ours, theirs = HistoryBuffer(max_length=max_length), MMHistoryBuffer(max_length=max_length)
        for _ in range(rng.randint(1, 40)):
            value = rng.choice([rng.random(), rng.randint(-3, 3), -0.0, rng.random() * 1e-9])
            count = 1 if trial % 3 else rng.randint(1, 3)
            ours.update(value, count)
            theirs.update(value, count)
            for window in (1, 2, 9, 10, 11, 0, None):
                a, b = ours.mean(window), theirs.mean(window)
                assert type(a) is type(b)
                assert a == b or (np.isnan(a) and np.isnan(b))
            assert type(ours.current()) is type(theirs.current())
            for mine, ref in zip(ours.data, theirs.data):
                assert mine.dtype == ref.dtype and mine.tolist() == ref.tolist()


def test_history_buffer_pending_appends_read_like_mmengine():
    """Bursts of updates (the float/count-1 ones only queued) between reads of every kind, and
    the same through MessageHub.update_scalar: every read sees what MMEngine's buffer holds."""
    import pickle
    from mmengine.logging import HistoryBuffer as MMHistoryBuffer
    from mmengine.logging import MessageHub as MMMessageHub
    rng = random.Random(11)
    for trial in range(60):
        max_length = rng.choice([5, 23, 1000000])
        hub, mm_hub = MessageHub.get_instance(_name("hub")), MMMessageHub.get_instance(_name("mmhub"))
        ours, theirs = HistoryBuffer(max_length=max_length), MMHistoryBuffer(max_length=max_length)
        for _ in range(rng.randint(1, 12)):
            for _ in range(rng.randint(0, 30)):
                value = rng.choice([rng.random(), rng.random(), rng.randint(-3, 3), np.float64(0.5)])
                count = rng.choice([1, 1, 1, 2]) if trial % 2 else 1
                ours.update(value, count)
                theirs.update(value, count)
                hub.update_scalar("train/v", value, count)
                mm_hub.update_scalar("train/v", value, count)
            for mine, ref in ((ours, theirs), (hub.get_scalar("train/v"), mm_hub.get_scalar("train/v"))):
                read = rng.choice(["mean", "current", "max", "data", "state", "pickle"])
                if read == "mean":
                    window = rng.choice([1, 3, 10, None])
                    a, b = mine.mean(window), ref.mean(window)
                    assert type(a) is type(b) and a == b
                elif read == "current":
                    a, b = mine.current(), ref.current()
                    assert type(a) is type(b) and a == b
                elif read == "max":
                    assert mine.max(4) == ref.max(4) and mine.min() == ref.min()
                elif read == "state":
                    state = mine.__getstate__()
                    for key in ("_log_history", "_count_history"):
                        assert state[key].dtype == ref.__dict__[key].dtype
                        assert state[key].tolist() == ref.__dict__[key].tolist()
                else:
                    data = mine.data if read == "data" else pickle.loads(pickle.dumps(mine)).data
                    for a, b in zip(data, ref.data):
                        assert a.dtype == b.dtype and a.tolist() == b.tolist()


def test_message_hub_update_scalar_paths_agree():
    hub = MessageHub.get_instance(_name("hub"))
    for value in (0.5, 2, torch.tensor(1.5), np.float64(0.25), 3.0):
        hub.update_scalar("train/x", value)
    hub.update_scalar("train/x", 1.0, count=2)
    values, counts = hub.get_scalar("train/x").data
    assert values.tolist() == [0.5, 2.0, 1.5, 0.25, 3.0, 1.0]
    assert counts.tolist() == [1, 1, 1, 1, 1, 2] and counts.dtype == np.int64
    assert hub.get_scalar("train/x").mean(2) == pytest.approx(4.0 / 3)
    with pytest.raises(ValueError):
        hub.update_scalar("train/x", 1.0, resumed=False)


def _logger_pair(tmp_path):
    """The same logger twice: one on the fast path, one forced through stdlib records."""
    loggers, streams = [], []
    for tag in ("fast", "slow"):
        logger = MMLogger.get_instance(_name(tag), log_file=str(tmp_path / f"{tag}.log"))
        stream = io.StringIO()
        logger.handlers[0].setStream(stream)
        loggers.append(logger)
        streams.append(stream)
    loggers[1].addFilter(lambda record: True)   # any logger filter disables the fast path
    return loggers, streams


def test_mmlogger_fast_path_writes_the_stdlib_lines(tmp_path):
    (fast, slow), (out_fast, out_slow) = _logger_pair(tmp_path)
    fixed = 1700000000.25
    with mock.patch("time.time", return_value=fixed):
        with mock.patch.object(logging.Logger, "makeRecord", wraps=fast.makeRecord) as made:
            fast.info("direct")                     # really the fast path: no LogRecord
            slow.info("direct")
        assert made.call_count == 1
        for logger in (fast, slow):
            logger.info("Epoch(train) [1][10/8]  lr: 1.0000e-02  loss: 0.5000")
            logger.info({"not": "a str"})
            logger.debug("hidden at INFO level")
            logger.info("with %s args", "printf")
            logger.warning("once")
            logger.warning("once")
    assert out_fast.getvalue() == out_slow.getvalue()
    assert out_fast.getvalue().count("once") == 1
    assert (tmp_path / "fast.log").read_text() == (tmp_path / "slow.log").read_text()
    assert " - INFO - Epoch(train) [1][10/8]  lr: 1.0000e-02  loss: 0.5000\n" in out_fast.getvalue()


def test_mmlogger_error_lines_still_name_the_caller(tmp_path):
    (fast, _), (out, _) = _logger_pair(tmp_path)

    def report_failure():
        fast.error("boom")
    report_failure()
    assert " - ERROR - " in out.getvalue() and " - report_failure - " in out.getvalue()


def test_mmlogger_extra_handler_sees_records(tmp_path):
    logger = MMLogger.get_instance(_name("extra"), log_file=str(tmp_path / "x.log"))
    logger.handlers[0].setStream(io.StringIO())
    seen = []

    class Collect(logging.Handler):
        def emit(self, record):
            seen.append((record.levelname, record.getMessage(), record.funcName))
    logger.addHandler(Collect())

    def caller():
        logger.info("hello")
    caller()
    assert seen == [("INFO", "hello", "caller")]


def test_local_vis_backend_lines_equal_json_dump(tmp_path):
    backend = LocalVisBackend(str(tmp_path / "vis"))
    tags = [dict(lr=np.float64(0.01), loss=np.float64(1 / 3), iter=10, epoch=1),
            dict(acc=np.float32(0.5), arr=np.arange(3.0), name="x", nan=float("nan")),
            {"data_time": 1e-7, "step": 99}]
    for step, tag in enumerate(tags):
        original = dict(tag)
        backend.add_scalars(tag, step=step, file_path="extra.json")
        assert list(tag) == list(original)   # the caller's dict is left alone
    backend.close()
    expected = []
    for step, tag in enumerate(tags):
        line = io.StringIO()
        tag = dict(tag)
        tag.setdefault("step", step)
        json.dump(tag, line, default=lambda o: o.tolist())
        expected.append(line.getvalue() + "\n")
    assert (tmp_path / "vis" / "scalars.json").read_text() == "".join(expected)
    assert (tmp_path / "vis" / "extra.json").read_text() == "".join(expected)
    backend.add_scalars(dict(a=1), step=5)   # reopened after close, appended
    assert (tmp_path / "vis" / "scalars.json").read_text().endswith('{"a": 1, "step": 5}\n')
    backend.close()


class _Net(BaseModel):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 1)
        self.bn = torch.nn.BatchNorm1d(1)

    def forward(self, inputs, targets=None, mode="tensor"):
        out = self.bn(self.fc(inputs))
        if mode == "loss":
            return dict(loss_a=(out - targets).pow(2).mean(0), loss_b=[out.abs().sum(), out.sum() * 0],
                        acc=out.detach().mean())
        return out


def test_parse_losses_matches_mmengine_values_and_gradients():
    from mmengine.model import BaseModel as MMBaseModel
    torch.manual_seed(0)
    net = _Net()
    x, y = torch.randn(4, 3), torch.randn(4, 1)
    results = []
    for parse in (net.parse_losses, lambda losses: MMBaseModel.parse_losses(net, losses)):
        net.zero_grad()
        loss, log_vars = parse(net(x, y, mode="loss"))
        loss.backward()
        grads = [p.grad.clone() for p in net.parameters()]
        results.append((loss.detach(), {k: v.detach() for k, v in log_vars.items()}, grads))
    (loss_a, vars_a, grads_a), (loss_b, vars_b, grads_b) = results
    assert torch.equal(loss_a, loss_b) and list(vars_a) == list(vars_b)
    for key in vars_a:
        assert torch.equal(vars_a[key], vars_b[key]) and \
            torch.signbit(vars_a[key]).tolist() == torch.signbit(vars_b[key]).tolist()
    assert all(torch.equal(a, b) for a, b in zip(grads_a, grads_b))
    negative_zero = dict(loss=torch.tensor(-0.0, requires_grad=True) * 1)
    assert not torch.signbit(net.parse_losses(negative_zero)[0])   # MMEngine's 0 + mean: +0.0
    with pytest.raises(TypeError):
        net.parse_losses(dict(loss=(torch.tensor(1.0),)))           # tuples are refused, as there


def test_parse_losses_zero_dim_terms_match_mmengine():
    """0-dim float CPU terms skip mean() (it returns the value); everything MMEngine's mean()
    would change or refuse still goes through it."""
    from mmengine.model import BaseModel as MMBaseModel
    net = _Net()
    w = torch.tensor([1.5, -2.0], requires_grad=True)
    cases = [dict(loss=(w * w).sum(), acc=w.detach().sum()),              # plain scalar loss + metric
             dict(loss=(w * 0).sum() * -1, loss_x=[(w * w).sum(), w.sum() * 0.5]),   # -0.0 term
             dict(loss=(w.half() * 2).sum()),                              # float16 stays float16
             dict(loss=torch.tensor(float("nan")) + w.sum())]
    for losses in cases:
        got = []
        for parse in (net.parse_losses, lambda ls: MMBaseModel.parse_losses(net, ls)):
            w.grad = None
            loss, log_vars = parse({k: v for k, v in losses.items()})
            loss.backward(retain_graph=True)
            got.append((loss.detach(), {k: v.detach() for k, v in log_vars.items()}, w.grad.clone()))
        (l_a, v_a, g_a), (l_b, v_b, g_b) = got
        assert torch.equal(l_a, l_b) or (l_a.isnan() and l_b.isnan())
        assert l_a.dtype == l_b.dtype and torch.signbit(l_a) == torch.signbit(l_b)
        assert list(v_a) == list(v_b)
        for key in v_a:
            assert v_a[key].dtype == v_b[key].dtype and v_a[key].shape == v_b[key].shape
            assert torch.signbit(v_a[key]).tolist() == torch.signbit(v_b[key]).tolist()
            assert torch.equal(v_a[key], v_b[key]) or bool(v_a[key].isnan() and v_b[key].isnan())
        assert torch.equal(g_a, g_b)
    ints = dict(loss=torch.tensor(3))                                       # mean() refuses ints
    with pytest.raises(RuntimeError):
        MMBaseModel.parse_losses(net, dict(ints))
    with pytest.raises(RuntimeError):
        net.parse_losses(dict(ints))


def test_model_train_skips_only_true_no_ops():
    net = _Net()
    net.bn.eval()
    assert net.train() is net and all(m.training for m in net.modules())
    net.eval()
    assert not any(m.training for m in net.modules())
    calls = []

    class Frozen(torch.nn.Module):   # a child with its own train(): always called
        def train(self, mode=True):
            calls.append(mode)
            return super().train(mode)
    net.frozen = Frozen()
    net.train()
    net.train()
    assert calls == [True, True] and all(m.training for m in net.modules())
    with pytest.raises(ValueError):
        net.train("yes")


def test_cast_data_shortcut_returns_what_to_returns():
    pre = _Net().data_preprocessor
    t = torch.ones(2)
    batch = pre.cast_data(dict(inputs=[t, t.double()], meta=("a", None), x=t))
    assert type(batch) is dict and batch["x"] is t.to("cpu") is t
    assert batch["inputs"][0] is t and batch["meta"] == ("a", None)
    pre._device = torch.device("cpu", 0)     # .to('cpu:0') makes a new tensor: so does cast_data
    batch = pre.cast_data(dict(x=t, y=[t]))
    assert batch["x"] is not t and batch["y"][0] is not t and torch.equal(batch["x"], t)
    assert (batch["x"] is t) == (t.to(pre._device) is t)


def test_cast_data_exact_types_first_same_as_mmengine():
    from collections import OrderedDict, namedtuple
    from mmengine.model import BaseDataPreprocessor as MMPre
    ours, theirs = _Net().data_preprocessor, MMPre()
    t, p = torch.ones(2), torch.nn.Parameter(torch.zeros(1))
    Pair = namedtuple("Pair", "a b")
    for data in (OrderedDict(x=t, y=[t, "s"]), dict(p=p, n=Pair(t, None)), p, [t, (t, b"b")]):
        a, b = ours.cast_data(data), theirs.cast_data(data)
        assert type(a) is type(b) and repr(a) == repr(b)
        if isinstance(b, dict):
            assert list(a) == list(b) and all(type(a[k]) is type(b[k]) for k in b)


def test_default_collate_stack_shortcut_matches_torch(monkeypatch):
    from mmengine.dataset import default_collate as mm_collate
    from torch.utils.data._utils import collate as torch_collate
    from runtime.dataset.utils import default_collate
    batches = [[dict(x=torch.full((2,), float(i)), y=torch.tensor(i), z=[i, 2.5]) for i in range(3)],
               [(torch.ones(1, dtype=torch.float16), np.float32(i)) for i in range(2)],
               [torch.arange(3) + i for i in range(4)]]
    for batch in batches:
        a, b = default_collate(batch), mm_collate(batch)
        assert repr(a) == repr(b) and type(a) is type(b)
    with pytest.raises(RuntimeError):   # torch.stack's own error for unequal sizes
        default_collate([torch.ones(2), torch.ones(3)])
    seen = []   # a collate function registered for tensors in torch's map is still used

    def tensor_fn(batch, *, collate_fn_map=None):
        seen.append(len(batch))
        return torch.stack(batch) * 2
    monkeypatch.setitem(torch_collate.default_collate_fn_map, torch.Tensor, tensor_fn)
    assert default_collate([torch.ones(2)] * 3).sum().item() == 12 and seen == [3]


def test_update_scalar_tensor_shortcut_keeps_the_checks():
    hub = MessageHub.get_instance(_name("hub"))
    hub.update_scalar("train/loss", torch.tensor([2.5]))
    hub.update_scalar("train/loss", torch.tensor(1.0, requires_grad=True) * 3)
    assert hub.get_scalar("train/loss").data[0].tolist() == [2.5, 3.0]
    with pytest.raises(TypeError):
        hub.update_scalar("train/loss", torch.ones(2))


def test_vis_backend_checks_every_new_file_path(tmp_path):
    backend = LocalVisBackend(str(tmp_path / "vis"))
    for _ in range(2):   # the checked path is remembered; a bad name is refused each time
        with pytest.raises(ValueError, match="end with .json"):
            backend.add_scalars(dict(a=1), file_path="x.txt")
        with pytest.raises(ValueError, match="differ"):
            backend.add_scalars(dict(a=1), file_path="scalars.json")
        backend.add_scalars(dict(a=1), step=1, file_path="extra.json")
    backend.close()
    assert (tmp_path / "vis" / "extra.json").read_text() == '{"a": 1, "step": 1}\n' * 2


def _runner(tmp_path, hooks):
    from runtime.runner import Runner
    data = [dict(inputs=torch.randn(3), targets=torch.randn(1)) for _ in range(8)]
    return Runner(model=_Net(), work_dir=str(tmp_path),
                  train_dataloader=dict(dataset=data, batch_size=4, sampler=dict(type="DefaultSampler"),
                                        collate_fn=dict(type="default_collate")),
                  train_cfg=dict(by_epoch=True, max_epochs=2),
                  optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01)),
                  default_hooks=dict(checkpoint=None, logger=None, timer=None, runtime_info=None,
                                     param_scheduler=None), custom_hooks=hooks)


def test_call_hook_plan_follows_instance_patches_and_new_hooks(tmp_path):
    class Counter(Hook):
        def __init__(self):
            self.n = 0

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            self.n += 1

    counter, quiet = Counter(), Hook()
    runner = _runner(tmp_path, [counter, quiet])
    runner.call_hook("after_train_iter", batch_idx=0)
    patched = mock.MagicMock()
    quiet.after_train_iter = patched                   # a no-op hook patched after planning
    counter.after_train_iter = mock.MagicMock(wraps=counter.after_train_iter)
    runner.call_hook("after_train_iter", batch_idx=1)
    assert patched.call_count == 1 and counter.after_train_iter.call_count == 1 and counter.n == 2
    late = Counter()
    runner.register_hook(late)                         # the plan is rebuilt for the new list
    runner.call_hook("after_train_iter", batch_idx=2)
    assert late.n == 1 and counter.n == 3
    runner.hooks.remove(late)                          # and after direct list edits
    runner.call_hook("after_train_iter", batch_idx=3)
    assert late.n == 1 and counter.n == 4
    runner.train()
    assert counter.n == 4 + 4   # 2 epochs x 2 iterations


def test_update_params_shortcut_same_steps_and_honours_overrides():
    """The no-accumulation/no-clipping shortcut of OptimWrapper.update_params leaves the same
    weights, gradients and count as mmengine's OptimWrapper; overridden or patched update steps
    still run."""
    from mmengine.optim import OptimWrapper as MMOptimWrapper
    from runtime.optim import OptimWrapper
    results = []
    for cls in (OptimWrapper, MMOptimWrapper):
        torch.manual_seed(0)
        net = torch.nn.Linear(3, 1)
        wrapper = cls(torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9))
        for _ in range(3):
            wrapper.update_params(net(torch.ones(2, 3)).pow(2).sum())
        results.append(([p.detach().clone() for p in net.parameters()],
                        [p.grad for p in net.parameters()], wrapper._inner_count))
    (w_a, g_a, n_a), (w_b, g_b, n_b) = results
    assert n_a == n_b == 3 and all(torch.equal(a, b) for a, b in zip(w_a, w_b))
    assert g_a == g_b == [None, None]                  # zero_grad ran after the last step

    calls = []

    class Logged(OptimWrapper):
        def backward(self, loss, **kwargs):
            calls.append("backward")
            super().backward(loss, **kwargs)

    net = torch.nn.Linear(3, 1)
    wrapper = Logged(torch.optim.SGD(net.parameters(), lr=0.1))
    wrapper.update_params(net(torch.ones(1, 3)).sum())
    wrapper.step = mock.MagicMock()                    # patched on the instance
    plain = OptimWrapper(torch.optim.SGD(net.parameters(), lr=0.1))
    plain.update_params(net(torch.ones(1, 3)).sum())
    plain.zero_grad = mock.MagicMock()
    plain.update_params(net(torch.ones(1, 3)).sum())
    wrapper.update_params(net(torch.ones(1, 3)).sum())
    assert calls == ["backward", "backward"] and wrapper.step.call_count == 1
    assert plain.zero_grad.call_count == 1 and plain._inner_count == 2


def test_call_hook_plan_follows_class_patches(tmp_path):
    """MMEngine looks the method up at every call: a method patched on a hook class after the
    plans were built (mock.patch.object(SomeHook, ...)) is what runs, and the original again
    once the patch is undone."""
    class Counter(Hook):
        n = 0

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            type(self).n += 1

    class Quiet(Hook):
        pass

    runner = _runner(tmp_path, [Counter(), Quiet()])
    runner.call_hook("after_train_iter", batch_idx=0)
    runner.call_hook("before_train_iter", batch_idx=0)
    with mock.patch.object(Counter, "after_train_iter") as counted, \
            mock.patch.object(Quiet, "after_train_iter") as quiet, \
            mock.patch.object(Quiet, "_before_iter") as helper:   # what before_train_iter calls
        runner.call_hook("after_train_iter", batch_idx=1)
        runner.call_hook("before_train_iter", batch_idx=1)
    assert counted.call_count == quiet.call_count == helper.call_count == 1 and Counter.n == 1
    runner.call_hook("after_train_iter", batch_idx=2)
    assert Counter.n == 2 and quiet.call_count == 1
