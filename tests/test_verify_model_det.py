"""The detector adapter's partial (RPN-only) losses (migrator/verify/model/det.py) on hand-made
stand-ins of the two versions' detectors: what the RPN's loss is given."""
import torch

from migrator.verify.model import det


class Head:
    def __init__(self):
        self.got = None

    def __call__(self, feats):
        return [feats], [feats]

    def loss(self, cls, bbox, gts, metas):                 # mmdet 2.x rpn_head.loss
        self.got = (cls[0].shape[0], len(gts), len(metas))
        return {"loss_rpn_cls": cls[0].sum()}

    def loss_by_feat(self, cls, bbox, gts, metas):         # mmdet 3.x
        return self.loss(cls, bbox, gts, metas)


def detector(name, branches):
    """A two-stage detector whose backbone output is `branches` times the batch."""
    def extract_feat(self, img):
        return img.repeat(branches, 1, 1, 1)
    parse = lambda self, losses: (sum(losses.values()), {})  # noqa: E731
    cls = type(name, (), {"extract_feat": extract_feat, "_parse_losses": parse,
                          "parse_losses": parse})
    model = cls()
    model.rpn_head, model.num_branch = Head(), branches
    return model


def samples(gt, batch, rpn=False):
    """det.new_samples without mmdet: one sample per image."""
    from types import SimpleNamespace
    return [SimpleNamespace(gt_instances=gt["boxes"][i], metainfo={}) for i in range(batch)]


def test_trident_partial_losses_get_the_gts_once_per_branch(monkeypatch):
    """TridentFasterRCNN (3 branches, branch-major batch) repeats gts and metas num_branch times
    in both versions' forward_train / loss; without that the RPN loss raised `Target size
    (12000) must be the same as input size (36000)` on both sides (tridentnet_r50_caffe_1x)."""
    monkeypatch.setattr(det, "new_samples", samples)
    img = torch.zeros(2, 3, 16, 16)
    gt = {"boxes": [torch.zeros(1, 4)] * 2, "labels": [torch.zeros(1, dtype=torch.long)] * 2,
          "masks": [], "with_masks": False, "pad": (16, 16)}
    for name, k in (("TridentFasterRCNN", 3), ("FasterRCNN", 1)):
        old, new = detector(name, k), detector(name, k)
        det.old_partial_losses(old, img, gt)
        det.new_partial_losses(new, img, gt)
        assert old.rpn_head.got == new.rpn_head.got == (2 * k, 2 * k, 2 * k), name


class Stage:
    """A StageCascadeRPNHead stand-in: doubles its input, records the offsets it was given."""

    def __init__(self, kind):
        self.adapt_cfg, self.anchor_strides, self.offsets = {"type": kind}, [4], "unset"

    def get_anchors(self, sizes, metas, device=None):
        return [[torch.zeros(1, 4)] for _ in metas], None

    def anchor_offset(self, anchors, strides, sizes):
        return ["offset"]

    def __call__(self, x, offsets):
        self.offsets = offsets
        return [f * 2 for f in x], [f + 1 for f in x], [f - 1 for f in x]

    def refine_bboxes(self, anchors, bbox, metas):
        return [[a + 1 for a in per_img] for per_img in anchors]


def test_cascade_rpn_runs_stage_by_stage():
    """mmdet CascadeRPNHead has no forward (crpn configs were ERROR `missing the required
    "forward" function` on both sides): each stage's outputs are compared, the second stage
    gets its anchor offsets; its partial losses are not asked for (deformable stages)."""
    head = type("CascadeRPNHead", (), {})()
    head.stages = [Stage("dilation"), Stage("offset")]
    model = type("FasterRCNN", (), {})()
    model.backbone = lambda img: [img]
    model.with_neck, model.rpn_head = False, head
    out = []
    det._eval(model, torch.ones(1, 1, 2, 2), out, [{}])
    assert [n for n, _ in out] == ["backbone.out[0]", "rpn_head.out.s0[0][0]",
                                   "rpn_head.out.s0[1][0]", "rpn_head.out.s1[0][0]",
                                   "rpn_head.out.s1[1][0]"]
    assert torch.equal(out[3][1], torch.full((1, 1, 2, 2), 3.0))   # stage 1 on stage 0's x
    assert head.stages[0].offsets is None and head.stages[1].offsets == ["offset"]
    assert det.old_partial_losses(model, None, None) is None
