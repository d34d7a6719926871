"""runtime.optim optimizer side: registry, OptimWrapper (accumulation, clipping, DDP no_sync),
AmpOptimWrapper on CPU, OptimWrapperDict, and the paramwise constructor compared with real
MMEngine's DefaultOptimWrapperConstructor on the same model."""
import contextlib

import pytest
import torch
import torch.nn as nn


def _linear(seed=0):
    torch.manual_seed(seed)
    return nn.Linear(4, 3)


def _data(n=8, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 4, generator=g), torch.randn(n, 3, generator=g)


def _loss(model, x, y):
    return ((model(x) - y) ** 2).mean()


# ---------------------------------------------------------------- registry / builder
def test_torch_optimizers_and_classes_are_registered_lazily():
    from runtime.registry import (OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS,
                                  PARAM_SCHEDULERS)
    assert OPTIMIZERS.get("AdamW") is torch.optim.AdamW
    assert OPTIMIZERS.get("SGD") is torch.optim.SGD
    from runtime.optim import AmpOptimWrapper, OptimWrapper
    assert OPTIM_WRAPPERS.get("OptimWrapper") is OptimWrapper
    assert OPTIM_WRAPPERS.get("AmpOptimWrapper") is AmpOptimWrapper
    assert OPTIM_WRAPPER_CONSTRUCTORS.get("DefaultOptimWrapperConstructor") is not None
    for name in ["LinearLR", "MultiStepLR", "CosineAnnealingLR", "OneCycleLR", "PolyLR",
                 "CosineRestartLR", "ReduceOnPlateauLR", "StepMomentum", "ConstantParamScheduler",
                 "ReduceOnPlateauMomentum", "CosineRestartMomentum"]:
        assert PARAM_SCHEDULERS.get(name) is not None, name


def test_build_optim_wrapper_default_and_built_optimizer():
    from runtime.optim import OptimWrapper, build_optim_wrapper
    model = _linear()
    wrapper = build_optim_wrapper(model, dict(optimizer=dict(type="SGD", lr=0.1, momentum=0.9),
                                              clip_grad=dict(max_norm=1.0)))
    assert type(wrapper) is OptimWrapper and isinstance(wrapper.optimizer, torch.optim.SGD)
    assert wrapper.get_lr() == dict(lr=[0.1]) and wrapper.get_momentum() == dict(momentum=[0.9])
    assert wrapper.clip_grad_kwargs == dict(max_norm=1.0)
    built = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.9))
    wrapper = build_optim_wrapper(model, dict(optimizer=built, accumulative_counts=2))
    assert wrapper.optimizer is built and wrapper._accumulative_counts == 2
    assert wrapper.get_momentum() == dict(momentum=[0.8])


def test_custom_constructor_key_is_used():
    from runtime.optim import build_optim_wrapper
    from runtime.registry import OPTIM_WRAPPER_CONSTRUCTORS
    calls = []

    class RecordingConstructor:
        def __init__(self, optim_wrapper_cfg, paramwise_cfg=None):
            calls.append((optim_wrapper_cfg, paramwise_cfg))

        def __call__(self, model):
            return "built"

    OPTIM_WRAPPER_CONSTRUCTORS.register_module(name="_TestRecordingConstructor",
                                               module=RecordingConstructor, force=True)
    out = build_optim_wrapper(_linear(), dict(constructor="_TestRecordingConstructor",
                                              optimizer=dict(type="SGD", lr=1.0),
                                              paramwise_cfg=dict(bias_lr_mult=2.0)))
    assert out == "built"
    assert calls == [(dict(optimizer=dict(type="SGD", lr=1.0)), dict(bias_lr_mult=2.0))]


# ---------------------------------------------------------------- accumulation
def test_accumulated_gradients_equal_full_batch_gradients():
    from runtime.optim import OptimWrapper
    x, y = _data(8)
    full = _linear()
    _loss(full, x, y).backward()
    full_grads = [p.grad.clone() for p in full.parameters()]

    model = _linear()
    seen = []
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    orig_step = opt.step

    def recording_step(*a, **k):
        seen.append([p.grad.clone() for p in model.parameters()])
        return orig_step(*a, **k)
    opt.step = recording_step
    wrapper = OptimWrapper(opt, accumulative_counts=4)
    for i in range(4):
        wrapper.update_params(_loss(model, x[2 * i:2 * i + 2], y[2 * i:2 * i + 2]))
        assert wrapper.inner_count == i + 1
        assert len(seen) == (1 if i == 3 else 0)
    for got, want in zip(seen[0], full_grads):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    assert all(p.grad is None or not p.grad.any() for p in model.parameters())


def test_accumulation_remainder_at_end_of_training_matches_mmengine():
    """7 iterations with counts=3: windows of 3, 3 and a trailing single (loss / 1)."""
    from mmengine.optim import OptimWrapper as MMWrapper

    from runtime.optim import OptimWrapper
    x, y = _data(14)
    results = []
    for cls in (OptimWrapper, MMWrapper):
        model = _linear()
        wrapper = cls(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                      accumulative_counts=3)
        wrapper.initialize_count_status(model, 0, 7)
        flags = []
        for i in range(7):
            flags.append((wrapper.should_sync(), ))
            wrapper.update_params(_loss(model, x[2 * i:2 * i + 2], y[2 * i:2 * i + 2]))
            flags[-1] += (wrapper.should_update(), )
        results.append((flags, [p.detach().clone() for p in model.parameters()]))
    (flags_a, params_a), (flags_b, params_b) = results
    assert flags_a == flags_b
    assert [f[1] for f in flags_a] == [False, False, True, False, False, True, True]
    for a, b in zip(params_a, params_b):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    # the trailing single iteration is not divided by 3
    wrapper = OptimWrapper(torch.optim.SGD(_linear().parameters(), lr=0.1), accumulative_counts=3)
    wrapper.initialize_count_status(_linear(), 6, 7)
    assert wrapper.scale_loss(torch.tensor(3.0)).item() == 3.0


def test_optim_context_uses_no_sync_only_on_accumulation_iterations():
    from runtime.optim import OptimWrapper

    class FakeDDP(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = _linear()
            self.no_sync_calls = 0

        @contextlib.contextmanager
        def no_sync(self):
            self.no_sync_calls += 1
            yield

    model = FakeDDP()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1), accumulative_counts=2)
    x, y = _data(4)
    synced = []
    for i in range(4):
        before = model.no_sync_calls
        with wrapper.optim_context(model):
            loss = _loss(model.inner, x[i:i + 1], y[i:i + 1])
        wrapper.update_params(loss)
        synced.append(model.no_sync_calls == before)
    assert synced == [False, True, False, True]


# ---------------------------------------------------------------- clipping
@pytest.mark.parametrize("clip", [dict(max_norm=0.05, norm_type=2), dict(type="value",
                                                                        clip_value=0.01)])
def test_clip_grad_matches_mmengine_and_logs_grad_norm(clip, monkeypatch):
    from mmengine.optim import OptimWrapper as MMWrapper

    import runtime.optim.optimizer.optimizer_wrapper as ow
    from runtime.optim import OptimWrapper

    class Hub:
        def __init__(self):
            self.scalars = {}

        def update_scalar(self, key, value, count=1):
            self.scalars[key] = value

    hub = Hub()
    monkeypatch.setattr(ow, "_current_message_hub", lambda: hub)
    x, y = _data(8)
    after = []
    for cls in (OptimWrapper, MMWrapper, None):
        model = _linear()
        opt = torch.optim.SGD(model.parameters(), lr=1.0)
        if cls is None:  # unclipped reference
            _loss(model, x, y).backward()
            raw_norm = torch.norm(torch.stack([p.grad.norm() for p in model.parameters()]))
            opt.step()
        else:
            cls(opt, clip_grad=dict(clip)).update_params(_loss(model, x, y))
        after.append([p.detach().clone() for p in model.parameters()])
    for a, b in zip(after[0], after[1]):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert any(not torch.equal(a, c) for a, c in zip(after[0], after[2])), "clip had no effect"
    if "max_norm" in clip:
        assert hub.scalars["train/grad_norm"] == pytest.approx(float(raw_norm), rel=1e-5)
    else:
        assert "train/grad_value" not in hub.scalars  # clip_grad_value_ returns None


def test_clip_grad_rejects_unknown_type():
    from runtime.optim import OptimWrapper
    with pytest.raises(ValueError):
        OptimWrapper(torch.optim.SGD(_linear().parameters(), lr=0.1), clip_grad=dict(type="x",
                                                                                      a=1))


# ---------------------------------------------------------------- state / groups
def test_multi_group_wrapper_reports_base_lr_and_round_trips_state():
    from runtime.optim import OptimWrapper
    model = _linear()
    opt = torch.optim.Adam([dict(params=[model.weight]), dict(params=[model.bias], lr=0.5)],
                           lr=0.1, betas=(0.7, 0.9))
    wrapper = OptimWrapper(opt)
    assert wrapper.get_lr() == dict(base_lr=[0.1], lr=[0.1, 0.5])
    assert wrapper.get_momentum() == dict(momentum=[0.7, 0.7])
    assert len(wrapper.param_groups) == 3 and wrapper.defaults["lr"] == 0.1
    x, y = _data()
    wrapper.update_params(_loss(model, x, y))
    state = wrapper.state_dict()
    assert "base_param_settings" in state and state["state"]

    model2 = _linear(5)
    opt2 = torch.optim.Adam([dict(params=[model2.weight]), dict(params=[model2.bias], lr=0.5)],
                            lr=0.1, betas=(0.7, 0.9))
    w2 = OptimWrapper(opt2)
    state["base_param_settings"]["lr"] = 0.123
    w2.load_state_dict(state)
    assert w2.get_lr()["base_lr"] == [0.123]
    torch.testing.assert_close(opt2.state_dict()["state"][0]["exp_avg"],
                               opt.state_dict()["state"][0]["exp_avg"])


def test_optim_wrapper_dict():
    from runtime.optim import OptimWrapper, OptimWrapperDict
    gen, disc = _linear(0), _linear(1)
    wd = OptimWrapperDict(
        generator=OptimWrapper(torch.optim.SGD(gen.parameters(), lr=0.1, momentum=0.5)),
        discriminator=OptimWrapper(torch.optim.Adam(disc.parameters(), lr=0.2)))
    assert wd.get_lr() == {"generator.lr": [0.1], "discriminator.lr": [0.2]}
    assert wd.get_momentum() == {"generator.momentum": [0.5], "discriminator.momentum": [0.9]}
    assert set(wd.keys()) == {"generator", "discriminator"} and len(wd) == 2
    assert "generator" in wd and wd["generator"].optimizer.defaults["lr"] == 0.1
    with pytest.raises(NotImplementedError):
        wd.update_params(torch.tensor(1.0))
    state = wd.state_dict()
    assert set(state) == {"generator", "discriminator"}
    wd.load_state_dict(state)
    with pytest.raises(AssertionError):
        wd.load_state_dict({"other": {}})


def test_multi_optim_wrapper_constructor():
    from runtime.optim import OptimWrapperDict, build_optim_wrapper

    class GAN(nn.Module):
        def __init__(self):
            super().__init__()
            self.generator = _linear(0)
            self.discriminator = _linear(1)

    wd = build_optim_wrapper(GAN(), dict(
        constructor="MultiOptimWrapperConstructor",
        generator=dict(optimizer=dict(type="Adam", lr=1e-4, betas=(0.5, 0.999))),
        discriminator=dict(optimizer=dict(type="SGD", lr=4e-4, weight_decay=0.1),
                           paramwise_cfg=dict(bias_decay_mult=0.0))))
    assert isinstance(wd, OptimWrapperDict)
    assert wd.get_lr()["generator.lr"] == [1e-4]
    assert [g["weight_decay"] for g in wd["discriminator"].optimizer.param_groups] == [0.1, 0.0]


# ---------------------------------------------------------------- AMP
def test_amp_optim_wrapper_bf16_step_on_cpu():
    from runtime.optim import AmpOptimWrapper, build_optim_wrapper
    model = _linear()
    wrapper = build_optim_wrapper(model, dict(type="AmpOptimWrapper",
                                              optimizer=dict(type="SGD", lr=0.1),
                                              clip_grad=dict(max_norm=10.0)))
    assert isinstance(wrapper, AmpOptimWrapper)
    before = [p.detach().clone() for p in model.parameters()]
    x, y = _data()
    with wrapper.optim_context(model):
        out = model(x)
    assert out.dtype == torch.bfloat16
    wrapper.update_params(((out.float() - y) ** 2).mean())
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert all(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    state = wrapper.state_dict()
    assert "loss_scaler" in state
    wrapper.load_state_dict(state)


def test_amp_optim_wrapper_fp16_static_and_dynamic_scale():
    from runtime.optim import AmpOptimWrapper
    model = _linear()
    wrapper = AmpOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                              loss_scale=128.0, dtype="float16")
    x, y = _data()
    with wrapper.optim_context(model):
        out = model(x)
    assert out.dtype == torch.float16
    wrapper.update_params(((out.float() - y) ** 2).mean())
    assert wrapper.loss_scaler.get_scale() == 128.0
    assert wrapper.state_dict()["loss_scaler"]["scale"] == 128.0

    with pytest.raises(TypeError):
        AmpOptimWrapper(optimizer=torch.optim.SGD(_linear().parameters(), lr=0.1), loss_scale=3)


def test_amp_dynamic_scaler_skips_inf_step_and_backs_off():
    from runtime.optim import AmpOptimWrapper
    model = _linear()
    wrapper = AmpOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                              loss_scale=dict(init_scale=1024.0), dtype="float16")
    before = [p.detach().clone() for p in model.parameters()]
    wrapper.update_params(model(torch.full((1, 4), float("inf"))).sum())
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert wrapper.loss_scaler.get_scale() == 512.0


# ---------------------------------------------------------------- paramwise constructor
class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3, bias=True), nn.BatchNorm2d(8),
                                      nn.Conv2d(8, 8, 3, groups=8), nn.GroupNorm(2, 8))
        self.neck = nn.Sequential(nn.Conv2d(8, 4, 1), nn.LayerNorm(4))
        self.head = nn.Linear(4, 2)
        self.head_cls = nn.Linear(4, 2)
        self.pos_embed = nn.Parameter(torch.zeros(5))
        self.frozen = nn.Linear(2, 2)
        self.frozen.weight.requires_grad_(False)
        self.shared = self.head  # same parameters under a second name


def _groups_by_name(model, optimizer):
    names = {id(p): n for n, p in model.named_parameters(remove_duplicate=False)}
    out = {}
    for g in optimizer.param_groups:
        for p in g["params"]:
            out.setdefault(names[id(p)], {k: v for k, v in g.items() if k != "params"})
    return out


PARAMWISE = {
    "none": None,
    "mults": dict(bias_lr_mult=2.0, bias_decay_mult=0.0, norm_decay_mult=0.0,
                  dwconv_decay_mult=0.5, flat_decay_mult=0.3, bypass_duplicate=True),
    "custom_keys": dict(custom_keys={"backbone": dict(lr_mult=0.1),
                                     "backbone.0": dict(lr_mult=0.5, decay_mult=2.0),
                                     "head": dict(lr_mult=3.0),
                                     "head_cls": dict(lr_mult=4.0, decay_mult=0.0),
                                     "pos_embed": dict(decay_mult=0.0, betas=(0.5, 0.5))},
                        norm_decay_mult=0.1, bypass_duplicate=True),
    "flat_only": dict(flat_decay_mult=0.0, bypass_duplicate=True),
}


@pytest.mark.parametrize("name", sorted(PARAMWISE))
@pytest.mark.parametrize("opt", ["SGD", "AdamW"])
def test_paramwise_groups_equal_mmengine(name, opt):
    from mmengine.optim import DefaultOptimWrapperConstructor as MMCtor

    from runtime.optim import DefaultOptimWrapperConstructor
    kwargs = dict(lr=0.01, weight_decay=1e-4)
    if opt == "SGD":
        kwargs["momentum"] = 0.9
    cfg = dict(optimizer=dict(type=opt, **kwargs))
    results = []
    for ctor in (DefaultOptimWrapperConstructor, MMCtor):
        torch.manual_seed(0)
        model = _Net()
        wrapper = ctor(dict(cfg), PARAMWISE[name])(model)
        results.append(_groups_by_name(model, wrapper.optimizer))
    ours, theirs = results
    assert ours == theirs
    if name != "none":
        assert "frozen.weight" not in ours
        assert len({(g.get("lr"), g.get("weight_decay")) for g in ours.values()}) > 1


def test_paramwise_requires_weight_decay():
    from runtime.optim import DefaultOptimWrapperConstructor
    with pytest.raises(ValueError):
        DefaultOptimWrapperConstructor(dict(optimizer=dict(type="SGD", lr=0.1)),
                                       dict(norm_decay_mult=0.0))
    with pytest.raises(TypeError):
        DefaultOptimWrapperConstructor(dict(optimizer=dict(type="SGD", lr=0.1)),
                                       dict(custom_keys=[1]))
