"""Helpers of runtime.config: the text passes run on a config file before it is executed, and
`DictAction` for `--cfg-options`.

Both MMCV 1.x and MMEngine 0.10 substitute `{{fileDirname}}`-style predefined variables and
`{{_base_.a.b}}` placeholders in the file text; MMEngine also expands `{{$ENV:default}}`.
`DictAction` parses `KEY=VALUE` pairs the way MMEngine's does (int/float/bool/None, comma lists,
nested `[...]`/`(...)`).
"""
from __future__ import annotations

import copy
import os
import os.path as osp
import re
import uuid
from argparse import Action, ArgumentParser, Namespace
from typing import Any, Optional, Sequence, Tuple, Union

BASE_KEY = "_base_"


def _substitute_predefined(text: str, filename: str) -> str:
    values = dict(fileDirname=osp.dirname(filename), fileBasename=osp.basename(filename),
                  fileBasenameNoExtension=osp.splitext(osp.basename(filename))[0],
                  fileExtname=osp.splitext(filename)[1])
    for key, value in values.items():
        text = re.sub(r"\{\{\s*" + key + r"\s*\}\}", value.replace("\\", "/"), text)
    return text


def _substitute_env(text: str, filename: str) -> Tuple[str, dict]:
    used = {}

    def repl(m):
        name, default = m.group(1), m.group(2)
        value = os.environ.get(name, default)
        if name in os.environ:
            used[name] = value
        if not value:
            raise KeyError(f"{filename}: environment variable `{name}` is not set and has no "
                           f"default")
        return value
    text = re.sub(r"\{\{['\"]?\s*\$(\w+)\s*:\s*(\S*?)\s*['\"]?\}\}", repl, text)
    return text, used


def _pre_substitute_base_vars(text: str) -> Tuple[str, dict]:
    """Replace `{{_base_.a.b}}` by unique placeholder strings; returns the text and a map."""
    mapping = {}

    def repl(m):
        token = f"_{m.group(1)}_{uuid.uuid4().hex[:6]}"
        mapping[token] = m.group(1)
        return repr(token)
    return re.sub(r"\{\{\s*" + BASE_KEY + r"\.([\w\.]+)\s*\}\}", repl, text), mapping


def _substitute_base_vars(cfg, mapping: dict, base: dict, filename: str):
    if isinstance(cfg, str) and cfg in mapping:
        value = base
        for part in mapping[cfg].split("."):
            try:
                value = value[part]
            except (KeyError, TypeError):
                raise KeyError(f"{filename}: `{{{{_base_.{mapping[cfg]}}}}}` does not exist in "
                               f"the base configs") from None
        return copy.deepcopy(value)
    if isinstance(cfg, dict):
        return type(cfg)({k: _substitute_base_vars(v, mapping, base, filename)
                          for k, v in dict.items(cfg)})
    if isinstance(cfg, (list, tuple)):
        return type(cfg)(_substitute_base_vars(v, mapping, base, filename) for v in cfg)
    return cfg


class DictAction(Action):
    """argparse action: `KEY=VALUE` pairs into a dict; values become int/float/bool/None,
    'a,b' / '[a,b]' lists and '(a,b)' tuples, nested brackets allowed."""

    @staticmethod
    def _parse_int_float_bool(val: str):
        for conv in (int, float):
            try:
                return conv(val)
            except ValueError:
                pass
        if val.lower() in ("true", "false"):
            return val.lower() == "true"
        return None if val == "None" else val

    @staticmethod
    def _parse_iterable(val: str):
        def next_comma(s: str) -> int:
            if s.count("(") != s.count(")") or s.count("[") != s.count("]"):
                raise ValueError(f"imbalanced brackets in {s!r}")
            depth = 0
            for i, ch in enumerate(s):
                if ch in "([":
                    depth += 1
                elif ch in ")]":
                    depth -= 1
                elif ch == "," and depth == 0:
                    return i
            return len(s)

        val = val.strip("'\"").replace(" ", "")
        is_tuple = False
        if val.startswith("(") and val.endswith(")"):
            is_tuple, val = True, val[1:-1]
        elif val.startswith("[") and val.endswith("]"):
            val = val[1:-1]
        elif "," not in val:
            return DictAction._parse_int_float_bool(val)
        values = []
        while val:
            i = next_comma(val)
            values.append(DictAction._parse_iterable(val[:i]))
            val = val[i + 1:]
        return tuple(values) if is_tuple else values

    def __call__(self, parser: ArgumentParser, namespace: Namespace,
                 values: Union[str, Sequence[Any], None], option_string: Optional[str] = None):
        options = copy.copy(getattr(namespace, self.dest, None) or {})
        if values is not None:
            for kv in ([values] if isinstance(values, str) else values):
                if "=" not in kv:
                    parser.error(f"{option_string or self.dest}: expected KEY=VALUE, got {kv!r}")
                key, val = kv.split("=", maxsplit=1)
                options[key] = self._parse_iterable(val)
        setattr(namespace, self.dest, options)
