"""Stand-in for MMCV 2.x's compiled `mmcv._ext` (installed as `mmcv/_ext.py` in the new venv).

mmcv built with `MMCV_WITH_OPS=0` ships `mmcv.ops` without its C++/CUDA kernels, so
`mmcv.utils.ext_loader.load_ext('_ext', [...])` fails at import time and no model that imports
`mmcv.ops` (RoIAlign, NMS, DeformConv, ...) can even be constructed. This module answers every
attribute lookup with a kernel that raises when called: importing and constructing work, running
a compiled op fails loudly with the op's name.
"""


class MissingKernelError(RuntimeError):
    pass


def _missing(name):
    def kernel(*args, **kwargs):
        raise MissingKernelError(
            f"mmcv._ext.{name}: compiled MMCV ops are not built in this environment "
            "(mmcv installed with MMCV_WITH_OPS=0; mmmigrate stand-in)")
    kernel.__name__ = name
    return kernel


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return _missing(name)
