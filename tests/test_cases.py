"""Every hand-written fixture pair converts to exactly the hand-written expected config, reports
what its header declares, and the expected config loads in real MMEngine."""
import pytest

from casekit import all_cases, read_plain, run_rules

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_converts_to_expected(case):
    from migrator.errors import MigrateError
    from migrator.load import load_config

    old = load_config(case.old).cfg
    errors = [f for kind, f in case.expects if kind == "error"]
    if errors:
        with pytest.raises(MigrateError) as exc:
            run_rules(old, case.rules, str(case.old), case.codebase)
        assert exc.value.field == errors[0]
        return
    assert case.new is not None, f"{case.old} has no .new.py"
    new, report = run_rules(old, case.rules, str(case.old), case.codebase)
    assert new == read_plain(case.new)
    got = sorted((f.kind, f.field) for f in report.findings)
    assert got == sorted((k, f) for k, f in case.expects)


@pytest.mark.parametrize("case", [c for c in CASES if c.new], ids=[c.id for c in CASES if c.new])
def test_expected_loads_in_mmengine(case):
    mmengine_config = pytest.importorskip("mmengine.config")
    cfg = mmengine_config.Config.fromfile(str(case.new))
    assert cfg.to_dict() == _listify(read_plain(case.new))


def _listify(v):
    # mmengine's Config turns tuples into lists only inside ConfigDict on dump; compare structurally
    if isinstance(v, dict):
        return {k: _listify(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_listify(x) for x in v)
    return v
