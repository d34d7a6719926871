"""One rank of a 2-process CPU gloo group running mmcls 0.25.0's DistEvalHook, migrated with
`--target runtime` (its MMCV base becomes the MC108 stand-in, which gathers through
runtime.dist.collect_results), in the bundled runtime's Runner; mmengine is blocked
(migrator/envs/standins/block_mmengine on PYTHONPATH). Each rank trains a BatchNorm toy on its
own data (lr 0: the weights stay equal, BN statistics differ until the hook broadcasts rank
0's), tests its DistributedSampler half of a 5-sample val set, and rank 0's dataset.evaluate
must get all 5 predictions in dataset order. Usage: ... ROOT RANK WORLD PORT OUT."""
import sys
from pathlib import Path


def main(root, rank, world, port, out):
    import logging
    import torch
    import torch.distributed as dist
    from torch.utils.data import DataLoader, DistributedSampler
    sys.path.insert(0, root)
    try:
        import mmengine  # noqa: F401
        raise AssertionError("mmengine is importable")
    except ImportError:
        pass
    from runtime.hooks import Hook
    from runtime.model import BaseModel
    from runtime.runner import Runner
    rank, world = int(rank), int(world)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world)

    class Items(list):
        def __init__(self, items):
            super().__init__(items)
            self.evaluated = []

        def evaluate(self, results, logger=None, **kwargs):
            self.evaluated.append([float(r) for r in results])
            return dict(loss=float(sum(float(r) ** 2 for r in results)))

    def data(n, seed):
        g = torch.Generator().manual_seed(seed)
        return Items([dict(x=torch.randn(2, generator=g), y=torch.randn(1, generator=g))
                      for _ in range(n)])

    class BNToy(BaseModel):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.fc = torch.nn.Linear(2, 3)
            self.bn = torch.nn.BatchNorm1d(3)
            self.head = torch.nn.Linear(3, 1)

        def forward(self, x, y, mode="tensor"):
            pred = self.head(self.bn(self.fc(x)))
            if mode == "loss":
                return dict(loss=((pred - y) ** 2).mean())
            return list(pred.flatten())

    seen = {}

    class Before(Hook):
        priority = "HIGHEST"

        def after_train_epoch(self, runner):
            seen["bn_before"] = runner.model.bn.running_mean.clone()

    from mmcls.core.evaluation.eval_hooks import DistEvalHook
    val = data(5, seed=5)
    sampler = DistributedSampler(val, num_replicas=world, rank=rank, shuffle=False)
    hook = DistEvalHook(DataLoader(val, batch_size=1, sampler=sampler), interval=1,
                        by_epoch=True)
    model = BNToy()
    runner = Runner(model=model, work_dir=str(Path(out).parent / "shared"),
                    train_dataloader=DataLoader(data(4, seed=20 + rank), batch_size=2),
                    train_cfg=dict(by_epoch=True, max_epochs=1),
                    optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.0)),
                    custom_hooks=[Before(), hook], default_hooks=dict(checkpoint=None),
                    log_level=logging.WARNING)
    runner.train()
    seen["bn_after"] = model.bn.running_mean.clone()
    model.eval()
    with torch.no_grad():
        seen["expected"] = [float(model(**v, mode="predict")[0]) for v in
                            [dict(x=d["x"][None], y=d["y"][None]) for d in val]]
    seen["evaluated"] = val.evaluated
    seen["world"] = runner.world_size
    torch.save(seen, out)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(*sys.argv[1:])
