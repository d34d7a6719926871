"""Shared fakes for the hook tests (tests/test_runtime_hooks*.py): a runner with just the
attributes hooks read, unique instance names for the global MessageHub/MMLogger/Visualizer, and
the checkpoint files of a directory."""
import itertools
import json
import logging
import os
from types import SimpleNamespace

from torch import nn

from runtime.logging import MessageHub

_ids = itertools.count()

def _name(prefix):
    return f"{prefix}_{next(_ids)}"


class FakeRunner(SimpleNamespace):
    """Just the Runner attributes hooks use; save_checkpoint writes a marker file."""

    def __init__(self, work_dir, **kw):
        defaults = dict(epoch=0, iter=0, max_epochs=5, max_iters=50, experiment_name="exp",
                        timestamp="20240101_000000", param_schedulers=None, _resume=False,
                        cfg=SimpleNamespace(pretty_text="x = 1\n"), seed=0, model=nn.Linear(2, 1))
        defaults.update(kw)
        super().__init__(work_dir=str(work_dir), **defaults)
        self.log_dir = os.path.join(self.work_dir, self.timestamp)
        self.message_hub = MessageHub(name=_name("hub"))
        self.logger = logging.getLogger(_name("fake"))
        self.saved = []

    def save_checkpoint(self, out_dir, filename, file_client_args=None, save_optimizer=True,
                        save_param_scheduler=True, meta=None, by_epoch=True, backend_args=None):
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, filename), "w") as f:
            f.write(json.dumps(meta))
        self.saved.append((filename, save_optimizer, dict(meta)))


def ckpt_files(path):
    return sorted(f for f in os.listdir(path) if f.endswith(".pth"))

