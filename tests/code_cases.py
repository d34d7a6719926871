"""Shared helpers of the code-migration tests: the fixture pairs under fixtures/code/ and a
loader for migrated modules (each loaded once per session: they register in real registries)."""
from __future__ import annotations

import ast
import importlib.util
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import List, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "code"


class Case(NamedTuple):
    fixer: str
    name: str
    source: Path
    expected: Path

    def __str__(self) -> str:
        return f"{self.fixer}/{self.name}"


def cases() -> List[Case]:
    out = []
    for old in sorted(FIXTURES.glob("*/*_old.py")):
        out.append(Case(old.parent.name, old.name[: -len("_old.py")], old,
                        old.with_name(old.name.replace("_old.py", "_new.py"))))
    return out


_LOAD_DIR = None


@lru_cache(maxsize=None)
def load_expected(fixer: str, name: str):
    """Migrate fixtures/code/<fixer>/<name>_old.py now (the code under test, not the stored
    expected file, which test_code_cases pins it to) and import the result as a module, once:
    its classes register in real registries."""
    global _LOAD_DIR
    import tempfile
    from migrator.code import migrate_source
    if _LOAD_DIR is None:
        _LOAD_DIR = Path(tempfile.mkdtemp(prefix="mmmigrate-code-"))
    old = FIXTURES / fixer / f"{name}_old.py"
    res = migrate_source(old.read_text(), str(old))
    assert res.error is None, res.error
    path = _LOAD_DIR / f"{fixer}_{name}.py"
    path.write_text(res.new_text)
    mod_name = f"_mmmigrate_case_{fixer}_{name}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = mod
    spec.loader.exec_module(mod)
    return mod


# MMCV 1.x runner API that must not survive outside a TODO in a migrated file.
OLD_API = re.compile(
    r"mmcv\.(runner|parallel|utils)\b|\brunner\.(optimizer|outputs|log_buffer|data_loader|"
    r"inner_iter|mode|data_batch)\b|every_n_iters\(|OPTIMIZER_BUILDERS|EpochBasedRunner|"
    r"IterBasedRunner|DataContainer|auto_fp16|force_fp32|get_root_logger|get_logger\(|"
    r"MMDataParallel\b|def (before|after)_(train|val)_iter\(self, \w+\):")


def uncovered_old_api(text: str) -> List[str]:
    """Lines using OLD_API that no `# TODO(migrate)` comment covers (a TODO right above a
    statement covers the whole statement, a compound one included)."""
    lines = text.splitlines()
    todo_lines = {i + 1 for i, l in enumerate(lines) if l.strip().startswith("# TODO(migrate)")}
    covered = set()
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.stmt):
            continue
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        above = first - 1
        while above >= 1 and lines[above - 1].strip().startswith("#"):
            if above in todo_lines:
                covered.update(range(first, node.end_lineno + 1))
                break
            above -= 1
    code = _code_only(text).splitlines()
    return [f"{i + 1}: {lines[i]}" for i, l in enumerate(code)
            if OLD_API.search(l) and i + 1 not in covered]


def _code_only(text: str) -> str:
    """`text` with comments and string literals blanked (docstrings mention old APIs)."""
    import io
    import tokenize
    lines = text.splitlines(True)
    out = [list(l) for l in lines]
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type in (tokenize.COMMENT, tokenize.STRING):
            (r1, c1), (r2, c2) = tok.start, tok.end
            for r in range(r1, r2 + 1):
                row = out[r - 1]
                a = c1 if r == r1 else 0
                b = c2 if r == r2 else len(row)
                for c in range(a, min(b, len(row))):
                    if row[c] != "\n":
                        row[c] = " "
    return "".join("".join(r) for r in out)
