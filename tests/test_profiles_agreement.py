"""Agreement with the maintainers' own migrations (benchmarks/profile_agreement.py): every leaf
where our converted mmdet 2.28.2 / mmcls 0.25.0 / mmseg 0.30.0 config differs from their
mmdet 3.3.0 / mmpretrain 1.2.0 / mmseg 1.2.2 counterpart is classified by the one table
(benchmarks/agreement_classes.py), none is unclassified, and none is 'theirs right' (those were
fixed in the rules: they agree now). A rule change that makes a new disagreement fails here
until it is judged."""
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))


@pytest.mark.parametrize("cb", ["mmdet", "mmpretrain", "mmseg"])
def test_every_disagreement_is_classified_and_none_is_theirs_right(cb, capsys):
    import profile_agreement
    by_class, leaves = profile_agreement.run(cb, 0)
    out = capsys.readouterr().out
    assert leaves["agree"] > 10000, leaves
    assert by_class["unclassified"] == 0, out[out.find("== [unclassified]"):][:3000]
    assert by_class["theirs right"] == 0, by_class
    assert "stale" not in out, [ln for ln in out.splitlines() if "stale" in ln]


def test_classification_is_by_leaf_and_file():
    from agreement_classes import EQUIV, OURS
    from profile_agreement import classify
    # the same leaf, judged by the file it comes from
    assert classify("mmpretrain", "val.dataset.data_root", "resnet/resnet50_8xb16_cifar10.py")[0] \
        == EQUIV
    assert classify("mmpretrain", "val.dataset.data_root", "lenet/lenet5_mnist.py")[0] == OURS
    assert classify("mmseg", "model.backbone.depth", "ann/x.py")[0] == "unclassified"
