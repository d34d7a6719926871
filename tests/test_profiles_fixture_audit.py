"""Every pipeline, dataset, metric and model rule of the codebase profiles has a hand-written
fixture pair: each entry of the profiles' mapping tables (a transform, dataset type, metric,
model type or argument table keyed by type) is named in some fixtures/cases/<codebase>/ file,
and that file is a case tests/test_cases.py converts and compares. A new table entry without a
fixture fails here, naming it."""
import importlib
import re

import pytest

from casekit import CASES, all_cases

# codebase -> the tables whose keys are rules (each keyed by an old or new type name)
TABLES = {
    "mmdet": ("TRANSFORMS", "METRICS", "SPLIT_METRICS", "RENAMED_DATASETS", "PREFIX_BY_TYPE",
              "RELATIVE_BY_TYPE", "REQUIRED_FILES", "WRAPPER_ARGS", "RENAMED_MODEL_TYPES",
              "RENAMED_MODEL_ARGS", "GONE_MODEL_ARGS", "ADDED_MODEL_ARGS", "MERGED_HEADS",
              "HUNGARIAN", "TEST_CFG_MOVED", "TEST_CFG_ADDED", "DETR_DETECTORS",
              "OLD_SEQUENCES", "SEMANTIC_RESCALE_HEADS", "HOOK_ARGS_GONE"),
    "mmpretrain": ("TRANSFORMS", "DATASETS", "AUGMENTS", "BACKBONE_VALUES", "VISUALIZERS",
                   "TEST_MODE_FROM_SPLIT", "MULTI_LABEL_DATASETS"),
    "mmseg": ("TRANSFORMS", "RENAMED_DATASETS", "REPLACED_DATASETS", "NEEDS_ANN_FILE",
              "VISUALIZERS", "PINNED_DEFAULTS"),
}
# entries no old config of that codebase can hold: the shared table's mmdet/mmseg formatting
# and TTA transforms, which mmcls 0.25 never registered (its pipelines/formatting.py has
# ToTensor, ImageToTensor, Transpose, ToPIL, ToNumpy, Collect, WrapFieldsToLists, ToHalf)
NOT_IN_OLD = {"mmpretrain": {"TRANSFORMS": {"MultiScaleFlipAug", "DefaultFormatBundle",
                                            "ToDataContainer"}}}


def _fixture_text(cb):
    cases = [c for c in all_cases() if c.old.parent.name == cb]
    return "\n".join(c.old.read_text() + (c.new.read_text() if c.new else "") for c in cases)


@pytest.mark.parametrize("cb", sorted(TABLES))
def test_every_table_entry_has_a_fixture(cb):
    T = importlib.import_module(f"migrator.profiles.{cb}.tables")
    text = _fixture_text(cb)
    missing = []
    for name in TABLES[cb]:
        skip = NOT_IN_OLD.get(cb, {}).get(name, set())
        for key in getattr(T, name):
            if key not in skip and not re.search(r"""['"]%s['"]""" % re.escape(key), text):
                missing.append(f"{name}[{key!r}]")
    assert not missing, f"{cb}: table entries without a fixture pair in fixtures/cases/{cb}/: " \
        + ", ".join(missing)


@pytest.mark.parametrize("cb", sorted(TABLES))
def test_every_profile_rule_module_has_its_own_fixture(cb):
    """Each rule module of the profile (NAME 'mmdet.pipelines', ...) is run alone or with the
    generic rules by some case (`# rules:` header), besides the cases that run everything."""
    prof = importlib.import_module(f"migrator.profiles.{cb}")
    names = {r.NAME for r in prof.RULES}
    cases = [c for c in all_cases() if c.old.parent.name == cb and c.new is not None]
    listed = {r for c in cases if c.rules for r in c.rules}
    assert names - listed == set(), f"{cb}: rule modules no fixture runs by name"
    assert any(c.rules is None for c in cases), f"{cb}: no fixture runs the whole conversion"


def test_the_seed_example_is_a_fixture_pair():
    """The MMEngine migration guide's coco_detection.py (old and new side by side)."""
    old = CASES / "mmdet" / "coco_detection.old.py"
    new = CASES / "mmdet" / "coco_detection.new.py"
    assert old.exists() and new.exists()
    text = new.read_text()
    for field in ("PackDetInputs", "data_prefix", "filter_cfg", "CocoMetric"):
        assert field in text


def test_the_audit_sees_a_missing_fixture(monkeypatch):
    """The audit itself can fail: a table entry no fixture names is reported."""
    T = importlib.import_module("migrator.profiles.mmseg.tables")
    monkeypatch.setitem(T.RENAMED_DATASETS, "NoSuchOldDataset", "BaseSegDataset")
    with pytest.raises(AssertionError, match="NoSuchOldDataset"):
        test_every_table_entry_has_a_fixture("mmseg")
