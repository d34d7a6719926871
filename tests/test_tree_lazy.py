"""emit/lazy.py: a file's libcst module parsed from a skeleton (one placeholder per top-level
statement) is the module libcst gives the whole file, and tree emission through it writes what
emission through a whole-file parse writes, byte for byte.

The texts below are written by hand to hit what the skeleton must carry: comments in every
position, `;`, blank and whitespace-only lines, non-ASCII text (ast columns count UTF-8 bytes),
backslash continuations, strings spanning lines, no trailing newline; and what it must refuse
(compound statements, two statements on one line, a statement not at column 0)."""
import ast

import libcst as cst
import pytest

import migrator.emit.tree as tree
from migrator.cli import main as migrate
from migrator.emit.lazy import assigned_names, lazy_module
from migrator.emit.texts import Texts

READ_LAZILY = [
    "# header\n\n# lead\nx = 1;  # c\ny = dict(a=1,  # in\n    b='é')  # t\n\n\n# foot",
    "x = 1 \\\n  + 2\nz = 3\n",
    '"""doc"""\nimport os\nfrom a import (b,\n  c)\nx: int = 3\nx += 1\n   \n\t\n# end\n',
    "x = ('ü',\n 'ä')  # ö\n\ny = [\n]\n",
    "x = 1\n\n\n",
    "x = {{_base_.a}}\n# tail",
    "x = f'{a}/b'\ny = '''a\nb'''  # z\n",
    "model = dict(type='ü' * 2, b=dict(c='日本'))  # ß\nz = 1\n",
    "x = 'üü'#c\ny = 1\n",
]
REFUSED = [
    "a = 1; b = 2\nc = 3\n",
    "if x:\n    a = 1\n    # c\nb = 2\n",
    "@d\ndef f():\n    pass\nx = 1\n",
    "\x0cx = 1\ny = 2\n",
    "x = 1 # c \\\ny = 2\n",
    "",
    "x = 1\r\ny = 2\r\n",
]


def _libcst_names(module):
    """What each small statement assigns alone, read from the libcst nodes (the reference)."""
    out = []
    for stmt in module.body:
        for small in getattr(stmt, "body", ()) if isinstance(stmt, cst.SimpleStatementLine) \
                else [None]:
            alone = isinstance(small, cst.Assign) and len(small.targets) == 1 \
                and isinstance(small.targets[0].target, cst.Name)
            out.append(small.targets[0].target.value if alone else None)
    return out


def _same_lines(a, b):
    return len(a) == len(b) and all(x.deep_equals(y) for x, y in zip(a, b))


@pytest.mark.parametrize("text", READ_LAZILY)
def test_the_skeleton_is_the_module_libcst_gives_the_file(text):
    full = cst.parse_module(text)
    texts = Texts()
    lazy = lazy_module(text, ast.parse(text), texts)
    assert lazy is not None
    m = lazy.module
    assert texts.code_of(m) == full.code
    for attr in ("default_newline", "default_indent", "has_trailing_newline", "encoding"):
        assert getattr(m, attr) == getattr(full, attr), attr
    assert _same_lines(m.header, full.header) and _same_lines(m.footer, full.footer)
    assert len(m.body) == len(full.body)
    for i, stmt in enumerate(full.body):
        assert _same_lines(m.body[i].leading_lines, stmt.leading_lines), i
        assert m.body[i].trailing_whitespace.deep_equals(stmt.trailing_whitespace), i
        assert lazy.real(i).deep_equals(stmt), i


@pytest.mark.parametrize("text", REFUSED)
def test_files_that_are_not_plain_statement_sequences_are_parsed_whole(text):
    assert lazy_module(text, ast.parse(text.replace("\r", "")), Texts()) is None


@pytest.mark.parametrize("text", READ_LAZILY + REFUSED[:-1] + ["a = 1; \\\nb = 2; c = b\n"])
def test_assigned_names_are_the_names_libcst_small_statements_assign(text):
    assert assigned_names(ast.parse(text)) == _libcst_names(cst.parse_module(text))


BASE = """# the runtime, as a maintainer wrote it
checkpoint_config = dict(interval=1)  # save every epoch
log_config = dict(interval=50, hooks=[dict(type='TextLoggerHook')])
dist_params = dict(backend='nccl')
log_level = 'INFO'; load_from = None
"""
MODEL = """# é: a model base
norm_cfg = dict(type='BN', requires_grad=True)  # ü
model = dict(
    type='FasterRCNN',  # the detector
    backbone=dict(type='ResNet', depth=50, norm_cfg=norm_cfg),
    train_cfg=dict(rpn=dict(debug=False)),
    test_cfg=dict(rcnn=dict(score_thr=0.05)))
optimizer = dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001)
optimizer_config = dict(grad_clip=None)
lr_config = dict(policy='step', step=[8, 11])
runner = dict(type='EpochBasedRunner', max_epochs=12)
"""
CHILD = """_base_ = ['../_base_/model.py', '../_base_/runtime.py']
model = dict(backbone=dict(depth=101))  # deeper
train_pipeline = [
    dict(type='LoadImageFromFile'),  # ß
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='DefaultFormatBundle'),
    dict(type='Collect', keys=['img', 'gt_bboxes', 'gt_labels']),
]
data = dict(samples_per_gpu=2, train=dict(type='CocoDataset', ann_file='a.json',
                                          img_prefix='i/', pipeline=train_pipeline))
optimizer = dict(lr=0.01)
\t
# trailing note"""
PIPELINE = CHILD[CHILD.index("train_pipeline"):CHILD.index("data =")]


def _tree(tmp_path):
    src = tmp_path / "configs"
    (src / "_base_").mkdir(parents=True)
    (src / "_base_" / "runtime.py").write_text(BASE)
    (src / "_base_" / "model.py").write_text(MODEL)
    (src / "x").mkdir()
    (src / "x" / "child.py").write_text(CHILD)
    return src


def test_emission_through_the_skeleton_writes_what_a_whole_parse_writes(tmp_path, monkeypatch):
    src = _tree(tmp_path)
    lazy, whole = tmp_path / "lazy", tmp_path / "whole"
    parsed = []
    real = cst.parse_module
    monkeypatch.setattr(cst, "parse_module", lambda text, *a, **k: parsed.append(text) or
                        real(text, *a, **k))
    assert migrate([str(src), "-o", str(lazy), "-q", "-j", "1"]) == 0
    # the model base and the child as skeletons, the child's edited pipeline alone; the runtime
    # base (two statements on one line) whole
    assert MODEL not in parsed and CHILD not in parsed and BASE in parsed
    assert PIPELINE in parsed
    monkeypatch.setattr(tree, "lazy_module", lambda *a, **k: None)
    assert migrate([str(src), "-o", str(whole), "-q", "-j", "1"]) == 0
    for rel in ("x/child.py", "_base_/model.py", "_base_/runtime.py"):
        assert (lazy / rel).read_text() == (whole / rel).read_text(), rel
    assert "PackDetInputs" in (lazy / "x/child.py").read_text()     # the pipeline was edited
