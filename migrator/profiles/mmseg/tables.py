"""mmseg 0.30.0 -> mmsegmentation 1.2.2 tables (data only).

Transforms (mmseg/datasets/pipelines -> mmseg/datasets/transforms + mmcv/transforms): the
mmdet-style Resize/RandomFlip/Normalize/Pad/MultiScaleFlipAug/formatting of the common table;
LoadAnnotations(reduce_zero_label, file_client_args, imdecode_backend) -> (reduce_zero_label,
backend_args, imdecode_backend); RandomCrop, PhotoMetricDistortion, RandomRotate, RandomCutOut,
RandomMosaic, CLAHE, AdjustGamma, Rerange, RGB2Gray, SegRescale, ResizeToMultiple keep their
arguments. Pad(size (h, w), size_divisor, pad_val, seg_pad_val) -> SegDataPreProcessor(size
(h, w), size_divisor, pad_val, seg_pad_val) for the train pipeline (the preprocessor pads only
while training) and SegDataPreProcessor(test_cfg=dict(size, size_divisor)) for val/test.
Collect's default meta_keys (0.30 formatting.py) and PackSegInputs' (1.2.2 formatting.py) below.
"""
from ..common.transforms import META_KEYS, PREPROCESSOR_ARGS_DEFAULT, TRANSFORMS as COMMON

TRANSFORMS = {
    **COMMON,
    "LoadAnnotations": {"args": {"file_client_args": {"to": "backend_args",
                                                      "value": "backend_args"}}},
}

PACK = "PackSegInputs"
PACK_META_KEYS = ("img_path", "seg_map_path", "ori_shape", "img_shape", "pad_shape",
                  "scale_factor", "flip", "flip_direction", "reduce_zero_label")
COLLECT_META_KEYS = ("filename", "ori_filename", "ori_shape", "img_shape", "pad_shape",
                     "scale_factor", "flip", "flip_direction", "img_norm_cfg")
PREPROCESSOR = "SegDataPreProcessor"
PREPROCESSOR_ARGS = {**PREPROCESSOR_ARGS_DEFAULT, "size": "size", "size_divisor": "size_divisor",
                     "pad_val": "pad_val", "seg_pad_val": "seg_pad_val"}
TEST_PREPROCESSOR_ARGS = {"size": "test_cfg.size", "size_divisor": "test_cfg.size_divisor"}
META = {**META_KEYS, "ori_filename": None}
TTA_MODEL = {"type": "SegTTAModel"}

# Datasets: CustomDataset(img_dir, ann_dir, split, data_root, classes, palette, ...) ->
# BaseSegDataset(data_root, data_prefix=dict(img_path, seg_map_path), ann_file, metainfo, ...).
# Paths stay relative to data_root in both (0.30 joined non-absolute paths to data_root).
PREFIX = {"img_dir": "img_path", "ann_dir": "seg_map_path"}
SPLIT_TO = "ann_file"
DROPPED = {"gt_seg_map_loader_cfg": "the evaluation's annotation loader is the pipeline's "
                                    "LoadAnnotations in mmseg 1.x"}
NEEDS_ANN_FILE = {"PascalVOCDataset", "PascalContextDataset", "PascalContextDataset59"}
RENAMED_DATASETS = {"CustomDataset": "BaseSegDataset"}
# datasets 1.2.2 dropped that were a CustomDataset with fixed arguments: written as that
# BaseSegDataset (mmseg 0.30 face.py: FaceOccludedDataset(split) = CustomDataset(img_suffix='.jpg',
# seg_map_suffix='.png', split) with CLASSES/PALETTE below; a `classes` argument there picked a
# subset of CLASSES and remapped the labels (CustomDataset.get_classes_and_palette), which a
# BaseSegDataset without class attributes does not: left under a TODO)
REPLACED_DATASETS = {
    "FaceOccludedDataset": {"type": "BaseSegDataset", "img_suffix": ".jpg",
                            "seg_map_suffix": ".png",
                            "metainfo": {"classes": ("background", "face"),
                                         "palette": [[0, 0, 0], [128, 0, 0]]}},
}
REMOVED_DATASETS: dict = {}

# Evaluation: CustomDataset.evaluate(metric='mIoU' | 'mDice' | 'mFscore' | list) -> IoUMetric.
IOU_METRICS = ("mIoU", "mDice", "mFscore")
# EvalHook kwargs mmseg 0.30 handed to dataset.evaluate that CustomDataset.evaluate(**kwargs)
# ignored: imgfile_prefix served only CityscapesDataset's metric='cityscapes' (PNGs for the
# official script), format_only only tools/test.py --format-only. IoUMetric(output_dir) would
# write a PNG per prediction at every validation and IoUMetric(format_only=True) would compute no
# metric at all, so neither is set; each is reported.
IGNORED_EVAL_ARGS = {
    "imgfile_prefix": "mmseg 0.30 used imgfile_prefix only for metric='cityscapes' (PNGs for the "
                      "official script); IoUMetric(output_dir) would write a PNG per prediction "
                      "at every validation: not set",
    "format_only": "mmseg 0.30's evaluate() ignored format_only (tools/test.py --format-only "
                   "set it); IoUMetric(format_only=True) would compute no metric: not set",
}

# Model arguments whose default changed between 0.30.0 and 1.2.2, written with the 0.30 value
# where a config leaves them unset: type -> {argument: (the value 0.30 built with, 1.2.2's default)}.
# VisionTransformer: 0.30 vit.py built PatchEmbed(...) without `bias`, i.e. PatchEmbed's default
# bias=True (utils/embed.py, the same in both); 1.2.2 vit.py passes bias=patch_bias with
# patch_bias=False by default, so a converted ViT (DPT, SETR, UPerNet-ViT, Segmenter) would lose
# the patch-embedding bias (and a 0.30 checkpoint's patch_embed.projection.bias would be
# unexpected). BEiT and MAE (beit.py) build PatchEmbed without `bias` in both versions: unchanged.
PINNED_DEFAULTS = {"VisionTransformer": {"patch_bias": (True, False)}}

SCOPE = "mmseg"
VISUALIZERS = {"Visualizer": "SegLocalVisualizer"}
PACKAGES = {"mmcls": "mmpretrain"}   # mmseg 0.30 borrowed mmcls backbones (ConvNeXt)
