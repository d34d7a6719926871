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
