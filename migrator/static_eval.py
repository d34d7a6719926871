"""A tiny interpreter for the Python subset that MMCV 1.x config files are written in.

MMCV behaviour mirrored: `mmcv.Config._file2dict` imports the config file as a module and keeps
every top-level name that is not a dunder, a module or a function; `{{ _base_.a.b }}` is a
placeholder for a value of the merged bases. MMEngine's `Config._file2dict` additionally binds the
name `_base_` to the merged bases (a ConfigDict, so `_base_.model.backbone` works).

Here nothing is executed: the `ast` of the file is walked and only plain data operations are
performed (literals, names, `dict()`-style calls, arithmetic, comprehensions, a few safe builtins
and methods of dict/list/str values). Values are real Python objects, so aliasing behaves exactly
as under execution (`data = dict(train=dict(pipeline=train_pipeline))` followed by an in-place
change of `train_pipeline` is visible in `data`). Anything else raises `Unsupported`, which the
loader turns into a `MigrateError` naming the file, the line and the construct.

Bounded (see `static_limits`): a step, a size and a depth budget end any file that computes far
more than a config does, and `str.format` fields may only name arguments (no `{0.attr}` or
`{0[i]}`). Python errors of the operations become `Unsupported` too, so nothing but a located
error ever leaves the evaluator.

Intentional supersets of MMCV (all of which would be errors or garbage under MMCV):
  * a name not assigned in the file falls back to a top-level variable of the merged bases;
  * attribute access `d.key` works on every dict, not only ConfigDicts from bases;
  * `{{ _base_.x }}` also accepts subscripts (`{{_base_.a.b[0]}}`) and is substituted inside
    string literals (`'{{_base_.data_root}}/train'`) with `str(value)`.
"""
from __future__ import annotations

import ast
import operator
import re
import types
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from .static_tables import (_BINOPS, _CMP, _STMT_NAMES, _UNARY, SAFE_BUILTINS,  # noqa: F401
                            SAFE_METHODS)
from .static_limits import (CONTAINERS, MAX_EXPR_DEPTH, MAX_STEPS, MAX_STR, MAX_VALUE_NODES,
                            OneShot, Refused, check_result, check_spec, guard_binop, guard_method, inspect_value,
                            safe_format, seq_sum)

BASE_REF_IN_STR = re.compile(r"\{\{\s*(_base_(?:\.\w+|\[[^\]{}]*\])+)\s*\}\}")
# Python errors an operation on config values may raise; each becomes an `Unsupported` naming the
# expression (MMCV, executing the file, would fail on them too).
_EVAL_ERRORS = (TypeError, ValueError, KeyError, IndexError, AttributeError, ArithmeticError,
                MemoryError, StopIteration)
EXEC_HINT = " (configs are read statically, never executed; `migrate --exec` runs such files)"


class Unsupported(Exception):
    """A construct outside the static subset, or an evaluation error; `node` locates it."""

    def __init__(self, message: str, node: Optional[ast.AST] = None):
        super().__init__(message)
        self.message = message
        self.node = node


_SAFE_CALLABLE_IDS = {id(f) for f in SAFE_BUILTINS.values() if callable(f)}


def _construct(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except (Exception, RecursionError):   # too deep to print: name the node type
        text = type(node).__name__
    text = text.splitlines()[0] if text else type(node).__name__
    return text if len(text) <= 60 else text[:57] + "..."


class Interpreter:
    """Evaluates the statements of one config module.

    `fallback` holds the merged base variables (read when a name is not assigned in the file);
    `base` is what the name `_base_` and `{{ _base_.x }}` refer to (usually the same dict).
    After `run`, `ns` holds the file's own names in first-assignment order and `lines` the line
    of the statement that last assigned or changed each of them.
    """

    def __init__(self, fallback: Optional[Dict[str, Any]] = None,
                 base: Optional[Dict[str, Any]] = None, source_size: int = 0):
        self.ns: Dict[str, Any] = {}
        self.lines: Dict[str, int] = {}
        self.fallback = fallback if fallback is not None else {}
        self.base = base if base is not None else self.fallback
        self.scopes: List[Dict[str, Any]] = []     # comprehension scopes, innermost last
        self.steps = 0                              # budgets: see static_limits
        self.max_steps = MAX_STEPS + source_size     # a longer file may take longer, linearly
        self.depth = 0

    def _charge(self, n: int, node: Optional[ast.AST]) -> None:
        self.steps += n
        if self.steps > self.max_steps:
            raise Unsupported(f"evaluation budget exceeded (more than {self.max_steps:,} steps); "
                              f"a config should not compute this much", node)

    def _weigh(self, v: Any, node: Optional[ast.AST]) -> None:
        """Charge the size of a container about to be compared, hashed or printed (shared parts
        counted each time), so no C-level walk can run unbounded."""
        if type(v) in CONTAINERS:
            left = max(1, 8 * (self.max_steps - self.steps))
            try:
                nodes = inspect_value(v, check_types=False, max_chars=MAX_STR,
                                      max_nodes=min(left, MAX_VALUE_NODES))
            except Refused as e:
                if left < MAX_VALUE_NODES and "items once shared" in e.message:
                    self._charge(left // 8 + 1, node)        # the step budget ran out
                raise Unsupported(e.message, node) from None
            self._charge(1 + nodes // 8, node)     # a walked item costs ~1/8 of an eval step

    # ------------------------------------------------------------------ statements
    def run(self, body: List[ast.stmt], skip: Callable[[ast.stmt], bool] = lambda s: False):
        for stmt in body:
            if not skip(stmt):
                self.exec_stmt(stmt)

    def exec_stmt(self, s: ast.stmt) -> None:
        self._charge(1, s)
        self.depth += 1
        try:
            if self.depth > MAX_EXPR_DEPTH:
                raise Unsupported(f"statements nested deeper than {MAX_EXPR_DEPTH} levels", s)
            self._exec_stmt(s)
        except Unsupported:
            raise
        except Refused as e:
            raise Unsupported(e.message, s) from None
        except RecursionError:
            raise Unsupported("value or statement nested too deeply to evaluate", s) from None
        except _EVAL_ERRORS as e:
            raise Unsupported(f"`{_construct(s)}` failed: {type(e).__name__}: {e}", s) from None
        finally:
            self.depth -= 1

    def _exec_stmt(self, s: ast.stmt) -> None:
        if isinstance(s, ast.Assign):
            value = self.eval(s.value)
            for target in s.targets:
                self.assign(target, value, s.lineno)
        elif isinstance(s, ast.AnnAssign):
            if s.value is not None:
                self.assign(s.target, self.eval(s.value), s.lineno)
        elif isinstance(s, ast.AugAssign):
            op = _BINOPS.get(type(s.op))
            if op is None:
                raise Unsupported(f"operator {type(s.op).__name__}", s)
            current = self.eval(_as_load(s.target))
            self.assign(s.target, self._binop(op, current, self.eval(s.value), s, inplace=True),
                        s.lineno)
        elif isinstance(s, ast.Expr):
            if not (isinstance(s.value, ast.Constant) and isinstance(s.value.value, str)):
                self.eval(s.value)
                root = _root_name(s.value.func.value) if (
                    isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Attribute)) \
                    else None
                if root in self.ns:
                    self.lines[root] = s.lineno
        elif isinstance(s, ast.Pass):
            pass
        elif isinstance(s, ast.If):
            self.run(s.body if self.eval(s.test) else s.orelse)
        elif isinstance(s, ast.For):
            iterable = self.eval(s.iter)
            for item in self._iter(iterable, s):
                self.assign(s.target, item, s.lineno)
                self.run(s.body)
            else:
                self.run(s.orelse)
        elif isinstance(s, ast.Delete):
            for t in s.targets:
                self.delete(t)
        else:
            raise Unsupported(f"{_describe_stmt(s)} is not allowed in a config{EXEC_HINT}", s)

    def assign(self, target: ast.expr, value: Any, line: int) -> None:
        if isinstance(target, ast.Name):
            if self.scopes:
                self.scopes[-1][target.id] = value
                return
            self.ns[target.id] = value
            self.lines[target.id] = line
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = list(self._iter(value, target))
            stars = [i for i, e in enumerate(target.elts) if isinstance(e, ast.Starred)]
            if not stars and len(items) != len(target.elts):
                raise Unsupported(f"cannot unpack {len(items)} values into "
                                  f"{len(target.elts)} targets", target)
            if stars:
                i = stars[0]
                after = len(target.elts) - i - 1
                if len(items) < len(target.elts) - 1:
                    raise Unsupported("not enough values to unpack", target)
                parts = items[:i] + [items[i:len(items) - after]] + items[len(items) - after:]
                elts = [e.value if isinstance(e, ast.Starred) else e for e in target.elts]
                for e, v in zip(elts, parts):
                    self.assign(e, v, line)
            else:
                for e, v in zip(target.elts, items):
                    self.assign(e, v, line)
        elif isinstance(target, ast.Subscript):
            container = self.eval(target.value)
            key = self.eval(target.slice)
            self._guard_container(container, target)
            self._weigh(key, target)
            try:
                container[key] = value
            except (TypeError, IndexError, KeyError) as e:
                raise Unsupported(f"cannot assign item {key!r:.60}: {e}", target) from None
            self._touch(target, line)
        elif isinstance(target, ast.Attribute):
            container = self.eval(target.value)
            if type(container) is not dict or target.attr.startswith("__"):
                raise Unsupported(f"attribute assignment `{_construct(target)}` works only on "
                                  f"dicts", target)
            container[target.attr] = value
            self._touch(target, line)
        else:
            raise Unsupported(f"assignment to `{_construct(target)}`", target)

    def delete(self, target: ast.expr) -> None:
        if isinstance(target, ast.Name) and target.id in self.ns:
            del self.ns[target.id]
            self.lines.pop(target.id, None)
        elif isinstance(target, ast.Subscript):
            container = self.eval(target.value)
            self._guard_container(container, target)
            try:
                del container[self.eval(target.slice)]
            except (KeyError, IndexError, TypeError) as e:
                raise Unsupported(f"cannot delete `{_construct(target)}`: {e}", target) from None
        elif isinstance(target, ast.Attribute) and not target.attr.startswith("__"):
            container = self.eval(target.value)   # `del _base_.model` (MMEngine-style configs)
            if type(container) is not dict or target.attr not in container:
                raise Unsupported(f"cannot delete `{_construct(target)}`", target)
            del container[target.attr]
        else:
            raise Unsupported(f"cannot delete `{_construct(target)}`", target)

    def _touch(self, target: ast.expr, line: int) -> None:
        root = _root_name(target)
        if root in self.ns and not self.scopes:
            self.lines[root] = line

    @staticmethod
    def _guard_container(container: Any, node: ast.AST) -> None:
        if type(container) not in (dict, list):
            raise Unsupported(f"item assignment on a {type(container).__name__}", node)

    # ------------------------------------------------------------------ expressions
    def eval(self, n: ast.expr) -> Any:
        method = getattr(self, "_e_" + type(n).__name__, None)
        if method is None:
            raise Unsupported(f"{type(n).__name__} expression `{_construct(n)}` is outside the "
                              f"static config subset", n)
        self._charge(1, n)
        self.depth += 1
        try:
            if self.depth > MAX_EXPR_DEPTH:
                raise Unsupported(f"expression nested deeper than {MAX_EXPR_DEPTH} levels", n)
            result = method(n)
            check_result(result)
            return result
        except Unsupported:
            raise
        except Refused as e:
            raise Unsupported(e.message, n) from None
        except RecursionError:
            raise Unsupported("value or expression nested too deeply to evaluate", n) from None
        except _EVAL_ERRORS as e:
            raise Unsupported(f"`{_construct(n)}` failed: {type(e).__name__}: {e}", n) from None
        finally:
            self.depth -= 1

    def _e_Constant(self, n: ast.Constant) -> Any:
        v = n.value
        if isinstance(v, str) and "{{" in v:
            return BASE_REF_IN_STR.sub(lambda m: str(self._base_ref(m.group(1), n)), v)
        return v

    def _base_ref(self, text: str, node: ast.AST) -> Any:
        expr = ast.parse(text, mode="eval").body
        ast.copy_location(expr, node)
        for sub in ast.walk(expr):
            ast.copy_location(sub, node)
        return self.eval(expr)

    def _e_Name(self, n: ast.Name) -> Any:
        name = n.id
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        if name in self.ns:
            return self.ns[name]
        if name == "_base_":
            return self.base
        if name in self.fallback:
            return self.fallback[name]
        if name in SAFE_BUILTINS:
            return SAFE_BUILTINS[name]
        raise Unsupported(f"name '{name}' is not defined (neither in this file nor in its "
                          f"bases)", n)

    def _e_List(self, n):
        return self._elts(n.elts)

    def _e_Tuple(self, n):
        return tuple(self._elts(n.elts))

    def _e_Set(self, n: ast.Set):
        # `{{ _base_.x }}` parses as a set holding a set: MMCV's base-variable placeholder.
        if len(n.elts) == 1 and isinstance(n.elts[0], ast.Set) and len(n.elts[0].elts) == 1:
            inner = n.elts[0].elts[0]
            if _root_name(inner) == "_base_":
                return self.eval(inner)
            raise Unsupported(f"`{{{{ {_construct(inner)} }}}}`: only `{{{{ _base_.xxx }}}}` "
                              f"placeholders are supported", n)
        return set(self._elts(n.elts))

    def _elts(self, elts) -> list:
        out = []
        for e in elts:
            if isinstance(e, ast.Starred):
                out.extend(self._iter(self.eval(e.value), e))
            else:
                out.append(self.eval(e))
        return out

    def _e_Dict(self, n: ast.Dict):
        out = {}
        for k, v in zip(n.keys, n.values):
            if k is None:
                m = self.eval(v)
                if not isinstance(m, dict):
                    raise Unsupported(f"`**{_construct(v)}` is not a dict", v)
                out.update(m)
            else:
                key = self.eval(k)
                self._weigh(key, k)
                out[key] = self.eval(v)     # a later key or `**` wins, as in Python
        return out

    def _e_BinOp(self, n: ast.BinOp):
        op = _BINOPS.get(type(n.op))
        if op is None:
            raise Unsupported(f"operator {type(n.op).__name__}", n)
        return self._binop(op, self.eval(n.left), self.eval(n.right), n)

    def _binop(self, op, a, b, node, inplace=False):
        try:
            guard_binop(op.__name__, a, b)
        except Refused as e:
            raise Unsupported(e.message, node) from None
        if op is operator.mod:
            self._weigh(b, node)
        if inplace and type(a) is list and op is operator.add:
            a += list(self._iter(b, node)) if not isinstance(b, list) else b   # `x += y` extends
            check_result(a)
            return a
        if inplace and type(a) is dict and op is operator.or_:
            a |= b
            return a
        try:
            return op(a, b)
        except _EVAL_ERRORS as e:
            raise Unsupported(f"`{_construct(node)}` failed: {type(e).__name__}: {e}",
                              node) from None

    def _e_UnaryOp(self, n: ast.UnaryOp):
        try:
            return _UNARY[type(n.op)](self.eval(n.operand))
        except TypeError as e:
            raise Unsupported(f"`{_construct(n)}` failed: {e}", n) from None

    def _e_BoolOp(self, n: ast.BoolOp):
        is_and = isinstance(n.op, ast.And)
        value = None
        for e in n.values:
            value = self.eval(e)
            if bool(value) != is_and:
                return value
        return value

    def _e_Compare(self, n: ast.Compare):
        left = self.eval(n.left)
        self._weigh(left, n)
        for op, comp in zip(n.ops, n.comparators):
            right = self.eval(comp)
            self._weigh(right, n)
            try:
                ok = _CMP[type(op)](left, right)
            except TypeError as e:
                raise Unsupported(f"`{_construct(n)}` failed: {e}", n) from None
            if not ok:
                return False
            left = right
        return True

    def _e_IfExp(self, n: ast.IfExp):
        return self.eval(n.body) if self.eval(n.test) else self.eval(n.orelse)

    def _e_JoinedStr(self, n: ast.JoinedStr):
        parts = []
        for v in n.values:
            if isinstance(v, ast.Constant):
                parts.append(v.value)
            else:
                parts.append(self._e_FormattedValue(v))
        return "".join(parts)

    def _e_FormattedValue(self, n: ast.FormattedValue):
        # the field is an expression of the static subset (attribute access already refused)
        value = self.eval(n.value)
        self._weigh(value, n)
        if n.conversion == ord("r"):
            value = repr(value)
        elif n.conversion == ord("s"):
            value = str(value)
        elif n.conversion == ord("a"):
            value = ascii(value)
        spec = self._e_JoinedStr(n.format_spec) if n.format_spec is not None else ""
        try:
            check_spec(spec)
        except Refused as e:
            raise Unsupported(e.message, n) from None
        try:
            return format(value, spec)
        except (TypeError, ValueError) as e:
            raise Unsupported(f"f-string format failed: {e}", n) from None

    def _e_Subscript(self, n: ast.Subscript):
        container = self.eval(n.value)
        key = self.eval(n.slice)
        self._weigh(key, n)
        try:
            return container[key]
        except KeyError:
            raise Unsupported(f"key {key!r:.60} not found in `{_construct(n.value)}`",
                              n) from None
        except (IndexError, TypeError) as e:
            raise Unsupported(f"`{_construct(n)}` failed: {e}", n) from None

    def _e_Slice(self, n: ast.Slice):
        return slice(*(self.eval(x) if x is not None else None
                       for x in (n.lower, n.upper, n.step)))

    def _e_Attribute(self, n: ast.Attribute):
        obj = self.eval(n.value)
        attr = n.attr
        methods = SAFE_METHODS.get(type(obj), frozenset())
        if attr in methods:
            return getattr(obj, attr)
        if type(obj) is dict and not attr.startswith("__"):
            if attr in obj:
                return obj[attr]
            raise Unsupported(f"key '{attr}' not found in `{_construct(n.value)}`", n)
        raise Unsupported(f"attribute `{_construct(n)}` is outside the static config subset", n)

    def _e_Call(self, n: ast.Call):
        try:
            func = self.eval(n.func)
        except Unsupported as e:
            if not isinstance(n.func, ast.Name):
                raise
            func = e          # an unknown name: reported as an unsupported call below
        if not (id(func) in _SAFE_CALLABLE_IDS or _is_safe_method(func)):
            raise Unsupported(f"call to `{_construct(n.func)}()` is outside the static config "
                              f"subset{EXEC_HINT}", n)
        args = self._elts(n.args)
        kwargs: Dict[str, Any] = {}
        for kw in n.keywords:
            pairs = [(kw.arg, self.eval(kw.value))]
            if kw.arg is None:
                m = pairs[0][1]
                if not isinstance(m, dict):
                    raise Unsupported(f"`**{_construct(kw.value)}` is not a dict", kw.value)
                if not all(type(k) is str for k in m):
                    raise Unsupported(f"`**{_construct(kw.value)}`: keywords must be strings",
                                      kw.value)
                pairs = list(m.items())
            for k, v in pairs:      # Python: TypeError, "got multiple values for keyword"
                if k in kwargs:
                    raise Unsupported(f"`{_construct(n.func)}()` got multiple values for keyword "
                                      f"argument '{k}'", kw.value)
                kwargs[k] = v
        for v in list(args) + list(kwargs.values()):
            self._weigh(v, n)
        if func in (map, filter) and args and not (
                id(args[0]) in _SAFE_CALLABLE_IDS or _is_safe_method(args[0]) or args[0] is None):
            raise Unsupported(f"`{_construct(n.func)}` needs a safe builtin as its function", n)
        if func in (list, tuple, set, sorted, sum, min, max, frozenset, any, all) and args \
                and (len(args) == 1 or func is sum):
            args[0] = self._iter(args[0], n)
        # a str method handed to map()/sorted(key=...) must pass the same guards as a call
        args = [self._guarded(a, n) if _is_str_method(a) else a for a in args]
        kwargs = {k: self._guarded(v, n) if _is_str_method(v) else v for k, v in kwargs.items()}
        return self._invoke(func, args, kwargs, n)

    def _guarded(self, method: Any, node: ast.AST) -> Callable[..., Any]:
        return lambda *a, **k: self._invoke(method, list(a), k, node)

    def _invoke(self, func: Any, args: List[Any], kwargs: Dict[str, Any], n: ast.AST) -> Any:
        owner = getattr(func, "__self__", None)
        try:
            if owner is not None and not isinstance(owner, types.ModuleType):
                name = func.__name__
                if name in _COMPARING_METHODS:
                    self._weigh(owner, n)
                if type(owner) is str and name == "join" and args:
                    args[0] = list(self._iter(args[0], n))
                guard_method(owner, name, args, kwargs)
                if type(owner) is str and name == "format":
                    return safe_format(owner, args, kwargs, lambda v: self._weigh(v, n))
            if func is sum and len(args) == 2 and type(args[1]) in (list, tuple) and not kwargs:
                return seq_sum(args[0], args[1], lambda k: self._charge(k, n))
            result = func(*args, **kwargs)
            if func in (map, filter, zip, enumerate, reversed):   # materialised: deterministic
                result = OneShot(list(self._iter(result, n)), func.__name__ + "()")
        except Refused as e:
            raise Unsupported(e.message, n) from None
        except _EVAL_ERRORS as e:
            raise Unsupported(f"`{_construct(n)}` failed: {type(e).__name__}: {e}", n) from None
        check_result(result)
        return result

    # comprehensions ------------------------------------------------------------
    def _comp(self, n, generators, emit):
        self.scopes.append({})
        try:
            yield from self._clauses(generators, 0, emit)
        finally:
            self.scopes.pop()

    def _clauses(self, gens, i, emit) -> Iterator[Any]:
        if i == len(gens):
            yield emit()
            return
        g = gens[i]
        if g.is_async:
            raise Unsupported("async comprehension", g.iter)
        # the first iterable is evaluated in the enclosing scope, as in Python
        for item in self._iter(self.eval(g.iter), g.iter):
            self.assign(g.target, item, 0)
            if all(self.eval(c) for c in g.ifs):
                yield from self._clauses(gens, i + 1, emit)

    def _e_ListComp(self, n):
        return list(self._comp(n, n.generators, lambda: self.eval(n.elt)))

    def _e_SetComp(self, n):
        return set(self._comp(n, n.generators, lambda: self.eval(n.elt)))

    def _e_GeneratorExp(self, n):
        return OneShot(list(self._comp(n, n.generators, lambda: self.eval(n.elt))),
                       "a generator expression")

    def _e_DictComp(self, n):
        return dict(self._comp(n, n.generators, lambda: (self.eval(n.key), self.eval(n.value))))

    def _iter(self, iterable: Any, node: ast.AST) -> Iterator[Any]:
        """Iterate a value, one step per item (the step budget ends any long loop; what is
        materialised is bounded by `check_result`)."""
        try:
            it = iter(iterable)
        except TypeError as e:
            raise Unsupported(f"`{_construct(node)}`: {e}", node) from None
        for item in it:
            self._charge(1, node)
            yield item


_COMPARING_METHODS = frozenset("index count remove sort".split())


def _is_str_method(func: Any) -> bool:
    return type(getattr(func, "__self__", None)) is str and callable(func)


def _is_safe_method(func: Any) -> bool:
    owner = getattr(func, "__self__", None)
    name = getattr(func, "__name__", None)
    return owner is not None and name in SAFE_METHODS.get(type(owner), frozenset())


def _root_name(n: ast.AST) -> Optional[str]:
    while isinstance(n, (ast.Attribute, ast.Subscript)):
        n = n.value
    return n.id if isinstance(n, ast.Name) else None


def _as_load(target: ast.expr) -> ast.expr:
    """The same expression read instead of written (for `x += 1`, `d['k'] *= 2`)."""
    new = ast.parse(ast.unparse(target), mode="eval").body
    for sub in ast.walk(new):
        ast.copy_location(sub, target)
    return new


def _describe_stmt(s: ast.stmt) -> str:
    return _STMT_NAMES.get(type(s).__name__, f"`{_construct(s)}`")
