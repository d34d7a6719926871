"""Empty: no torchvision model zoo in the stand-in (see the package docstring)."""
