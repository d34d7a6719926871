"""The mmcv-level transform table (data only): old transforms -> mmcv 2.x `mmcv.transforms`.

Old side: the transforms each 1.x codebase carried itself (mmdet 2.x / mmseg 0.x `Resize`,
`RandomFlip`, `Normalize`, `Pad`, `MultiScaleFlipAug`, `DefaultFormatBundle`, `Collect`,
`ImageToTensor`, `ToTensor`, `Transpose`, `LoadImageFromFile`). New side: mmcv 2.1.0
`mmcv/transforms/{loading,processing,formatting}.py`:
  LoadImageFromFile(to_float32=False, color_type='color', imdecode_backend='cv2',
                    ignore_empty=False, backend_args=None)
  Resize(scale=None, scale_factor=None, keep_ratio=False, clip_object_border=True, backend='cv2',
         interpolation='bilinear')                           # keep_ratio default False (was True)
  RandomResize(scale, ratio_range=None, resize_type='Resize', **resize_kwargs)
  RandomChoiceResize(scales, resize_type='Resize', **resize_kwargs)
  RandomFlip(prob=None -> ValueError, direction='horizontal', swap_seg_labels=None)
  Pad(size=None, size_divisor=None, pad_to_square=False, pad_val=dict(img=0, seg=255),
      padding_mode='constant')
  CenterCrop(crop_size, auto_pad=False, pad_cfg=dict(type='Pad'), clip_object_border=True)
  RandomGrayscale(prob=0.1, keep_channels=False, channel_weights=(1., 1., 1.), color_format='bgr')
  TestTimeAug(transforms: list of lists)

Entry keys (all optional), read by `pipeline.py`:
  new       new type name (default: unchanged)
  when      the entry applies only if the transform has one of these old-only arguments
            (keeps the conversion idempotent where an old argument name lives on with another
            meaning, e.g. mmcls `RandomResizedCrop(size, scale=range)` -> `(scale=size, ...)`)
  kind      a named converter in pipeline.CONVERTERS (or one a profile passes in);
            'unsupported' (with `todo`: why) leaves the transform out, under TODO
  args      {old: new}             rename
            {old: None}            drop: no meaning any more (the new default does the same)
            {old: {'to': new, 'value': fn}}   rename + a named value transform (pipeline.VALUES)
            {old: {'todo': msg}}   remove and leave under TODO (the new transform has no such
                                   argument and no equivalent)
  defaults  {new: value}  set when absent: the old default differs from the new one
"""

BACKEND_ARGS = {"to": "backend_args", "value": "backend_args"}

TRANSFORMS = {
    "LoadImageFromFile": {"args": {"file_client_args": BACKEND_ARGS,
                                   "channel_order": {"todo": "mmcv 2.x LoadImageFromFile always "
                                                     "decodes BGR; convert in the data "
                                                     "preprocessor instead"}}},
    # mmdet 2.x / mmseg 0.x Resize (mmseg's is a copy of mmdet's). mmcls overrides it.
    "Resize": {"kind": "resize_scales",
               "args": {"img_scale": "scale", "bbox_clip_border": "clip_object_border",
                        "multiscale_mode": None,
                        "override": {"todo": "mmcv 2.x Resize always recomputes the scale"},
                        "min_size": {"todo": "mmcv 2.x Resize has no min_size"}},
               "defaults": {"keep_ratio": True}},
    "RandomFlip": {"kind": "flip", "args": {"flip_ratio": {"to": "prob", "value": "prob"},
                                            "prob": {"to": "prob", "value": "prob"}}},
    "Normalize": {"kind": "normalize"},
    "Pad": {"kind": "pad"},
    "MultiScaleFlipAug": {"kind": "tta"},
    "DefaultFormatBundle": {"kind": "format"},
    "ImageToTensor": {"kind": "format"},
    "ToTensor": {"kind": "format"},
    "Transpose": {"kind": "format"},
    "ToDataContainer": {"kind": "format"},
    "Collect": {"kind": "collect"},
}

# Old Collect meta keys -> new Pack*Inputs meta keys (None: no longer exists in the results).
META_KEYS = {
    "filename": "img_path",
    "ori_filename": None,
    "img_norm_cfg": None,
    "img_info": None,
    "ann_info": None,
}

# How Normalize/Pad arguments land in each codebase's data preprocessor. Keys are the generic
# names the engine produces; values are the preprocessor's argument names (None: it has none,
# so the transform stays in the pipeline). `pad_mask`/`pad_seg`: flags the preprocessor needs
# when the pipeline loads masks / segmentation maps and pads them.
PREPROCESSOR_ARGS_DEFAULT = {
    "mean": "mean", "std": "std", "to_rgb": "bgr_to_rgb",
    "size": None, "size_divisor": "pad_size_divisor", "pad_val": "pad_value",
    "seg_pad_val": None, "pad_to_square": None, "pad_mask": None, "pad_seg": None,
}
