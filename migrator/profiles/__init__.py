"""Codebase profiles (the framework lives in h8det's branch)."""
