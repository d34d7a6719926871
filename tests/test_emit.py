"""Emission: readable deterministic values, flat files that load back equal, findings as comments."""
import pytest

from migrator.emit.flat import emit_flat, ordered_keys
from migrator.emit.tree import merge_override, override
from migrator.emit.values import Names, format_value
from migrator.report import Report


def test_short_dict_on_one_line_long_dict_one_key_per_line():
    assert format_value(dict(type='SGD', lr=0.02)) == "dict(type='SGD', lr=0.02)"
    long = dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001, nesterov=True, dampening=0.0)
    text = format_value(long)
    assert text.splitlines()[0] == "dict("
    assert "    weight_decay=0.0001," in text.splitlines()
    assert eval(text) == long


@pytest.mark.parametrize("value", [
    {'backbone.layer1': dict(lr_mult=0.1)}, (1,), (), [], {}, [1.5e-05, float('inf')], {1: 'a'},
    dict(a=[dict(b=(1, 2), c=None, d=True)], e='x' * 100), "it's", 1e-7,
])
def test_values_round_trip(value):
    assert eval(format_value(value)) == value


def test_names_replace_equal_values_and_directory_prefixes():
    names = Names([('data_root', 'data/coco/'), ('train_pipeline', [dict(type='Load')]), ('n', 3)])
    text = format_value(dict(ann_file='data/coco/a.json', pipeline=[dict(type='Load')], k=3,
                             root='data/coco/'), names=names)
    assert [ln.strip() for ln in text.splitlines()] == [
        "dict(", "ann_file=data_root + 'a.json',", "pipeline=train_pipeline,", "k=3,",
        "root=data_root,", ")"]
    assert eval(text, dict(data_root='data/coco/', train_pipeline=[dict(type='Load')])) == dict(
        ann_file='data/coco/a.json', pipeline=[dict(type='Load')], k=3, root='data/coco/')


def test_flat_orders_fields_like_mmengine_docs_and_keeps_unknown_order():
    cfg = dict(log_level='INFO', param_scheduler=[], zeta=1, model=dict(), alpha=2,
               train_dataloader=dict(), optim_wrapper=dict())
    assert ordered_keys(cfg) == ['model', 'zeta', 'alpha', 'train_dataloader', 'optim_wrapper',
                                 'param_scheduler', 'log_level']


def test_flat_writes_findings_as_comments_with_original_value(tmp_path):
    report = Report("x.py")
    report.todo("log_config.hooks[1]", "PaviLoggerHook has no MMEngine equivalent",
                original=dict(type='PaviLoggerHook'), anchor='default_hooks')
    report.warn("lr_config.min_lr", "approximated", original=1e-5, anchor='nowhere')
    text = emit_flat(dict(default_hooks=dict(logger=dict(type='LoggerHook'))), report, "# header")
    lines = text.splitlines()
    i = lines.index("# TODO(migrate): log_config.hooks[1]: PaviLoggerHook has no MMEngine equivalent")
    assert lines[i + 1] == "#   original: dict(type='PaviLoggerHook')"
    assert lines[i + 2].startswith("default_hooks = ")
    assert "# migrate: lr_config.min_lr: approximated" in lines[-2:] or \
        "# migrate: lr_config.min_lr: approximated" in lines
    ns = {}
    exec(text, ns)
    assert ns['default_hooks'] == dict(logger=dict(type='LoggerHook'))


def test_override_is_minimal_and_merges_back():
    base = dict(a=1, b=dict(c=2, d=[1, 2]), e=dict(f=1))
    new = dict(a=1, b=dict(c=3, d=[1, 2]), e=dict(g=2))
    ov = override(base, new)
    assert ov == dict(b=dict(c=3), e=dict(_delete_=True, g=2))
    assert {k: merge_override(base.get(k), v) for k, v in ov.items()} == dict(b=new['b'], e=new['e'])


def test_override_of_non_dict_base_needs_delete():
    assert override([1, 2], dict(a=1)) == dict(_delete_=True, a=1)
    assert override(None, dict(a=1)) == dict(a=1)
