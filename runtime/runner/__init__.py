"""Runner and loops (MMEngine's `mmengine.runner`; replaces MMCV 1.x's `EpochBasedRunner` /
`IterBasedRunner`). Importing this package registers the Runner in RUNNERS and the loops in LOOPS.
"""
from .checkpoint import (find_latest_checkpoint, load_checkpoint, load_state_dict, save_checkpoint,
                         weights_to_cpu)
from .loops import (BaseLoop, EpochBasedTrainLoop, IterBasedTrainLoop, TestLoop, ValLoop,
                    calc_dynamic_intervals)
from .runner import Runner

__all__ = ["Runner", "BaseLoop", "EpochBasedTrainLoop", "IterBasedTrainLoop", "ValLoop", "TestLoop",
           "calc_dynamic_intervals", "find_latest_checkpoint", "load_checkpoint",
           "load_state_dict", "save_checkpoint", "weights_to_cpu"]
