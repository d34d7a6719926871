"""The old-codebases environment (`migrator/envs/old_codebases.py`): real MMCV 1.7.2 with
mmdet 2.28.2, mmcls 0.25.0 and mmsegmentation 0.30.0, MMEngine blocked.

Built through `ensure_venv` into the cache on first use (about a minute). The probe imports
each codebase's models and datasets, builds one real model of each from the codebase's own
config and one train pipeline of each, and runs the pipeline's first transform; it also checks
that `import mmengine` fails and that a compiled kernel raises the stand-in's error.
"""
from __future__ import annotations

import json
import subprocess
import textwrap

import pytest

from tests.realdata import real_configs

pytestmark = pytest.mark.integration

PROBE = textwrap.dedent('''
    import json, sys, warnings
    warnings.filterwarnings("ignore")
    out = {}
    try:
        import mmengine  # noqa: F401
        out["mmengine"] = "importable"
    except ImportError:
        out["mmengine"] = "blocked"
    import mmcv
    from mmcv import Config
    out["mmcv"] = mmcv.__version__
    import mmdet.models, mmdet.datasets, mmcls.models, mmcls.datasets, mmseg.models, mmseg.datasets
    from mmdet.models import build_detector
    from mmcls.models import build_classifier
    from mmseg.models import build_segmentor
    from mmdet.datasets.pipelines import Compose as DetCompose
    from mmcls.datasets.pipelines import Compose as ClsCompose
    from mmseg.datasets.pipelines import Compose as SegCompose
    builders = {"mmdet": (build_detector, DetCompose), "mmcls": (build_classifier, ClsCompose),
                "mmseg": (build_segmentor, SegCompose)}
    for name, path in json.loads(sys.argv[1]).items():
        build, compose = builders[name]
        cfg = Config.fromfile(path)
        if name == "mmseg":
            cfg.model.backbone.norm_cfg = dict(type="BN", requires_grad=True)
            cfg.model.decode_head.norm_cfg = dict(type="BN", requires_grad=True)
            cfg.model.auxiliary_head.norm_cfg = dict(type="BN", requires_grad=True)
        model = build(cfg.model)
        pipeline = compose(cfg.data.train.pipeline)
        out[name] = {"model": type(model).__name__,
                     "params": sum(p.numel() for p in model.parameters()),
                     "pipeline": [type(t).__name__ for t in pipeline.transforms],
                     "version": sys.modules[name].__version__}
    from mmcv.ops import nms
    import torch
    try:
        nms(torch.zeros(1, 4), torch.zeros(1), 0.5)
    except Exception as e:
        out["nms"] = f"{type(e).__name__}: {e}"
    print(json.dumps(out))
''')


@pytest.fixture(scope="module")
def old_cb_py():
    from migrator.envs.old_codebases import old_codebases_python
    return old_codebases_python()


def test_old_codebases_build_models_and_pipelines(old_cb_py, tmp_path):
    from migrator.envs.old import old_python_env
    configs = {
        "mmdet": real_configs("mmdet", "2.28.2") / "retinanet/retinanet_r50_fpn_1x_coco.py",
        "mmcls": real_configs("mmcls", "0.25.0") / "resnet/resnet18_8xb32_in1k.py",
        "mmseg": real_configs("mmsegmentation", "0.30.0")
        / "pspnet/pspnet_r50-d8_512x1024_40k_cityscapes.py",
    }
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    proc = subprocess.run([str(old_cb_py), "-P", str(script),
                           json.dumps({k: str(v) for k, v in configs.items()})],
                          capture_output=True, text=True, env=old_python_env(), cwd=tmp_path,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["mmengine"] == "blocked"
    assert out["mmcv"] == "1.7.2"
    assert out["mmdet"]["version"] == "2.28.2" and out["mmdet"]["model"] == "RetinaNet"
    assert out["mmcls"]["version"] == "0.25.0" and out["mmcls"]["model"] == "ImageClassifier"
    assert out["mmseg"]["version"] == "0.30.0" and out["mmseg"]["model"] == "EncoderDecoder"
    # ResNet-18 classifier on ImageNet: 11,689,512 parameters (torchvision's resnet18 count)
    assert out["mmcls"]["params"] == 11689512
    assert out["mmdet"]["pipeline"] == ["LoadImageFromFile", "LoadAnnotations", "Resize",
                                        "RandomFlip", "Normalize", "Pad", "DefaultFormatBundle",
                                        "Collect"]
    assert out["mmcls"]["pipeline"][:2] == ["LoadImageFromFile", "RandomResizedCrop"]
    assert out["mmseg"]["pipeline"][:3] == ["LoadImageFromFile", "LoadAnnotations", "Resize"]
    assert out["nms"].startswith("MissingKernelError: mmcv._ext.nms")
