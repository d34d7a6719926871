"""Import a migrated module of an OpenMMLab code base without the rest of that code base.

Used as `python codebase_stub.py ROOT PACKAGES MODULE...`: ROOT holds only the migrated files (and
empty `__init__.py` files for their packages); any other module of PACKAGES (e.g. `mmdet.datasets`)
that a migrated file imports is a stub module whose every attribute is a placeholder class
`_Stub_<name>` (so `from mmdet.core import EvalHook` and subclassing it both work). Nothing else
is stubbed: `mmengine`, `torch` and third-party imports are the real ones, and `mmcv` is not
installed, so any leftover `mmcv` import fails. Prints one JSON object: for each MODULE either
{"ok": [stubbed modules it pulled in]} or {"error": "<exception>"}.
"""
import importlib
import importlib.abc
import importlib.machinery
import json
import sys
import types

STUBBED = []


class _StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        cls = type(f"_Stub_{name}", (), {"__init__": lambda self, *a, **k: None})
        setattr(self, name, cls)
        return cls


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, packages):
        self.packages = packages

    def find_spec(self, fullname, path, target=None):
        # last on sys.meta_path: reached only when no real file provides the module
        if fullname.split(".")[0] not in self.packages:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec):
        STUBBED.append(spec.name)
        m = _StubModule(spec.name)
        m.__path__ = []
        return m

    def exec_module(self, module):
        pass


def main(root, packages, *modules):
    sys.path.insert(0, root)
    sys.meta_path.append(_Finder(set(packages.split(","))))
    out = {}
    for module in modules:
        del STUBBED[:]
        try:
            importlib.import_module(module)
            out[module] = {"ok": sorted(set(STUBBED))}
        except Exception as exc:   # noqa: BLE001  (reported per module)
            out[module] = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:])
