"""How `Runner.call_hook` dispatches a stage to the registered hooks (MMEngine calls every hook's
method for every stage; MMCV 1.x's `Runner.call_hook` did the same). The result is the same, but
hooks that inherit a stage unchanged from `Hook` (a no-op) are skipped, through a per-stage plan
the runner caches: the per-iteration cost of the framework is mostly hook dispatch."""
from __future__ import annotations

import types
from typing import Dict

_IMPLEMENTS: Dict[tuple, bool] = {}
_IMPLEMENTS_AT = [-1]   # CLASS_CHANGES when _IMPLEMENTS was last valid


def _implements(cls: type, fn_name: str) -> bool:
    """Whether `fn_name` on an instance of `cls` can do anything. Hook's own stage methods are
    empty, except `<when>_<mode>_<epoch|iter>` which forward to `_<when>_<epoch|iter>`; a class
    that inherits both unchanged is skipped. Non-Hook objects are called when they have it."""
    from runtime.hooks.hook import CLASS_CHANGES
    if _IMPLEMENTS_AT[0] != CLASS_CHANGES[0]:   # a Hook class changed since: ask again
        _IMPLEMENTS.clear()
        _IMPLEMENTS_AT[0] = CLASS_CHANGES[0]
    key = (cls, fn_name)
    found = _IMPLEMENTS.get(key)
    if found is None:
        from runtime.hooks.hook import Hook
        method = getattr(cls, fn_name, None)
        if method is None:
            found = False
        elif not issubclass(cls, Hook) or method is not getattr(Hook, fn_name, None) or \
                cls.__getattribute__ is not object.__getattribute__ or hasattr(cls, "__getattr__"):
            found = True   # overridden, not a Hook, or attribute lookup is dynamic
        else:
            parts = fn_name.split("_")
            helper = f"_{parts[0]}_{parts[2]}" if len(parts) == 3 and parts[2] in ("epoch", "iter") else None
            found = helper is not None and getattr(cls, helper) is not getattr(Hook, helper)
        _IMPLEMENTS[key] = found
    return found


_DYNAMIC = object()


def stage_method(hook, fn_name: str):
    """How `call_hook` calls `fn_name` on `hook`: None (Hook's no-op, skipped), the class's
    plain function (called as func(hook, runner, ...)), or _DYNAMIC (getattr at every call:
    custom attribute lookup, descriptors other than functions, classes that are not Hooks,
    whose changes CLASS_CHANGES does not see)."""
    from runtime.hooks.hook import Hook
    cls = type(hook)
    if not _implements(cls, fn_name):
        return None
    if cls.__getattribute__ is not object.__getattribute__ or hasattr(cls, "__getattr__") \
            or not issubclass(cls, Hook):
        return _DYNAMIC
    for klass in cls.__mro__:
        if fn_name in klass.__dict__:
            func = klass.__dict__[fn_name]
            return func if isinstance(func, types.FunctionType) else _DYNAMIC
    return _DYNAMIC


def plan(hooks, fn_name: str):
    """(active, skipped) for `call_hook(fn_name)`: `active` lists (hook, instance dict, func)
    in order for the hooks whose class implements the stage (func None: look it up at every
    call), `skipped` the instance dicts of the others (a later instance attribute named
    fn_name makes call_hook fall back to the plain loop over every hook)."""
    active, skipped = [], []
    for hook in hooks:
        attrs = getattr(hook, "__dict__", None)
        func = stage_method(hook, fn_name)
        if func is None and attrs is not None:
            skipped.append(attrs)
        elif func is not None or attrs is None:
            active.append((hook, {} if attrs is None else attrs,
                           None if func is _DYNAMIC or func is None else func))
    return active, skipped
