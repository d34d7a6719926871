"""Emission: turning converted config dicts into Python source with libcst.

values.py  deterministic, readable Python source text for a config value
flat.py    one self-contained MMEngine config per input (no `_base_`), with TODO/warning comments
"""
