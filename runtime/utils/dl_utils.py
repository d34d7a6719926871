"""`collect_env()`: the "System environment" the Runner logs at start (MMEngine's
`mmengine.utils.dl_utils.collect_env`; MMCV 1.x had the same function as `mmcv.utils.collect_env`,
which downstream `tools/train.py` logged by hand).

Same keys in the same order as MMEngine 0.10.7: sys.platform, Python, CUDA available, MUSA
available, numpy_random_seed, per-GPU names, CUDA_HOME and NVCC (CUDA only), GCC (first line of
`<sysconfig CC> --version`, 'n/a' if it fails), PyTorch, PyTorch compiling details
(`torch.__config__.show()`), TorchVision and OpenCV (only when installed) and MMEngine (here the
runtime's `runtime.version.mmengine_version()`). Two deviations, neither visible in the log:
TorchVision's version is read from its distribution metadata unless it is already imported
(importing it costs about a second; the wheel's version is its `__version__`), and the parts that
cannot change within a process are computed once.
"""
from __future__ import annotations

import functools
import os.path as osp
import subprocess
import sys
from collections import OrderedDict, defaultdict


def _cuda_home():
    import torch
    from torch.utils import cpp_extension
    if torch.version.hip is not None and getattr(cpp_extension, "ROCM_HOME", None) is not None:
        return cpp_extension.ROCM_HOME
    return cpp_extension.CUDA_HOME


def _compiler_version(cuda_home: str) -> str:
    """NVCC's (or, under ROCm, hipcc's) release line, as MMEngine extracts it."""
    rocm = cuda_home == "/opt/rocm"
    tool = osp.join(cuda_home, "hip/bin/hipcc" if rocm else "bin/nvcc")
    try:
        out = subprocess.check_output(f'"{tool}" {"--version" if rocm else "-V"}', shell=True)
    except subprocess.SubprocessError:
        return "Not Available"
    text = out.decode("utf-8").strip()
    if rocm:
        return text[text.rfind("HIP version:"):].strip()
    return text[text.rfind("Cuda compilation tools"):text.rfind("Build ")].strip()


def _gcc() -> str:
    import sysconfig
    cc = sysconfig.get_config_var("CC")
    if not cc:
        return "n/a"
    try:
        out = subprocess.check_output(f"{osp.basename(cc.split()[0])} --version", shell=True,
                                      stderr=subprocess.DEVNULL)
    except (subprocess.CalledProcessError, OSError):
        return "n/a"
    return out.decode("utf-8").partition("\n")[0].strip()


def _musa_available() -> bool:
    try:
        import torch_musa  # noqa: F401
    except Exception:
        return False
    return True


def _torchvision_version():
    module = sys.modules.get("torchvision")
    if module is not None:
        return module.__version__
    from importlib import metadata
    try:
        return metadata.version("torchvision")
    except metadata.PackageNotFoundError:
        return None


@functools.lru_cache(maxsize=None)
def _static_parts() -> tuple:
    """(devices, toolchain, libraries): everything but the numpy seed, fixed for the process."""
    import torch
    devices = OrderedDict()
    devices["CUDA available"] = cuda = torch.cuda.is_available()
    devices["MUSA available"] = musa = _musa_available()
    gpus = OrderedDict()
    if cuda or musa:
        backend = torch.cuda if cuda else torch.musa
        names = defaultdict(list)
        for k in range(backend.device_count()):
            names[backend.get_device_name(k)].append(str(k))
        for name, ids in names.items():
            gpus["GPU " + ",".join(ids)] = name
        if cuda:
            gpus["CUDA_HOME"] = home = _cuda_home()
            if home is not None and osp.isdir(home):
                gpus["NVCC"] = _compiler_version(home)
        else:
            import os
            gpus["MUSA_HOME"] = home = os.environ.get("MUSA_HOME")
            if home is not None and osp.isdir(home):   # MMEngine logs the path once it runs
                mcc = osp.join(home, "bin/mcc")
                try:
                    subprocess.check_output(f'"{mcc}" -v', shell=True)
                except subprocess.SubprocessError:
                    mcc = "Not Available"
                gpus["mcc"] = mcc
    libs = OrderedDict()
    libs["GCC"] = _gcc()
    libs["PyTorch"] = torch.__version__
    libs["PyTorch compiling details"] = torch.__config__.show()
    vision = _torchvision_version()
    if vision is not None:
        libs["TorchVision"] = vision
    try:
        import cv2   # the Runner's set_multi_processing has imported it already, if installed
        libs["OpenCV"] = cv2.__version__
    except ImportError:
        pass
    from runtime.version import mmengine_version
    libs["MMEngine"] = mmengine_version()
    return devices, gpus, libs


def collect_env() -> "OrderedDict[str, object]":
    """The environment information MMEngine's Runner logs, as an ordered dict."""
    import numpy as np
    devices, gpus, libs = _static_parts()
    env = OrderedDict()
    env["sys.platform"] = sys.platform
    env["Python"] = sys.version.replace("\n", "")
    env.update(devices)
    env["numpy_random_seed"] = np.random.get_state()[1][0]
    env.update(gpus)
    env.update(libs)
    return env
