"""Visualizer (MMEngine's `mmengine.visualization.Visualizer`, scalar/config/image part only).

MMCV 1.x had no visualizer object; logger hooks talked to their services directly. MMEngine's
Runner builds one named global Visualizer (default `dict(type='Visualizer',
vis_backends=[dict(type='LocalVisBackend')])`, `save_dir=<log_dir>`) whose backends get
`save_dir=<save_dir>/vis_data`; LoggerHook calls `add_scalars(tag, step, file_path)`, the Runner
calls `add_config(cfg)`. Only rank 0 writes. Drawing primitives (draw_bboxes, ...) are not
provided: they belong to downstream task visualizers.
"""
from __future__ import annotations

import inspect
import os.path as osp
import sys
import warnings
from typing import Dict, Optional

from runtime.utils.manager import ManagerMixin
from runtime.registry import VISBACKENDS, VISUALIZERS

from .vis_backend import BaseVisBackend


def _is_main_process() -> bool:
    tdist = sys.modules.get("torch.distributed")
    if tdist is not None and tdist.is_available() and tdist.is_initialized():
        return tdist.get_rank() == 0
    return True


@VISUALIZERS.register_module()
class Visualizer(ManagerMixin):
    def __init__(self, name: str = "visualizer", image=None, vis_backends=None,
                 save_dir: Optional[str] = None, fig_save_cfg=None, fig_show_cfg=None) -> None:
        super().__init__(name)
        self._dataset_meta: Optional[dict] = None
        self._vis_backends: Dict[str, BaseVisBackend] = {}
        self._image = image
        if vis_backends is None:
            vis_backends = []
        if isinstance(vis_backends, (dict, BaseVisBackend)):
            vis_backends = [vis_backends]
        if not all(isinstance(b, (dict, BaseVisBackend)) for b in vis_backends):
            raise TypeError("vis_backends must be a list of dicts or BaseVisBackend instances")
        if save_dir is not None:
            save_dir = osp.join(save_dir, "vis_data")
        for backend in vis_backends:
            name = None
            if isinstance(backend, dict):
                backend = dict(backend)
                name = backend.pop("name", None)
                backend.setdefault("save_dir", save_dir)
                backend = VISBACKENDS.build(backend)
            arg = inspect.signature(type(backend).__init__).parameters.get("save_dir")
            if arg is not None and arg.default is arg.empty and backend._save_dir is None:
                warnings.warn(f"{type(backend).__name__} skipped: it needs a save_dir")
                continue
            name = name or type(backend).__name__
            if name in self._vis_backends:
                raise RuntimeError(f"vis_backend name {name} already exists")
            self._vis_backends[name] = backend

    @classmethod
    def get_instance(cls, name: str, **kwargs) -> "Visualizer":
        """Like ManagerMixin.get_instance, but also visible from `Visualizer.get_current_instance()`
        when `cls` is a subclass (MMEngine shares one instance table for all visualizers)."""
        instance = super().get_instance(name, **kwargs)
        Visualizer._instance_dict[name] = instance
        return instance

    @property
    def dataset_meta(self) -> Optional[dict]:
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: dict) -> None:
        self._dataset_meta = dataset_meta

    def get_backend(self, name: str) -> Optional[BaseVisBackend]:
        return self._vis_backends.get(name)

    def set_image(self, image) -> None:
        self._image = image

    def get_image(self):
        return self._image

    def add_config(self, config, **kwargs) -> None:
        if _is_main_process():
            for backend in self._vis_backends.values():
                backend.add_config(config, **kwargs)

    def add_graph(self, model, data_batch, **kwargs) -> None:
        if _is_main_process():
            for backend in self._vis_backends.values():
                backend.add_graph(model, data_batch, **kwargs)

    def add_image(self, name: str, image, step: int = 0) -> None:
        if _is_main_process():
            for backend in self._vis_backends.values():
                backend.add_image(name, image, step)

    def add_scalar(self, name: str, value, step: int = 0, **kwargs) -> None:
        if _is_main_process():
            for backend in self._vis_backends.values():
                backend.add_scalar(name, value, step, **kwargs)

    def add_scalars(self, scalar_dict: dict, step: int = 0, file_path: Optional[str] = None,
                    **kwargs) -> None:
        if _is_main_process():
            for backend in self._vis_backends.values():
                backend.add_scalars(scalar_dict, step, file_path, **kwargs)

    def add_datasample(self, name, image, data_sample=None, draw_gt: bool = True,
                       draw_pred: bool = True, show: bool = False, wait_time: int = 0,
                       step: int = 0) -> None:
        """Task visualizers override this; the base class draws nothing (as in MMEngine)."""

    def close(self) -> None:
        for backend in self._vis_backends.values():
            backend.close()
