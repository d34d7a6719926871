"""mmmigrate's compiler: MMCV 1.x configs in, MMEngine configs out.

Layers (data flows one way):
  load.py      static evaluation of old config files and `_base_` merging (no execution)
  rules/       pure translation rules, dict in -> dict out, one module per concern
  emit/        libcst emission (flat files and structure-preserving trees)
  verify/      MMCV semantics of the old config and trace comparison with the executed new one
  cli.py       the `migrate` command (all file I/O lives here and in emit/io)

This package never imports torch nor the `runtime` package.
"""
__version__ = "0.1.0"
