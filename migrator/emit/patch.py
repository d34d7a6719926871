"""Patch a kept statement in place instead of restating it: the smallest source edit.

When a user's statement (`model = dict(...)` in a child, a pipeline variable) must give another
value after conversion (a profile adds `model.data_preprocessor`, a pipeline step is renamed), a
maintainer edits the entries that change and leaves the rest as written: comments, variable
references (`num_stages=num_stages`), comprehensions and layout stay.

`patch_value(expr, own, base, want)` returns a new libcst expression for `expr` (which evaluates to
`own` and is merged onto `base`, MISSING when there is none) such that merging it onto `base`
gives `want`, or None when the change cannot be written as an edit of `expr`'s displays (`dict(..)`
calls with keywords only, `{'k': v}` displays with string keys, `[...]` lists), so the caller
restates the value. Dict entries are edited, added or removed (never a key the base has: that
takes `_delete_`); lists are aligned item by item (difflib), equal items keep their source.
The tree's self-check proves the result.
"""
from __future__ import annotations

import difflib
from typing import Any, List, Optional

import libcst as cst

from .merge import MISSING, merge_override as _merge, normalize as _norm, override as _override, same
from .texts import Texts
from .values import Names, format_value


def _col(ws: Any, fallback: int) -> int:
    """The column an item starts at after whitespace `ws` (known when it starts a line)."""
    if isinstance(ws, cst.ParenthesizedWhitespace):
        return len(ws.last_line.value)
    return fallback


class _Patcher:
    def __init__(self, names: Names, texts: Texts):
        self.names, self.texts = names, texts

    def text(self, v: Any, col: int, prefix: int) -> cst.BaseExpression:
        return self.texts.expression(format_value(v, indent=col // 4, prefix_len=prefix + col % 4,
                                       names=self.names))

    def value(self, expr: cst.BaseExpression, own: Any, base: Any, want: Any,
              col: int) -> Optional[cst.BaseExpression]:
        if same(_merge(base, own), want):
            return expr
        if isinstance(want, dict) and isinstance(own, dict) and not own.get("_delete_") \
                and (base is MISSING or base is None or isinstance(base, dict)):
            if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) \
                    and expr.func.value == "dict":
                return self._dict_call(expr, own, base if isinstance(base, dict) else {}, want, col)
            if isinstance(expr, cst.Dict):
                return self._dict_display(expr, own, base if isinstance(base, dict) else {},
                                          want, col)
        if isinstance(want, list) and isinstance(own, list) and isinstance(expr, cst.List):
            return self._list(expr, own, want, col)
        if isinstance(expr, cst.ListComp) and isinstance(own, list) and isinstance(want, list) \
                and own and len(own) == len(want) and (base is MISSING or base is None):
            return self._comprehension(expr, own, want, col)
        return None

    def _comprehension(self, comp: cst.ListComp, own: list, want: list,
                       col: int) -> Optional[cst.ListComp]:
        """`[dict(...) for _ in range(n)]`: the element is edited as its first item must be,
        kept only if the whole comprehension then gives `want` (evaluated over the variables
        known at this place)."""
        elt = self.value(comp.elt, own[0], MISSING, want[0], col + 4)
        if elt is None:
            return None
        cand = comp.with_changes(elt=elt)
        import ast

        from ..static_eval import Interpreter, Unsupported
        try:
            interp = Interpreter()
            interp.ns = dict(self.names.ns)
            got = interp.eval(ast.parse(self.texts.code_of(cand).strip(),
                                        mode="eval").body)
        except (Unsupported, SyntaxError, RecursionError):
            return None
        return cand if _norm(got) == _norm(want) else None

    # ---------------------------------------------------------------- dicts
    def _entries(self, items, own, base, want, col, key_of, set_value, make, ws_of,
                 with_items) -> Optional[List]:
        keys = [key_of(it) for it in items]
        if any(k is None for k in keys) or set(keys) != set(own) or len(keys) != len(set(keys)):
            return None                          # `**x`, computed keys, repeats: not editable
        merged = _merge(base, own)
        out: List = []
        for i, (it, k) in enumerate(zip(items, keys)):
            if k not in want:
                if k in base:
                    return None                  # only `_delete_` removes a base key
                continue
            sub_base = base.get(k, MISSING)
            at = _col(ws_of(i), col + 4)
            new = self.value(it.value, own[k], sub_base, want[k], at)
            if new is None:
                new = self.text(_override(sub_base, want[k]), at, len(str(k)) + 1)
            out.append(it if new is it.value else set_value(it, new))
        added = [k for k in want if k not in own and
                 (k not in merged or not same(merged[k], want[k]))]
        if not added:
            return with_items(out, (), items)
        at = _col(ws_of(len(items) - 1) if items else None, col + 4)
        news = [make(k, self.text(_override(base.get(k, MISSING), want[k]), at, len(k) + 1))
                for k in added]
        return with_items(out, news, items)

    def _dict_call(self, call: cst.Call, own, base, want, col) -> Optional[cst.Call]:
        args = list(call.args)
        if any(a.keyword is None for a in args):
            return None

        def ws_of(i):
            return call.whitespace_before_args if i <= 0 else args[i - 1].comma.whitespace_after \
                if isinstance(args[i - 1].comma, cst.Comma) else None

        def make(k, value):
            return cst.Arg(keyword=cst.Name(k), value=value,
                           equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))

        def with_items(kept, news, original):
            return call.with_changes(args=_joined(kept, list(news), call.whitespace_before_args,
                                                  col, original, self.texts))

        return self._entries(args, own, base, want, col, lambda a: a.keyword.value,
                             lambda a, v: a.with_changes(value=v), make, ws_of, with_items)

    def _dict_display(self, d: cst.Dict, own, base, want, col) -> Optional[cst.Dict]:
        elems = list(d.elements)

        def key_of(e):
            if isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString):
                try:
                    k = e.key.evaluated_value
                except Exception:          # noqa: BLE001
                    return None
                return k if isinstance(k, str) else None
            return None

        def ws_of(i):
            return d.lbrace.whitespace_after if i <= 0 else elems[i - 1].comma.whitespace_after \
                if isinstance(elems[i - 1].comma, cst.Comma) else None

        def make(k, value):
            return cst.DictElement(key=cst.SimpleString(repr(k)), value=value)

        def with_items(kept, news, original):
            return d.with_changes(elements=_joined(kept, list(news), d.lbrace.whitespace_after,
                                                   col, original, self.texts))

        return self._entries(elems, own, base, want, col, key_of,
                             lambda e, v: e.with_changes(value=v), make, ws_of, with_items)

    # ---------------------------------------------------------------- lists
    def _list(self, lst: cst.List, own: list, want: list, col: int) -> Optional[cst.List]:
        elems = list(lst.elements)
        if len(elems) != len(own) or any(isinstance(e, cst.StarredElement) for e in elems):
            return None
        a = [repr(_norm(x)) for x in own]
        b = [repr(_norm(x)) for x in want]
        out: List = []
        first = lst.lbracket.whitespace_after
        at = _col(first, col + 4)
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
            if op == "equal":
                out += elems[i1:i2]
                continue
            if op == "replace" and i2 - i1 == j2 - j1:
                for e, o, w in zip(elems[i1:i2], own[i1:i2], want[j1:j2]):
                    new = self.value(e.value, o, MISSING, w, at)
                    out.append(e.with_changes(value=new) if new is not None else
                               e.with_changes(value=self.text(w, at, 0)))
                continue
            for w in want[j1:j2]:
                out.append(cst.Element(value=self.text(w, at, 0)))
        if not out:
            return lst.with_changes(elements=[], lbracket=cst.LeftSquareBracket(),
                                    rbracket=cst.RightSquareBracket())
        return lst.with_changes(elements=_relink(out, elems, first))


def _separator(items: List, first_ws: Any) -> cst.Comma:
    """The comma style between items of this display (copied from its own items)."""
    for it in items[:-1]:
        if isinstance(it.comma, cst.Comma):
            ws = it.comma.whitespace_after
            if isinstance(ws, cst.ParenthesizedWhitespace):
                ws = ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
            return cst.Comma(whitespace_after=ws)
    if isinstance(first_ws, cst.ParenthesizedWhitespace):
        return cst.Comma(whitespace_after=first_ws.with_changes(
            first_line=cst.TrailingWhitespace(), empty_lines=[]))
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _multiline(node: cst.CSTNode, texts: Texts) -> bool:
    return "\n" in texts.code_of(node)


def _joined(kept: List, news: List, first_ws: Any, col: int, original: List,
            texts: Texts) -> List:
    """Items `kept` (with their own commas) followed by `news`, the last one closing as the
    display's last item did. A multi-line new item after items written on one line starts a
    line of its own."""
    if not original:
        original = news
    allitems = _relink(kept + news, original, first_ws)
    if not news:
        return allitems
    sep = _separator(original, first_ws)
    spread = isinstance(first_ws, cst.ParenthesizedWhitespace) or any(
        isinstance(k.comma, cst.Comma) and isinstance(k.comma.whitespace_after,
                                                      cst.ParenthesizedWhitespace) for k in kept)
    if isinstance(sep.whitespace_after, cst.SimpleWhitespace) and kept \
            and (spread or any(_multiline(n.value, texts) for n in news)):
        at = _col(first_ws, col + 4)
        broken = cst.Comma(whitespace_after=cst.ParenthesizedWhitespace(
            first_line=cst.TrailingWhitespace(), last_line=cst.SimpleWhitespace(" " * at)))
        for i in range(len(kept) - 1, len(allitems) - 1):
            allitems[i] = allitems[i].with_changes(comma=broken)
    return allitems


def _relink(items: List, original: List, first_ws: Any) -> List:
    """Give every item but the last a separator comma (its own when it had one between items)
    and the last one the closing style of the original last item."""
    if not items:
        return items
    sep = _separator(original, first_ws)
    last_comma = original[-1].comma if original else cst.MaybeSentinel.DEFAULT
    trailing = isinstance(last_comma, cst.Comma) and len(original) > 0
    out = []
    for i, it in enumerate(items):
        is_last = i == len(items) - 1
        own_comma = it.comma
        if is_last:
            comma = last_comma if trailing else cst.MaybeSentinel.DEFAULT
        elif isinstance(own_comma, cst.Comma) and own_comma is not last_comma:
            comma = own_comma
        else:
            comma = sep
        it = it.with_changes(comma=comma)
        if isinstance(it, cst.Arg):      # the space before `)` belongs to the last argument
            closing = original[-1].whitespace_after_arg if original else cst.SimpleWhitespace("")
            it = it.with_changes(whitespace_after_arg=closing if is_last else
                                 cst.SimpleWhitespace(""))
        out.append(it)
    return out


def patch_value(expr: cst.BaseExpression, own: Any, base: Any, want: Any, col: int,
                names: Names, texts: Texts) -> Optional[cst.BaseExpression]:
    """See the module docstring. `col`: the column `expr` starts at; new text is placed through
    `texts` (the emission's placeholders)."""
    try:
        return _Patcher(names, texts).value(expr, own, base, want, col)
    except (cst.ParserSyntaxError, TypeError, RecursionError):
        return None

