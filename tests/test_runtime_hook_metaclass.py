"""User hooks with a metaclass of their own (abc.ABCMeta, a custom `type` subclass) build and run
in the runtime's Runner as in mmengine's, with the same calls: the runtime's Hook is a plain
class like MMEngine's, so `class H(Hook, metaclass=M)` raises no metaclass conflict."""
import abc
from unittest import mock

import pytest
import torch


class _Registering(type):
    """A custom metaclass: remembers the classes it made."""
    made = []

    def __new__(mcs, name, bases, ns):
        cls = super().__new__(mcs, name, bases, ns)
        mcs.made.append(name)
        return cls


def _hooks(Hook, calls):
    class Base(Hook, metaclass=abc.ABCMeta):
        @abc.abstractmethod
        def tag(self):
            ...

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            calls.append((self.tag(), "after_train_iter", runner.iter, batch_idx,
                          sorted(outputs)))

    class Abstract(Base):
        def tag(self):
            return "abc"

        def _before_iter(self, runner, batch_idx, data_batch=None, mode="train"):
            calls.append(("abc", "_before_iter", mode, batch_idx))

    class Custom(Hook, metaclass=_Registering):
        def before_train_epoch(self, runner):
            calls.append(("custom", "before_train_epoch", runner.epoch))

        def after_train(self, runner):
            calls.append(("custom", "after_train", runner.iter))

    with pytest.raises(TypeError):
        Base()                                     # still abstract, as under any ABCMeta class
    return Abstract(), Custom()


def _run(lib, tmp_path):
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
            self.fc = torch.nn.Linear(2, 1)

        def forward(self, inputs, targets, mode="tensor"):
            return dict(loss=((self.fc(inputs) - targets) ** 2).mean())

    calls = []
    hooks = _hooks(Hook, calls)
    data = [dict(inputs=torch.full((2,), float(i)), targets=torch.ones(1)) for i in range(4)]
    runner = Runner(model=Net(), work_dir=str(tmp_path / lib),
                    train_dataloader=dict(dataset=data, batch_size=2,
                                          sampler=dict(type="DefaultSampler", shuffle=False),
                                          collate_fn=dict(type="default_collate")),
                    train_cfg=dict(by_epoch=True, max_epochs=2),
                    optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01)),
                    default_hooks=dict(checkpoint=None, logger=None), custom_hooks=list(hooks))
    runner.train()
    with mock.patch.object(type(hooks[0]), "_before_iter") as patched:   # class patch, later
        runner.call_hook("before_train_iter", batch_idx=7, data_batch=None)
    assert patched.call_args == mock.call(runner, batch_idx=7, data_batch=None, mode="train")
    runner.call_hook("before_train_iter", batch_idx=8, data_batch=None)
    return calls, [type(h).__mro__[1].__name__ for h in hooks]


def test_hooks_with_own_metaclass_make_the_same_calls(tmp_path):
    theirs, their_bases = _run("mmengine", tmp_path)
    ours, our_bases = _run("runtime", tmp_path)
    assert ours == theirs and our_bases == their_bases == ["Base", "Hook"]
    assert ("abc", "_before_iter", "train", 8) == ours[-1]
    assert ("custom", "before_train_epoch", 1) in ours and ("custom", "after_train", 4) in ours
    assert sum(c[1] == "after_train_iter" for c in ours) == 4
    assert _Registering.made.count("Custom") == 2


def test_runtime_hook_metaclass_is_type():
    from mmengine.hooks import Hook as MMHook
    from runtime.hooks import Hook
    assert type(Hook) is type(MMHook) is type


def test_call_hook_binds_arguments_as_keywords_would(tmp_path):
    """Positional calls only where they bind like MMEngine's keyword call: hooks whose
    parameters are renamed, reordered, keyword-only, positional-only or **kwargs get exactly
    what `getattr(hook, fn_name)(runner, **kwargs)` gives them (or the same TypeError)."""
    from runtime.hooks import Hook
    from runtime.runner import Runner
    seen = []

    class Plain(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            seen.append(("plain", batch_idx, data_batch, outputs))

    class Reordered(Hook):
        def after_train_iter(self, runner, outputs=None, data_batch=None, batch_idx=None):
            seen.append(("reordered", batch_idx, data_batch, outputs))

    class Star(Hook):
        def after_train_iter(self, runner, **kw):
            seen.append(("star", kw["batch_idx"], kw.get("data_batch"), kw.get("outputs")))

    class KwOnly(Hook):
        def after_train_iter(self, runner, *, batch_idx, data_batch, outputs):
            seen.append(("kwonly", batch_idx, data_batch, outputs))

    class Helper(Hook):
        def _after_iter(self, runner, batch_idx, data_batch=None, outputs=None, mode="x"):
            seen.append(("helper", batch_idx, data_batch, outputs, mode))

    class PosOnly(Hook):
        def after_train_iter(self, runner, batch_idx, /, data_batch=None, outputs=None):
            seen.append(("posonly",))

    hooks = [Plain(), Reordered(), Star(), KwOnly(), Helper()]
    runner = Runner(model=torch.nn.Linear(1, 1), work_dir=str(tmp_path),
                    default_hooks=dict(checkpoint=None, logger=None, timer=None,
                                       runtime_info=None, param_scheduler=None,
                                       sampler_seed=None), custom_hooks=hooks)
    for kwargs in (dict(batch_idx=1, data_batch="d", outputs="o"),
                   dict(outputs="o", batch_idx=2, data_batch="d"), dict(batch_idx=3)):
        errors = []
        try:
            runner.call_hook("after_train_iter", **kwargs)
        except TypeError as e:
            errors.append(str(e).split(" in <")[0])
        mine, seen[:] = list(seen), []
        try:
            for hook in hooks:                                # MMEngine's loop
                getattr(hook, "after_train_iter")(runner, **kwargs)
        except TypeError as e:
            errors.append(str(e))
        assert mine == seen and len(mine) == (5 if len(kwargs) == 3 else 3)
        assert errors == ([] if len(kwargs) == 3 else [errors[1]] * 2)   # KwOnly, in both
        seen.clear()
    runner.register_hook(PosOnly())
    with pytest.raises(TypeError, match="in <"):
        runner.call_hook("after_train_iter", batch_idx=1, data_batch=None, outputs=None)
