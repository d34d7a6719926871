"""Put first on PYTHONPATH of the MMCV 1.7.2 venv's subprocesses: MMEngine is visible there
through the system site-packages, and the old side must not use it by accident."""
raise ImportError("mmengine is blocked in the MMCV 1.7.2 environment (migrator/envs/old.py)")
