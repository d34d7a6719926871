"""One side's run (migrator/verify/model/side.py) with the system torch and a hand-made model:
what each stage sees, and the update it records."""
import torch

from migrator.verify.model.side import run


class Adapter:
    """Writes into its input in train mode, as mmcls 0.25.0 BatchCutMixLayer does."""

    @staticmethod
    def old_eval(model, img, gt, out):
        out.append(("y", model(img)))

    @staticmethod
    def old_losses(model, img, gt):
        img[:, :, :2, :2] = img.flip(0)[:, :, :2, :2]          # the in-place paste
        loss = model(img).sum() + 0 * gt["labels"].sum()
        return {"loss": loss}, loss


def test_a_stage_writing_into_its_input_changes_nothing_outside():
    torch.manual_seed(0)
    model = torch.nn.Conv2d(3, 2, 1)
    img = torch.randn(2, 3, 4, 4)
    saved = img.clone()
    res = run(model, Adapter, "old", img, {"labels": torch.tensor([0, 1])})
    assert res["errors"] == []
    assert torch.equal(img, saved)                 # the batch the new side reads is untouched
    # eval ran first, with the weights before the step, on the unpasted batch
    before = {k: v - res["step"][k] for k, v in model.state_dict().items()}
    ref = torch.nn.Conv2d(3, 2, 1)
    ref.load_state_dict(before)
    with torch.no_grad():
        assert torch.equal(res["eval"][0][1], ref(saved))
    # the step is after - before, SGD lr 0.01 on the loss of the pasted batch
    pasted = saved.clone()
    pasted[:, :, :2, :2] = saved.flip(0)[:, :, :2, :2]
    ref.zero_grad()
    ref(pasted).sum().backward()
    assert torch.allclose(res["step"]["weight"], -0.01 * ref.weight.grad, rtol=0, atol=1e-7)


class MissingKernelError(RuntimeError):
    """What the `_ext` stand-in raises (matched by its name, as in the envs)."""


class KernelEverywhere(Adapter):
    """A two-stage detector whose backbone needs a compiled kernel (DCN): the full loss and the
    RPN-only partial losses both reach it."""

    @staticmethod
    def old_losses(model, img, gt):
        raise MissingKernelError("mmcv._ext.deform_conv_forward: compiled MMCV ops are not built")

    @staticmethod
    def old_partial_losses(model, img, gt):
        model.weight.data.add_(1.0)                 # half-way through, then the kernel
        raise MissingKernelError("mmcv._ext.deform_conv_forward: compiled MMCV ops are not built")


def test_partial_losses_stopped_by_a_kernel_are_no_error():
    """Training is then not compared (PARTIAL at the kernel), not an error of both sides (the
    mmdet DCN/CARAFE/guided-anchoring detectors were DIFFERS `train (partial) raised`)."""
    from migrator.verify.model.compare import compare
    torch.manual_seed(0)
    model = torch.nn.Conv2d(3, 2, 1)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    res = run(model, KernelEverywhere, "old", torch.randn(2, 3, 4, 4), {})
    assert res["errors"] == [] and res["train_stop"] == "deform_conv_forward"
    assert res["partial"] is None and res["total"] is None and res["step"] is None
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    out = compare({"result": res}, {"result": res}, {"missing": [], "unexpected": [],
                                                      "shape": []}, {}, "mmdet")
    assert out["verdict"] == "PARTIAL" and out["first_difference"] is None, out
    assert out["stopped_at"].endswith("; train: not compared")


class TridentConv(torch.nn.Module):
    """As mmdet 2.28.2 allocates it: torch.Tensor(...), never initialised (NaN here)."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.full((8, 4, 3, 3), float("nan")))
        self.bias = None


def test_left_over_weights_are_initialised_deterministically():
    from migrator.verify.model.inenv import init_left_over
    got = []
    for _ in range(2):
        model = torch.nn.Sequential(TridentConv(), torch.nn.Conv2d(4, 8, 1))
        conv = model[1].weight.detach().clone()
        torch.manual_seed(0)
        init_left_over(model)
        got.append(model[0].weight.detach().clone())
        assert torch.equal(model[1].weight, conv)              # other modules untouched
    bound = (6 / (4 * 9)) ** 0.5                                # kaiming uniform, fan_in, relu
    assert torch.equal(got[0], got[1]) and got[0].abs().max() <= bound
    assert got[0].std() > bound / 3


class Distiller(torch.nn.Module):
    """As mmdet's KnowledgeDistillationSingleStageDetector keeps its teacher: a plain attribute
    (object.__setattr__), out of state_dict()."""

    def __init__(self):
        super().__init__()
        self.student = torch.nn.Linear(2, 2)
        object.__setattr__(self, "teacher_model", torch.nn.Linear(2, 3))


def test_an_unregistered_teacher_moves_with_the_state_dict():
    """LAD's teacher assigns the student's labels: each side's own random teacher made loss_cls
    differ by 1.7% (lad_r101_paa_r50); its weights now go with the student's."""
    from migrator.verify.model.inenv import full_state, load_full
    old, new = Distiller(), Distiller()
    assert "teacher_model.weight" not in old.state_dict()
    sd = full_state(old)
    assert {"student.weight", "teacher_model.weight", "teacher_model.bias"} <= set(sd)
    load_full(new, sd)
    assert torch.equal(new.teacher_model.weight, old.teacher_model.weight)
    assert torch.equal(new.student.weight, old.student.weight)
