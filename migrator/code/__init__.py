"""Migration of Python code written against the MMCV 1.x runner (hooks, runners, models,
scripts) to MMEngine 0.10, as libcst codemods sharing one walk (see engine.py, fixers/)."""
from .engine import CodeResult, Finding, migrate_source

__all__ = ["CodeResult", "Finding", "migrate_source"]
