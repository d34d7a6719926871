"""Config files (MMEngine's `mmengine.config`): Config, ConfigDict, DictAction. Text-style configs
as read by both MMCV 1.x `mmcv.Config` and MMEngine 0.10 (see config.py for the details)."""
from .config import Config, ConfigDict, ConfigParsingError, DictAction

__all__ = ["Config", "ConfigDict", "ConfigParsingError", "DictAction"]
