"""Our parameter schedulers against real MMEngine 0.10.7: the same configs, built the way
MMEngine's Runner builds them (PARAM_SCHEDULERS + default `optimizer`/`epoch_length`, default `end`)
and stepped the way its ParamSchedulerHook/train loop step them, must give the same lr and momentum
(or Adam betas) in every param group at every iteration."""
import math

import pytest
import torch

EPOCHS, EPOCH_LEN = 6, 5
REL = 1e-12


def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))


def _optimizer(kind, model, two_groups):
    if two_groups:
        params = [dict(params=model[0].parameters()),
                  dict(params=model[1].parameters(), lr=0.05)]
    else:
        params = model.parameters()
    if kind == "sgd":
        return torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-4)
    return torch.optim.Adam(params, lr=0.1, betas=(0.9, 0.99), weight_decay=1e-4)


def _libs(lib):
    if lib == "mmengine":
        import mmengine.optim  # noqa: F401 (registers the schedulers)
        from mmengine.optim import OptimWrapper
        from mmengine.registry import PARAM_SCHEDULERS

        def build(cfg, wrapper):
            return PARAM_SCHEDULERS.build(cfg, default_args=dict(optimizer=wrapper,
                                                                 epoch_length=EPOCH_LEN))
        return OptimWrapper, build
    from runtime.optim import OptimWrapper
    from runtime.registry import PARAM_SCHEDULERS, build_scheduler_from_cfg

    def build(cfg, wrapper):
        args = dict(optimizer=wrapper, epoch_length=EPOCH_LEN)
        if lib == "runtime-registry":  # the path the Runner takes
            return PARAM_SCHEDULERS.build(cfg, default_args=args)
        return build_scheduler_from_cfg(cfg, PARAM_SCHEDULERS, default_args=args)
    return OptimWrapper, build


def _snapshot(wrapper):
    row = []
    for group in wrapper.param_groups:
        row.append(group["lr"])
        row.append(group.get("momentum", group.get("betas", (None, ))[0]))
        if "betas" in group:
            row.append(group["betas"][1])
        row.append(group.get("weight_decay"))
    row += sum(wrapper.get_lr().values(), []) + wrapper.get_momentum()["momentum"]
    return row


def trace(lib, kind, cfgs, metrics=None, two_groups=False, epochs=EPOCHS):
    """Train-loop order of MMEngine: iter -> optimizer.step -> iter-based schedulers;
    epoch end -> epoch-based schedulers; validation -> schedulers needing metrics."""
    wrapper_cls, build = _libs(lib)
    model = _model()
    wrapper = wrapper_cls(_optimizer(kind, model, two_groups))
    schedulers = []
    for cfg in cfgs:
        cfg = dict(cfg)
        cfg.setdefault("end", epochs if cfg.get("by_epoch", True) else epochs * EPOCH_LEN)
        schedulers.append(build(cfg, wrapper))
    rows = []
    for epoch in range(epochs):
        for _ in range(EPOCH_LEN):
            rows.append(_snapshot(wrapper))
            loss = model(torch.ones(2, 3)).sum()
            wrapper.update_params(loss)
            for s in schedulers:
                if not s.by_epoch:
                    s.step()
        for s in schedulers:
            if s.by_epoch:
                s.step()
        if metrics is not None:
            for s in schedulers:
                if s.by_epoch and getattr(s, "need_val_args", False):
                    s.step(metrics[epoch])
    rows.append(_snapshot(wrapper))
    rows.append([v for s in schedulers for v in s.get_last_value()])
    return rows, [p.detach().clone() for p in model.parameters()]


def _assert_same(ours, theirs):
    (rows_a, params_a), (rows_b, params_b) = ours, theirs
    assert len(rows_a) == len(rows_b)
    for i, (a, b) in enumerate(zip(rows_a, rows_b)):
        assert len(a) == len(b), (i, a, b)
        for x, y in zip(a, b):
            if x is None or y is None:
                assert x is None and y is None, (i, a, b)
            else:
                assert math.isclose(x, y, rel_tol=REL, abs_tol=1e-300), (i, a, b)
    for pa, pb in zip(params_a, params_b):
        torch.testing.assert_close(pa, pb, rtol=0, atol=0)


def _changes(rows, col=0):
    return len({round(r[col], 15) for r in rows[:-1]})


E, I = dict(by_epoch=True), dict(by_epoch=False)
CASES = {
    "constant_lr": [dict(type="ConstantLR", factor=0.5, end=3)],
    "constant_lr_iter": [dict(type="ConstantLR", factor=0.25, begin=2, end=9, **I)],
    "linear_lr_iter": [dict(type="LinearLR", start_factor=0.1, end=7, **I)],
    "linear_lr_down": [dict(type="LinearLR", start_factor=1.0, end_factor=0.2, begin=1, end=5)],
    "step_lr": [dict(type="StepLR", step_size=2, gamma=0.5)],
    "step_lr_iter": [dict(type="StepLR", step_size=4, gamma=0.7, begin=3, **I)],
    "multistep_lr": [dict(type="MultiStepLR", milestones=[2, 4, 4], gamma=0.1)],
    "exponential_lr": [dict(type="ExponentialLR", gamma=0.9, begin=1, end=5)],
    "cosine_lr": [dict(type="CosineAnnealingLR", eta_min=1e-4, **E)],
    "cosine_lr_ratio_iter": [dict(type="CosineAnnealingLR", eta_min_ratio=0.05, begin=2, **I)],
    "cosine_lr_short_tmax": [dict(type="CosineAnnealingLR", T_max=3, eta_min=1e-3, end=25, **I)],
    "poly_lr": [dict(type="PolyLR", eta_min=1e-3, power=2.0, end=20, **I)],
    "poly_lr_epoch": [dict(type="PolyLR", power=0.9)],
    "onecycle": [dict(type="OneCycleLR", eta_max=0.3, total_steps=30, **I)],
    "onecycle_3phase_linear": [dict(type="OneCycleLR", eta_max=0.2, total_steps=28,
                                    pct_start=0.25, anneal_strategy="linear", three_phase=True,
                                    div_factor=10., final_div_factor=100., end=28, **I)],
    "cosine_restart": [dict(type="CosineRestartLR", periods=[5, 7], restart_weights=[1, 0.5],
                            eta_min=1e-3, **I)],
    "cosine_restart_ratio": [dict(type="CosineRestartLR", periods=[2, 3], restart_weights=[1, 0.7],
                                  eta_min_ratio=0.1)],
    # combinations
    "warmup_linear_multistep": [dict(type="LinearLR", start_factor=0.001, end=8, **I),
                                dict(type="MultiStepLR", milestones=[3, 5], gamma=0.1)],
    "constant_then_exponential": [dict(type="ConstantLR", factor=0.5, end=2),
                                  dict(type="ExponentialLR", gamma=0.8)],
    "warmup_cosine_iter_based": [
        dict(type="LinearLR", start_factor=0.01, end=1, convert_to_iter_based=True),
        dict(type="CosineAnnealingLR", eta_min=1e-5, begin=1, end=EPOCHS, T_max=EPOCHS - 1,
             convert_to_iter_based=True)],
    "converted_step_multistep": [
        dict(type="StepLR", step_size=2, gamma=0.5, convert_to_iter_based=True),
        dict(type="MultiStepLR", milestones=[3], gamma=0.5, begin=1, convert_to_iter_based=True)],
    "converted_poly_restart": [
        dict(type="PolyLR", power=1.0, eta_min=0., end=3, convert_to_iter_based=True),
        dict(type="CosineRestartLR", periods=[1, 2], restart_weights=[1, 0.5], eta_min=0.,
             begin=3, convert_to_iter_based=True)],
    "converted_onecycle_exp_const": [
        dict(type="OneCycleLR", eta_max=0.2, total_steps=4, end=4, convert_to_iter_based=True),
        dict(type="ExponentialLR", gamma=0.95, begin=4, convert_to_iter_based=True),
        dict(type="ConstantLR", factor=0.5, begin=4, end=5, convert_to_iter_based=True)],
    # momentum (SGD momentum / Adam betas[0]) and generic schedulers
    "momentum_family": [dict(type="LinearMomentum", start_factor=0.5, end=6, **I),
                        dict(type="StepMomentum", step_size=2, gamma=0.9, begin=1),
                        dict(type="MultiStepMomentum", milestones=[4], gamma=0.8)],
    "momentum_family2": [dict(type="ConstantMomentum", factor=0.8, end=2),
                         dict(type="ExponentialMomentum", gamma=0.99, begin=2, end=4),
                         dict(type="PolyMomentum", eta_min=0.5, power=2., begin=4, end=6)],
    "momentum_cosine": [dict(type="CosineAnnealingMomentum", eta_min=0.85, **I),
                        dict(type="CosineAnnealingLR", eta_min=0., convert_to_iter_based=True)],
    "momentum_restart": [dict(type="CosineRestartMomentum", periods=[10, 20],
                              restart_weights=[1, 0.9], eta_min=0.8, **I)],
    "generic_param_schedulers": [
        dict(type="LinearParamScheduler", param_name="weight_decay", start_factor=0.5, end=4),
        dict(type="StepParamScheduler", param_name="lr", step_size=3, gamma=0.3, **I),
        dict(type="CosineAnnealingParamScheduler", param_name="weight_decay", begin=4,
             eta_min=0.)],
}

PLATEAU = {
    "plateau_greater_rel": ([dict(type="ReduceOnPlateauLR", monitor="acc", rule="greater",
                                  patience=1, factor=0.5, cooldown=1)],
                            [0.5, 0.6, 0.6, 0.59, 0.6, 0.61, 0.61, 0.2]),
    "plateau_less_abs_min": ([dict(type="ReduceOnPlateauLR", monitor="loss", rule="less",
                                   threshold_rule="abs", threshold=0.05, patience=0, factor=0.2,
                                   min_value=0.01)],
                             [1.0, 0.98, 0.9, 0.89, 0.7, 0.71, 0.72, 0.5]),
    "plateau_momentum_and_lr": ([dict(type="ReduceOnPlateauMomentum", monitor="loss",
                                      patience=0, factor=0.9, begin=1, end=6),
                                 dict(type="ReduceOnPlateauLR", monitor="loss", patience=1,
                                      factor=0.1, min_value=[0.001, 0.002])],
                                [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5]),
}


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_scheduler_traces_match_mmengine(name, kind):
    ours = trace("runtime", kind, CASES[name])
    theirs = trace("mmengine", kind, CASES[name])
    _assert_same(ours, theirs)
    lr_or_momentum_cols = [0, 1]
    assert max(_changes(ours[0], c) for c in lr_or_momentum_cols) > 1, "schedule did nothing"


@pytest.mark.parametrize("name", ["warmup_cosine_iter_based", "converted_step_multistep",
                                  "converted_onecycle_exp_const", "momentum_cosine"])
def test_registry_build_path_matches_mmengine(name):
    _assert_same(trace("runtime-registry", "adam", CASES[name]),
                 trace("mmengine", "adam", CASES[name]))


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("name", ["warmup_linear_multistep", "momentum_family",
                                  "onecycle", "cosine_restart_ratio", "constant_then_exponential"])
def test_two_param_groups_with_base_group_match_mmengine(name, kind):
    ours = trace("runtime", kind, CASES[name], two_groups=True)
    theirs = trace("mmengine", kind, CASES[name], two_groups=True)
    _assert_same(ours, theirs)
    assert len(ours[0][0]) > 12  # two groups plus the wrapper's base group were traced


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("name", sorted(PLATEAU))
@pytest.mark.parametrize("two_groups", [False, True])
def test_reduce_on_plateau_matches_mmengine(name, kind, two_groups):
    cfgs, metric_seq = PLATEAU[name]
    if not two_groups:  # a per-group min_value list needs one entry per real group
        cfgs = [dict(c, min_value=c["min_value"][0]) if isinstance(c.get("min_value"), list)
                else c for c in cfgs]
    key = cfgs[0]["monitor"]
    metrics = [{key: v} for v in metric_seq]
    ours = trace("runtime", kind, cfgs, metrics, two_groups=two_groups, epochs=len(metric_seq))
    theirs = trace("mmengine", kind, cfgs, metrics, two_groups=two_groups,
                   epochs=len(metric_seq))
    _assert_same(ours, theirs)
    assert _changes(ours[0], 0) > 1 or _changes(ours[0], 1) > 1


def test_adam_momentum_scheduler_writes_betas():
    from runtime.optim import CosineAnnealingMomentum, OptimWrapper
    model = _model()
    wrapper = OptimWrapper(_optimizer("adam", model, False))
    sched = CosineAnnealingMomentum(wrapper, T_max=4, eta_min=0.5, by_epoch=False)
    for _ in range(4):
        sched.step()
    group = wrapper.param_groups[0]
    assert group["betas"] == (pytest.approx(0.5), 0.99)
    assert wrapper.get_momentum()["momentum"] == [pytest.approx(0.5)]


def test_scheduler_state_dict_resume_continues_identically():
    from runtime.optim import OptimWrapper
    from runtime.registry import PARAM_SCHEDULERS, build_scheduler_from_cfg
    cfg = dict(type="CosineAnnealingLR", T_max=10, eta_min=0.01, by_epoch=False, end=10)

    full = OptimWrapper(_optimizer("sgd", _model(), False))
    s_full = build_scheduler_from_cfg(cfg, PARAM_SCHEDULERS, default_args=dict(optimizer=full))
    values = []
    for _ in range(9):
        s_full.step()
        values.append(full.get_lr()["lr"][0])

    first = OptimWrapper(_optimizer("sgd", _model(), False))
    s1 = build_scheduler_from_cfg(cfg, PARAM_SCHEDULERS, default_args=dict(optimizer=first))
    for _ in range(4):
        s1.step()
    opt_state, sched_state = first.state_dict(), s1.state_dict()
    assert "optimizer" not in sched_state and sched_state["last_step"] == 4

    second = OptimWrapper(_optimizer("sgd", _model(), False))
    second.load_state_dict(opt_state)
    s2 = build_scheduler_from_cfg(cfg, PARAM_SCHEDULERS, default_args=dict(optimizer=second))
    s2.load_state_dict(sched_state)
    resumed = []
    for _ in range(5):
        s2.step()
        resumed.append(second.get_lr()["lr"][0])
    assert resumed == pytest.approx(values[4:], rel=1e-12)


def test_scheduler_argument_errors_match_mmengine():
    from runtime.optim import LinearLR, OneCycleLR, OptimWrapper, ReduceOnPlateauLR
    wrapper = OptimWrapper(_optimizer("sgd", _model(), False))
    with pytest.raises(ValueError):
        LinearLR(wrapper, begin=5, end=5)
    with pytest.raises(ValueError):
        LinearLR(wrapper, start_factor=1.5)
    with pytest.raises(TypeError):
        LinearLR(object())
    with pytest.raises(ValueError):
        OneCycleLR(wrapper, eta_max=0.1, total_steps=10, pct_start=1)
    with pytest.raises(AssertionError):
        ReduceOnPlateauLR(wrapper, by_epoch=False)
    sched = ReduceOnPlateauLR(wrapper, monitor="acc")
    with pytest.raises(KeyError):
        sched.step(dict(loss=1.0))


@pytest.mark.parametrize("name", ["onecycle", "multistep_lr", "cosine_restart", "momentum_family",
                                  "warmup_cosine_iter_based"])
def test_scheduler_state_survives_torch_save(name):
    """Checkpoints store `scheduler.state_dict()` with torch.save; a scheduler rebuilt from the
    config and loaded from the saved state continues exactly like the uninterrupted one."""
    import io

    from runtime.optim import OptimWrapper
    from runtime.registry import PARAM_SCHEDULERS, build_scheduler_from_cfg

    def build():
        wrapper = OptimWrapper(_optimizer("adam", _model(), False))
        scheds = []
        for cfg in CASES[name]:
            cfg = dict(cfg, by_epoch=False) if not cfg.get("convert_to_iter_based") else cfg
            cfg.setdefault("end", 30)
            scheds.append(build_scheduler_from_cfg(
                cfg, PARAM_SCHEDULERS, default_args=dict(optimizer=wrapper, epoch_length=EPOCH_LEN)))
        return wrapper, scheds

    def run(wrapper, scheds, n):
        out = []
        for _ in range(n):
            wrapper.optimizer.step()
            for s in scheds:
                s.step()
            out.append(wrapper.get_lr()["lr"] + wrapper.get_momentum()["momentum"])
        return out

    w_full, s_full = build()
    expected = run(w_full, s_full, 20)
    w1, s1 = build()
    run(w1, s1, 8)
    buf = io.BytesIO()
    torch.save(dict(optimizer=w1.state_dict(), schedulers=[s.state_dict() for s in s1]), buf)
    buf.seek(0)
    ckpt = torch.load(buf, weights_only=False)
    w2, s2 = build()
    w2.load_state_dict(ckpt["optimizer"])
    for s, state in zip(s2, ckpt["schedulers"]):
        s.load_state_dict(state)
    got = run(w2, s2, 12)
    assert len({tuple(r) for r in expected}) > 2
    assert sum(got, []) == pytest.approx(sum(expected[8:], []), rel=1e-12)
