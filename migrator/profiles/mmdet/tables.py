"""mmdet 2.28.2 -> mmdet 3.3.0 tables (data only).

Sources: mmdet 2.28.2 `mmdet/datasets/{custom,coco,xml_style,pipelines/*}.py`,
`mmdet/core/evaluation`, `mmdet/models/detectors/*`; mmdet 3.3.0 `mmdet/datasets/*`,
`mmdet/datasets/transforms/*`, `mmdet/evaluation/metrics/*`, `mmdet/models/*`.
"""
from ..common.transforms import META_KEYS, PREPROCESSOR_ARGS_DEFAULT, TRANSFORMS as COMMON

SCOPE = "mmdet"
VISUALIZER = "DetLocalVisualizer"

# ---------------------------------------------------------------------------------- transforms
# mmdet 2.x transform -> 3.x (entry keys: see common/transforms.py). Transforms absent here keep
# their arguments in 3.3.0 (PhotoMetricDistortion, Expand, MinIoURandomCrop, RandomCrop, CutOut,
# YOLOXHSVRandomAug, FilterAnnotations, RandomCenterCropPad, SegRescale, CopyPaste, Albu, ...).
BACKEND = {"to": "backend_args", "value": "backend_args"}
_FILTER_GONE = {"todo": "mmdet 3.x filters boxes in FilterAnnotations, not in this transform"}
TRANSFORMS = {
    **COMMON,
    # Resize(override=True) let a second Resize replace the scale an earlier one set; mmcv 2.x
    # Resize always computes its own scale: the same thing
    "Resize": {**COMMON["Resize"], "args": {**COMMON["Resize"]["args"], "override": None}},
    # 2.x LoadAnnotations(with_bbox, with_label, with_mask, with_seg, poly2mask, denorm_bbox,
    # file_client_args) -> 3.x (..., box_type='hbox', backend_args)
    # denorm_bbox (OpenImages' relative boxes): 3.x OpenImagesDataset denormalises them itself
    # normed_bbox: no such argument in 2.28.2 either (the openimages ssd300 config did not build
    # in 2.x: TypeError); kept under TODO, not guessed as denorm_bbox
    "LoadAnnotations": {"args": {"file_client_args": BACKEND, "denorm_bbox": None,
                                 "normed_bbox": {"todo": "no such argument in mmdet 2.28.2 or "
                                                 "3.3.0 (the old config did not build); 3.x "
                                                 "OpenImagesDataset denormalises boxes itself"}}},
    "LoadPanopticAnnotations": {"args": {"file_client_args": BACKEND}},
    "LoadProposals": {},
    "LoadMultiChannelImageFromFiles": {"args": {"file_client_args": BACKEND}},
    "LoadImageFromWebcam": {"new": "LoadImageFromNDArray"},
    # 2.x Mosaic(img_scale, center_ratio_range, min_bbox_size, bbox_clip_border, skip_filter,
    # pad_val, prob) -> 3.x Mosaic(img_scale, center_ratio_range, bbox_clip_border, pad_val, prob)
    "Mosaic": {"args": {"min_bbox_size": _FILTER_GONE, "skip_filter": None}},
    "RandomAffine": {"args": {"min_bbox_size": _FILTER_GONE, "min_area_ratio": _FILTER_GONE,
                              "max_aspect_ratio": _FILTER_GONE, "skip_filter": None}},
    "MixUp": {"args": {"max_iters": "max_refetch", "min_bbox_size": _FILTER_GONE,
                       "min_area_ratio": _FILTER_GONE, "max_aspect_ratio": _FILTER_GONE,
                       "skip_filter": None}},
    "RandomShift": {"args": {"shift_ratio": "prob"}},
    # 3.x Albu keeps no pad_shape (padding is the data preprocessor's); its box labels are
    # gt_bboxes_labels, and gt_ignore_flags must be filtered with the boxes (3.x albu_example)
    "Albu": {"kind": "albu", "args": {"update_pad_shape": None}},
    # policies of transforms this table converts (the DETR-style Resize/RandomCrop policies) are
    # converted one by one; 2.x geometric/colour policies were renamed and re-parametrised
    "AutoAugment": {"kind": "policies"},
}

# Albu bbox_params.label_fields: 2.x result keys -> 3.x, and the fields 3.x adds
ALBU_LABEL_FIELDS = {"gt_labels": "gt_bboxes_labels"}
ALBU_EXTRA_LABEL_FIELDS = ("gt_ignore_flags",)

# 2.x AutoAugment policy transforms with another name and other arguments in mmdet 3.x
RENAMED_POLICY_TRANSFORMS = {"Shear": "ShearX/ShearY", "Rotate": "Rotate(min_mag, max_mag)",
                             "Translate": "TranslateX/TranslateY", "ColorTransform": "Color",
                             "EqualizeTransform": "Equalize", "BrightnessTransform": "Brightness",
                             "ContrastTransform": "Contrast"}

# 2.x SegRescale(scale_factor) shrank gt_semantic_seg in the pipeline; 3.x semantic heads shrink
# it themselves in loss(): head type -> (its argument taking the factor, or None: the factor
# is fixed to 1 / 2 ** (start_level + 2), PanopticFPNHead) -- SegRescale kept would shrink twice
SEMANTIC_RESCALE_HEADS = {"FusedSemanticHead": "seg_scale_factor",
                          "SCNetSemanticHead": "seg_scale_factor", "PanopticFPNHead": None}
SEG_RESCALE = "SegRescale"

PACK = "PackDetInputs"
# 3.3.0 PackDetInputs default; 2.28.2 Collect default (pipelines/formatting.py)
PACK_META_KEYS = ("img_id", "img_path", "ori_shape", "img_shape", "scale_factor", "flip",
                  "flip_direction")
COLLECT_META_KEYS = ("filename", "ori_filename", "ori_shape", "img_shape", "pad_shape",
                     "scale_factor", "flip", "flip_direction", "img_norm_cfg")
FLIP_META_KEYS = ("flip", "flip_direction")     # produced only by RandomFlip
META = dict(META_KEYS)

PREPROCESSOR = "DetDataPreprocessor"
# 3.3.0 DetDataPreprocessor(mean, std, pad_size_divisor, pad_value, pad_mask, mask_pad_value,
# pad_seg, seg_pad_value, bgr_to_rgb, ...): fixed-size and square padding stay transforms.
PREPROCESSOR_ARGS = {**PREPROCESSOR_ARGS_DEFAULT, "pad_val": "pad_value",
                     "seg_pad_val": "seg_pad_value", "mask_pad_val": "mask_pad_value",
                     "pad_mask": "pad_mask", "pad_seg": "pad_seg"}
TTA_MODEL = {"type": "DetTTAModel",
             "tta_cfg": {"nms": {"type": "nms", "iou_threshold": 0.5}, "max_per_img": 100}}
# the ground truth test pipelines load in 3.x (after Resize, so boxes keep the original scale):
# the training pipeline's loader with its with_* flags (coco_instance: with_mask=True), else
TEST_ANNOTATIONS = {"type": "LoadAnnotations", "with_bbox": True}
ANNOTATION_LOADERS = ("LoadAnnotations", "LoadPanopticAnnotations")
# 2.x geometric transforms moved every box field (bbox_fields: gt_bboxes and, after
# LoadProposals, `proposals`); 3.x ones move gt_bboxes only, so after LoadProposals they run
# inside ProposalBroadcaster, which applies them to the proposals too (3.x fast_rcnn configs)
PROPOSAL_BROADCASTER = "ProposalBroadcaster"
PROPOSAL_TRANSFORMS = ("Resize", "RandomResize", "RandomChoiceResize", "RandomFlip",
                       "RandomCrop", "Pad", "RandomShift", "MinIoURandomCrop", "Expand")
# (not with_seg: a val dataset without a seg prefix gives no seg_map_path to load)
TEST_LOADER_FLAGS = ("with_bbox", "with_mask")

# ---------------------------------------------------------------------------------- datasets
# 2.x CustomDataset(ann_file, pipeline, classes, data_root, img_prefix, seg_prefix, seg_suffix,
# proposal_file, test_mode, filter_empty_gt, file_client_args) -> 3.x BaseDetDataset(ann_file,
# metainfo, data_root, data_prefix, filter_cfg, test_mode, proposal_file, backend_args, ...).
PREFIX = {"img_prefix": "img", "seg_prefix": "seg"}
# XMLDataset (VOC, WIDERFace) reads <data_prefix.sub_data_root>/JPEGImages and /Annotations
PREFIX_BY_TYPE = {"VOCDataset": {"img_prefix": "sub_data_root"},
                  "XMLDataset": {"img_prefix": "sub_data_root"},
                  # 3.3 WIDERFaceDataset.parse_data_info reads data_prefix['img'] (XML and
                  # images below it), not sub_data_root (KeyError 'img' otherwise: found by
                  # data verification, ssd300_wider_face)
                  "WIDERFaceDataset": {"img_prefix": "img"}}
# paths that are joined to data_root in 3.x (BaseDataset._join_prefix and BaseDetDataset)
RELATIVE = ("ann_file", "proposal_file")
# ... and per dataset type (3.x OpenImagesDataset._join_prefix; 2.x opened label_file and
# hierarchy_file as given and joined only meta_file to the dataset's own data_root)
_OI_FILES = ("label_file", "hierarchy_file", "meta_file", "image_level_ann_file")
RELATIVE_BY_TYPE = {"OpenImagesDataset": _OI_FILES, "OpenImagesChallengeDataset": _OI_FILES}
# files 3.x datasets require that 2.x training did not read: type -> (argument, file name
# written beside ann_file, why). 2.x OpenImages read image sizes from meta_file only to
# evaluate; 3.x reads them for every split; mmdet 3.x tools/misc/get_image_metas.py writes the
# file into ann_file's directory
REQUIRED_FILES = {t: ("meta_file", "train-image-metas.pkl", "mmdet 3.x OpenImages datasets read "
                      "image sizes from meta_file for training too (2.x only to evaluate): "
                      "generate it with `python tools/misc/get_image_metas.py CONFIG --dataset "
                      "train --out train-image-metas.pkl`")
                  for t in ("OpenImagesDataset", "OpenImagesChallengeDataset")}
# 2.x filtered every training dataset in __init__ (_filter_imgs(min_size=32), and images without
# boxes when filter_empty_gt, default True); 3.x filters only with filter_cfg
FILTER_MIN_SIZE = 32
DROPPED_ARGS = {"seg_suffix": ".png"}
# old dataset arguments the 3.x metric takes instead (the evaluation rule writes them there)
TO_METRIC_ARGS = ("ins_ann_file", "occluded_ann", "separated_ann")
# 2.x dataset types 3.x removed: the dataset part is the parent's (3.x keeps the occluded/
# separated evaluation in CocoOccludedSeparatedMetric, which reads the two annotation files)
RENAMED_DATASETS = {"OccludedSeparatedCocoDataset": "CocoDataset"}
# metainfo keys that differ between the parts of a concatenated dataset (3.x VOCDataset sets
# dataset_type='VOC2007'/'VOC2012'; MMEngine's ConcatDataset refuses differing metainfo)
CONCAT_IGNORE_KEYS = {"VOCDataset": ["dataset_type"]}
# 2.x XMLDataset(min_size=...) marked boxes narrower or lower than min_size as ignored (training
# only: it asserted `not test_mode`); 3.x XMLDataset does so with filter_cfg.bbox_min_size. (The
# image-size filter stays 2.x's hard-coded _filter_imgs(min_size=32): filter_cfg.min_size.)
FILTER_ARGS = {"min_size": "bbox_min_size"}
WRAPPER_ARGS = {"ConcatDataset": {"separate_eval": "MMEngine's ConcatDataset is evaluated as "
                                                   "one dataset (mmdet 2.x evaluated each part "
                                                   "apart by default)"},
                "ClassBalancedDataset": {"filter_empty_gt": None}}

# ---------------------------------------------------------------------------------- evaluation
# dataset type -> (metric type, {2.x evaluate() kwarg -> 3.x metric argument}, needs ann_file)
COCO_ARGS = {"metric": "metric", "classwise": "classwise", "proposal_nums": "proposal_nums",
             "iou_thrs": "iou_thrs", "metric_items": "metric_items",
             "jsonfile_prefix": "outfile_prefix", "format_only": "format_only"}
VOC_ARGS = {"metric": "metric", "iou_thr": "iou_thrs", "proposal_nums": "proposal_nums",
            "scale_ranges": "scale_ranges"}
OPENIMAGES_ARGS = {"iou_thr": "iou_thrs", "ioa_thr": "ioa_thrs", "scale_ranges": "scale_ranges",
                   "use_group_of": "use_group_of", "get_supercategory": "get_supercategory"}
METRICS = {
    "CocoDataset": ("CocoMetric", COCO_ARGS, True),
    "LVISV05Dataset": ("LVISMetric", COCO_ARGS, True),
    "LVISV1Dataset": ("LVISMetric", COCO_ARGS, True),
    "LVISDataset": ("LVISMetric", COCO_ARGS, True),
    "Objects365V1Dataset": ("CocoMetric", COCO_ARGS, True),
    "Objects365V2Dataset": ("CocoMetric", COCO_ARGS, True),
    "CityscapesDataset": ("CocoMetric", COCO_ARGS, True),
    "DeepFashionDataset": ("CocoMetric", COCO_ARGS, True),
    # 2.x OccludedSeparatedCocoDataset.evaluate(metric, score_thr, iou_thr): the occluded and
    # separated recalls (and the COCO metrics listed); 3.x CocoOccludedSeparatedMetric
    "OccludedSeparatedCocoDataset": ("CocoOccludedSeparatedMetric",
                                     {**COCO_ARGS, "score_thr": "score_thr", "iou_thr": "iou_thr"},
                                     True),
    "CocoPanopticDataset": ("CocoPanopticMetric", {"jsonfile_prefix": "outfile_prefix",
                                                   "classwise": "classwise",
                                                   "format_only": "format_only"}, True),
    "VOCDataset": ("VOCMetric", VOC_ARGS, False),
    "XMLDataset": ("VOCMetric", VOC_ARGS, False),
    "WIDERFaceDataset": ("VOCMetric", VOC_ARGS, False),
    "OpenImagesDataset": ("OpenImagesMetric", OPENIMAGES_ARGS, False),
    "OpenImagesChallengeDataset": ("OpenImagesMetric", {"iou_thr": "iou_thrs",
                                                        "ioa_thr": "ioa_thrs"}, False),
}
# 2.x CocoPanopticDataset.evaluate computed PQ from the panoptic PNGs (seg_prefix) and, for
# metric 'bbox'/'segm'/'proposal', COCO instance metrics against ins_ann_file; 3.x splits this
# into CocoPanopticMetric(ann_file, seg_prefix) and a CocoMetric(ann_file=ins_ann_file):
# metric type -> (the old dataset's instance ann_file key, the instance metrics, their metric)
SPLIT_METRICS = {"CocoPanopticMetric": ("ins_ann_file", ("bbox", "segm", "proposal"),
                                        "CocoMetric")}
# metric type -> {metric argument: the old dataset's path it takes (as 2.x opened it)}
METRIC_DATASET_PATHS = {"CocoPanopticMetric": {"seg_prefix": "seg_prefix"}}
# metric type -> {metric argument: the old dataset's argument, copied as it is} (2.x joined
# occluded_ann/separated_ann to data_root only when the relative path existed from the working
# directory: as given is what it opened otherwise, and the defaults are URLs)
METRIC_DATASET_ARGS = {"CocoOccludedSeparatedMetric": {"occluded_ann": "occluded_ann",
                                                       "separated_ann": "separated_ann"}}
# `metric` values that are all the new metric computes (dropped, not a TODO)
IMPLICIT_METRIC = {"CocoPanopticMetric": ("PQ", ["PQ"]), "OpenImagesMetric": ("mAP", ["mAP"])}
# explicit defaults the 3.x configs write (CocoMetric: format_only=False)
METRIC_DEFAULTS = {"CocoMetric": {"format_only": False}}
# MMEngine prefixes every result key with the metric's default_prefix
METRIC_PREFIX = {"CocoMetric": "coco", "CocoOccludedSeparatedMetric": "coco", "LVISMetric": "lvis",
                 "VOCMetric": "pascal_voc",
                 "CocoPanopticMetric": "coco_panoptic", "OpenImagesMetric": "openimages",
                 "CityScapesMetric": "cityscapes"}
# which metric of a list (CocoPanopticMetric + CocoMetric) reported a 2.x result key: 2.x
# CocoPanopticDataset.evaluate gave 'PQ'/'SQ'/'RQ' (and _th/_st) beside CocoDataset's
# '<bbox|segm|proposal>_mAP...' and 'AR@100'-style keys
SAVE_BEST_KEYS = {"CocoPanopticMetric": r"(PQ|SQ|RQ)(_th|_st)?$",
                  "CocoMetric": r"((bbox|segm|proposal)_|AR(_[sml])?@)"}

# ---------------------------------------------------------------------------------- models
# 2.x HungarianAssigner(cls_cost, reg_cost, iou_cost) -> 3.x HungarianAssigner(match_costs=[...])
HUNGARIAN_COSTS = ("cls_cost", "reg_cost", "iou_cost", "mask_cost", "dice_cost")
# 2.x assigner type -> 3.x (MaskFormer's MaskHungarianAssigner became the one HungarianAssigner)
HUNGARIAN = {"HungarianAssigner": "HungarianAssigner", "MaskHungarianAssigner": "HungarianAssigner"}
# 2.x YOLOX(input_size, size_multiplier, random_size_range, random_size_interval) ->
# 3.x data_preprocessor.batch_augments=[BatchSyncRandomResize(random_size_range (pixels),
# interval, size_divisor)]
YOLOX_DEFAULTS = {"size_multiplier": 32, "random_size_range": (15, 25),
                  "random_size_interval": 10}

# model arguments 3.3.0 no longer takes: type -> {argument: values it may be dropped at, None:
# any value} (2.28.2 NASFPN stored add_extra_convs and never read it)
# (StageCascadeRPNHead: 3.x samples with train_cfg.sampler when there is one, else
# PseudoSampler, which is what 2.x sampling=True/False chose)
GONE_MODEL_ARGS = {"NASFPN": {"add_extra_convs": None},
                   "StageCascadeRPNHead": {"sampling": (False, True)}}
# model arguments 3.3.0 requires that 2.28.2 did not take: type -> {argument: the value 2.x
# implied} (CascadeRPNHead asserts num_classes == 1; the 3.x RPN detector does not set it)
ADDED_MODEL_ARGS = {"CascadeRPNHead": {"num_classes": 1}}
# 2.x detector heads 3.x merged into another head: detector -> (old head, into head, flag set
# on the target to whether the old head was there, {old-head argument: target argument},
# arguments the target shares with it, which must be equal)
# (YOLACT: 2.x segm_head=YOLACTSegmHead(num_classes, in_channels, loss_segm) is 3.x
# YOLACTProtonet(with_seg_branch=True, loss_segm) building it from its own num_classes/in_channels)
MERGED_HEADS = {"YOLACT": ("segm_head", "mask_head", "with_seg_branch", {"loss_segm": "loss_segm"},
                           ("num_classes", "in_channels"))}
# test_cfg entries 3.3.0 reads that 2.28.2 hard-coded: detector -> {key: the 2.x value}
# (2.x YOLACTProtonet thresholded masks at 0.5; 3.x reads mask_thr, mask_thr_binary)
TEST_CFG_ADDED = {"YOLACT": {"mask_thr": 0.5, "mask_thr_binary": 0.5}}
# 2.28.2 model types 3.3.0 removed for another one taking the same arguments: old -> new
# (the Ascend NPU variants computed what the generic head/assigner computes, in NPU-friendly
# fixed shapes; mmdet 3.x keeps the generic ones only)
RENAMED_MODEL_TYPES = {"AscendRetinaHead": "RetinaHead", "AscendSSDHead": "SSDHead",
                       "AscendMaxIoUAssigner": "MaxIoUAssigner"}
# test_cfg entries 3.x reads elsewhere: detector -> (from section, to section, keys). 2.x
# TwoStagePanopticSegmentor post-processed the boxes with test_cfg.panoptic's score_thr, nms,
# max_per_img (not rcnn's) and fused with its mask_thr_binary; 3.x reads them from rcnn
_PANOPTIC_MOVE = ("panoptic", "rcnn", ("score_thr", "nms", "max_per_img", "mask_thr_binary"))
TEST_CFG_MOVED = {"PanopticFPN": _PANOPTIC_MOVE, "TwoStagePanopticSegmentor": _PANOPTIC_MOVE}
# model arguments 3.3.0 renamed: type -> {old: new}
RENAMED_MODEL_ARGS = {"CTResNetNeck": {"in_channel": "in_channels"},
                      "CenterNetHead": {"in_channel": "in_channels",
                                        "feat_channel": "feat_channels"}}
# mmdet 2.x borrowed backbones from mmcls 0.x (`custom_imports=['mmcls.models']`,
# type='mmcls.ConvNeXt'); mmdet 3.x from mmpretrain
PACKAGES = {"mmcls": "mmpretrain"}

# ---------------------------------------------------------------------------------- hooks
# (SyncRandomSizeHook, gone in mmdet 3.x, is in the generic rules' table of gone hooks)
# 2.x SyncNormHook(num_last_epochs, interval, priority) -> 3.x SyncNormHook() (syncs the norm
# buffers before every validation); priority stays (Runner.register_hook reads it)
HOOK_ARGS_GONE = {"SyncNormHook": ("num_last_epochs", "interval")}

# ---------------------------------------------------------------------------------- DETR family
# mmcv 1.x BaseTransformerLayer(attn_cfgs, ffn_cfgs, operation_order, norm_cfg, batch_first)
# ran any operation order, attentions given by position (one dict: copied for each); mmdet 3.x
# layers run one fixed post-norm order each: layer_cfg(self_attn_cfg, cross_attn_cfg, ffn_cfg,
# norm_cfg), every attention batch-first, the attention/FFN classes fixed by the layer
ENCODER_ORDER = ("self_attn", "norm", "ffn", "norm")
DECODER_ORDER = ("self_attn", "norm", "cross_attn", "norm", "ffn", "norm")
M2F_DECODER_ORDER = ("cross_attn", "norm", "self_attn", "norm", "ffn", "norm")
ATTN_SLOTS = {"self_attn": "self_attn_cfg", "cross_attn": "cross_attn_cfg"}
# mmcv 1.x BaseTransformerLayer's deprecated FFN arguments -> FFN arguments (ffn_cfgs)
LAYER_FFN_ARGS = {"feedforward_channels": "feedforward_channels", "ffn_dropout": "ffn_drop",
                  "ffn_num_fcs": "num_fcs"}
# mmcv 1.x layer arguments the 3.x layers do not take: value(s) they may be dropped at
# (batch_first: 3.x layers are all batch-first; DetrTransformerDecoderLayer's act_cfg never
# reached mmcv 1.x's FFN, which used its own ffn_cfgs.act_cfg)
LAYER_DROPPED = {"batch_first": (False, True), "act_cfg": ({"type": "ReLU", "inplace": True},)}
# sequence kind -> (its layers' operation order, {slot: attention type}, 3.x arguments beyond
# num_layers/layer_cfg/num_cp/init_cfg with their 3.x defaults)
_DEC = {"post_norm_cfg": {"type": "LN"}, "return_intermediate": True}
SEQUENCES = {
    "detr_encoder": (ENCODER_ORDER, {"self_attn": "MultiheadAttention"}, {}),
    "detr_decoder": (DECODER_ORDER, {"self_attn": "MultiheadAttention",
                                     "cross_attn": "MultiheadAttention"}, _DEC),
    "deformable_encoder": (ENCODER_ORDER, {"self_attn": "MultiScaleDeformableAttention"}, {}),
    "deformable_decoder": (DECODER_ORDER, {"self_attn": "MultiheadAttention",
                                           "cross_attn": "MultiScaleDeformableAttention"}, _DEC),
    "mask2former_decoder": (M2F_DECODER_ORDER, {"self_attn": "MultiheadAttention",
                                                "cross_attn": "MultiheadAttention"}, _DEC),
}
# 2.x sequence types and their own defaults (mmdet 2.28.2 models/utils/transformer.py); an
# encoder's post_norm_cfg applied only to pre-norm layers, which 3.x has not
OLD_SEQUENCES = {"DetrTransformerEncoder": {},
                 "TransformerLayerSequence": {"post_norm_cfg": None, "return_intermediate": False},
                 "DetrTransformerDecoder": {"post_norm_cfg": {"type": "LN"},
                                            "return_intermediate": False},
                 "DeformableDetrTransformerDecoder": {"post_norm_cfg": None,
                                                      "return_intermediate": False}}
# 3.x module type -> {its field holding a sequence: sequence kind}
TRANSFORMER_FIELDS = {
    "DETR": {"encoder": "detr_encoder", "decoder": "detr_decoder"},
    "DeformableDETR": {"encoder": "deformable_encoder", "decoder": "deformable_decoder"},
    "MSDeformAttnPixelDecoder": {"encoder": "deformable_encoder"},
    "TransformerEncoderPixelDecoder": {"encoder": "detr_encoder"},
    "Mask2FormerHead": {"transformer_decoder": "mask2former_decoder"},
    "MaskFormerHead": {"transformer_decoder": "detr_decoder"},
}
# 3.x modules that build SinePositionalEncoding(**positional_encoding) themselves (no type)
POSITIONAL = "SinePositionalEncoding"
# 2.x detectors whose head held the transformer -> (head type, transformer type, whether the
# head projected its input with a 1x1 conv, in_channels -> embed_dims: 3.x a ChannelMapper neck)
DETR_DETECTORS = {"DETR": ("DETRHead", "Transformer", True),
                  "DeformableDETR": ("DeformableDETRHead", "DeformableDetrTransformer", False)}
# 2.x DETRHead arguments that are the 3.x detector's (2.x DETRHead defaults beside)
HEAD_TO_DETECTOR = {"num_query": "num_queries", "with_box_refine": "with_box_refine",
                    "as_two_stage": "as_two_stage"}
HEAD_DEFAULT_POSITIONAL = {"type": "SinePositionalEncoding", "num_feats": 128, "normalize": True}
# 2.x transformer arguments that are the 3.x detector's; as_two_stage was copied there by the
# head; two_stage_num_proposals: 3.x proposes num_queries boxes in the two-stage variant
TRANSFORMER_TO_DETECTOR = {"num_feature_levels": "num_feature_levels"}
TRANSFORMER_DROPPED = ("as_two_stage", "init_cfg")
