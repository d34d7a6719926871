"""mmcls 0.25.0 -> mmpretrain 1.2.0 tables (data only).

Transforms, old (mmcls/datasets/pipelines/transforms.py) -> new (mmpretrain/datasets/transforms,
mmcv/transforms):
  RandomResizedCrop(size, scale=(0.08, 1.0), ratio=(3/4, 4/3), max_attempts=10,
      efficientnet_style=False, min_covered=0.1, crop_padding=32, interpolation='bilinear',
      backend='cv2')
    -> RandomResizedCrop(scale, crop_ratio_range, aspect_ratio_range, max_attempts,
      interpolation, backend)  |  EfficientNetRandomCrop(scale, min_covered, crop_padding,
      interpolation='bicubic' (was bilinear), **RandomResizedCrop kwargs)
  CenterCrop(crop_size (h, w), efficientnet_style=False, crop_padding=32,
      interpolation='bilinear', backend='cv2')
    -> mmcv CenterCrop(crop_size (w, h))  |  EfficientNetCenterCrop(crop_size, crop_padding,
      interpolation='bicubic' (was bilinear), backend)
  Resize(size int | (h, w) | (h, -1), interpolation, adaptive_side='short', backend)
    -> mmcv Resize(scale int | (w, h))  |  ResizeEdge(scale, edge, backend, interpolation)
  RandomFlip(flip_prob=0.5, direction) -> mmcv RandomFlip(prob (no default), direction)
  RandomCrop(size, ...) -> RandomCrop(crop_size, ...)       (both (h, w))
  RandomGrayscale(gray_prob=0.1) (3 channels stay 3) -> mmcv RandomGrayscale(prob,
      keep_channels=False by default)
  Lighting(..., to_rgb=True) -> Lighting(..., to_rgb=False by default)
  Albu(transforms, keymap, update_pad_shape) -> Albumentations(transforms, keymap)
  ToPIL -> NumpyToPIL; ToNumpy (float32) -> PILToNumpy(dtype='float32'); ToHalf: none
  Normalize -> ClsDataPreprocessor(mean, std, to_rgb); ImageToTensor/ToTensor/Transpose/Collect
      -> PackInputs (meta_keys default: sample_idx, img_path, ori_shape, img_shape,
      scale_factor, flip, flip_direction); mmcls Collect default meta_keys below.
"""
from ..common.transforms import META_KEYS, PREPROCESSOR_ARGS_DEFAULT, TRANSFORMS as COMMON

RRC = {"args": {"size": "scale", "scale": "crop_ratio_range", "ratio": "aspect_ratio_range",
                "efficientnet_style": None, "min_covered": None, "crop_padding": None}}
EFF_RRC = {"new": "EfficientNetRandomCrop",
           "args": {"size": "scale", "scale": "crop_ratio_range", "ratio": "aspect_ratio_range",
                    "efficientnet_style": None},
           "defaults": {"interpolation": "bilinear"}}
CROP = {"args": {"crop_size": {"to": "crop_size", "value": "hw_to_wh"},
                 "efficientnet_style": None, "crop_padding": None, "interpolation": None,
                 "backend": None}}
EFF_CROP = {"new": "EfficientNetCenterCrop", "args": {"efficientnet_style": None},
            "defaults": {"interpolation": "bilinear"}}

TRANSFORMS = {
    **COMMON,
    "RandomResizedCrop": {"when": ["size", "efficientnet_style", "ratio", "min_covered"],
                          "kind": "variant", "on": "efficientnet_style",
                          "variants": {False: RRC, True: EFF_RRC}},
    "CenterCrop": {"kind": "variant", "on": "efficientnet_style",
                   "variants": {False: CROP, True: EFF_CROP}},
    "Resize": {"when": ["size"], "kind": "cls_resize"},
    "RandomFlip": {"args": {"flip_prob": {"to": "prob", "value": "prob"}},
                   "defaults": {"prob": 0.5}},
    "RandomCrop": {"args": {"size": "crop_size"}},
    "RandomGrayscale": {"args": {"gray_prob": "prob"},
                        "defaults": {"keep_channels": True}},
    "Lighting": {"kind": "cls_lighting", "defaults": {"to_rgb": True}},
    "Albu": {"new": "Albumentations", "args": {"update_pad_shape": None}},
    "Pad": {"kind": "pad"},
    "ToPIL": {"new": "NumpyToPIL"},
    "ToNumpy": {"new": "PILToNumpy", "defaults": {"dtype": "float32"}},
    # mmcls WrapFieldsToLists (after Collect, for single-image inference) wrapped each field in
    # a list; PackInputs' data sample is what the 1.x inferencer and collate take
    "WrapFieldsToLists": {"kind": "format"},
    "ToHalf": {"kind": "unsupported", "todo": "mmpretrain has no ToHalf (an IPU-only mmcls "
               "transform); use fp16 in the optim wrapper"},
}

PACK = "PackInputs"
PACK_META_KEYS = ("sample_idx", "img_path", "ori_shape", "img_shape", "scale_factor", "flip",
                  "flip_direction")
COLLECT_META_KEYS = ("filename", "ori_filename", "ori_shape", "img_shape", "flip",
                     "flip_direction", "img_norm_cfg")
PREPROCESSOR = "ClsDataPreprocessor"
PREPROCESSOR_ARGS = {**PREPROCESSOR_ARGS_DEFAULT, "to_rgb": "to_rgb"}
META = META_KEYS

# Batch augments: mmcls Batch*(alpha, num_classes, prob=1.0, ...) -> mmpretrain (alpha, ...);
# the probabilities move to RandomBatchAugment(probs) and num_classes to the preprocessor.
AUGMENTS = {"BatchMixup": "Mixup", "BatchCutMix": "CutMix", "BatchResizeMix": "ResizeMix"}

# Backbone arguments renamed between the versions: type -> {argument: {old value: new value}}.
# mmcls VAN arch_zoo had 'b0'..'b6'; mmpretrain keeps tiny/small/base/large (= b0..b3), the
# bigger ones are spelled out (mmcls backbones/van.py arch_zoo).
_VAN = {"embed_dims": [64, 128, 320, 512], "ffn_ratios": [8, 8, 4, 4]}
BACKBONE_VALUES = {
    "VAN": {"arch": {"b0": "tiny", "b1": "small", "b2": "base", "b3": "large",
                     "b4": {**_VAN, "depths": [3, 6, 40, 3]},
                     "b5": {"embed_dims": [96, 192, 480, 768], "depths": [3, 3, 24, 3],
                            "ffn_ratios": [8, 8, 4, 4]},
                     "b6": {"embed_dims": [96, 192, 384, 768], "depths": [6, 6, 90, 6],
                            "ffn_ratios": [8, 8, 4, 4]}}},
}
# train_cfg keys mmcls 0.25's ImageClassifier no longer read (0.2x's mixup/cutmix shorthands)
IGNORED_TRAIN_CFG = ("mixup", "cutmix")

# Datasets: how each mmcls 0.25.0 dataset becomes its mmpretrain 1.2.0 form.
#   folder  data_prefix/ann_file kept (paths relative to the working directory, data_root='')
#   split   data_prefix (the directory) -> data_root; test_mode -> split ('test'/'train')
#   cub     data_root = the directory of ann_file; test_mode -> split; the file lists go
#   voc     data_prefix -> data_root; ann_file's ImageSets/Main/<split>.txt -> split
DATASETS = {
    "ImageNet": "folder", "ImageNet21k": "folder", "CustomDataset": "folder",
    "CIFAR10": "split", "CIFAR100": "split", "MNIST": "split", "FashionMNIST": "split",
    "StanfordCars": "split", "CUB": "cub", "VOC": "voc",
}
# datasets that derive test_mode from split and pass it to BaseDataset themselves: a test_mode
# argument beside it is a duplicate keyword (mmpretrain stanfordcars.py: TypeError)
TEST_MODE_FROM_SPLIT = {"StanfordCars"}
MULTI_LABEL_DATASETS = {"VOC", "MultiLabelDataset"}
# mmcls IPU-only dataloader settings (mmcv IPUDataLoader): no torch DataLoader argument
IPU_LOADER_KEYS = ("mode",)
# dataset arguments mmpretrain dropped; the old behaviour is the only one left (asserted in 0.25)
DROPPED_DATASET_ARGS = {"recursion_subdir": True}

# Evaluation: mmcls `evaluation.metric` items -> mmpretrain metrics.
SINGLE_LABEL_ITEMS = {"precision": "precision", "recall": "recall", "f1_score": "f1-score",
                      "support": "support"}
MULTI_LABEL_MACRO = {"CP": "precision", "CR": "recall", "CF1": "f1-score"}
MULTI_LABEL_MICRO = {"OP": "precision", "OR": "recall", "OF1": "f1-score"}

# save_best / metric keys: mmcls result names -> mmpretrain metric keys
SAVE_BEST = {"accuracy": "accuracy/top1", "precision": "single-label/precision",
             "recall": "single-label/recall", "f1_score": "single-label/f1-score",
             "mAP": "multi-label/mAP"}

SCOPE = "mmpretrain"
OLD_SCOPES = ("mmcls",)
VISUALIZERS = {"ClsVisualizer": "UniversalVisualizer"}
PACKAGES = {"mmcls": "mmpretrain"}
TTA_MODEL = {"type": "AverageClsScoreTTA"}
