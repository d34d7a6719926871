"""One side's run of a model (imported inside an environment only; both harnesses use it).

`run(model, adapter, side, img, gt)` does, in this order, on a model whose weights are already
set (old: `torch.manual_seed(0); init_weights()`, new: the old state dict through the key map):
  eval   `model.eval()`, `seed_all(1)`, `adapter.<side>_eval` under `torch.no_grad()`: the named
         tensors (backbone/neck/head outputs) appended as they are computed, so a missing kernel
         keeps everything before it;
  train  the state before training is kept, `model.train()`, `seed_all(1)`,
         `adapter.<side>_losses` -> the loss dict (flattened key by key) and its total (the
         codebase's own parse_losses), then one SGD step (lr 0.01, no momentum) on the total;
         `step` is the update of every state-dict entry (after - before: parameters and buffers
         such as BN running statistics). If the full loss needs a missing kernel, the weights are
         restored and `adapter.<side>_partial_losses` (if any: the RPN alone) gives the losses
         and the step instead; `train_stop` names the kernel. If the partial losses need a
         missing kernel as well (before the RPN: a DCN backbone, a CARAFE neck), training is not
         compared (no partial losses, no error).
"""
from __future__ import annotations

from .inenv import SEED_FORWARD, error_info, flatten, missing_kernel, seed_all, sgd_step, state


def run(model, adapter, side: str, img, gt, phases=None) -> dict:
    """Each stage gets its own copy of `img` and `gt`: a stage that writes into its input
    (mmcls 0.25.0 BatchCutMixLayer pastes the patch into the batch in place) must not change
    what the next stage, or the saved batch the new side reads, sees."""
    import copy
    import time
    import torch
    phases = {} if phases is None else phases
    t = [time.process_time()]    # CPU seconds: the machine may be shared

    def lap(name):
        now = time.process_time()
        phases[name] = round(phases.get(name, 0.0) + now - t[0], 3)
        t[0] = now
    res = {"eval": [], "eval_stop": None, "losses": [], "total": None, "train_stop": None,
           "partial": None, "step": None, "errors": []}
    model.eval()
    seed_all(SEED_FORWARD)
    try:
        with torch.no_grad():
            getattr(adapter, f"{side}_eval")(model, img.clone(), copy.deepcopy(gt),
                                             res["eval"])
    except Exception as e:  # noqa: BLE001 - recorded, compared with the other side
        op = missing_kernel(e)
        if op:
            res["eval_stop"] = op
        else:
            res["errors"].append(error_info(e, "eval"))
    lap("eval")
    before = state(model)
    model.train()
    seed_all(SEED_FORWARD)
    try:
        losses, total = getattr(adapter, f"{side}_losses")(model, img.clone(),
                                                           copy.deepcopy(gt))
        lap("train forward")
        _train_result(res, model, losses, total, before)
        lap("backward + step")
    except Exception as e:  # noqa: BLE001
        lap("train forward")
        op = missing_kernel(e)
        if not op:
            res["errors"].append(error_info(e, "train"))
            return res
        res["train_stop"] = op
        model.load_state_dict(before)
        model.zero_grad(set_to_none=True)
        partial = getattr(adapter, f"{side}_partial_losses", None)
        if partial is None:
            return res
        seed_all(SEED_FORWARD)
        try:
            got = partial(model, img.clone(), copy.deepcopy(gt))
            if got is not None:
                res["partial"] = got[0]
                _train_result(res, model, got[1], got[2], before)
        except Exception as e2:  # noqa: BLE001
            # the partial losses need a kernel too (a DCN backbone, a CARAFE neck): nothing
            # of the training is compared, as when there are no partial losses
            if not missing_kernel(e2):
                res["errors"].append(error_info(e2, "train (partial)"))
            res["partial"], res["losses"], res["total"], res["step"] = None, [], None, None
            model.load_state_dict(before)
            model.zero_grad(set_to_none=True)
        lap("partial train")
    return res


def _train_result(res, model, losses, total, before) -> None:
    import torch
    res["losses"] = flatten("", losses)
    res["total"] = total.detach().clone()
    sgd_step(model, total)
    # the update (after - before) straight from the state dict, no copy of `after`: an IEEE
    # float32 subtraction is the exact difference rounded once, what the float64 subtraction
    # rounded to float32 gave (3x slower on large models), and both sides compute it alike
    with torch.no_grad():
        res["step"] = {k: v.detach() - before[k] for k, v in model.state_dict().items()}
    model.zero_grad(set_to_none=True)          # the gradients are no longer needed (memory)
