"""Known deviations of the model comparison (migrator/verify/model/known.py): pure data, the
records are shaped like the ones the harness writes (first differences seen on the corpora)."""
from migrator.verify.model.known import annotate


def rec(new, where, message, old="", new_value=""):
    return {"new": new, "known_deviations": [], "verdict": "DIFFERS",
            "first_difference": {"where": where, "message": message, "old": old,
                                 "new": new_value}}


def test_conformer_loss_is_known_anywhere_in_the_tree():
    r = annotate(rec("/x/conformer/conformer-tiny-p16_8xb128_in1k.py", "loss loss",
                     "loss loss: max |diff| 7.04 at [] (old 7.038074, new 14.07615)"))
    assert [d["field"] for d in r["known_deviations"]] == ["loss"]
    assert "sums them" in r["known_deviations"][0]["why"]
    assert r["known_deviations"][0]["size"].endswith("(old 7.038074, new 14.07615)")
    # the same first difference in another family is not this deviation
    assert annotate(rec("/x/resnet/resnet18_8xb32_in1k.py", "loss loss",
                        "loss loss: max |diff| 7.04 at []"))["known_deviations"] == []


def test_numerical_deviation_has_a_bound():
    small = "eval backbone.out[0]: max |diff| 1e-05 at [1, 238] (old 0.4321077, new 0.4320976)"
    large = "eval backbone.out[0]: max |diff| 0.3 at [1, 238] (old 0.4321077, new 0.1320976)"
    path = "/x/convnext/convnext-tiny_32xb128_in1k.py"
    assert annotate(rec(path, "eval backbone.out[0]", small))["known_deviations"]
    assert annotate(rec(path, "eval backbone.out[0]", large))["known_deviations"] == []
    # a checkpoint difference is never a numerical deviation
    assert annotate(rec(path, "checkpoint backbone.x", "missing ..."))["known_deviations"] == []


def test_matches_the_error_text_in_old_or_new():
    r = annotate(rec("/x/cgnet/cgnet_512x1024_60k_cityscapes.py", "train",
                     "train raised on the new side only", old="ok",
                     new_value="IndexError: index 255 is out of bounds for dimension 0 with "
                               "size 19"))
    assert r["known_deviations"] and "class_weight" in r["known_deviations"][0]["why"]
    assert annotate(rec("/x/cgnet/cgnet_512x1024_60k_cityscapes.py", "train",
                        "train raised on the new side only", old="ok",
                        new_value="KeyError: 'x'"))["known_deviations"] == []


def test_t2t_attention_scale_and_twins_rounding():
    """The first differences the corpus run found: T2T-ViT's cls token (mmpretrain 1.2.0 divides
    by its qk scale) and Twins' update rounding (bounded: a real difference is not this)."""
    t2t = "/x/t2t_vit/t2t-vit-t-14_8xb64_in1k.py"
    r = annotate(rec(t2t, "eval backbone.out[0].cls_token",
                     "eval backbone.out[0].cls_token: max |diff| 1.92 at [0, 129] (old 2.001027, "
                     "new 0.07956205)"))
    assert [d["field"] for d in r["known_deviations"]] == ["T2T module attention scale"]
    assert annotate(rec(t2t, "loss loss", "loss loss: max |diff| 0.5 at []")
                    )["known_deviations"] == []
    twins = "/x/twins/twins-svt-small_8xb128_in1k.py"
    step = ("step backbone.patch_embeds.0.projection.weight: max |diff| 7.45e-09 at [5, 0, 2, 0] "
            "(old -3.669411e-05, new -3.670156e-05)")
    assert annotate(rec(twins, step.split(":")[0], step))["known_deviations"]
    assert annotate(rec(twins, step.split(":")[0], step.replace("7.45e-09", "0.002"))
                    )["known_deviations"] == []


def test_an_error_the_offline_envs_cannot_avoid_is_not_runnable():
    """timm is in neither env: the TIMMBackbone config is named as not runnable, not as an
    unexplained error; another build error of the same config is not."""
    msg = ('the old model could not be run (build): RuntimeError: RetinaNet: TIMMBackbone: '
           'Failed to import timm. Please run "pip install timm".')
    timm = dict(rec("/x/timm_example/retinanet_timm_efficientnet_b1_fpn_1x_coco.py",
                    "old build", msg), verdict="ERROR")
    assert "timm package" in annotate(timm)["not_runnable"]
    other = dict(timm, first_difference=dict(timm["first_difference"], message="KeyError: 'x'"))
    assert "not_runnable" not in annotate(other)


def test_yolact_masks_of_a_smaller_image():
    """The second (smaller) image's segm loss: known; the first image's is not this."""
    path = "/x/yolact/yolact_r101_1x8_coco.py"
    msg = "loss loss_segm[1]: max |diff| 0.0842 at [] (old 106.7956, new 106.8798)"
    r = annotate(rec(path, "loss loss_segm[1]", msg))
    assert "batch_input_shape" in r["known_deviations"][0]["why"]
    assert annotate(rec(path, "loss loss_segm[0]", msg.replace("[1]", "[0]")))[
        "known_deviations"] == []


def test_mmseg_dice_loss_rewritten():
    msg = "loss aux_2.loss_dice: max |diff| 0.0341 at [] (old 0.4048104, new 0.370719)"
    r = annotate(rec("/x/stdc/stdc1_512x1024_80k_cityscapes.py", "loss aux_2.loss_dice", msg))
    assert r["known_deviations"][0]["field"] == "DiceLoss"
    assert annotate(rec("/x/stdc/stdc1_512x1024_80k_cityscapes.py", "loss aux_2.loss_ce",
                        msg.replace("dice", "ce")))["known_deviations"] == []


def test_an_old_config_broken_upstream_is_not_runnable():
    msg = ("the old model could not be run (build): TypeError: FasterRCNN: FasterRCNN.__init__() "
           "got an unexpected keyword argument 'bbox_head' [mmcv/utils/registry.py:72]")
    r = dict(rec("/x/objects365/retinanet_r50_fpn_syncbn_1350k_obj365v1.py", "old build", msg),
             verdict="ERROR")
    assert "faster_rcnn_r50_fpn" in annotate(r)["not_runnable"]
    assert "not_runnable" not in annotate(dict(r, new="/x/objects365/retinanet_r50_fpn_1x.py"))
