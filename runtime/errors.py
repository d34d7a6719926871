"""Errors of the runtime that `mmrun` reports as `mmrun: error: ...` (exit 2), importable without
torch (the dry-run fast path never imports it)."""

# `mmrun --trust-checkpoint` sets this; `load_raw` then unpickles checkpoints fully
TRUST_ENV = "MMRUN_TRUST_CHECKPOINT"


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used; the message names the file."""


class CheckpointNotFound(CheckpointError, FileNotFoundError):
    """No checkpoint at that path (still a FileNotFoundError, as in MMEngine)."""
