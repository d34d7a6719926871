"""runtime.logging, runtime.visualization and runtime.runner.log_processor.

Line formats are checked against hand-written MMEngine-style strings and, where cheap, against
the real mmengine 0.10.7 implementation fed with the same fake runner (differential tests).
"""
import io
import itertools
import logging
import re
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from runtime.logging import HistoryBuffer, MessageHub, MMLogger, ProgressBar, print_log
from runtime.runner.log_processor import LogProcessor
from runtime.visualization import LocalVisBackend, TensorboardVisBackend, Visualizer, WandbVisBackend

_ids = itertools.count()


def _name(prefix):
    return f"{prefix}_{next(_ids)}"


# --- HistoryBuffer --------------------------------------------------------------------------
def test_history_buffer_statistics():
    buf = HistoryBuffer()
    for v, c in [(1.0, 1), (2.0, 1), (9.0, 3)]:
        buf.update(v, c)
    assert buf.current() == 9.0
    assert buf.mean() == pytest.approx(12.0 / 5)
    assert buf.mean(2) == pytest.approx(11.0 / 4)
    assert buf.max() == 9.0 and buf.min(2) == 2.0
    assert buf.statistics("mean", 1) == pytest.approx(3.0)
    values, counts = buf.data
    assert values.tolist() == [1.0, 2.0, 9.0] and counts.tolist() == [1, 1, 3]
    with pytest.raises(KeyError):
        buf.statistics("median")
    with pytest.raises(TypeError):
        buf.update("1.0")


def test_history_buffer_max_length_and_empty():
    buf = HistoryBuffer(max_length=3)
    for v in range(5):
        buf.update(float(v))
    assert buf.data[0].tolist() == [2.0, 3.0, 4.0]
    with pytest.raises(ValueError):
        HistoryBuffer().current()


# --- MessageHub -----------------------------------------------------------------------------
def test_message_hub_scalars_and_info():
    hub = MessageHub.get_instance(_name("hub"))
    assert MessageHub.get_current_instance() is hub
    hub.update_scalar("train/loss", torch.tensor(2.0))
    hub.update_scalar("train/loss", np.float32(4.0))
    hub.update_scalars({"train/acc": dict(value=0.5, count=2), "train/x": 3})
    assert hub.get_scalar("train/loss").mean() == pytest.approx(3.0)
    assert hub.get_scalar("train/acc").data[1].tolist() == [2]
    hub.update_info("epoch", 3)
    hub.update_info_dict({"iter": 10})
    assert hub.get_info("epoch") == 3 and hub.get_info("missing", 7) == 7
    assert hub.pop_info("iter") == 10 and "iter" not in hub.runtime_info
    with pytest.raises(KeyError):
        hub.get_scalar("nope")
    with pytest.raises(TypeError):
        hub.update_scalar("bad", "x")
    with pytest.raises(ValueError):
        hub.update_scalar("arr", np.ones(3))


def test_message_hub_state_dict_layout_and_roundtrip():
    hub = MessageHub(name=_name("hub"))
    hub.update_scalar("train/loss", 1.0)
    hub.update_scalar("train/time", 0.1, resumed=False)
    hub.update_info("epoch", 2)
    hub.update_info("eta", 100, resumed=False)
    state = hub.state_dict()
    assert set(state) == {"log_scalars", "runtime_info", "resumed_keys"}
    assert list(state["log_scalars"]) == ["train/loss"]
    assert isinstance(state["log_scalars"]["train/loss"], HistoryBuffer)
    assert dict(state["runtime_info"]) == {"epoch": 2}
    assert state["resumed_keys"]["train/time"] is False
    with pytest.raises(ValueError):
        hub.update_scalar("train/time", 0.2, resumed=True)

    other = MessageHub(name=_name("hub"))
    other.load_state_dict(state)
    assert other.get_scalar("train/loss").current() == 1.0
    assert other.get_info("epoch") == 2 and other.get_info("eta") is None
    # the state survives torch.save/torch.load as stored in checkpoints
    buf = io.BytesIO()
    torch.save({"message_hub": state}, buf)
    buf.seek(0)
    loaded = torch.load(buf, weights_only=False)["message_hub"]
    third = MessageHub(name=_name("hub"))
    third.load_state_dict(loaded)
    assert third.get_scalar("train/loss").data[0].tolist() == [1.0]


# --- MMLogger / print_log -------------------------------------------------------------------
LINE = re.compile(r"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} - mmengine - (INFO|WARNING) - (.*)$")


def test_mmlogger_file_format_and_duplicate_warnings(tmp_path, capsys):
    log_file = tmp_path / "20240101_000000" / "20240101_000000.log"
    logger = MMLogger.get_instance(_name("log"), log_file=str(log_file), log_level="INFO")
    assert MMLogger.get_current_instance() is logger and logger.log_file == str(log_file)
    logger.info("hello")
    logger.warning("careful")
    logger.warning("careful")
    logger.debug("hidden")
    print_log("via current", logger="current")
    print_log("via name", logger=logger.instance_name, level=logging.WARNING)
    print_log("dropped", logger="silent")
    for h in logger.handlers:
        h.flush()
    lines = log_file.read_text().splitlines()
    parsed = [LINE.match(line).groups() for line in lines]
    assert parsed == [("INFO", "hello"), ("WARNING", "careful"), ("INFO", "via current"),
                      ("WARNING", "via name")]
    out = capsys.readouterr().out
    assert re.search(r"^\d{2}/\d{2} \d{2}:\d{2}:\d{2} - mmengine - INFO - hello$", out, re.M)
    assert "hidden" not in out and "dropped" not in out
    with pytest.raises(ValueError):
        print_log("x", logger="never-created-logger")


def test_mmlogger_non_zero_rank(tmp_path, monkeypatch):
    monkeypatch.setattr("runtime.logging.logger._rank_and_world", lambda: (1, 2))
    quiet = MMLogger(name=_name("r1"), log_file=str(tmp_path / "a.log"))
    assert quiet.handlers[0].level == logging.ERROR and len(quiet.handlers) == 1  # no file
    per_rank = MMLogger(name=_name("r1"), log_file=str(tmp_path / "a.log"), distributed=True)
    assert re.fullmatch(r"a_.+_device\d+_rank1\.log", per_rank.log_file.split("/")[-1])
    per_rank.info("x")
    assert (tmp_path / per_rank.log_file.split("/")[-1]).exists()


def test_print_log_none_prints(capsys):
    print_log("plain")
    assert capsys.readouterr().out == "plain\n"


# --- LogProcessor ---------------------------------------------------------------------------
def fake_runner(hub, *, epoch=0, it=49, max_epochs=12, max_iters=9384, n_train=782, n_val=10,
                n_test=10, training=True):
    return SimpleNamespace(
        message_hub=hub, epoch=epoch, iter=it, max_epochs=max_epochs, max_iters=max_iters,
        _train_loop=object() if training else None, model=torch.nn.Linear(1, 1),
        train_loop=SimpleNamespace(dataloader=range(n_train)),
        val_loop=SimpleNamespace(dataloader=range(n_val)),
        test_loop=SimpleNamespace(dataloader=range(n_test)))


def train_hub():
    hub = MessageHub(name=_name("hub"))
    hub.update_scalar("train/lr", 1e-3)
    for i in range(12):
        hub.update_scalar("train/loss", 2.0 + 0.1 * i)
        hub.update_scalar("train/time", 0.0123)
        hub.update_scalar("train/data_time", 0.0012)
        hub.update_scalar("train/acc", float(i))
    hub.update_info("eta", 151.7)
    return hub


def test_train_line_exact_format():
    hub = train_hub()
    tag, line = LogProcessor(window_size=10).get_log_after_iter(fake_runner(hub), 49, "train")
    # loss: mean of the last 10 values 2.2..3.1 = 2.65; acc is not averaged (current value 11)
    assert line == ("Epoch(train)  [1][ 50/782]  lr: 1.0000e-03  eta: 0:02:31  time: 0.0123  "
                    "data_time: 0.0012  loss: 2.6500  acc: 11.0000")
    assert tag["epoch"] == 1 and tag["iter"] == 50 and tag["lr"] == pytest.approx(1e-3)
    assert tag["loss"] == pytest.approx(2.65) and "memory" not in tag


def test_iter_based_and_val_lines():
    hub = train_hub()
    runner = fake_runner(hub, it=49, max_iters=1000)
    _, line = LogProcessor(by_epoch=False).get_log_after_iter(runner, 49, "train")
    assert line.startswith("Iter(train) [  50/1000]  lr: 1.0000e-03  eta: 0:02:31  ")
    hub.update_scalar("val/accuracy", 41.0)
    hub.update_scalar("val/data_time", 0.001)  # IterTimerHook records data_time first
    hub.update_scalar("val/time", 0.002)
    runner.epoch = 1
    tag, line = LogProcessor().get_log_after_epoch(runner, 10, "val")
    assert line == "Epoch(val) [1][10/10]    accuracy: 41.0000  data_time: 0.0010  time: 0.0020"
    assert list(tag) == ["accuracy", "data_time", "time"]
    _, line = LogProcessor().get_log_after_iter(runner, 4, "val")
    assert line == "Epoch(val)  [1][ 5/10]    eta: 0:02:31  time: 0.0020  data_time: 0.0010  "


def _mm_processor(**kw):
    from mmengine.runner import LogProcessor as MMLogProcessor
    return MMLogProcessor(**kw)


SCENARIOS = [
    dict(kw={}, runner={}),
    dict(kw=dict(by_epoch=False), runner={}),
    dict(kw=dict(window_size=3, num_digits=2), runner={}),
    dict(kw=dict(log_with_hierarchy=True), runner={}),
    dict(kw=dict(custom_cfg=[dict(data_src="loss", method_name="max", window_size="global",
                                  log_name="loss_max"),
                             dict(data_src="acc", method_name="mean", window_size="epoch")]),
         runner={}),
    dict(kw={}, runner=dict(training=False, epoch=0)),
    dict(kw=dict(by_epoch=False), runner=dict(training=False)),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=range(len(SCENARIOS)))
@pytest.mark.parametrize("mode", ["train", "val", "test"])
def test_log_processor_matches_mmengine(scenario, mode):
    hub = train_hub()
    for m in ("val", "test"):
        for i in range(10):
            hub.update_scalar(f"{m}/time", 0.002 + i * 1e-4)
            hub.update_scalar(f"{m}/data_time", 0.001)
            hub.update_scalar(f"{m}/loss", 0.5 + i)
        hub.update_scalar(f"{m}/accuracy", 41.0)
        hub.update_info(f"{m}/confusion", np.eye(2))
    runner = fake_runner(hub, **scenario["runner"])
    if mode == "train" and not scenario["runner"].get("training", True):
        return
    ours, theirs = LogProcessor(**scenario["kw"]), _mm_processor(**scenario["kw"])
    for batch_idx in (0, 4, 9):
        assert ours.get_log_after_iter(runner, batch_idx, mode) == \
            theirs.get_log_after_iter(runner, batch_idx, mode)
    if mode != "train":
        for non_scalar in (False, True):
            tag_a, line_a = ours.get_log_after_epoch(runner, 10, mode, with_non_scalar=non_scalar)
            tag_b, line_b = theirs.get_log_after_epoch(runner, 10, mode,
                                                       with_non_scalar=non_scalar)
            assert line_a == line_b
            assert list(tag_a) == list(tag_b)


def test_log_processor_rejects_bad_custom_cfg():
    with pytest.raises(ValueError):
        LogProcessor(custom_cfg=[dict(data_src="loss"), dict(data_src="loss")])
    with pytest.raises(ValueError):
        LogProcessor(by_epoch=False, custom_cfg=[dict(data_src="loss", window_size="epoch")])


# --- Visualizer / backends ------------------------------------------------------------------
def test_local_vis_backend_scalars_json(tmp_path):
    vis = Visualizer.get_instance(_name("vis"), vis_backends=[dict(type="LocalVisBackend")],
                                  save_dir=str(tmp_path))
    assert Visualizer.get_current_instance() is vis
    vis.add_scalars({"lr": 0.001, "loss": np.float64(2.5), "epoch": 1, "iter": 10}, step=10,
                    file_path="20240101_000000.json")
    vis.add_scalars({"accuracy": 41.0}, step=1)
    vis.add_scalar("single", torch.tensor(3.0), step=2)
    lines = (tmp_path / "vis_data" / "scalars.json").read_text().splitlines()
    assert lines == ['{"lr": 0.001, "loss": 2.5, "epoch": 1, "iter": 10, "step": 10}',
                     '{"accuracy": 41.0, "step": 1}', '{"single": 3.0, "step": 2}']
    extra = (tmp_path / "vis_data" / "20240101_000000.json").read_text().splitlines()
    assert extra == [lines[0]]
    cfg = SimpleNamespace(pretty_text="a = 1\n")
    vis.add_config(cfg)
    assert (tmp_path / "vis_data" / "config.py").read_text() == "a = 1\n"
    vis.add_image("img", np.zeros((4, 5, 3), dtype=np.uint8), step=3)
    png = (tmp_path / "vis_data" / "vis_image" / "img_3.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    import cv2
    assert cv2.imread(str(tmp_path / "vis_data" / "vis_image" / "img_3.png")).shape == (4, 5, 3)
    vis.close()


def test_local_vis_backend_matches_mmengine_bytes(tmp_path):
    from mmengine.visualization import LocalVisBackend as MMLocal
    ours, theirs = LocalVisBackend(str(tmp_path / "a")), MMLocal(str(tmp_path / "b"))
    payload = {"lr": 1e-3, "loss": np.float64(2.3026), "memory": 12, "epoch": 1}
    for b in (ours, theirs):
        b.add_scalars(dict(payload), step=50, file_path="t.json")
        b.add_scalar("x", 1.5, step=3)
    for f in ("scalars.json", "t.json"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()


def test_optional_backends_fail_clearly_only_when_used(tmp_path):
    vis = Visualizer(name=_name("vis"), save_dir=str(tmp_path),
                     vis_backends=[dict(type="WandbVisBackend"),
                                   dict(type="TensorboardVisBackend")])
    assert isinstance(vis.get_backend("WandbVisBackend"), WandbVisBackend)
    tb = vis.get_backend("TensorboardVisBackend")
    assert isinstance(tb, TensorboardVisBackend)
    try:
        import torch.utils.tensorboard  # noqa: F401
        has_tb = True
    except ImportError:
        has_tb = False
    if not has_tb:
        with pytest.raises(ImportError, match="tensorboard"):
            tb.add_scalars({"a": 1.0}, step=1)
    try:
        import wandb  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="wandb"):
            vis.get_backend("WandbVisBackend").add_scalars({"a": 1.0})


def test_visualizer_duplicate_backend_name_rejected(tmp_path):
    with pytest.raises(RuntimeError):
        Visualizer(name=_name("vis"), save_dir=str(tmp_path),
                   vis_backends=[dict(type="LocalVisBackend"), dict(type="LocalVisBackend")])


# --- ProgressBar ----------------------------------------------------------------------------
def test_progress_bar_silent_off_tty_and_drawn_when_forced():
    quiet = io.StringIO()
    bar = ProgressBar(3, stream=quiet)
    bar.update()
    assert quiet.getvalue() == "" and bar.completed == 1
    loud = io.StringIO()
    bar = ProgressBar(2, width=4, stream=loud, force=True)
    bar.update()
    bar.update()
    text = loud.getvalue()
    assert "[>>  ] 1/2" in text and "[>>>>] 2/2" in text and text.endswith("\n")


def test_history_buffer_matches_mmengine_values_and_pickled_state():
    """The amortised storage behaves like MMEngine's np.append one (values, dtypes, max_length
    trimming) and pickles MMEngine's exact state dict, so checkpoints interchange."""
    mm = pytest.importorskip("mmengine.logging")
    import numpy as np
    from runtime.logging.history_buffer import HistoryBuffer
    ours, theirs = HistoryBuffer([1], [1], max_length=5), mm.HistoryBuffer([1], [1], max_length=5)
    for i, (v, c) in enumerate([(2, 1), (2.5, 2), (3, 1)] + [(float(k), 1) for k in range(7)]):
        ours.update(v, c)
        theirs.update(v, c)
        for a, b in zip(ours.data, theirs.data):
            assert a.dtype == b.dtype and np.array_equal(a, b), i
        assert ours.mean(3) == theirs.mean(3) and ours.current() == theirs.current()
    state = ours.__getstate__()
    assert set(state) == set(vars(theirs)) == {"max_length", "_log_history", "_count_history"}
    back = HistoryBuffer.__new__(HistoryBuffer)
    back.__setstate__(vars(theirs))
    assert np.array_equal(back.data[0], theirs.data[0]) and back.max_length == 5
    back.update(9.0)
    assert back.current() == 9.0 and len(back.data[0]) == 5
