"""Misc rules (model, optim, loops, data, hooks, env): fixture pairs under fixtures/cases/<concern>
run through the rule list on the plain old config, plus behaviour checks the fixtures cannot show
(EMA arithmetic, evaluation schedules, purity)."""
import copy
import importlib
import math

import pytest

from casekit import CASES, all_cases, read_plain, run_rules

MINE = {"model", "optim", "loops", "data", "hooks", "env"}
MY_CASES = [c for c in all_cases() if c.old.parent.name in MINE]


def _rules(case):
    names = case.rules or ["model", "schedule", "optim", "loops", "data", "hooks", "env"]
    try:
        importlib.import_module("migrator.rules.schedule")
    except ImportError:  # helper B's rule lands in parallel; my fixtures have no lr_config
        names = [n for n in names if n != "schedule"]
    return names


@pytest.mark.parametrize("case", MY_CASES, ids=[c.id for c in MY_CASES])
def test_fixture_pair(case):
    from migrator.errors import MigrateError

    old = read_plain(case.old)
    errors = [f for kind, f in case.expects if kind == "error"]
    if errors:
        with pytest.raises(MigrateError) as exc:
            run_rules(old, _rules(case), str(case.old))
        assert exc.value.field == errors[0]
        return
    assert case.new is not None
    snapshot = copy.deepcopy(old)
    new, report = run_rules(old, _rules(case), str(case.old))
    assert old == snapshot, "rules must not mutate their input"
    assert new == read_plain(case.new)
    got = sorted((f.kind, f.field) for f in report.findings)
    assert got == sorted((k, f) for k, f in case.expects)


def test_fixture_dirs_cover_every_rule():
    assert {c.old.parent.name for c in MY_CASES} == MINE
    assert CASES.is_dir()
