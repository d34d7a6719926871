"""Visualization (MMEngine's `mmengine.visualization`): Visualizer and its vis backends."""
from .vis_backend import (BaseVisBackend, LocalVisBackend, MLflowVisBackend,
                          TensorboardVisBackend, WandbVisBackend)
from .visualizer import Visualizer

__all__ = ["BaseVisBackend", "LocalVisBackend", "MLflowVisBackend", "TensorboardVisBackend",
           "WandbVisBackend", "Visualizer"]
