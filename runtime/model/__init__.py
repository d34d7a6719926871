"""Model API (MMEngine's `mmengine.model`): BaseModel with train/val/test_step, data preprocessors,
BaseModule with `init_cfg` weight initialisation, and the DDP wrapper.

MMCV 1.x models implemented `train_step(data, optimizer)` returning `dict(loss, log_vars,
num_samples)` and the runner's OptimizerHook did backward/step; in MMEngine `train_step(data,
optim_wrapper)` updates parameters itself and returns the log variables.
"""
from .base_model import BaseDataPreprocessor, BaseModel, ImgDataPreprocessor, stack_batch
from .base_module import BaseModule, ModuleDict, ModuleList, Sequential, initialize
from .wrappers import (MMDistributedDataParallel, convert_sync_batchnorm, is_model_wrapper,
                       revert_sync_batchnorm)

__all__ = ["BaseDataPreprocessor", "BaseModel", "ImgDataPreprocessor", "stack_batch", "BaseModule",
           "ModuleDict", "ModuleList", "Sequential", "initialize", "MMDistributedDataParallel",
           "convert_sync_batchnorm", "is_model_wrapper", "revert_sync_batchnorm"]
