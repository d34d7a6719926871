"""Schedule rule: every fixtures/cases/schedule pair converts to its hand-written expected config,
and the expected `param_scheduler`, built and stepped by real MMEngine like its Runner and
ParamSchedulerHook do, gives the same lr/momentum at every iteration as MMCV's updater hooks
(re-implemented below from mmcv/runner/hooks/lr_updater.py and momentum_updater.py) for two epoch
lengths. Cases whose old header says `# deviation: ...` are documented approximations (they also
declare a warning): where the lr differs and by how much is stated and checked exactly
(tests/deviation.py); all others must agree to 1e-9 relative.

mmdet 2.x's `policy='YOLOX'` converts to mmdet 3.x's QuadraticWarmupLR, which real MMEngine does not
have (mmdet is not installed): those cases are built and stepped on our runtime's schedulers
(runtime.registry.PARAM_SCHEDULERS) instead, with two param groups, and compared with an independent
re-implementation of mmdet's YOLOXLrUpdaterHook.
"""
import math
import re
import warnings

import pytest

import deviation
from casekit import CASES, parse_case, read_plain, run_rules

SCHEDULE = sorted((CASES / "schedule").glob("*.old.py"))
# mmcls 0.25's CosineAnnealingCooldown policy (its cases live with the mmpretrain profile's)
# (those that are not converted are checked by tests/test_cases.py only)
SCHEDULE += sorted(p for p in (CASES / "mmpretrain").glob("cooldown_*.old.py")
                   if not any(kind == "todo" for kind, _ in parse_case(p).expects))
BASE_LR, BASE_MOMENTUM = 0.02, 0.9


def _ids(paths):
    return [p.name[:-len(".old.py")] for p in paths]


@pytest.mark.parametrize("old", SCHEDULE, ids=_ids(SCHEDULE))
def test_converts_to_expected(old):
    from migrator.errors import MigrateError

    case = parse_case(old)
    cfg = read_plain(old)
    errors = [f for kind, f in case.expects if kind == "error"]
    if errors:
        with pytest.raises(MigrateError) as exc:
            run_rules(cfg, ["schedule"], str(old))
        assert exc.value.field == errors[0]
        return
    # this rule alone (tests/test_cases.py checks the whole rule list against the same files)
    new, report = run_rules(cfg, ["schedule"], str(old))
    assert "lr_config" not in new and "momentum_config" not in new
    assert new.get("param_scheduler") == read_plain(case.new).get("param_scheduler")
    assert sorted((f.kind, f.field) for f in report.findings) == sorted(case.expects)


# --------------------------------------------------------------------------- MMCV reference

def _cos(start, end, frac, weight=1.0):          # lr_updater.annealing_cos
    return end + 0.5 * weight * (start - end) * (math.cos(math.pi * frac) + 1)


def _lin(start, end, frac):                      # lr_updater.annealing_linear
    return start + (end - start) * frac


def _target(a, base, prefix):
    return base * a[prefix + "_ratio"] if a.get(prefix + "_ratio") is not None else a[prefix]


def _cyclic_phases(a, total, default_ratio):
    # CyclicLrUpdaterHook.__init__/before_run
    tr = a.get("target_ratio", default_ratio)
    if isinstance(tr, float):
        tr = (tr, tr / 1e5)
    elif len(tr) == 1:
        tr = (tr[0], tr[0] / 1e5)
    per = total // a.get("cyclic_times", 1)
    up = int(a.get("step_ratio_up", 0.4) * per)
    return per, [(0, up, 1, tr[0]), (up, per, tr[0], tr[1])]


def _regular(policy, a, base, p, P, kind):
    """get_lr / get_momentum of the MMCV updater `policy` at progress p of P."""
    floor = "min_lr" if kind == "lr" else "min_momentum"
    if policy == "Fixed":
        return base
    if policy == "Step":                         # StepLrUpdaterHook.get_lr
        s = a["step"]
        k = p // s if isinstance(s, int) else next((i for i, m in enumerate(s) if p < m), len(s))
        v = base * a.get("gamma", 0.1 if kind == "lr" else 0.5) ** k
        return v if a.get(floor) is None else max(v, a[floor])
    if policy == "Exp":
        return base * a["gamma"] ** p
    if policy == "Poly":
        m = a.get("min_lr", 0.0)
        return (base - m) * (1 - p / P) ** a.get("power", 1.0) + m
    if policy == "Inv":
        return base * (1 + a["gamma"] * p) ** (-a.get("power", 1.0))
    if policy == "CosineAnnealing":
        return _cos(base, _target(a, base, floor), p / P)
    if policy == "LinearAnnealing":
        return _lin(base, _target(a, base, floor), p / P)
    if policy == "CosineAnnealingCooldown":      # mmcls/core/hook/lr_updater.py get_lr
        c = a.get("cool_down_time", 10)
        if p > P - c:
            return _target(a, base, floor) * a.get("cool_down_ratio", 0.1)
        return _cos(base, _target(a, base, floor), p / (P - c))
    if policy == "FlatCosineAnnealing":
        start = round(P * a.get("start_percent", 0.75))
        if p < start:
            return base
        return _cos(base, _target(a, base, floor), (p - start) / (P - start))
    if policy == "CosineRestart":                # CosineRestartLrUpdaterHook.get_lr
        periods, weights = a["periods"], a.get("restart_weights", [1])
        cum = [sum(periods[:i + 1]) for i in range(len(periods))]
        idx = next(i for i, c in enumerate(cum) if p < c)
        start = 0 if idx == 0 else cum[idx - 1]
        return _cos(base, _target(a, base, floor), min((p - start) / periods[idx], 1),
                    weights[idx])
    if policy == "Cyclic":                       # CyclicLrUpdaterHook.get_lr
        default = (10, 1e-4) if kind == "lr" else (0.85 / 0.95, 1.0)
        per, phases = _cyclic_phases(a, P, default)
        fn = _cos if a.get("anneal_strategy", "cos") == "cos" else _lin
        cur, scale = p % per, a.get("gamma", 1) ** (p // per)
        for s, e, r0, r1 in phases:
            if s <= cur < e:
                if s == 0:
                    r1 = 1 - scale + r1 * scale
                else:
                    r0 = 1 - scale + r0 * scale
                return fn(base * r0, base * r1, (cur - s) / (e - s))
    if policy == "OneCycle" and kind == "lr":    # OneCycleLrUpdaterHook (base = max_lr/div)
        total, pct = a.get("total_steps", P), a.get("pct_start", 0.3)
        div, fdiv = a.get("div_factor", 25), a.get("final_div_factor", 1e4)
        if a.get("three_phase", False):
            phases = [(pct * total - 1, 1, div), (2 * pct * total - 2, div, 1),
                      (total - 1, 1, 1 / fdiv)]
        else:
            phases = [(pct * total - 1, 1, div), (total - 1, div, 1 / fdiv)]
        fn = _cos if a.get("anneal_strategy", "cos") == "cos" else _lin
        start = 0
        for end, r0, r1 in phases:
            if p <= end:
                return fn(base * r0, base * r1, (p - start) / (end - start))
            start = end
    if policy == "OneCycle":                     # OneCycleMomentumUpdaterHook (runner.max_iters)
        lo, hi = a.get("base_momentum", 0.85), a.get("max_momentum", 0.95)
        pct = a.get("pct_start", 0.3)
        if a.get("three_phase", False):
            phases = [(pct * P - 1, hi, lo), (2 * pct * P - 2, lo, hi), (P - 1, hi, hi)]
        else:
            phases = [(pct * P - 1, hi, lo), (P - 1, lo, hi)]
        fn = _cos if a.get("anneal_strategy", "cos") == "cos" else _lin
        start = 0
        for i, (end, v0, v1) in enumerate(phases):
            if p <= end or i == len(phases) - 1:
                return fn(v0, v1, (p - start) / (end - start))
            start = end
    raise AssertionError(f"no reference for {policy}")


def mmcv_trace(conf, kind, base, run, L):
    """Value used by every training iteration under MMCV's updater hook + runner."""
    a = dict(conf)
    policy = a.pop("policy")
    policy = policy.title() if policy == policy.lower() else policy
    iter_only = policy in ("Cyclic", "OneCycle")
    epoch_run = run["type"] == "EpochBasedRunner"
    # IterBasedRunner.register_training_hooks: lr_config.setdefault('by_epoch', False)
    by_epoch = a.pop("by_epoch", not iter_only and (epoch_run or kind != "lr"))
    E = run.get("max_epochs")
    I = E * L if epoch_run else run["max_iters"]
    if policy == "OneCycle" and kind == "lr":
        base = a["max_lr"] / a.get("div_factor", 25)
    warmup, W = a.pop("warmup", None), a.pop("warmup_iters", 0)
    ratio = a.pop("warmup_ratio", 0.1 if kind == "lr" else 0.9)
    if a.pop("warmup_by_epoch", False):
        W *= L
    out, regular = [], base
    for g in range(I):
        if epoch_run and by_epoch and g % L == 0:    # before_train_epoch
            regular = _regular(policy, a, base, g // L, E, kind)
        if not epoch_run and by_epoch:               # IterBasedRunner: hook never applied
            out.append(base)
            continue
        if not by_epoch:
            regular = _regular(policy, a, base, g, I, kind)
        value = regular
        if warmup is not None and g < W:             # get_warmup_lr
            k = {"constant": ratio, "linear": 1 - (1 - g / W) * (1 - ratio),
                 "exp": ratio ** (1 - g / W)}[warmup]
            value = regular * k if kind == "lr" else regular / k
        out.append(value)
    return out


def yolox_trace(conf, base, run, L):
    """lr of every iteration under mmdet 2.28.2's YOLOXLrUpdaterHook (mmdet/core/hook/
    yolox_lrupdater_hook.py) driven by MMCV's LrUpdaterHook.before_train_epoch/before_train_iter
    in an EpochBasedRunner (max_iters = max_epochs * len(data_loader))."""
    a = dict(conf)
    assert a.pop("policy") == "YOLOX" and run["type"] == "EpochBasedRunner"
    assert a.pop("by_epoch", True) is False     # the only mode the rule converts
    I = run["max_epochs"] * L
    warmup, W = a.get("warmup"), a.get("warmup_iters", 0)
    ratio = a.get("warmup_ratio", 0.1)
    if a.get("warmup_by_epoch", False):         # LrUpdaterHook.before_train_epoch
        W *= L
    last_iter = L * a["num_last_epochs"]        # YOLOXLrUpdaterHook.get_lr
    target = base * a["min_lr_ratio"] if a.get("min_lr_ratio") is not None else a["min_lr"]
    out = []
    for i in range(I):
        if warmup is not None and i < W:         # YOLOXLrUpdaterHook.get_warmup_lr (any type)
            out.append(base * ratio * ((i + 1) / W) ** 2)
        elif i + 1 >= I - last_iter:             # get_lr: progress = runner.iter + 1
            out.append(target)
        else:
            out.append(_cos(base, target, (i + 1 - W) / (I - W - last_iter)))
    return out


# --------------------------------------------------------------------------- MMEngine execution

def mmengine_trace(scheds, run, L, lr, momentum, ours=False, lr_scales=(1.0,)):
    """Build like Runner.build_param_scheduler (default end, epoch_length) and step like
    ParamSchedulerHook (iter-based after each iteration, epoch-based after each epoch). With
    `ours`, our runtime's registry/schedulers replace MMEngine's. One param group per lr scale;
    returns the traces of the first group, or of every group when several."""
    torch = pytest.importorskip("torch")
    if ours:
        import runtime.optim  # noqa: F401  (registers the schedulers)
        from runtime.registry import PARAM_SCHEDULERS
    else:
        import mmengine.optim  # noqa: F401  (registers the schedulers)
        from mmengine.registry import PARAM_SCHEDULERS

    epoch_run = run["type"] == "EpochBasedRunner"
    I = run["max_epochs"] * L if epoch_run else run["max_iters"]
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr * k} for k in lr_scales]
    opt = torch.optim.SGD(groups, lr=lr, momentum=momentum)
    built = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cfg in scheds:
            cfg = dict(cfg)
            cfg.setdefault("end", run["max_epochs"] if epoch_run and cfg.get("by_epoch", True)
                           else I)
            built.append(PARAM_SCHEDULERS.build(cfg, default_args=dict(optimizer=opt,
                                                                       epoch_length=L)))
        lrs, moms = [[] for _ in groups], [[] for _ in groups]
        for g in range(I):
            for j, group in enumerate(opt.param_groups):
                lrs[j].append(group["lr"])
                moms[j].append(group["momentum"])
            opt.step()
            for s in built:
                if not s.by_epoch:
                    s.step()
            if epoch_run and (g + 1) % L == 0:
                for s in built:
                    if s.by_epoch:
                        s.step()
    return (lrs, moms) if len(groups) > 1 else (lrs[0], moms[0])


def _statement(old, field="lr"):
    return deviation.stated(old.read_text()).get(field)


EXEC = [p for p in SCHEDULE if parse_case(p).new is not None and "runner" in read_plain(p)]


@pytest.mark.parametrize("epoch_len", [7, 5])
@pytest.mark.parametrize("old", EXEC, ids=_ids(EXEC))
def test_mmengine_matches_mmcv_every_iteration(old, epoch_len):
    cfg = read_plain(old)
    new = read_plain(parse_case(old).new)
    opt = cfg.get("optimizer", {})
    lr, mom = opt.get("lr", BASE_LR), opt.get("momentum", BASE_MOMENTUM)
    if (cfg.get("lr_config") or {}).get("policy") == "YOLOX":
        return _check_yolox(old, cfg, new, epoch_len, lr, mom)
    lrs, moms = mmengine_trace(new.get("param_scheduler", []), cfg["runner"], epoch_len, lr, mom)
    if cfg.get("lr_config"):
        deviation.check(lrs, mmcv_trace(cfg["lr_config"], "lr", lr, cfg["runner"], epoch_len), lr,
                        _statement(old), "lr", epoch_len)
    else:
        assert set(lrs) == {lr}
    if cfg.get("momentum_config") and not any(k == "todo" for k, _ in parse_case(old).expects):
        deviation.check(moms, mmcv_trace(cfg["momentum_config"], "momentum", mom, cfg["runner"],
                                         epoch_len), mom, _statement(old, "momentum"), "momentum",
                        epoch_len)


def _check_yolox(old, cfg, new, L, lr, mom):
    scales = (1.0, 0.25)                          # per-group base lr: min_lr_ratio is per group
    lrs, _ = mmengine_trace(new.get("param_scheduler", []), cfg["runner"], L, lr, mom, ours=True,
                            lr_scales=scales)
    if any(kind == "todo" for kind, _ in parse_case(old).expects):
        assert all(set(g) == {lr * k} for g, k in zip(lrs, scales))   # nothing written
        return
    for got, k in zip(lrs, scales):
        deviation.check(got, yolox_trace(cfg["lr_config"], lr * k, cfg["runner"], L), lr * k,
                        _statement(old), "lr", L)


# --------------------------------------------------------------------------- QuadraticWarmup*

def _step_iters(scheds, opt, n, key="lr"):
    out = []
    for _ in range(n):
        out.append([g[key] for g in opt.param_groups])
        opt.step()
        for s in scheds:
            s.step()
    return out


def _sgd(*lrs, momentum=0.9):
    torch = pytest.importorskip("torch")
    return torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": v}
                            for v in lrs], lr=lrs[0], momentum=momentum)


def test_quadratic_warmup_lr_hand_computed():
    from runtime.optim.scheduler.codebase import QuadraticWarmupLR

    # n = 4 steps: base * (k+1)**2 / 16, then untouched
    opt = _sgd(0.1, 0.02)
    got = _step_iters([QuadraticWarmupLR(opt, begin=0, end=4, by_epoch=False)], opt, 6)
    want = [[0.00625, 0.00125], [0.025, 0.005], [0.05625, 0.01125], [0.1, 0.02], [0.1, 0.02],
            [0.1, 0.02]]
    for g, w in zip(got, want):
        assert g == pytest.approx(w, rel=1e-12)
    # window [2, 5): untouched before begin, then 1/9, 4/9, 9/9 of the base
    opt = _sgd(0.09)
    got = [v[0] for v in _step_iters([QuadraticWarmupLR(opt, begin=2, end=5, by_epoch=False)],
                                     opt, 6)]
    assert got == pytest.approx([0.09, 0.09, 0.01, 0.04, 0.09, 0.09], rel=1e-12)


def test_quadratic_warmup_epoch_config_and_momentum():
    from runtime.registry import PARAM_SCHEDULERS

    import runtime.optim  # noqa: F401

    # 2 epochs of 3 iterations: window [0, 6) in iterations, base * (k+1)**2 / 36
    opt = _sgd(0.36)
    sched = PARAM_SCHEDULERS.build(dict(type="QuadraticWarmupLR", by_epoch=True, begin=0, end=2,
                                        convert_to_iter_based=True),
                                   default_args=dict(optimizer=opt, epoch_length=3))
    assert (sched.begin, sched.end, sched.by_epoch) == (0, 6, False)
    got = [v[0] for v in _step_iters([sched], opt, 7)]
    assert got == pytest.approx([0.01, 0.04, 0.09, 0.16, 0.25, 0.36, 0.36], rel=1e-12)
    opt = _sgd(0.1, momentum=0.9)
    sched = PARAM_SCHEDULERS.build(dict(type="QuadraticWarmupMomentum", by_epoch=False, begin=0,
                                        end=3), default_args=dict(optimizer=opt))
    got = [v[0] for v in _step_iters([sched], opt, 4, key="momentum")]
    assert got == pytest.approx([0.1, 0.4, 0.9, 0.9], rel=1e-12)
    with pytest.raises(ValueError):
        PARAM_SCHEDULERS.build(dict(type="QuadraticWarmupLR", by_epoch=False),
                               default_args=dict(optimizer=_sgd(0.1)))


@pytest.mark.parametrize("name,change", [
    ("poly_by_iter_epoch_runner", {"power": 1.5}),          # a wrong exponent
    ("step_linear_warmup_by_epoch", {"end": 3}),           # warmup one epoch too long
])
def test_stated_deviation_catches_wrong_variant(name, change):
    """A wrong conversion of an approximate fixture fails its stated deviation, although it
    passed the relative tolerance the fixture used to declare (`|x-y| <= tol*max(|x|,|y|)`,
    1.0 and 0.1: the first holds for any two non-negative lrs)."""
    old = CASES / "schedule" / f"{name}.old.py"
    cfg, new = read_plain(old), read_plain(parse_case(old).new)
    scheds = [dict(s, **change) if i == 0 else s for i, s in enumerate(new["param_scheduler"])]
    L = 7
    want = mmcv_trace(cfg["lr_config"], "lr", BASE_LR, cfg["runner"], L)
    right, _ = mmengine_trace(new["param_scheduler"], cfg["runner"], L, BASE_LR, BASE_MOMENTUM)
    wrong, _ = mmengine_trace(scheds, cfg["runner"], L, BASE_LR, BASE_MOMENTUM)
    deviation.check(right, want, BASE_LR, _statement(old), "lr", L)
    old_tol = {"poly_by_iter_epoch_runner": 1.0, "step_linear_warmup_by_epoch": 0.1}[name]
    if name == "poly_by_iter_epoch_runner":
        assert all(abs(x - y) <= old_tol * max(abs(x), abs(y)) for x, y in zip(wrong, want))
    with pytest.raises(AssertionError, match="deviation|outside the stated"):
        deviation.check(wrong, want, BASE_LR, _statement(old), "lr", L)
