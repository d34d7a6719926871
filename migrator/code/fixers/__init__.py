"""The ordered fixer list. Each fixer is one small module; all share the engine's single walk.

Order matters where two fixers touch the same node: structural fixers (classes, methods) come
first, name/import rewrites last, so that they see what the structural fixers emitted.
"""
from .collate import CollateFixer
from .data_container import DataContainerFixer
from .fp16 import Fp16Fixer
from .hook_generic import HookGenericFixer
from .hook_helpers import HookHelpersFixer
from .hook_runner_attrs import HookRunnerAttrsFixer
from .hook_signatures import HookSignaturesFixer
from .image import ImageFixer
from .imports import ImportsFixer
from .logger import LoggerFixer
from .lr_updater import LrUpdaterFixer
from .model_steps import ModelStepsFixer
from .no_equivalent import NoEquivalentFixer
from .optim_constructor import OptimConstructorFixer
from .parallel import ParallelFixer
from .registry import RegistryFixer
from .runner_loop import RunnerLoopFixer
from .runner_names import RunnerNamesFixer

FIXERS = [
    RunnerLoopFixer,        # MC301
    RunnerNamesFixer,       # MC304
    OptimConstructorFixer,  # MC303
    LrUpdaterFixer,         # MC302
    ModelStepsFixer,        # MC401
    HookSignaturesFixer,    # MC201
    HookGenericFixer,       # MC202
    HookHelpersFixer,       # MC203
    HookRunnerAttrsFixer,   # MC204
    Fp16Fixer,              # MC103
    ParallelFixer,          # MC104
    CollateFixer,           # MC105
    RegistryFixer,          # MC106
    DataContainerFixer,     # MC107
    NoEquivalentFixer,      # MC108
    ImageFixer,             # MC109
    LoggerFixer,            # MC102
    ImportsFixer,           # MC101
]
