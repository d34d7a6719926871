"""Run one MMCV 1.x lr hook class in real MMCV 1.7.2's EpochBasedRunner (run inside the old venv
by tests/test_code_lr_policies.py) and print the lr of every iteration as JSON.

argv: module file, class name, JSON kwargs of the hook, epochs, batches per epoch."""
import importlib.util
import json
import sys
import time

import torch
from mmcv.runner import EpochBasedRunner, Hook

time.sleep = lambda s: None          # EpochBasedRunner.train sleeps 2 s per epoch


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 1)

    def train_step(self, data, optimizer, **kwargs):
        loss = self.fc(data).pow(2).mean()
        return dict(loss=loss, log_vars=dict(loss=loss.item()), num_samples=len(data))


class LrRecorder(Hook):
    def __init__(self):
        self.lrs = []

    def before_train_iter(self, runner):
        self.lrs.append(runner.optimizer.param_groups[0]['lr'])


def main():
    path, cls, kwargs, epochs, batches = sys.argv[1:6]
    spec = importlib.util.spec_from_file_location("lr_module", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    model = Model()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    import logging
    runner = EpochBasedRunner(model, optimizer=opt, work_dir=sys.argv[6],
                              logger=logging.getLogger("old"), max_epochs=int(epochs))
    runner.register_hook(getattr(mod, cls)(**json.loads(kwargs)), priority='VERY_HIGH')
    rec = LrRecorder()
    runner.register_hook(rec, priority='LOWEST')
    loader = torch.utils.data.DataLoader(torch.randn(int(batches) * 2, 2), batch_size=2)
    runner.run([loader], [('train', 1)])
    print(json.dumps(rec.lrs))


if __name__ == '__main__':
    main()
