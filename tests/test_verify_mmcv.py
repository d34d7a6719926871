"""MMCV 1.7.2 semantics (migrator/verify/mmcv*.py) against hand-computed values.

Each test names the MMCV definition it follows (file :: function, paths under
mmcv-1.7.2/mmcv/runner/ unless said otherwise). Expected numbers are worked out by hand in the
comments, never produced by the code under test.
"""

import pytest

from migrator.verify import kept_checkpoints, mmcv_trace
from migrator.verify.mmcv import epoch_length, samples_per_gpu

A = pytest.approx


def cfg_(lr_config=None, momentum_config=None, epochs=12, iters=None, lr=0.02,
         optimizer=None, **extra):
    cfg = dict(optimizer=optimizer or dict(type="SGD", lr=lr, momentum=0.9, weight_decay=1e-4),
               lr_config=lr_config, data=dict(samples_per_gpu=2),
               runner=(dict(type="IterBasedRunner", max_iters=iters) if iters else
                       dict(type="EpochBasedRunner", max_epochs=epochs)),
               checkpoint_config=dict(interval=1), evaluation=dict(interval=1))
    if momentum_config is not None:
        cfg["momentum_config"] = momentum_config
    cfg.update(extra)
    return cfg


def lrs(trace, *its):
    return [trace["iters"][i]["lr"] for i in its]


def moms(trace, *its):
    return [trace["iters"][i]["momentum"] for i in its]


# dataset of 20 images, samples_per_gpu 2, 1 GPU -> 10 iterations per epoch
N = 20


# ---- loader length: mmdet/datasets/samplers/{group_sampler,distributed_sampler}.py -------------

def test_epoch_length_coco_1x():
    # DistributedGroupSampler.__init__: ceil(117266 / 2 / 8) * 2 samples per rank, batch 2
    # -> 117266 / 16 = 7329.125 -> 7330 iterations
    assert epoch_length(117266, 2, 8) == 7330
    # DistributedSampler: ceil(117266 / 8) = 14659 per rank; drop_last: 14659 // 2 = 7329
    assert epoch_length(117266, 2, 8, drop_last=True) == 7329
    # group padding: ceil(100 / 4) + ceil(50 / 4) = 25 + 13 = 38
    assert epoch_length(150, 2, 2, group_sizes=[100, 50]) == 38


def test_samples_per_gpu_sources():
    # mmdet/utils/compat_config.py :: compat_imgs_per_gpu / compat_loader_args, train.py default 2
    assert samples_per_gpu({"data": {"imgs_per_gpu": 4, "samples_per_gpu": 2}}) == 4
    assert samples_per_gpu({"data": {"train_dataloader": {"samples_per_gpu": 3}}}) == 3
    assert samples_per_gpu({"data": {}}) == 2


def test_coco_1x_shape():
    # its speed: benchmarks/verify_speed.py
    cfg = cfg_(dict(policy="step", warmup="linear", warmup_iters=500, warmup_ratio=0.001,
                    step=[8, 11]))
    tr = mmcv_trace(cfg, 117266, world_size=8)
    assert tr["max_iters"] == 12 * 7330 == 87960 and tr["epoch_len"] == 7330
    # epoch_based_runner.py :: train: iteration 58640 = 8 * 7330 is the first of epoch 8
    assert tr["iters"][58640]["epoch"] == 8 and tr["iters"][58639]["epoch"] == 7
    assert lrs(tr, 58639, 58640, 80629, 80630) == A([0.02, 0.002, 0.002, 0.0002])


# ---- lr_updater.py :: LrUpdaterHook.get_warmup_lr / before_train_iter + StepLrUpdaterHook -----

def test_step_with_linear_warmup_by_epoch():
    tr = mmcv_trace(cfg_(dict(policy="step", warmup="linear", warmup_iters=5,
                              warmup_ratio=0.001, step=[8, 11])), N)
    assert tr["max_iters"] == 120
    # linear: k = (1 - i/5) * (1 - 0.001); lr = 0.02 * (1 - k)
    # i=0: k=0.999 -> 2e-5; i=1: k=0.7992 -> 0.004016; i=4: k=0.1998 -> 0.016004; i=5: regular
    assert lrs(tr, 0, 1, 4, 5) == A([2e-5, 0.004016, 0.016004, 0.02])
    # epoch 8 starts at iteration 80 (0.02 * 0.1), epoch 11 at 110 (0.02 * 0.01)
    assert lrs(tr, 79, 80, 109, 110, 119) == A([0.02, 0.002, 0.002, 0.0002, 0.0002])
    assert tr["iters"][80]["epoch"] == 8 and tr["iters"][0]["momentum"] == 0.9


def test_step_int_gamma_min_lr():
    # StepLrUpdaterHook.get_lr: exp = epoch // 3; lr = 0.02 * 0.5**exp clipped at 0.004
    tr = mmcv_trace(cfg_(dict(policy="step", step=3, gamma=0.5, min_lr=0.004)), N)
    # epochs 0, 3, 6, 9 -> 0.02, 0.01, 0.005, 0.0025 -> clipped 0.004
    assert lrs(tr, 0, 30, 60, 90) == A([0.02, 0.01, 0.005, 0.004])


def test_step_by_iter():
    tr = mmcv_trace(cfg_(dict(policy="step", by_epoch=False, step=[15, 25]), lr=0.1), N)
    assert lrs(tr, 14, 15, 24, 25) == A([0.1, 0.01, 0.01, 0.001])


def test_warmup_spanning_epoch_boundary_by_epoch():
    # by_epoch: regular lr of epoch 1 is 0.02*0.1 (step=[1]); warmup still per iteration:
    # i=12: k = (1 - 12/15) * (1 - 0.5) = 0.1 -> 0.002 * 0.9 = 0.0018; i=15 -> regular 0.002
    tr = mmcv_trace(cfg_(dict(policy="step", step=[1], warmup="linear", warmup_iters=15,
                              warmup_ratio=0.5), epochs=3), N)
    # i=9 (epoch 0): k = (1 - 9/15) * 0.5 = 0.2 -> 0.02 * 0.8 = 0.016
    assert lrs(tr, 9, 12, 15, 16) == A([0.016, 0.0018, 0.002, 0.002])


def test_constant_and_exp_warmup():
    # get_warmup_lr 'constant': regular * ratio while i < warmup_iters
    tr = mmcv_trace(cfg_(dict(policy="fixed", warmup="constant", warmup_iters=3,
                              warmup_ratio=0.1), epochs=1), N)
    assert lrs(tr, 0, 2, 3, 9) == A([0.002, 0.002, 0.02, 0.02])
    # 'exp': regular * ratio ** (1 - i/4); i=2 -> 0.02 * 0.001**0.5 = 0.02 * 0.0316227766
    tr = mmcv_trace(cfg_(dict(policy="fixed", warmup="exp", warmup_iters=4,
                              warmup_ratio=0.001), epochs=1), N)
    assert lrs(tr, 0, 2, 4) == A([2e-5, 0.000632455532, 0.02])


def test_warmup_by_epoch():
    # LrUpdaterHook.before_train_epoch: warmup_iters = warmup_epochs * len(data_loader) = 10
    # i=5: k = (1 - 5/10) * (1 - 0.1) = 0.45 -> 0.02 * 0.55 = 0.011
    tr = mmcv_trace(cfg_(dict(policy="fixed", warmup="linear", warmup_iters=1,
                              warmup_ratio=0.1, warmup_by_epoch=True), epochs=2), N)
    assert lrs(tr, 0, 5, 10) == A([0.002, 0.011, 0.02])


# ---- the other LrUpdaterHook policies -------------------------------------------------------

def test_exp_inv_poly():
    # ExpLrUpdaterHook.get_lr: 0.1 * 0.9**epoch; epoch 2 -> 0.081
    tr = mmcv_trace(cfg_(dict(policy="exp", gamma=0.9), lr=0.1, epochs=3), N)
    assert lrs(tr, 0, 20) == A([0.1, 0.081])
    # InvLrUpdaterHook.get_lr: 0.1 * (1 + 0.5 * 2) ** -2 = 0.025
    tr = mmcv_trace(cfg_(dict(policy="inv", gamma=0.5, power=2), lr=0.1, epochs=3), N)
    assert lrs(tr, 20) == A([0.025])
    # PolyLrUpdaterHook.get_lr, by iter: max_iters = 4 * 10; iter 10:
    # (0.01 - 1e-4) * (1 - 10/40)**2 + 1e-4 = 0.0099 * 0.5625 + 1e-4 = 0.00566875
    tr = mmcv_trace(cfg_(dict(policy="poly", power=2.0, min_lr=1e-4, by_epoch=False),
                         lr=0.01, epochs=4), N)
    assert lrs(tr, 0, 10, 39) == A([0.01, 0.00566875, 0.0099 * (1 / 40) ** 2 + 1e-4])


def test_cosine_annealing():
    # CosineAnnealingLrUpdaterHook.get_lr + annealing_cos, by epoch, max_epochs 4, ratio 0.1:
    # e1: 0.1b + 0.5 * 0.9b * (cos(pi/4) + 1) = 0.1b + 0.45b * 1.70710678 = 0.868198052b
    # e2: 0.1b + 0.45b * 1 = 0.55b
    tr = mmcv_trace(cfg_(dict(policy="CosineAnnealing", min_lr_ratio=0.1), lr=0.1, epochs=4), N)
    assert lrs(tr, 0, 10, 20) == A([0.1, 0.0868198052, 0.055])
    # by iter, absolute min_lr 0: iter 20 of 40 -> 0.5 * 0.1 = 0.05
    tr = mmcv_trace(cfg_(dict(policy="CosineAnnealing", min_lr=0.0, by_epoch=False), lr=0.1,
                         epochs=4), N)
    assert lrs(tr, 20) == A([0.05])


def test_cosine_policy_name_rule():
    # base_runner.py :: register_lr_hook: only all-lower-case names are title-cased
    with pytest.raises(ValueError, match="Cosineannealing"):
        mmcv_trace(cfg_(dict(policy="cosineannealing", min_lr=0.0)), N)
    with pytest.raises(TypeError):      # unknown hook kwarg, as build_from_cfg would fail
        mmcv_trace(cfg_(dict(policy="step", step=[1], bogus=1)), N)


def test_flat_cosine_uses_bankers_round():
    # FlatCosineAnnealingLrUpdaterHook.get_lr: start = round(10 * 0.25) = round(2.5) = 2
    # e2: progress 0 -> b; e3: progress 1 of 8 -> 0.5b(cos(pi/8)+1) = 0.961939766b
    tr = mmcv_trace(cfg_(dict(policy="FlatCosineAnnealing", start_percent=0.25, min_lr=0.0),
                         lr=0.1, epochs=10), N)
    assert lrs(tr, 10, 20, 30) == A([0.1, 0.1, 0.0961939766])


def test_cosine_restart():
    # CosineRestartLrUpdaterHook.get_lr, by iter, periods [5, 5], weights [1, 0.5], min_lr 0:
    # iter 5: idx 1, alpha 0 -> 0.5 * 0.5 * b * 2 = 0.5b
    # iter 7: alpha 0.4 -> 0.25b * (cos(0.4pi) + 1) = 0.25b * 1.309016994 = 0.3272542486b
    tr = mmcv_trace(cfg_(dict(policy="CosineRestart", periods=[5, 5], restart_weights=[1, 0.5],
                              min_lr=0.0, by_epoch=False), lr=0.1, epochs=1), N)
    assert lrs(tr, 0, 5, 7) == A([0.1, 0.05, 0.03272542486])


def test_cyclic_lr_and_momentum():
    # CyclicLrUpdaterHook.before_run: 100 iters, up phase [0, 40) 1 -> 10, down [40, 100) 10 -> 1e-4
    # iter 20: anneal_cos(0.01, 0.1, 0.5) = 0.055; iter 70: 1e-6 + 0.5 * (0.1 - 1e-6) = 0.0500005
    # CyclicMomentumUpdaterHook: base 0.95, up phase 0.95 -> 0.85, down 0.85 -> 0.95; mid = 0.9
    tr = mmcv_trace(cfg_(dict(policy="cyclic", target_ratio=(10, 1e-4)), lr=0.01, epochs=10,
                         momentum_config=dict(policy="cyclic"),
                         optimizer=dict(type="SGD", lr=0.01, momentum=0.95)), N)
    assert tr["max_iters"] == 100
    assert lrs(tr, 0, 20, 40, 70) == A([0.01, 0.055, 0.1, 0.0500005])
    assert moms(tr, 0, 20, 40, 70) == A([0.95, 0.9, 0.85, 0.9])


def test_one_cycle_lr_keeps_momentum():
    # OneCycleLrUpdaterHook.before_run: base = 0.1 / 25 = 0.004 (optimizer lr 0.5 ignored)
    # phases end 29.0 (x1 -> x25) and 99 (x25 -> x1e-4); iter 64: pct (64-29)/70 = 0.5
    # -> 4e-7 + 0.5 * (0.1 - 4e-7) = 0.0500002. MMCV's lr hook does not cycle momentum.
    tr = mmcv_trace(cfg_(dict(policy="OneCycle", max_lr=0.1), lr=0.5, epochs=10), N)
    assert lrs(tr, 0, 29, 64, 99) == A([0.004, 0.1, 0.0500002, 4e-7])
    assert set(moms(tr, *range(100))) == {0.9}


def test_one_cycle_momentum_adam_betas():
    # OneCycleMomentumUpdaterHook: 0.95 -> 0.85 until iter 29, then 0.85 -> 0.95 at 99;
    # iter 64: pct 0.5 -> 0.9. Adam: the hook drives betas[0].
    tr = mmcv_trace(cfg_(dict(policy="OneCycle", max_lr=0.1), epochs=10,
                         momentum_config=dict(policy="OneCycle"),
                         optimizer=dict(type="Adam", lr=0.001, betas=(0.9, 0.999))), N)
    assert moms(tr, 0, 29, 64, 99) == A([0.95, 0.85, 0.9, 0.95])


def test_yolox_mmdet_policy():
    # mmdet/core/hook/yolox_lrupdater_hook.py, by iter, 60 iters, W = 1 epoch = 10, last = 20:
    # warmup base * 1 * ((i + 1) / 10)**2: i=0 -> 1e-4, i=4 -> 0.0025, i=9 -> 0.01
    # i=10: cos(0.01, 5e-4, (11 - 10) / (60 - 10 - 20) = 1/30)
    #       = 5e-4 + 0.5 * 0.0095 * (cos(pi/30) + 1) = 5e-4 + 0.00475 * 1.9945218954 = 0.009973979
    # i=38: factor 29/30 -> 5e-4 + 0.00475 * (1 - 0.9945218954) = 0.000526021
    # i=39: 39 + 1 >= 60 - 20 -> the flat tail 5e-4
    tr = mmcv_trace(cfg_(dict(policy="YOLOX", warmup="exp", by_epoch=False, warmup_by_epoch=True,
                              warmup_ratio=1, warmup_iters=1, num_last_epochs=2,
                              min_lr_ratio=0.05), lr=0.01, epochs=6), N)
    assert lrs(tr, 0, 4, 9, 10, 38, 39, 59) == A(
        [1e-4, 0.0025, 0.01, 0.009973979, 0.000526021, 5e-4, 5e-4])


def test_linear_annealing():
    # LinearAnnealingLrUpdaterHook.get_lr by iter: 0.1 + (0 - 0.1) * 10/40 = 0.075
    tr = mmcv_trace(cfg_(dict(policy="LinearAnnealing", min_lr=0.0, by_epoch=False), lr=0.1,
                         epochs=4), N)
    assert lrs(tr, 10) == A([0.075])


# ---- momentum_updater.py -------------------------------------------------------------------

def test_momentum_step_with_warmup_and_cosine():
    # MomentumUpdaterHook.get_warmup_momentum 'linear': k = (1 - i/5) * (1 - 0.9);
    # i=0: 0.9 / (1 - 0.1) = 1.0; i=5: regular 0.9; StepMomentum step=[2] gamma 0.5 -> e2: 0.45
    tr = mmcv_trace(cfg_(None, dict(policy="step", step=[2], warmup="linear", warmup_iters=5),
                         epochs=3), N)
    assert moms(tr, 0, 5, 19, 20) == A([1.0, 0.9, 0.9, 0.45])
    # CosineAnnealingMomentumUpdaterHook, e2 of 4, ratio 0.5: 0.45 + 0.5 * 0.45 = 0.675
    tr = mmcv_trace(cfg_(None, dict(policy="CosineAnnealing", min_momentum_ratio=0.5),
                         epochs=4), N)
    assert moms(tr, 0, 20) == A([0.9, 0.675])


def test_momentum_values_without_hook():
    assert moms(mmcv_trace(cfg_(None, optimizer=dict(type="SGD", lr=0.1)), N), 0) == [0.0]
    assert moms(mmcv_trace(cfg_(None, optimizer=dict(type="AdamW", lr=0.1)), N), 0) == [0.9]
    # mmcls 0.25's Lamb (timm's, betas=(0.9, 0.999)): MMCV's current_momentum reads betas[0]
    assert moms(mmcv_trace(cfg_(None, optimizer=dict(type="Lamb", lr=0.1)), N), 0) == [0.9]
    assert moms(mmcv_trace(cfg_(None, optimizer=dict(type="Adagrad", lr=0.1)), N), 0) == [None]
    with pytest.raises(ValueError):
        mmcv_trace(cfg_(None, dict(policy="step", step=[1]),
                        optimizer=dict(type="Adagrad", lr=0.1)), N)


# ---- IterBasedRunner (iter_based_runner.py :: run/train never call before_train_epoch) --------

def test_iter_runner_lr_and_events():
    cfg = cfg_(dict(policy="step", by_epoch=False, step=[10, 20], warmup="linear",
                    warmup_iters=4, warmup_ratio=0.5), iters=30, lr=0.1,
               evaluation=dict(interval=10), checkpoint_config=dict(interval=10, by_epoch=False))
    tr = mmcv_trace(cfg, N)
    # i=2: k = (1 - 2/4) * 0.5 = 0.25 -> 0.075
    assert tr["max_iters"] == 30 and tr["by_epoch"] is False
    assert lrs(tr, 2, 4, 10, 29) == A([0.075, 0.1, 0.01, 0.001])
    assert tr["val_at"] == [10, 20, 30] and tr["ckpt_at"] == [10, 20, 30]


def test_iter_runner_by_epoch_hooks_are_inert():
    # LrUpdaterHook.by_epoch=True (given explicitly: IterBasedRunner.register_training_hooks
    # only defaults it to False) under IterBasedRunner: regular_lr never set, lr stays 0.1;
    # CheckpointHook(by_epoch=True).after_train_epoch is never called -> no checkpoint
    tr = mmcv_trace(cfg_(dict(policy="step", step=[10], warmup="linear", warmup_iters=4,
                              by_epoch=True), iters=30, lr=0.1,
                         checkpoint_config=dict(interval=1, by_epoch=True)), N)
    assert set(lrs(tr, *range(30))) == {0.1}
    assert tr["ckpt_at"] == [] and len(tr["notes"]) == 2


def test_iter_runner_defaults_hooks_to_by_iter():
    # IterBasedRunner.register_training_hooks: lr_config/checkpoint_config.setdefault('by_epoch',
    # False) -> step at iteration 10 (lr x0.1), checkpoints every iteration
    tr = mmcv_trace(cfg_(dict(policy="step", step=[10]), iters=12, lr=0.1), N)
    assert lrs(tr, 9, 10) == [0.1, pytest.approx(0.01)]
    assert tr["ckpt_at"] == list(range(1, 13))
    with pytest.raises(ValueError, match="warmup_by_epoch"):
        mmcv_trace(cfg_(dict(policy="fixed", warmup="linear", warmup_iters=1,
                             warmup_by_epoch=True), iters=30), N)


# ---- evaluation.py :: EvalHook._should_evaluate / before_train_epoch / before_train_iter -------

@pytest.mark.parametrize("evaluation,epochs,expected", [
    (dict(interval=2), 5, [2, 4]),                      # every_n_epochs: (e + 1) % 2 == 0
    (dict(start=3, interval=2), 8, [3, 5, 7]),          # (e + 1 - 3) % 2 == 0, e + 1 >= 3
    (dict(start=0, interval=1), 3, [0, 1, 2, 3]),       # start <= epoch 0: evaluate first
    (dict(start=0, interval=2), 4, [2, 4]),             # initial check: (0+1-0) % 2 != 0
    (dict(start=2, interval=1), 4, [2, 3, 4]),
    (None, 3, [1, 2, 3]),                               # mmdet train.py: cfg.get('evaluation', {})
])
def test_val_at_epochs(evaluation, epochs, expected):
    cfg = cfg_(None, epochs=epochs, evaluation=evaluation)
    assert mmcv_trace(cfg, N)["val_at"] == expected


def test_val_dynamic_intervals_and_no_validate():
    # mmdet/core/evaluation/eval_hooks.py :: _decide_interval: bisect([0, 280], epoch + 1)
    cfg = cfg_(None, epochs=300, evaluation=dict(interval=10, dynamic_intervals=[(280, 1)]))
    assert mmcv_trace(cfg, 2)["val_at"] == list(range(10, 280, 10)) + list(range(280, 301))
    assert mmcv_trace(cfg, 2, validate=False)["val_at"] == []


def test_val_initial_by_iter():
    # before_train_iter at iter 0 with start=0 -> after_train_iter -> evaluated before training
    cfg = cfg_(None, iters=3, evaluation=dict(start=0, interval=1))
    assert mmcv_trace(cfg, N)["val_at"] == [0, 1, 2, 3]


# ---- checkpoint.py :: CheckpointHook.after_train_epoch / after_train_iter / _save_checkpoint ---

@pytest.mark.parametrize("ck,expected", [
    (dict(interval=1), list(range(1, 13))),
    (dict(interval=5), [5, 10, 12]),                    # save_last adds the final epoch
    (dict(interval=5, save_last=False), [5, 10]),
    (dict(interval=-1), [12]),                          # every_n_epochs(n<=0) is False
    (None, []),
])
def test_ckpt_at(ck, expected):
    assert mmcv_trace(cfg_(None, checkpoint_config=ck), N)["ckpt_at"] == expected


def test_ckpt_by_iter_inside_epoch_runner():
    tr = mmcv_trace(cfg_(None, epochs=3, checkpoint_config=dict(interval=15, by_epoch=False)), N)
    assert tr["ckpt_at"] == [15, 30] and tr["ckpt_by_epoch"] is False


@pytest.mark.parametrize("ck,epochs,expected", [
    (dict(interval=1, max_keep_ckpts=3), 12, [10, 11, 12]),
    # saves 5, 10, 12: at 10 the walk starts at 10 - 1*5 = 5 -> delete 5;
    # at 12 it starts at 12 - 5 = 7, which does not exist -> stop. Left: 10, 12
    (dict(interval=5, max_keep_ckpts=1), 12, [10, 12]),
    # saves 4, 8, 10 keep 2: at 8 range(0, 0, -4) empty; at 10 starts at 2 (missing). All kept.
    (dict(interval=4, max_keep_ckpts=2), 10, [4, 8, 10]),
    (dict(interval=1), 3, [1, 2, 3]),
])
def test_kept_checkpoints(ck, epochs, expected):
    assert kept_checkpoints(cfg_(None, epochs=epochs, checkpoint_config=ck), N) == expected


# ---- base values ----------------------------------------------------------------------------

def test_auto_scale_lr_and_total_epochs():
    # mmdet/apis/train.py :: auto_scale_lr: lr * (4 * 2) / 16
    cfg = cfg_(None, auto_scale_lr=dict(enable=True, base_batch_size=16))
    assert lrs(mmcv_trace(cfg, N, world_size=4), 0) == A([0.01])
    assert lrs(mmcv_trace(cfg, N, world_size=8), 0) == A([0.02])
    cfg = cfg_(None)
    del cfg["runner"]
    cfg["total_epochs"] = 2            # compat_runner_args
    assert mmcv_trace(cfg, N)["max_iters"] == 20
    assert lrs(mmcv_trace(cfg_(None), N, base_lr=0.5), 0) == [0.5]


# ---- oracle: MMCV's own updater hooks, executed on a fake runner when the source is around ----

def _sources():
    """MMCV 1.7.2's hooks (sdist from PyPI) and mmdet 2.28.2's YOLOX hook (wheel from PyPI), both
    fetched once into the cache."""
    from mmcv_source import mmcv_source
    from realdata import real_configs
    hooks = mmcv_source() / "mmcv" / "runner" / "hooks"
    yolox = real_configs("mmdet", "2.28.2").parent.parent / "core" / "hook" / "yolox_lrupdater_hook.py"
    return str(hooks), str(yolox)


_ORACLE = {}


def _load_mmcv_updaters():
    if not _ORACLE:
        _ORACLE.update(_exec_mmcv_updaters())
    return _ORACLE


def _exec_mmcv_updaters():
    """Execute MMCV 1.7.2's lr_updater.py / momentum_updater.py with tiny stand-ins for the
    `mmcv` package and the hook registry (nothing of MMCV is copied into the project)."""
    import sys
    import types
    MMCV_HOOKS, MMDET_YOLOX = _sources()
    fake = types.ModuleType("mmcv")
    fake.is_list_of = lambda seq, t: isinstance(seq, list) and all(isinstance(x, t) for x in seq)
    fake.runner = types.ModuleType("mmcv.runner")
    saved = {k: sys.modules.get(k) for k in ("mmcv", "mmcv.runner")}
    sys.modules.update({"mmcv": fake, "mmcv.runner": fake.runner})

    class Hook:
        pass

    class Registry:
        def register_module(self):
            return lambda cls: cls
    ns = {"__name__": "mmcv_oracle", "HOOKS": Registry(), "Hook": Hook}
    try:
        src = open(f"{MMCV_HOOKS}/lr_updater.py").read().replace(
            "from .hook import HOOKS, Hook", "")
        exec(compile(src, "lr_updater.py", "exec"), ns)
        src = open(f"{MMCV_HOOKS}/momentum_updater.py").read().replace(
            "from .hook import HOOKS, Hook", "").replace(
            "from .lr_updater import annealing_cos, annealing_linear, format_param", "")
        exec(compile(src, "momentum_updater.py", "exec"), ns)
        src = open(MMDET_YOLOX).read().replace(
            "from mmcv.runner.hooks import HOOKS", "").replace(
            "from mmcv.runner.hooks.lr_updater import (CosineAnnealingLrUpdaterHook,\n"
            "                                          annealing_cos)", "")
        exec(compile(src, "yolox_lrupdater_hook.py", "exec"), ns)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    return ns


def _run_mmcv(ns, cfg, epoch_len, max_epochs):
    import types
    hooks = []
    for key, suffix in (("lr_config", "LrUpdaterHook"), ("momentum_config",
                                                          "MomentumUpdaterHook")):
        c = dict(cfg.get(key) or {})
        if c:
            p = c.pop("policy")
            hooks.append(ns[(p.title() if p == p.lower() else p) + suffix](**c))
    opt = cfg["optimizer"]
    group = {"lr": opt["lr"]}
    group.update({"betas": tuple(opt["betas"])} if "betas" in opt else
                 {"momentum": opt.get("momentum", 0)})
    optimizer = types.SimpleNamespace(param_groups=[group], defaults=dict(group))
    runner = types.SimpleNamespace(optimizer=optimizer, epoch=0, iter=0, max_epochs=max_epochs,
                                   max_iters=max_epochs * epoch_len, data_loader=[0] * epoch_len)
    for h in hooks:
        h.before_run(runner)
    lr, mom = [], []
    for e in range(max_epochs):
        runner.epoch = e
        for h in hooks:
            h.before_train_epoch(runner)
        for _ in range(epoch_len):
            for h in hooks:
                h.before_train_iter(runner)
            lr.append(group["lr"])
            mom.append(group["momentum"] if "momentum" in group else group["betas"][0])
            runner.iter += 1
    return lr, mom


@pytest.mark.parametrize("lr_config,momentum_config", [
    (dict(policy="step", warmup="linear", warmup_iters=7, warmup_ratio=0.001, step=[2, 3]), None),
    (dict(policy="step", by_epoch=False, step=13, gamma=0.5, min_lr=1e-3, warmup="exp",
          warmup_iters=9), dict(policy="step", step=[3], warmup="constant", warmup_iters=4)),
    (dict(policy="poly", power=0.9, min_lr=1e-4, by_epoch=False), None),
    (dict(policy="CosineAnnealing", min_lr_ratio=0.01, warmup="linear", warmup_iters=1,
          warmup_by_epoch=True), dict(policy="CosineAnnealing", min_momentum_ratio=0.8)),
    (dict(policy="FlatCosineAnnealing", start_percent=0.5, min_lr=0.0, by_epoch=False), None),
    (dict(policy="CosineRestart", periods=[10, 20, 10], restart_weights=[1, 0.7, 0.3],
          min_lr_ratio=0.1, by_epoch=False), dict(policy="LinearAnnealing", min_momentum=0.5,
                                                    by_epoch=False)),
    (dict(policy="cyclic", target_ratio=(10, 1e-4), cyclic_times=2, gamma=0.8),
     dict(policy="cyclic", cyclic_times=2, anneal_strategy="linear")),
    (dict(policy="OneCycle", max_lr=0.1, three_phase=True, anneal_strategy="linear"),
     dict(policy="OneCycle", three_phase=True)),
    (dict(policy="OneCycle", max_lr=0.1, total_steps=50), dict(policy="OneCycle")),
    (dict(policy="exp", gamma=0.8, warmup="linear", warmup_iters=3), None),
    (dict(policy="inv", gamma=0.1, power=0.75, by_epoch=False), None),
    (dict(policy="YOLOX", warmup="exp", by_epoch=False, warmup_by_epoch=True, warmup_ratio=1,
          warmup_iters=1, num_last_epochs=1, min_lr_ratio=0.05), None),
])
@pytest.mark.integration
def test_matches_mmcv_source_executed(lr_config, momentum_config):
    ns = _load_mmcv_updaters()
    cfg = cfg_(lr_config, momentum_config, epochs=4, lr=0.05,
               optimizer=dict(type="SGD", lr=0.05, momentum=0.9))
    want_lr, want_mom = _run_mmcv(ns, cfg, epoch_len=10, max_epochs=4)
    tr = mmcv_trace(cfg, N)
    assert lrs(tr, *range(40)) == A(want_lr, rel=1e-12)
    assert moms(tr, *range(40)) == A(want_mom, rel=1e-12)


def test_dict_of_optimizers_follows_the_first():
    """mmpose's hmr: optimizer=dict(generator=Adam(2.5e-4), discriminator=Adam(1e-4)); MMCV's
    LrUpdaterHook keeps base_lr per optimizer (lr_updater.py before_run) and sets each one; the
    trace is the first optimizer's group 0, as the new side's first wrapper."""
    from migrator.verify.mmcv import mmcv_columns
    cfg = dict(optimizer=dict(generator=dict(type="Adam", lr=2.5e-4),
                              discriminator=dict(type="Adam", lr=1e-4)),
               lr_config=dict(policy="step", step=[1]), runner=dict(type="EpochBasedRunner",
                                                                    max_epochs=2),
               data=dict(samples_per_gpu=2))
    cols = mmcv_columns(cfg, 4, validate=False)
    assert cols["lr"] == pytest.approx([2.5e-4, 2.5e-4, 2.5e-5, 2.5e-5])
    assert cols["momentum"] == [0.9] * 4          # Adam's betas[0]
