"""The old->new field ownership table (migrator/rules/ownership.py) is the only one: check.py,
emit/tree.py and project.py use its derived constants, every rule takes its fields from it, and a
rule that writes a new field the table does not give it fails."""
import re

import pytest

from casekit import all_cases
from migrator.load import load_config
from migrator.rules import RULE_MODULES, Context, RunInfo, apply_rules, load_rules, ownership
from migrator.report import Report


def test_constants_are_the_tables():
    from migrator import check, project
    from migrator.emit import tree
    assert check.OLD_STYLE_KEYS is ownership.OLD_STYLE_KEYS
    assert tree.NEW_FROM_OLD is ownership.NEW_FROM_OLD
    assert project.OWNER_OLD is ownership.OWNER_OLD
    # spot checks written by hand
    assert ownership.NEW_FROM_OLD["log_config"] == ("default_hooks", "log_processor", "vis_backends",
                                                    "visualizer")
    assert set(ownership.OWNER_OLD["env_cfg"]) == {"dist_params"}
    assert "load_from" not in ownership.OLD_STYLE_KEYS and "gpu_ids" in ownership.OLD_STYLE_KEYS


def test_check_codes_are_in_the_table():
    """`--check` codes (`MM101 lr_config -> param_scheduler`) come from the one table."""
    from migrator import check
    assert check.RULE_CODES is ownership.RULE_CODES
    codes = ownership.RULE_CODES
    # every field --check reports has a code, and the model settings it decides by content
    assert ownership.OLD_STYLE_KEYS | {"train_cfg", "test_cfg"} == set(codes)
    assert len(set(codes.values())) == len(codes)                     # unique
    assert all(re.fullmatch(r"MM[1-8]\d\d", c) for c in codes.values())
    assert check.INHERITED_CODE not in codes.values()
    # the hundreds follow the rule (stable codes users filter on); spot checks by hand
    hundreds = {"schedule": "1", "optim": "2", "loops": "3", "data": "4", "hooks": "5", "model": "8"}
    for k, c in codes.items():
        rule = ownership.OWNERSHIP[k].rule
        assert c[2] == hundreds.get(rule, c[2]) and (rule != "env" or c[2] in "67"), (k, c)
    assert (codes["lr_config"], codes["data"], codes["resume_from"], codes["gpu_ids"]) == \
        ("MM101", "MM401", "MM701", "MM704")


def test_every_rule_is_in_the_table():
    assert {f.rule for f in ownership.OWNERSHIP.values()} == set(RULE_MODULES)
    from migrator.rules import env, loops
    assert env.ENV_KEYS == ["dist_params", "cudnn_benchmark", "mp_start_method", "opencv_num_threads"]
    assert loops.old_fields("loops") == ("runner", "total_epochs", "workflow", "evaluation")


CASES = [c for c in all_cases() if not any(k == "error" for k, _ in c.expects)]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rules_stay_within_the_table(case):
    """The checked rule runner accepts every fixture (it raises OwnershipError otherwise)."""
    cfg = load_config(case.old).cfg
    apply_rules(dict(cfg), Context(report=Report(str(case.old)), path=str(case.old)))


def _ctx(cfg):
    ctx = Context(report=Report("<t>"), path="<t>")
    ctx.run = RunInfo.from_old(cfg)
    return ctx


def test_a_rule_writing_an_unlisted_field_fails(monkeypatch):
    hooks = [r for r in load_rules() if r.NAME == "hooks"][0]
    real = hooks.apply
    cfg = {"log_config": {"interval": 5, "hooks": [{"type": "TextLoggerHook"}]}}

    def leaky(c, ctx):
        out = real(c, ctx)
        return {**out, "log_level": "INFO"}     # a new field the table does not give `hooks`
    monkeypatch.setattr(hooks, "apply", leaky)
    with pytest.raises(ownership.OwnershipError, match=r"rule 'hooks' wrote \['log_level'\]"):
        apply_rules(dict(cfg), _ctx(cfg))
    # the same output passes once the table lists it
    monkeypatch.setitem(ownership.RULE_EXTRA, "hooks", ("log_level",))
    apply_rules(dict(cfg), _ctx(cfg))


def test_a_rule_removing_a_foreign_old_field_fails(monkeypatch):
    optim = [r for r in load_rules() if r.NAME == "optim"][0]
    real = optim.apply
    cfg = {"optimizer": {"type": "SGD", "lr": 0.1}, "runner": {"type": "EpochBasedRunner", "max_epochs": 1}}

    def greedy(c, ctx):
        out = dict(real(c, ctx))
        out.pop("runner")                       # owned by `loops`
        return out
    monkeypatch.setattr(optim, "apply", greedy)
    with pytest.raises(ownership.OwnershipError, match=r"rule 'optim' removed \['runner'\]"):
        apply_rules(dict(cfg), _ctx(cfg))
