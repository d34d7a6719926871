"""Dataset type -> MMEngine metric table used by the loops rule.

MMCV/codebase 1.x behaviour: `evaluation=dict(metric=...)` kwargs were passed to the *dataset's*
`evaluate()` (CocoDataset.evaluate(metric='bbox', classwise=..., ...), mmseg CustomDataset.evaluate
(metric='mIoU'), mmcls BaseDataset.evaluate(metric='accuracy', metric_options=dict(topk=...))).
MMEngine/codebase 3.x behaviour: a separate evaluator metric, e.g. mmdet CocoMetric(ann_file,
metric), VOCMetric, mmpretrain Accuracy(topk), mmseg IoUMetric(iou_metrics).
Each entry: (codebase, metric type, {old kwarg -> new kwarg}, needs ann_file).
"""
from __future__ import annotations

COCO_ARGS = {"metric": "metric", "classwise": "classwise", "proposal_nums": "proposal_nums",
             "iou_thrs": "iou_thrs", "metric_items": "metric_items",
             "jsonfile_prefix": "outfile_prefix", "format_only": "format_only"}
VOC_ARGS = {"metric": "metric", "iou_thr": "iou_thrs", "proposal_nums": "proposal_nums",
            "scale_ranges": "scale_ranges"}

TABLE = {
    "CocoDataset": ("mmdet", "CocoMetric", COCO_ARGS, True),
    "LVISV05Dataset": ("mmdet", "LVISMetric", COCO_ARGS, True),
    "LVISV1Dataset": ("mmdet", "LVISMetric", COCO_ARGS, True),
    "LVISDataset": ("mmdet", "LVISMetric", COCO_ARGS, True),
    "Objects365V1Dataset": ("mmdet", "CocoMetric", COCO_ARGS, True),
    "Objects365V2Dataset": ("mmdet", "CocoMetric", COCO_ARGS, True),
    "CityscapesDataset": ("mmdet", "CocoMetric", COCO_ARGS, True),
    "DeepFashionDataset": ("mmdet", "CocoMetric", COCO_ARGS, True),
    "ObjectsDataset": ("mmdet", "CocoMetric", COCO_ARGS, True),
    "CocoPanopticDataset": ("mmdet", "CocoPanopticMetric",
                            {"jsonfile_prefix": "outfile_prefix", "classwise": "classwise",
                             "format_only": "format_only"}, True),
    "VOCDataset": ("mmdet", "VOCMetric", VOC_ARGS, False),
    "XMLDataset": ("mmdet", "VOCMetric", VOC_ARGS, False),
    "WIDERFaceDataset": ("mmdet", "VOCMetric", VOC_ARGS, False),
    "OpenImagesDataset": ("mmdet", "OpenImagesMetric",
                          {"iou_thr": "iou_thrs", "ioa_thr": "ioa_thrs",
                           "scale_ranges": "scale_ranges", "use_group_of": "use_group_of",
                           "get_supercategory": "get_supercategory"}, False),
    "OpenImagesChallengeDataset": ("mmdet", "OpenImagesMetric",
                                   {"iou_thr": "iou_thrs", "ioa_thr": "ioa_thrs"}, False),
    "ImageNet": ("mmcls", "Accuracy", {}, False),
    "CIFAR10": ("mmcls", "Accuracy", {}, False),
    "CIFAR100": ("mmcls", "Accuracy", {}, False),
    "ADE20KDataset": ("mmseg", "IoUMetric", {}, False),
    "CityscapesSegDataset": ("mmseg", "IoUMetric", {}, False),
    "PascalVOCDataset": ("mmseg", "IoUMetric", {}, False),
}

# `metric` values that are the only thing the new metric computes (dropped, not a TODO)
IMPLICIT_METRIC = {"CocoPanopticMetric": ("PQ", ["PQ"]), "OpenImagesMetric": ("mAP", ["mAP"])}

# the metric each codebase would most likely use for an unknown dataset (best guess for a TODO)
GUESS = {"mmdet": "CocoMetric", "mmcls": "Accuracy", "mmseg": "IoUMetric"}
