"""How every disagreement of benchmarks/profile_agreement.py was judged: one table, read by it.

Each entry is (codebase, leaf, class, reason[, file]): `leaf` is a regular expression matched at
the start of a non-agreeing leaf's path (`val.dataset.pipeline.Resize.scale`, `model.backbone.
depth`, `val_evaluator.topk`), `file` (optional) one searched in the old config's path below the
configs root. The first matching entry classifies the leaf; a leaf no entry matches is
'unclassified' (the script prints it and the count, which must be 0). Classes:

- ours right: the old codebase behaved as ours says (the reason names where), theirs differ;
- theirs right: ours was wrong; fixed in the profile rules (FIXED below lists them; those
  leaves agree now, so an entry of this class here is a defect still open);
- equivalent: both build the same behaviour (a default written on one side, another spelling);
- their change: the maintainers changed the behaviour on purpose (batch size, workers, new
  augmentations, new defaults, a fixed old config).

Entries were written by reading both sides for the examples `--examples N` prints.
"""
OURS, THEIRS, EQUIV, CHANGE = "ours right", "theirs right", "equivalent", "their change"
CLASSES_ORDER = (OURS, THEIRS, EQUIV, CHANGE)

SPLIT = r"(train|val|test)"
DS = SPLIT + r"\.dataset(\.dataset)*\."          # a split's leaf dataset (wrappers included)
EVAL = r"(val|test)_evaluator\."


def pipe(names: str) -> str:
    """Leaves of the named transforms (a regex alternative) in any split's pipeline."""
    return DS + r"pipeline\.(" + names + r")(#\d+)?(\.|$)"


TABLE = [
    # ------------------------------------------------------------------ spelled defaults, all
    ("*", r"tta_(model|pipeline)\.", CHANGE,
     "theirs add a TTA (flip for mmdet, six ratios for mmseg) to every config; the old tests "
     "were single-scale and unflipped, so ours add tta_* only where the old test was augmented"),
    ("*", r".*\.backend_args$", EQUIV,
     "theirs spell backend_args=None (local disk, the default) on every loader and metric"),

    # ------------------------------------------------------------------ mmdet 2.28.2 -> 3.3.0
    ("mmdet", pipe("LoadImageFromFile") + r"to_float32", CHANGE,
     "legacy ssd300 v1: theirs dropped the v1 float32 photometric augmentations", r"legacy_1\.x"),
    ("mmdet", pipe("LoadImageFromFile") + r"to_float32", EQUIV,
     "mask2former instance: theirs' val pipeline inherits the panoptic one's to_float32 (the "
     "dtype only; the data preprocessor casts to float before normalising)"),
    ("mmdet", DS + r"(filter_cfg|test_mode)", EQUIV,
     "openimages: ours keep 2.x's filter and test_mode=True on val/test, theirs leave the "
     "defaults; 3.x OpenImagesDataset never filters (BaseDetDataset.filter_data keeps all) and "
     "CocoDataset filters nothing in test_mode (cityscapes val/test filter_cfg)",
     r"openimages|city"),
    ("mmdet", DS + r"filter_cfg\.bbox_min_size", CHANGE,
     "voc0712: theirs drop boxes under 32 px (3.x VOC base); 2.x XMLDataset min_size=None"),
    ("mmdet", DS + r"data_prefix\.seg", EQUIV,
     "mask2former instance: theirs inherit the panoptic base's seg prefix; the instance "
     "pipeline loads no seg map"),
    ("mmdet", DS + r"metainfo\.palette", EQUIV,
     "theirs add display colours for the class subset (visualisation only)"),
    ("mmdet", DS + r"(data_prefix|meta_file|ann_file|data_root)", CHANGE,
     "the maintainers moved files: openimages challenge (train/, validation/, new meta names), "
     "voc0712 cocofmt (annotations/, sub_data_root), deepfashion (Anno/segmentation; the old "
     "config joined data_root twice, which 2.x read too), cityscapes (test on val)",
     r"openimages|pascal_voc|deepfashion|cityscapes"),
    ("mmdet", r"model\.panoptic_head\.", EQUIV,
     "mask2former/maskformer: defaults written on one side (add_identity, im2col_step, "
     "init_cfg/norm_cfg None); theirs' deprecated dropout=p is attn_drop=p plus Dropout(p) "
     "after the projection, the same as ours attn_drop=proj_drop=p, dropout_layer=None"),
    ("mmdet", r"model\.train_cfg\.sampler", EQUIV,
     "theirs add sampler=PseudoSampler; 3.x dense heads use a PseudoSampler without one"),
    ("mmdet", r"model\.train_cfg\.(assigner|allowed_border|pos_weight|debug)", EQUIV,
     "FCOS: ours keep the train_cfg the old base gave; FCOSHead never reads it", r"fcos"),
    ("mmdet", r"model\.train_cfg\.rpn\.allowed_border", CHANGE,
     "rpn: the 3.x rpn base uses allowed_border=-1, the 2.x one 0"),
    ("mmdet", r"model\.train_cfg\.rcnn", EQUIV,
     "queryinst: theirs spell BBoxL1Cost box_format='xyxy', the default"),
    ("mmdet", r"model\.(bbox_head|backbone|neck)\.", EQUIV,
     "yolox: theirs restate the CSPDarknet/YOLOXPAFPN/YOLOXHead defaults; deformable detr: "
     "embed_dims=256 is DETRHead's default; ga_retinanet: add_extra_convs=True is 'on_input'"),
    ("mmdet", r"model\.(encoder|decoder|num_feature_levels|with_box_refine|num_queries)", EQUIV,
     "DETR family: theirs write num_fcs=2, act_cfg, num_queries=100, with_box_refine=False, "
     "the 3.x defaults"),
    ("mmdet", pipe("LoadAnnotations|LoadPanopticAnnotations"), EQUIV,
     "explicit flags equal to the defaults (with_bbox/with_mask/with_seg=True for panoptic, "
     "with_mask=False), ga_rpn with_label=False (a 3.x RPN labels every box 0), poly2mask in "
     "test pipelines and the test-time LoadAnnotations (the metric reads the ann_file)"),
    ("mmdet", pipe("Pad") + r"pad_val", CHANGE,
     "mask2former instance: the old Pad used 128 for the image (ours keep it); theirs pad 0"),
    ("mmdet", r"data_preprocessor\.(pad_value|batch_augments\.BatchFixedSizePad\.img_pad_value)",
     CHANGE, "mask2former instance: theirs pad the image with 0, the old Pad with 128"),
    ("mmdet", pipe("Pad") + r"|data_preprocessor\.(batch_augments|pad_mask|pad_seg|seg_pad_value"
     r"|mask_pad_value|pad_size_divisor)", EQUIV,
     "fixed-size padding: ours keep Pad(size=...) per sample (3.x Pad pads image, masks and seg "
     "map), theirs pad the batch to the same size (BatchFixedSizePad); pad_size_divisor 32 on a "
     "896 crop, 1 (the default) for ssd, 320 on 320x320 ssdlite images: no-ops"),
    ("mmdet", EVAL + r"(CocoMetric\.)?format_only|data_preprocessor\.type", EQUIV,
     "ours write CocoMetric's default format_only=False and the preprocessor type"),
    ("mmdet", r"(train|val|test)_dataloader\.persistent_workers", EQUIV,
     "theirs write persistent_workers=False where num_workers=0 (openimages)"),
    ("mmdet", r"data_preprocessor\.(mean|std|bgr_to_rgb)", OURS,
     "faster_rcnn r101 caffe mstrain-3x: the old config normalises caffe-style (BGR, std 1) "
     "for its caffe checkpoint, theirs pytorch-style; common/lsj bases: ours keep the "
     "normalisation the old dataset base held, theirs moved it into the model bases"),
    ("mmdet", pipe("Resize|RandomFlip|RandomCrop|PhotoMetricDistortion|Expand|MinIoURandomCrop"),
     CHANGE, "legacy ssd300 v1: theirs resize (1333, 800) keeping the ratio and dropped the v1 "
     "augmentations; fpg: RandomCrop absolute_range with negative crops; albu: a RandomFlip"),
    ("mmdet", r"(val|test)_dataloader\.batch_size", OURS,
     "mmdet 2.28 validated and tested 1 image per GPU unless data.val_dataloader/"
     "test_dataloader said otherwise (apis/train.py, tools/test.py); theirs chose 2, 8, 24"),
    ("mmdet", r"(train|val|test)_dataloader\.num_workers|train_dataloader\.batch_size", CHANGE,
     "ours keep workers_per_gpu/samples_per_gpu; theirs use 2 workers (and 2 images per GPU "
     "for legacy ssd300 v1)"),
    ("mmdet", EVAL + r"metric", OURS,
     "ours evaluate every metric the old evaluation.metric listed (bbox and segm for mask "
     "models); theirs one of them in some 3x/solo configs; ('bbox',) == 'bbox'"),
    ("mmdet", pipe("AutoAugment|RandomChoice|RandomResize|RandomChoiceResize"), EQUIV,
     "3.x AutoAugment is a uniform RandomChoice over its policies, as 2.x; resize_type='Resize' "
     "is the default; (1333, 480) and (480, 1333) are one scale for keep_ratio resizing"),
    ("mmdet", r"train_dataloader\.batch_sampler", OURS,
     "2.x grouped every training set by aspect ratio (GroupSampler); theirs drop the grouping "
     "for fixed-size lsj crops and the openimages ssd config"),
    ("mmdet", r"train_dataloader\.sampler", EQUIV,
     "iteration-based runs: ours InfiniteSampler, theirs DefaultSampler, which "
     "IterBasedTrainLoop cycles epoch by epoch: the same stream of shuffled samples"),
    ("mmdet", pipe("PackDetInputs"), EQUIV,
     "openimages: theirs add the 'instances'/'image_level_labels' meta keys their metric reads "
     "from the data sample (ours: the metric reads them from the dataset); albu example: "
     "ours keep the old Collect's extra meta key pad_shape"),
    ("mmdet", r"visualizer\.vis_backends", OURS,
     "ours keep the old TensorboardLoggerHook/WandbLoggerHook (with init_kwargs) as visualizer "
     "backends; theirs dropped them"),
    ("mmdet", EVAL + r"(use_group_of|get_supercategory|ioa_thrs|iou_thrs)", EQUIV,
     "theirs spell OpenImagesMetric's defaults (0.5, 0.5, True, True), equal to the 2.x "
     "evaluate() defaults ours rely on"),
    ("mmdet", EVAL + r"(ann_file|type|eval_mode|CocoMetric|CityScapesMetric)", CHANGE,
     "cityscapes: theirs add a CityScapesMetric (2.x computed it only for metric='cityscapes') "
     "and test on val; voc0712 cocofmt: theirs moved the json; deepfashion: theirs fixed the "
     "doubled data_root"),

    # ------------------------------------------------------------------ mmcls 0.25 -> mmpretrain
    ("mmpretrain", r"(val|test)(_evaluator\.|_dataloader\.|\.dataset\.)", CHANGE,
     "theirs' in21k config has no val/test set; ours keep the old one", r"in21k\.py$"),
    ("mmpretrain", pipe("RandAugment|AutoAugment"), EQUIV,
     "theirs name the built-in policy sets ('timm_increasing', 'imagenet', with hparams "
     "pad_val), ours spell the old lists out (mmpretrain 1.2 defines those names as these lists)"),
    ("mmpretrain", DS + r"(data_root|split|data_prefix|ann_file)", EQUIV,
     "ImageNet: ours keep the old paths (data_prefix, and ann_file meta/val.txt for val/test), "
     "theirs data_root + split; mmpretrain 1.2 ImageNet(split) reads <data_root>/<split>/ and "
     "meta/<split>.txt only when that file exists (the old train set scanned its folder): the "
     "same images on the standard layout", r"in1k|in21k|imagenet"),
    ("mmpretrain", DS + r"data_root", EQUIV,
     "'data/cifar10' vs 'data/cifar10/' (the same directory)", r"cifar"),
    ("mmpretrain", DS + r"data_root", CHANGE,
     "csra voc07: theirs moved VOCdevkit/VOC2007 to data/VOC2007", r"voc"),
    ("mmpretrain", DS + r"(test_mode|data_prefix|split|data_root)", OURS,
     "lenet mnist: the old val/test read the MNIST test set (mmcls built them with "
     "test_mode=True); ours split='test', theirs data_prefix + test_mode with the default "
     "split='train', so mmpretrain warns and evaluates on the training data", r"mnist"),
    ("mmpretrain", DS + r"test_mode", EQUIV,
     "cifar/cub: ours keep the old test_mode=True beside split='test'; split picks the files, "
     "test_mode only makes mmengine's BaseDataset raise instead of retrying a bad sample",
     r"cifar|cub"),
    ("mmpretrain", r"visualizer\.(name|type|vis_backends)", EQUIV,
     "ours write MMEngine's defaults (name='visualizer', LocalVisBackend) and, for lenet, "
     "whose 1.x counterpart names none, the UniversalVisualizer mmpretrain's runtime uses"),
    ("mmpretrain", r"data_preprocessor\.type", EQUIV,
     "ImageClassifier defaults the preprocessor type to ClsDataPreprocessor; ours write it"),
    ("mmpretrain", r"data_preprocessor\.(num_classes|to_onehot)", EQUIV,
     "only batch augments read num_classes/one-hot labels; ours set them exactly there"),
    ("mmpretrain", r"data_preprocessor\.to_rgb", EQUIV,
     "lenet: to_rgb only swaps 3-channel inputs; MNIST is one channel", r"lenet"),
    ("mmpretrain", r"data_preprocessor\.(mean|std)", CHANGE,
     "efficientnet-es 01norm: the old config normalised train and test to [-1, 1] (the "
     "file name says so); theirs inherit the ImageNet mean/std", r"01norm"),
    ("mmpretrain", r"(train|val|test)_dataloader\.num_workers", CHANGE,
     "theirs use 5 workers everywhere; ours keep workers_per_gpu"),
    ("mmpretrain", r"(val|test)_dataloader\.batch_size", OURS,
     "mmcls 0.25 evaluated with data.samples_per_gpu (apis/train.py, tools/test.py); theirs "
     "chose their own evaluation batch sizes"),
    ("mmpretrain", r"train_dataloader\.batch_size", CHANGE, "hornet: theirs train 64 per GPU"),
    ("mmpretrain", EVAL + r"topk", OURS,
     "mmcls computed top-1 and top-5 by default (Accuracy topk=(1, 5)); theirs drop top-5 on "
     "the small datasets (cifar) and in21k has no val set"),
    ("mmpretrain", pipe("EfficientNetCenterCrop|EfficientNetRandomCrop") + r"interpolation$",
     EQUIV, "ours write interpolation='bicubic', the EfficientNet crops' default"),
    ("mmpretrain", pipe("RandomResizedCrop|ResizeEdge") + r"backend$", EQUIV,
     "mlp-mixer: ours write backend='cv2', the default", r"mlp_mixer"),
    ("mmpretrain", pipe("EfficientNetCenterCrop|EfficientNetRandomCrop|RandomResizedCrop|"
                        r"ResizeEdge|CenterCrop|Lighting|ColorJitter|RandomErasing"), CHANGE,
     "theirs rewrote these pipelines: resnest (crop 256 -> 224/320 with ResizeEdge, no "
     "ColorJitter/Lighting in resnest200), mobilenet-v3 (RandomErasing mode='rand'), rsb-a1/a2/a3 "
     "(pillow/bicubic, train crop 160 -> 224), repmlp 256px (train crop 224 -> 256), tnt (val "
     "resize 256 -> 248, as its test)", r"resnest|mobilenet_v3|rsb-a|repmlp|tnt"),
    ("mmpretrain", pipe("PackInputs"), EQUIV,
     "csra: theirs list PackInputs' default meta_keys explicitly"),
    ("mmpretrain", r"model\.train_cfg", CHANGE,
     "convnext/resnest/mixup-cifar: theirs add or retune Mixup/CutMix (resnest's old top-level "
     "train_cfg.mixup was never read by mmcls 0.25; ours drop it with a note)"),
    ("mmpretrain", r"model\.(backbone|head|init_cfg)", CHANGE,
     "convnext: theirs moved init_cfg to the classifier and switched to LabelSmoothLoss; "
     "cspnet head topk and rsb use_sigmoid: their rewrite; vgg voc: the old load_from (the "
     "whole model) became a backbone init_cfg (backbone weights only)"),

    # ------------------------------------------------------------------ mmseg 0.30 -> 1.2.2
    ("mmseg", r"(train|val|test)_dataloader\.(persistent_workers|num_workers)", CHANGE,
     "theirs use persistent workers and 4 workers for evaluation"),
    ("mmseg", pipe("LoadAnnotations") + r"reduce_zero_label", EQUIV,
     "theirs spell reduce_zero_label=True in the test pipeline; ours leave it None, which "
     "takes the dataset's (ADE20K: True), so both load the same labels"),
    ("mmseg", pipe("Pad"), EQUIV,
     "voc12aug: theirs keep Pad(size=crop_size) besides data_preprocessor.size; padding twice "
     "to the same size is a no-op"),
    ("mmseg", r"model\.(pretrained|backbone\.init_cfg)", EQUIV,
     "segformer: theirs moved pretrained into backbone.init_cfg; EncoderDecoder hands "
     "model.pretrained to the backbone, which makes it that same init_cfg", r"segformer"),
    ("mmseg", r"model\.(pretrained|backbone\.depth)", OURS,
     "sem_fpn r101: theirs' file assigns `model` twice and the second (data_preprocessor only) "
     "replaces the first, losing depth=101 and the r101 checkpoint", r"sem_fpn"),
    ("mmseg", r"data_preprocessor\.size", OURS,
     "upernet r18 (ade20k/voc12aug): ours keep the crop size; theirs set no size, and mmseg "
     "1.2.2's stack_batch asserts one of size/size_divisor when training (their config bug)"),
    ("mmseg", r"model\.backbone\.patch_bias", OURS,
     "ViT (dpt, setr, upernet vit, segmenter): ours write patch_bias=True; mmseg 0.30 vit.py "
     "built PatchEmbed without `bias` (its default True), 1.2.2 vit.py passes "
     "bias=patch_bias, default False: theirs' configs drop the patch-embedding bias the 0.30 "
     "model (and its checkpoints) had"),
]

# Theirs-right groups fixed in the profile rules (the leaves agree now): (codebase, what, rule).
FIXED = [
    ("mmdet", "transforms after LoadProposals", "mmdet.pipelines: ProposalBroadcaster"),
    ("mmdet", "SegRescale", "mmdet.pipelines: the factor moves to the semantic head"),
    ("mmdet", "Albu label fields", "mmdet.pipelines"),
    ("mmdet", "panoptic box post-processing", "mmdet.model: test_cfg.panoptic -> test_cfg.rcnn"),
    ("mmdet", "retinanet r101 3x: model.pretrained beside the base's backbone init_cfg "
     "(2.x refused it)", "mmdet.model: the child's checkpoint, with a warning"),
    ("mmdet", "openimages ssd300: LoadAnnotations(normed_bbox), an argument 2.28 never had",
     "mmdet.pipelines: under TODO"),
    ("mmpretrain", "resnest: Lighting(to_rgb=True) + Normalize(to_rgb=False) fed the model RGB",
     "mmpretrain.pipelines: Lighting on BGR with reversed eigvec, to_rgb=True"),
    ("mmpretrain", "lenet mnist: val/test without test_mode read the test set",
     "mmpretrain.datasets: split='test' for val/test by default"),
    ("mmseg", "loveda: model.pretrained beside backbone.init_cfg", "mmseg.model"),
]
