"""What every codebase profile shares: the mmcv-level transform table (`transforms.py`), the
table-driven pipeline engine (`pipeline.py`) and the walker that rewrites every pipeline of a
config consistently (`walk.py`)."""
