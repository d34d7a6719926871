"""Checkpoint migration: old-codebase state dicts renamed for the new models.

  table.py           the key-rename table (pure data) and the pure functions applying it
  cli.py             `migrate checkpoint OLD.pth -o NEW.pth --config NEW.py` (no torch here)
  convert_script.py  the torch part, run in a subprocess (weights_only load, atomic write)

The model verification (`migrator/verify/model`) loads every old model's state dict into the new
model through the same table, so the table is checked by it.
"""
