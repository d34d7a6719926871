"""Python environments for verification against the real codebases (built into a cache).

`base.ensure_venv(spec)` builds a venv once (under a file lock, so parallel test workers and
processes share it) and returns its interpreter. Specs for the old (MMCV 1.x) and new (MMEngine
era) environments live beside this module. Nothing here imports torch: the venvs are driven
through subprocesses only.
"""
