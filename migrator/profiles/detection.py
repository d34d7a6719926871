"""Which codebase a config belongs to (data only; `profiles.detect` reads it).

Facts from the registries of mmdet 2.28.2 (`mmdet/datasets`, `mmdet/models/detectors`), mmcls
0.25.0, mmseg 0.30.0 and mmpose 0.29.0 (`mmpose/models/detectors`; no profile: its configs get
the generic conversion only). A name registered by two codebases (CustomDataset,
CityscapesDataset, ConcatDataset, DeepFashionDataset (mmdet and mmpose), ...) decides nothing; the
model or another dataset decides.
"""

# scopes and package names -> profile name (mmcls became mmpretrain)
ALIASES = {"mmdet": "mmdet", "mmcls": "mmpretrain", "mmpretrain": "mmpretrain", "mmseg": "mmseg",
           "mmsegmentation": "mmseg"}

DATASETS = {
    "mmdet": {"CocoDataset", "CocoPanopticDataset", "LVISDataset",
              "LVISV05Dataset", "LVISV1Dataset", "Objects365V1Dataset", "Objects365V2Dataset",
              "OccludedSeparatedCocoDataset", "OpenImagesChallengeDataset", "OpenImagesDataset",
              "VOCDataset", "WIDERFaceDataset", "XMLDataset"},
    "mmpretrain": {"CIFAR10", "CIFAR100", "CUB", "FashionMNIST", "ImageNet", "ImageNet21k",
                   "KFoldDataset", "MNIST", "StanfordCars", "VOC"},
    "mmseg": {"ADE20KDataset", "COCOStuffDataset", "ChaseDB1Dataset", "DRIVEDataset",
              "DarkZurichDataset", "FaceOccludedDataset", "HRFDataset", "ISPRSDataset",
              "LoveDADataset", "NightDrivingDataset", "PascalContextDataset",
              "PascalContextDataset59", "PascalVOCDataset", "PotsdamDataset", "STAREDataset",
              "iSAIDDataset"},
}

MODELS = {
    "mmdet": {"ATSS", "AutoAssign", "CascadeRCNN", "CenterNet", "CornerNet", "DDOD", "DETR",
              "DeformableDETR", "FCOS", "FOVEA", "FSAF", "FastRCNN", "FasterRCNN", "GFL",
              "GridRCNN", "HybridTaskCascade", "KnowledgeDistillationSingleStageDetector", "LAD",
              "Mask2Former", "MaskFormer", "MaskRCNN", "MaskScoringRCNN", "NASFCOS", "PAA",
              "PanopticFPN", "PointRend", "QueryInst", "RPN", "RepPointsDetector", "RetinaNet",
              "SCNet", "SOLO", "SOLOv2", "SingleStageDetector", "SingleStageInstanceSegmentor",
              "SparseRCNN", "TOOD", "TridentFasterRCNN", "TwoStageDetector",
              "TwoStagePanopticSegmentor", "VFNet", "YOLACT", "YOLOF", "YOLOV3", "YOLOX"},
    "mmpretrain": {"ImageClassifier"},
    "mmseg": {"EncoderDecoder", "CascadeEncoderDecoder"},
}

# models of codebases without a profile: such a config is none of the profiles' (decided: None)
OTHER_MODELS = {
    "mmpose": {"AssociativeEmbedding", "CID", "DetectAndRegress", "DisentangledKeypointRegressor",
               "GestureRecognizer", "Interhand3D", "MultiTask", "ParametricMesh", "PoseLifter",
               "PoseWarper", "TopDown", "VoxelCenterDetector", "VoxelSinglePose"},
}

# `_base_` file names the codebases' own trees use for their dataset bases
BASE_NAMES = {
    "mmdet": ("coco_detection", "coco_instance", "coco_panoptic", "voc0712", "lvis_", "wider_face",
              "deepfashion.py", "openimages", "objects365", "cityscapes_detection",
              "cityscapes_instance"),
    "mmpretrain": ("imagenet_bs", "cifar10_bs", "cifar100_bs", "mnist_bs", "cub_bs"),
    "mmseg": ("ade20k", "pascal_context", "pascal_voc12", "cityscapes.py", "cityscapes_769",
              "coco-stuff", "drive", "hrf", "stare", "chase_db1", "loveda", "potsdam",
              "vaihingen", "isaid"),
}

# directory names in a config's path (last resort: the codebases' own trees live under them)
PATH_PARTS = {"mmdet": "mmdet", "mmcls": "mmpretrain", "mmpretrain": "mmpretrain",
              "mmseg": "mmseg", "mmsegmentation": "mmseg"}
