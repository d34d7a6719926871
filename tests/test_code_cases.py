"""Every code fixer against its hand-checked fixture pairs (fixtures/code/<fixer>/<case>_old.py ->
<case>_new.py): exact output, idempotency, a TODO comment for every unmigrated use (and a finding
for every TODO), no MMCV 1.x runner API left outside a TODO, and the output compiles."""
import re
from pathlib import Path

import pytest

from code_cases import FIXTURES, cases, uncovered_old_api
from migrator.code import migrate_source

CASES = cases()
FIXER_MODULES = sorted(p.stem for p in (Path(__file__).resolve().parent.parent / "migrator" /
                                        "code" / "fixers").glob("*.py")
                       if not p.stem.startswith("_") and p.stem != "residual")


def test_every_fixer_has_cases():
    have = {c.fixer for c in CASES}
    assert set(FIXER_MODULES) <= have, f"fixers without fixture pairs: {set(FIXER_MODULES) - have}"
    assert all(c.expected.exists() for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_case_output(case):
    res = migrate_source(case.source.read_text(), str(case.source))
    assert res.error is None
    assert res.new_text == case.expected.read_text()
    assert res.changed


@pytest.mark.parametrize("case", CASES, ids=str)
def test_case_idempotent(case):
    text = case.expected.read_text()
    res = migrate_source(text, str(case.expected))
    assert res.error is None and res.new_text == text


@pytest.mark.parametrize("case", CASES, ids=str)
def test_case_todos_are_findings(case):
    old = case.source.read_text()
    res = migrate_source(old, str(case.source))
    comments = [l.strip()[len("# TODO(migrate): "):] for l in res.new_text.splitlines()
                if l.strip().startswith("# TODO(migrate): ")]
    comments = [c for c in comments if f"# TODO(migrate): {c}" not in old]
    findings = [f"{f.message} [{f.code}]" for f in res.findings if f.todo]
    assert sorted(set(comments)) == sorted(set(findings))
    for c in comments:
        assert re.search(r"\[MC\d{3}\]$", c)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_case_no_old_api_outside_todo(case):
    text = case.expected.read_text()
    compile(text, str(case.expected), "exec")
    assert uncovered_old_api(text) == []
    # and the input did use it: the check can fail
    assert uncovered_old_api(case.source.read_text())
