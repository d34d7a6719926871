"""The runtime's Lamb (registered in its OPTIMIZERS: mmcls/mmpretrain configs name
`optimizer=dict(type='Lamb')`) steps like mmpretrain 1.2.0's: against hand-computed values, and
bit for bit against mmpretrain's own lamb.py when the cached new environment holds it."""
import glob
import importlib.util
import math
import os
import sys
import types

import pytest
import torch

from runtime.optim.optimizer.lamb import Lamb


def test_lamb_is_registered_and_built_from_a_config():
    from runtime.optim import build_optim_wrapper
    net = torch.nn.Linear(2, 1)
    wrapper = build_optim_wrapper(net, dict(optimizer=dict(type="Lamb", lr=0.005,
                                                           weight_decay=0.05)))
    assert type(wrapper.optimizer) is Lamb
    assert wrapper.optimizer.defaults["lr"] == 0.005 and wrapper.optimizer.defaults["eps"] == 1e-6


def test_lamb_first_step_by_hand():
    p = torch.nn.Parameter(torch.tensor([3.0, 4.0], dtype=torch.float64))
    p.grad = torch.tensor([1.2, 1.6], dtype=torch.float64)      # norm 2 > max_grad_norm 1
    Lamb([p]).step()
    g = [1.2 / 2, 1.6 / 2]                                      # clipped by the global norm
    m = [0.1 * x for x in g]
    v = [0.001 * x * x for x in g]
    u = [(mi / 0.1) / (math.sqrt(vi) / math.sqrt(0.001) + 1e-6) + 0.01 * w
         for mi, vi, w in zip(m, v, (3.0, 4.0))]
    ratio = 5.0 / math.hypot(*u)
    expected = [w - 1e-3 * ratio * ui for w, ui in zip((3.0, 4.0), u)]
    assert p.detach().tolist() == pytest.approx(expected, rel=1e-12)
    assert p.grad.tolist() == pytest.approx(g)                  # divided in place, as mmpretrain


def _mmpretrain_lamb():
    cache = os.environ.get("MMMIGRATE_CACHE", "")
    found = sorted(glob.glob(os.path.join(cache, "envs", "*", "lib", "python*", "site-packages",
                                          "mmpretrain", "engine", "optimizers", "lamb.py")))
    found += sorted(glob.glob(os.path.join(cache, "mmpretrain-1.2.0", "mmpretrain", "engine",
                                           "optimizers", "lamb.py")))
    if not found:
        pytest.skip("mmpretrain 1.2.0's lamb.py is not in the cache")
    registry = types.ModuleType("mmpretrain.registry")
    registry.OPTIMIZERS = types.SimpleNamespace(register_module=lambda: (lambda cls: cls))
    saved = {k: sys.modules.get(k) for k in ("mmpretrain", "mmpretrain.registry")}
    sys.modules["mmpretrain"] = types.ModuleType("mmpretrain")
    sys.modules["mmpretrain.registry"] = registry
    try:
        spec = importlib.util.spec_from_file_location("_mmpretrain_lamb", found[0])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        for key, value in saved.items():
            if value is None:
                sys.modules.pop(key, None)
            else:
                sys.modules[key] = value
    return module.Lamb


@pytest.mark.parametrize("options", [
    dict(), dict(weight_decay=0.0), dict(weight_decay=0.0, always_adapt=True),
    dict(trust_clip=True, lr=0.5), dict(bias_correction=False, grad_averaging=False),
    dict(max_grad_norm=100.0, betas=(0.8, 0.99), eps=1e-3)])
def test_lamb_steps_equal_mmpretrains(options):
    reference = _mmpretrain_lamb()
    results = []
    for cls in (Lamb, reference):
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 1))
        frozen = net[0].bias
        opt = cls([dict(params=[net[0].weight, frozen]), dict(params=net[1].parameters(),
                                                               lr=0.02)], **options)
        x = torch.randn(5, 3)
        for step in range(4):
            opt.zero_grad()
            (net(x * (step + 1)).pow(2).sum() * 3).backward()
            if step == 1:
                frozen.grad = None                              # a parameter without gradient
            opt.step()
        results.append(([p.detach().clone() for p in net.parameters()],
                        [dict(g, params=None) for g in opt.state_dict()["param_groups"]],
                        [{k: v.clone() for k, v in s.items()} for s in opt.state.values()]))
    (w_a, g_a, s_a), (w_b, g_b, s_b) = results
    assert all(torch.equal(a, b) for a, b in zip(w_a, w_b))
    assert g_a == g_b and g_a[0]["step"] == 4
    assert len(s_a) == len(s_b) and all(a.keys() == b.keys() and all(torch.equal(a[k], b[k])
                                                                      for k in a)
                                        for a, b in zip(s_a, s_b))
