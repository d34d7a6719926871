"""The HTML verification report (migrator/verify/html.py), checked in its markup and in a real
headless Chromium: the page renders, the first-difference marker and the curves are visible in
the screenshot, and the page requests nothing from the network.

The pair drawn is the maintainers' own faster_rcnn migration in miniature: MMCV's linear warmup
over 500 iterations (lr_i = 0.02 * (1 - (1 - i/500) * (1 - 0.001))) against MMEngine's
LinearLR(start_factor=0.001, end=500), which reaches the full lr one iteration earlier
(factor_i = 0.001 + 0.999 * i / 499). Hand-computed at i = 1: old 0.02 * 0.002998 = 5.9960e-05,
new 0.02 * 0.003002 = 6.0040e-05, relative difference (6.004 - 5.996) / 6.004 = +0.133 %.
"""
import http.server
import os
import re
import shutil
import struct
import subprocess
import threading
import zlib
from pathlib import Path

import pytest

from migrator.verify import compare, mmcv_trace
from migrator.verify.html import (MAX_POINTS, ML, MR, W, log_ticks, nice_ticks, fmt_num,
                                  pair_section, render_html, sample_indices, write_report)
from migrator.verify.run import Check, PairResult

EPOCH_LEN, EPOCHS = 502, 12
OLD_CFG = dict(optimizer=dict(type="SGD", lr=0.02, momentum=0.9, weight_decay=1e-4),
               lr_config=dict(policy="step", warmup="linear", warmup_iters=500,
                              warmup_ratio=0.001, step=[8, 11]),
               runner=dict(type="EpochBasedRunner", max_epochs=EPOCHS),
               checkpoint_config=dict(interval=1), evaluation=dict(interval=1),
               data=dict(samples_per_gpu=2))


def engine_trace(warmup_den=499):
    """MMEngine LinearLR(0.001, end=500, by_epoch=False) + MultiStepLR([8, 11]), by hand."""
    iters = []
    for i in range(EPOCH_LEN * EPOCHS):
        e = i // EPOCH_LEN
        lr = 0.02 * 0.1 ** sum(e >= m for m in (8, 11))
        if i < 500:
            lr *= 0.001 + 0.999 * min(1.0, i / warmup_den)
        iters.append({"iter": i, "epoch": e, "lr": lr, "momentum": 0.9})
    epochs = list(range(1, EPOCHS + 1))
    return {"max_iters": len(iters), "by_epoch": True, "epoch_len": EPOCH_LEN, "iters": iters,
            "val_at": epochs, "ckpt_at": epochs}


def pair(name="faster_rcnn_r50_fpn_1x_coco.py", warmup_den=499, lens=(4, 1004)) -> PairResult:
    r = PairResult(name, "old/" + name, "new/" + name, old_cfg=OLD_CFG,
                   new_cfg={"param_scheduler": [dict(type="LinearLR", start_factor=0.001, end=500)]})
    for n in lens:
        old = mmcv_trace(OLD_CFG, n)
        new = engine_trace(warmup_den) if n == 1004 else old
        r.checks.append(Check(n, old, new, compare(old, new)))
    return r


def test_sample_indices_bounds_and_keeps():
    idx = sample_indices(88000, keep=[51234])
    assert len(idx) <= MAX_POINTS and idx[0] == 0 and idx[-1] == 87999
    assert 51234 in idx and 51233 in idx and idx == sorted(set(idx))
    steps = [1.0] * 40000 + [0.1] * 48000
    idx = sample_indices(88000, (steps,))
    assert 39999 in idx and 40000 in idx          # the step boundary is drawn sharp
    assert sample_indices(5) == [0, 1, 2, 3, 4]


def test_axis_ticks_and_labels():
    assert nice_ticks(0, 6023, 6) == [0, 1000, 2000, 3000, 4000, 5000, 6000]
    assert nice_ticks(0, 19, 6) == [0, 5, 10, 15]
    assert log_ticks(1e-5, 0.1) == [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]
    assert log_ticks(1e-3, 1e-2) == [1e-3, 2e-3, 5e-3, 1e-2]         # < 2 decades: 1-2-5
    assert [fmt_num(v) for v in (0, 0.02, 2e-5, 1.5e6, 6.004e-5)] == \
        ["0", "0.02", "2e-5", "1.5e6", "6e-5"]


def test_section_shows_the_realistic_length_and_the_first_difference():
    r = pair()
    assert r.status == "DIFFERS"
    assert r.first.dataset_len == 1004                      # 4 agrees: the toy length hides it
    s = pair_section(r, 1)
    assert s["shown_len"] == 1004 and s["max_iters"] == EPOCH_LEN * EPOCHS
    assert s["message"] == "iter 1: lr old=5.9960e-05 new=6.0040e-05"
    lr, delta, mom = s["charts"]
    assert (lr["title"], lr["ylabel"], delta["title"], mom["title"]) == \
        ("learning rate", "lr (log scale)", "lr difference", "momentum")
    # the marker at iteration 1 of 0..6023: x = ML + 1 * (W - ML - MR) / 6023
    assert lr["marker"]["x"] == round(ML + (W - ML - MR) / 6023, 1) == 70.1
    assert [t["label"] for t in lr["yticks"]] == ["1e-5", "1e-4", "0.001", "0.01", "0.1"]
    assert lr["xticks"][-1]["label"] == "6,000"
    # val/ckpt ticks after each of the 12 epochs, old and new: one path of 12 ticks each
    assert [(e["cls"], e["d"].count("M")) for e in lr["events"]] == \
        [("ev-val", 12), ("ev-val", 12), ("ev-ckpt", 12), ("ev-ckpt", 12)]
    (zoom,) = s["zoom"]                                     # iterations 0..19, every one a dot
    assert zoom["title"] == "learning rate, iterations 0–19"
    assert zoom["marker"]["x"] == round(ML + (W - ML - MR) / 19, 1) == 99.3
    assert len(zoom["circles"]) == 2 * 20
    rows = {row["iter"]: row for row in s["rows"]}
    assert list(rows) == list(range(0, 8))
    assert rows[1]["first"] and (rows[1]["lr_old"], rows[1]["lr_new"], rows[1]["delta"]) == \
        ("5.9960e-05", "6.0040e-05", "+0.133 %")
    assert not rows[0]["differs"] and rows[0]["delta"] == "0"   # both 2e-05 at iteration 0
    assert "lr_config = {'policy': 'step'" in s["old_cfg"] and "LinearLR" in s["new_cfg"]


def test_verified_pair_has_no_marker_nor_delta_chart():
    s = pair(warmup_den=500)                # the exact conversion: LinearLR(end=501) equivalent
    assert s.status == "VERIFIED"
    sec = pair_section(s, 1)
    assert [c["title"] for c in sec["charts"]] == ["learning rate", "momentum"]
    assert sec["charts"][0]["marker"] is None and not sec["zoom"] and not sec["rows"]


def _no_external(html: str) -> None:
    body = html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for bad in ("http://", "https://", "src=", "<link", "<script", "url(", "@import", "//cdn"):
        assert bad not in body, bad


def test_approximate_pair_shows_its_record_and_bound():
    """A difference within the converter's recorded bound: APPROXIMATE, in its own colour, with
    the record (code, field, bound) and the measured deviation per dataset length."""
    r = pair()
    rec = {"code": "MA101", "field": "lr_config.warmup_iters", "what": "linear warmup counted "
           "in epochs", "bound": "(1-r)/(E-1+r)", "applies": "iterations 1..E-1", "params": {}}
    r.records = [rec]
    c = r.checks[1]
    c.approx = {"codes": ["MA101"], "max_dev": 0.00133, "at": 1, "bound_at": 0.0014,
                "max_bound": 0.0014, "quantities": ["lr"]}
    c.realistic = True
    assert r.status == "APPROXIMATE" and r.shown is c
    html = render_html([r])
    assert '<span class="APPROXIMATE">APPROXIMATE</span>' in html
    assert "<b>MA101</b> lr_config.warmup_iters: linear warmup counted in epochs. Bound: " \
        "(1-r)/(E-1+r); applies: iterations 1..E-1." in html
    assert "APPROXIMATE (realistic): iter 1: lr old=5.9960e-05 new=6.0040e-05; lr within MA101: " \
        "max relative deviation 0.00133 at iter 1 (bound there 0.0014)" in html
    assert "0 verified, 1 approximate" in html


def test_single_page_markup_escapes_and_is_self_contained():
    html = render_html([pair(), pair("off<by>one.py", warmup_den=500)])
    assert html.startswith("<!DOCTYPE html>") and "1 verified, 0 approximate (within the bound the conversion recorded), 1 differ, 0 could not run" in html
    assert 'href="#pair-1"' in html and 'id="pair-1"' in html
    assert "off&lt;by&gt;one.py" in html and "off<by>one" not in html
    assert 'first difference: iter 1' in html and 'viewBox="0 0 640 220"' in html
    _no_external(html)


def test_tree_report_is_an_index_with_one_page_per_pair(tmp_path):
    results = [pair(f"cfg_{i:02d}.py", warmup_den=499 if i == 7 else 500) for i in range(30)]
    skipped = [("configs/_base_/models/x.py", "not trainable alone (no data.train)")]
    files = write_report(results, tmp_path / "report.html", skipped)
    index = (tmp_path / "report.html").read_text()
    pages = sorted((tmp_path / "report.files").glob("*.html"))
    assert files[0] == tmp_path / "report.html" and len(pages) == 30 == len(files) - 1
    assert "<svg" not in index and "29 verified, 0 approximate (within the bound the conversion recorded), 1 differ" in index and "not trainable alone" in index
    links = re.findall(r'href="([^"#]+)"', index)
    assert len(links) == 30 and all((tmp_path / link).is_file() for link in links)
    assert links[0].endswith("cfg_07.py.html")              # differences first in the summary
    for p in pages:
        _no_external(p.read_text())
        assert '<a href="../report.html">' in p.read_text()
    assert len(index) < 20_000 and max(p.stat().st_size for p in pages) < 60_000


# ---- real browser --------------------------------------------------------------------------

def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    if shutil.which("apt-get") and os.geteuid() == 0:      # .ci/run installs it; try once here
        subprocess.run("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y "
                       "-qq chromium", shell=True, capture_output=True, timeout=900)
        if shutil.which("chromium"):
            return shutil.which("chromium")
    pytest.skip("no Chromium and it cannot be installed here (apt-get install chromium)")


class _Recorder(http.server.BaseHTTPRequestHandler):
    """A proxy that records every request Chromium makes and answers 404."""
    seen: list = []

    def _record(self):
        self.seen.append(f"{self.command} {self.path}")
        self.send_response(404)
        self.end_headers()

    do_GET = do_POST = do_HEAD = do_CONNECT = _record

    def log_message(self, *a):
        pass


def _screenshot(html_file: Path, png: Path, tmp: Path, size=(1280, 1700)) -> list:
    """Chromium's screenshot of `html_file`; returns the requests it sent through the proxy."""
    _Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        proc = subprocess.run(
            [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={tmp / 'profile'}",
             f"--proxy-server=http://127.0.0.1:{server.server_address[1]}",
             "--proxy-bypass-list=<-loopback>", f"--screenshot={png}",
             f"--window-size={size[0]},{size[1]}", html_file.as_uri()],
            capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
    assert png.is_file(), proc.stderr[-2000:]
    return [r for r in _Recorder.seen if not _BROWSER_OWN.search(r)]


# Chromium's own background services (component updates, safe browsing), contacted whatever the
# page is, despite --disable-background-networking; never a resource of the page.
_BROWSER_OWN = re.compile(r"(^|[ ./])(googleapis|google|gstatic|gvt1)\.com(:\d+)?(/|$)")


def read_png(path: Path):
    """An 8-bit RGB/RGBA non-interlaced PNG as an (height, width, 3) int array."""
    import numpy as np
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride = zlib.decompress(idat), w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(np.frombuffer(bytes(line), np.uint8).reshape(w, bpp)[:, :3])
        prev = line
    return np.stack(rows).astype(np.int16)


def _near(px, rgb, tol=40):
    return all(abs(a - b) <= tol for a, b in zip(px, rgb))


MARKER, OLD_BLUE, NEW_ORANGE, DELTA_PURPLE = (213, 0, 0), (31, 95, 191), (224, 138, 0), (123, 31, 162)


@pytest.mark.slow
def test_report_in_headless_chromium(tmp_path):
    page = tmp_path / "report.html"
    write_report([pair()], page)
    png = tmp_path / "shot.png"
    requests = _screenshot(page, png, tmp_path)
    assert requests == []                                   # nothing fetched from anywhere
    import numpy as np
    img = read_png(png)
    h, w = img.shape[:2]
    assert (w, h) == (1280, 1700)

    def mask(rgb, tol=40):
        return (abs(img - rgb) <= tol).all(axis=2)
    # measured on this page: 1864 blue, 3072 orange, 1435 purple pixels; a blank or unstyled
    # chart has none of these colours
    assert mask(OLD_BLUE).sum() > 900 and mask(NEW_ORANGE).sum() > 1500
    assert mask(DELTA_PURPLE).sum() > 700
    # the first-difference marker: vertical red runs of >= 60 px, one per chart that has it
    red, blue = mask(MARKER, 30), mask(OLD_BLUE)
    runs = []                                              # (x, y0, y1) of every run
    for x in range(w):
        ys = list(np.flatnonzero(red[:, x])) + [None]
        start = prev = None
        for y in ys:
            if start is not None and (y is None or y != prev + 1):
                if prev + 1 - start >= 60:
                    runs.append((x, start, prev + 1))
                start = None
            if y is not None and start is None:
                start = y
            prev = y
    charts = {y0 // 20 for _, y0, _ in runs}                # one marker per chart, at its top
    assert len(charts) == 3, runs                           # lr, difference and zoom charts
    # in the zoom chart the marker stands between the curve's points (iteration 0 left of it,
    # 2..19 right of it), not on the plot's edge under the curves
    inside = [(x, y0, y1) for x, y0, y1 in runs
              if blue[y0:y1, max(0, x - 60):x - 4].any() and blue[y0:y1, x + 4:x + 300].any()]
    assert inside, runs
    # the highlighted row of the values table (#ffebee) is on the page
    assert mask((255, 235, 238), 2).sum() > 2000


@pytest.mark.slow
def test_browser_check_sees_an_external_request(tmp_path):
    """The network check can fail: a page that loads an image from a host is caught."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><img src="http://example.invalid/x.png">'
                    '</body></html>')
    requests = _screenshot(page, tmp_path / "bad.png", tmp_path, size=(200, 200))
    assert any("example.invalid" in r for r in requests), requests


# ---- data and model verdicts next to the schedule's (issue 12) -------------------------------

def deep_records(r, data="DIFFERS", model="PARTIAL"):
    """Records in the shared format (migrator/verify/deep.py) for PairResult `r`."""
    first = {"where": "train[0] p=0 inputs", "old": "-1.60416", "new": "2.16328",
             "message": "train[0] p=0 inputs[0, 0, 0]: old=-1.60416 new=2.16328"}
    return {(r.old, r.new): {
        "data": {"kind": "data", "old": r.old, "new": r.new, "verdict": data,
                 "first_difference": first if data == "DIFFERS" else None,
                 "checked": ["train[0] p=0 meta.flip"], "stopped_at": None,
                 "known_deviations": [{"field": "meta.scale_factor",
                                       "size": "4 values (w, h, w, h) -> 2 values (w, h)",
                                       "why": "mmcv 2.x"}], "seconds": 1.5},
        "model": {"kind": "model", "old": r.old, "new": r.new, "verdict": model,
                  "first_difference": None, "checked": ["backbone.out[0]"],
                  "stopped_at": "mmcv.ops.nms (compiled kernel missing): after rpn_head outputs",
                  "known_deviations": [], "seconds": 2.0}}}


def test_data_and_model_columns_next_to_the_schedule_verdict():
    r = pair()
    html = render_html([r], deep=deep_records(r))
    assert "<th>schedule</th>" in html and "<th>data</th>" in html and "<th>model</th>" in html
    assert 'class="deep-data DIFFERS">DIFFERS</td>' in html
    assert 'class="deep-model PARTIAL">PARTIAL</td>' in html
    assert "train[0] p=0 inputs[0, 0, 0]: old=-1.60416 new=2.16328" in html
    assert "equal up to mmcv.ops.nms (compiled kernel missing): after rpn_head outputs" in html
    assert "meta.scale_factor: 4 values (w, h, w, h) -&gt; 2 values (w, h)" in html
    assert "data: 1 DIFFERS." in html and "model: 1 PARTIAL." in html
    plain = render_html([r])
    assert "<th>data</th>" not in plain and "Data and model" not in plain


def test_tree_index_lists_data_differences_first(tmp_path):
    results = [pair(f"cfg_{i:02d}.py", warmup_den=500) for i in range(20)]
    deep = {}
    for i, r in enumerate(results):
        deep.update(deep_records(r, data="DIFFERS" if i == 13 else "VERIFIED",
                                 model="VERIFIED"))
    write_report(results, tmp_path / "report.html", deep=deep)
    index = (tmp_path / "report.html").read_text()
    links = re.findall(r'href="([^"#]+)"', index)
    assert links[0].endswith("cfg_13.py.html")     # schedule VERIFIED, data DIFFERS: first
    assert "data: 19 VERIFIED, 1 DIFFERS." in index
    page = next((tmp_path / "report.files").glob("*cfg_13.py.html")).read_text()
    assert "Data and model" in page and "old=-1.60416 new=2.16328" in page


@pytest.mark.slow
def test_data_model_columns_in_headless_chromium(tmp_path):
    """The new columns render: the PARTIAL cell's blue (#1f5fbf) text is on the index page of
    a tree report (no charts there, so no other blue), and absent without data/model records."""
    results = [pair(f"cfg_{i:02d}.py", warmup_den=500) for i in range(14)]
    deep = {}
    for r in results:
        deep.update(deep_records(r, data="VERIFIED", model="PARTIAL"))
    counts = []
    for name, d in (("with", deep), ("without", None)):
        out = tmp_path / name
        write_report(results, out / "report.html", deep=d)
        png = tmp_path / f"{name}.png"
        assert _screenshot(out / "report.html", png, tmp_path, size=(1600, 900)) == []
        img = read_png(png)
        counts.append(int((abs(img - OLD_BLUE) <= 30).all(axis=2).sum()))
    # measured: 0 blue pixels without the columns; with them, 14 "PARTIAL" cells in blue text
    assert counts[1] == 0 and counts[0] > 14 * 40, counts
