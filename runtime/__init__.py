"""mmmigrate's bundled runtime: a small MMEngine-compatible training stack on plain torch.

Module paths mirror MMEngine (`runtime.config`, `runtime.registry`, `runtime.runner`, ...), so code
written for MMEngine runs here by changing the package name. Nothing is imported eagerly: importing
`runtime` must stay cheap (see benchmarks/runtime_overhead.py). Version strings: runtime/version.py.
"""
from .version import __version__  # noqa: F401
