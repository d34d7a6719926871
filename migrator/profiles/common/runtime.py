"""Codebase runtime names shared by the profiles: `default_scope`, the visualizer, renamed packages
in `custom_imports`.

Old behaviour: mmcls/mmseg registries had no scope in 0.x configs (the generic env rule writes
`default_scope=<codebase>`); the generic hooks rule picks the codebase's 0.x-era visualizer name;
`custom_imports=dict(imports=['mmcls.models.x'])` imported the 0.x package.
New behaviour: `default_scope` is the 1.x package's scope ('mmpretrain', 'mmseg'); the
visualizer is the 1.x class (`UniversalVisualizer`, `SegLocalVisualizer`); imports name the 1.x
package (`mmcls.` -> `mmpretrain.`).
"""
from __future__ import annotations

from typing import Any, Dict, Mapping


def apply_runtime(cfg: Dict[str, Any], ctx, scope: str, visualizer: str,
                  old_scopes: tuple = (), visualizers: Mapping[str, str] = None,
                  packages: Mapping[str, str] = None) -> Dict[str, Any]:
    out = dict(cfg)
    if out.get("default_scope") in old_scopes or (
            "default_scope" in out and out["default_scope"] != scope and
            out["default_scope"] in (packages or {})):
        out["default_scope"] = scope
    vis = out.get("visualizer")
    if isinstance(vis, dict) and vis.get("type") in (visualizers or {}):
        out["visualizer"] = {**vis, "type": visualizers[vis["type"]]}
    return rename_packages(out, packages or {})


def rename_packages(cfg: Dict[str, Any], packages: Mapping[str, str]) -> Dict[str, Any]:
    """`custom_imports` (a module name or a list) and scoped model types (`type='mmcls.ConvNeXt'`,
    an mmseg/mmdet config borrowing an mmcls backbone) that name a renamed package."""
    out = dict(cfg)
    ci = out.get("custom_imports")
    if isinstance(ci, dict) and packages:
        imp = ci.get("imports")
        new = _rename(imp, packages) if isinstance(imp, str) else \
            type(imp)(_rename(m, packages) for m in imp) if isinstance(imp, (list, tuple)) else imp
        if new != imp:
            out["custom_imports"] = {**ci, "imports": new}
    if "model" in out and packages:
        model = _scoped(out["model"], packages)
        if model != out["model"]:
            out["model"] = model
    return out if out != cfg else cfg


def _scoped(v: Any, packages: Mapping[str, str]) -> Any:
    if isinstance(v, dict):
        t = v.get("type")
        new = {k: _scoped(x, packages) for k, x in v.items()}
        if isinstance(t, str) and "." in t and t.split(".")[0] in packages:
            new["type"] = _rename(t, packages)
        return new
    if isinstance(v, list):
        return [_scoped(x, packages) for x in v]
    return v


def _rename(module: Any, packages: Mapping[str, str]) -> Any:
    if not isinstance(module, str):
        return module
    head, _, rest = module.partition(".")
    if head in packages:
        return packages[head] + ("." + rest if rest else "")
    return module
