"""`Runner.call_hook` (assigned as the method): MMEngine's

    for hook in self._hooks:
        if hasattr(hook, fn_name):
            getattr(hook, fn_name)(self, **kwargs)     # TypeError re-raised as f"{e} in {hook}"

with the same calls, in the same order, but cheaper per iteration (hook dispatch is most of the
framework's per-iteration cost). A per-stage plan, cached on the runner for its current hook
list, says per hook what its method resolves to, written out as a small generated function (the
checks and calls in order, no loop); at every call, right before a hook's turn, the
hook's class is asked again (`getattr(cls, fn_name)` is the planned object, and so for the
`_before_iter`-style helper that Hook's forwarders call) and its instance dict is checked for an
attribute of that name, so a method patched on a class or an instance at any time (mock.patch)
runs as under MMEngine: a hook that changed is called the plain way above, and the plan is
rebuilt at the next call. With that:

| the hook's class has for fn_name                            | the call                       |
|-------------------------------------------------------------|--------------------------------|
| Hook's no-op (and, for `<when>_<mode>_<epoch|iter>`, Hook's  | skipped: it does nothing       |
|   forwarder and helper `_<when>_<epoch|iter>`)               |                                |
| a plain function                                            | func(hook, runner, ...)        |
| Hook's forwarder, helper overridden by a plain function     | helper(hook, runner, ..., mode) |
| anything else (descriptor, mock, custom `__getattribute__`, | the plain MMEngine call        |
|   not a Hook, no instance dict)                             |                                |

`...` are the keyword arguments given positionally when they are exactly the stage's parameters
of Hook (`batch_idx, data_batch[, outputs]`) and the function takes them as its next positional
parameters under those names (a `**kwargs` call costs several times a positional one); any
other call passes them by keyword as MMEngine does. Stage names that Hook does not define go
through the plain loop. Not followed: a `__getattribute__` added to a hook class after the
hook was first planned.
"""
from __future__ import annotations

from operator import itemgetter
from types import FunctionType

from runtime.hooks.hook import Hook

# Hook's own stage functions and the helpers its forwarders call, as defined (not as patched)
_NOOP = {name: Hook.__dict__[name] for name in Hook.stages}
_HELPERS = ("_before_epoch", "_after_epoch", "_before_iter", "_after_iter")
_HELPER_NOOP = {name: Hook.__dict__[name] for name in _HELPERS}

SKIP, KEYWORDS, POSITIONAL, HELPER, PLAIN = range(5)   # how a hook is called


class _Probe:
    """Stands for the class of a hook called the plain way: every stage resolves to None."""


for _name in Hook.stages:
    setattr(_Probe, _name, None)


def _stage_info(fn_name: str):
    """(helper name or None, mode, Hook's parameter names after `runner`) of a stage."""
    parts = fn_name.split("_")
    helper = None
    if len(parts) == 3 and parts[2] in ("epoch", "iter") and parts[1] in ("train", "val", "test"):
        helper = f"_{parts[0]}_{parts[2]}"
    code = _NOOP[fn_name].__code__
    return helper, parts[1] if helper else None, code.co_varnames[2:code.co_argcount]


def _takes_positionally(func, names) -> bool:
    """Whether func(hook, runner, *values) binds `names` as func(hook, runner, **kwargs) would."""
    code = func.__code__
    k = len(names)
    return (code.co_posonlyargcount <= 2 and code.co_argcount >= 2 + k
            and code.co_varnames[2:2 + k] == names)


def _raw(cls, name):
    """The object `name` is stored as in the first class of cls's MRO that defines it."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None


def _entry(hook, fn_name: str, helper, mode, names):
    """(hook, instance dict, class, stage object, helper name, helper object, how, target,
    mode): what call_hook checks and does for one hook."""
    cls = type(hook)
    attrs = getattr(hook, "__dict__", None)
    plain = (hook, {}, _Probe, None, None, None, PLAIN, None, mode)
    if attrs is None or not isinstance(hook, Hook) or cls.__getattribute__ is not object.__getattribute__:
        return plain
    stage = getattr(cls, fn_name)
    if stage is not _raw(cls, fn_name) or type(stage) is not FunctionType:
        return plain                                   # a descriptor, a mock, ...
    if stage is not _NOOP[fn_name]:                    # overridden by a function
        how = POSITIONAL if len(names) >= 2 and _takes_positionally(stage, names) else KEYWORDS
        return (hook, attrs, cls, stage, None, None, how, stage, mode)
    if helper is None:                                 # Hook's no-op
        return (hook, attrs, cls, stage, None, None, SKIP, None, mode)
    helper_fn = getattr(cls, helper)
    if helper_fn is _HELPER_NOOP[helper]:              # Hook's forwarder to Hook's no-op helper
        return (hook, attrs, cls, stage, helper, helper_fn, SKIP, None, mode)
    if helper_fn is _raw(cls, helper) and type(helper_fn) is FunctionType and len(names) >= 2 \
            and _takes_positionally(helper_fn, names + ("mode",)):
        return (hook, attrs, cls, stage, helper, helper_fn, HELPER, helper_fn, mode)
    # Hook's forwarder, called as it is: it looks the helper up itself
    return (hook, attrs, cls, stage, None, None, POSITIONAL, stage, mode)


def _source(entries, nargs: int) -> str:
    """A function doing the entries' checks and calls one after the other: the plan written
    out, so that a call costs its checks and calls only (no loop, unpacking or dispatch)."""
    args = ", ".join(f"a{j}" for j in range(nargs))
    lines = ["def run(runner, kwargs, plans, a0, a1, a2, k):"]
    for i, (hook, attrs, cls, stage, helper, helper_fn, how, target, mode) in enumerate(entries):
        if how == PLAIN:
            lines.append(f"    _plain(runner, h{i}, FN, kwargs)")
            continue
        cond = f"getattr(c{i}, FN) is not s{i} or FN in d{i}"
        if helper is not None:
            cond += f" or getattr(c{i}, HP) is not f{i} or HP in d{i}"
        lines.append(f"    if {cond}:")
        lines.append(f"        _stale(runner, h{i}, FN, kwargs, plans)")
        if how == SKIP:
            continue
        lines.append("    else:")
        lines.append("        try:")
        if how in (POSITIONAL, HELPER) and nargs:
            extra = ", MODE" if how == HELPER else ""
            lines.append(f"            if k:")
            lines.append(f"                t{i}(h{i}, runner, {args}{extra})")
            lines.append(f"            else:")
            lines.append(f"                s{i}(h{i}, runner, **kwargs)")
        else:                                          # by keyword; HELPER: through the forwarder
            lines.append(f"            s{i}(h{i}, runner, **kwargs)")
        lines.append("        except TypeError as e:")
        lines.append(f"            raise TypeError(f\"{{e}} in {{h{i}}}\") from e")
    lines.append("    return None")
    return "\n".join(lines) + "\n"


def build(hooks, fn_name: str):
    """[run, getter of the positional values, their number, entries, mode] for
    call_hook(fn_name): run None before the stage's first call, False after it (both through
    `_interpret`), then the generated function; entries None for a stage name Hook does not
    define."""
    if fn_name not in _NOOP:
        return [None, None, 0, None, None]
    helper, mode, names = _stage_info(fn_name)
    nargs = len(names) if len(names) in (2, 3) else 0
    entries = [_entry(hook, fn_name, helper, mode, names) for hook in hooks]
    return [None, itemgetter(*names) if nargs else None, nargs, entries, mode]


def _compile(fn_name: str, entries, nargs: int, mode):
    namespace = dict(FN=fn_name, HP=_stage_info(fn_name)[0], MODE=mode, _plain=_call_plain,
                     _stale=_stale)
    for i, (hook, attrs, cls, stage, _, helper_fn, how, target, _) in enumerate(entries):
        namespace.update({f"h{i}": hook, f"d{i}": attrs, f"c{i}": cls, f"s{i}": stage,
                          f"f{i}": helper_fn, f"t{i}": target})
    exec(compile(_source(entries, nargs), f"<call_hook plan: {fn_name}>", "exec"), namespace)
    return namespace["run"]


def _interpret(runner, entries, fn_name, kwargs, plans, a0, a1, a2, k) -> None:
    """What the generated function does, entry by entry: a stage's first call goes through
    here (most stages are called once or twice a run: compiling them would cost more)."""
    for hook, attrs, cls, stage, helper, helper_fn, how, target, mode in entries:
        if getattr(cls, fn_name) is not stage or fn_name in attrs or helper is not None and (
                getattr(cls, helper) is not helper_fn or helper in attrs):
            _stale(runner, hook, fn_name, kwargs, plans)
        elif how == PLAIN:
            _call_plain(runner, hook, fn_name, kwargs)
        elif how != SKIP:
            try:
                if k and how == POSITIONAL:
                    target(hook, runner, *(a0, a1, a2)[:k])
                elif k and how == HELPER:
                    target(hook, runner, *(a0, a1, a2)[:k], mode)
                else:
                    stage(hook, runner, **kwargs)
            except TypeError as e:
                raise TypeError(f"{e} in {hook}") from e


def _call_plain(runner, hook, fn_name: str, kwargs: dict) -> None:
    if hasattr(hook, fn_name):
        try:
            getattr(hook, fn_name)(runner, **kwargs)
        except TypeError as e:
            raise TypeError(f"{e} in {hook}") from e


def _stale(runner, hook, fn_name: str, kwargs: dict, plans: dict) -> None:
    """A hook changed since the plan was built: called the plain way; rebuilt next time."""
    plans.pop(fn_name, None)
    _call_plain(runner, hook, fn_name, kwargs)


def call_hook(self, fn_name: str, **kwargs) -> None:
    """Call `fn_name` of every registered hook in priority order (see the module docstring)."""
    plans = self.__dict__.get("_hook_plans")
    if plans is None or plans[0] != self._hooks:
        plans = self._hook_plans = (list(self._hooks), {})
    plan = plans[1].get(fn_name)
    if plan is None:
        plan = plans[1][fn_name] = build(plans[0], fn_name)
    run, getter, nargs, entries, mode = plan
    if entries is None:
        for hook in self._hooks:
            _call_plain(self, hook, fn_name, kwargs)
        return
    a0 = a1 = a2 = None
    k = 0
    if nargs and len(kwargs) == nargs:
        try:
            if nargs == 3:
                a0, a1, a2 = getter(kwargs)
            else:
                a0, a1 = getter(kwargs)
            k = nargs
        except KeyError:
            pass
    if run is not None and run is not False:
        run(self, kwargs, plans[1], a0, a1, a2, k)
    elif run is None:                                   # a stage's first call
        plan[0] = False
        _interpret(self, entries, fn_name, kwargs, plans[1], a0, a1, a2, k)
    else:                                               # its second: written out from now on
        plan[0] = _compile(fn_name, entries, nargs, mode)
        plan[0](self, kwargs, plans[1], a0, a1, a2, k)
