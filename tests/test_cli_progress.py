"""The progress bar: drawn per file with elapsed time and ETA when stderr is a terminal (a real
pseudo-terminal here), never when it is not, nor with -q."""
import os
import pty
import re
import subprocess
import sys

import pytest

from casekit import ROOT
from migrator.progress import ProgressBar, clock_text

TREE = ROOT / "fixtures" / "tree"
N_FILES = 8                      # fixtures/tree: 4 bases + 4 children
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")        # anything but \t and \n


def _env():
    return dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="120")


def run_on_pty(args):
    """Run `migrate ARGS` with stdout and stderr on a pseudo-terminal; all it printed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "migrator.cli", *args], stdin=slave,
                            stdout=slave, stderr=slave, env=_env(), cwd=ROOT)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:          # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=300) == 0
    return b"".join(chunks).decode()


BAR = re.compile(r"\rmigrate: (reading|converting) +\[([#-]+)\] +(\d+)/(\d+) files "
                 r"(\d+:\d\d) elapsed, ETA (\d+:\d\d|--:--)")


@pytest.mark.parametrize("mode", [["-o", "OUT"], ["-o", "OUT", "--flat"]])
def test_bar_advances_per_file_with_elapsed_and_eta_on_a_terminal(tmp_path, mode):
    args = [str(TREE), *[str(tmp_path / "o") if a == "OUT" else a for a in mode], "-j", "1"]
    out = run_on_pty(args)
    draws = [(m.group(1), int(m.group(3)), int(m.group(4)), m.group(2), m.group(6))
             for m in BAR.finditer(out)]
    converting = [d for d in draws if d[0] == "converting"]
    # one redraw per file, in order, each count once: 1/8, 2/8, ..., 8/8
    assert [d[1] for d in converting] == list(range(1, N_FILES + 1))
    assert {d[2] for d in converting} == {N_FILES}
    # the bar fills with the count (20 cells)
    assert [d[3].count("#") for d in converting] == [20 * n // N_FILES for n in range(1, 9)]
    assert converting[-1][4] == "0:00"            # ETA at the end: nothing left
    if "--flat" not in mode:                       # tree mode reads every file first
        assert [d[1] for d in draws if d[0] == "reading"] == list(range(0, N_FILES + 1))
    assert "migrate summary" in out                # the summary follows on its own line
    assert "\n" in out[out.rindex("ETA"):out.index("migrate summary")]


@pytest.mark.parametrize("extra", [[], ["--flat"]])
def test_no_bar_and_no_control_characters_when_not_a_terminal(tmp_path, extra):
    proc = subprocess.run([sys.executable, "-m", "migrator.cli", str(TREE), "-o",
                           str(tmp_path / "o"), "-j", "1", *extra], capture_output=True,
                          text=True, env=_env(), cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "migrate summary" in proc.stderr
    assert not CONTROL.search(proc.stderr + proc.stdout) and "ETA" not in proc.stderr


def test_quiet_on_a_terminal_draws_nothing(tmp_path):
    out = run_on_pty([str(TREE), "-o", str(tmp_path / "o"), "-j", "1", "-q"])
    assert out == ""


def test_eta_is_the_mean_time_per_file_times_the_files_left():
    class Clock:
        t = 100.0

        def __call__(self):
            return self.t

    class Stream:
        text = ""

        def write(self, s):
            self.text += s

        def flush(self):
            pass

    clock, stream = Clock(), Stream()
    bar = ProgressBar(stream, clock=clock)
    bar(0, 10)
    clock.t += 30.0                 # 3 files in 30 s: 10 s per file, 7 left -> 70 s
    bar(3, 10)
    assert stream.text.rstrip().endswith(" 3/10 files 0:30 elapsed, ETA 1:10")  # (padded)
    clock.t += 3570.0               # long runs: hours
    bar(9, 10)
    assert "9/10 files 1:00:00 elapsed, ETA 6:40" in stream.text
    assert clock_text(59.6) == "1:00" and clock_text(0) == "0:00"
    # a narrow terminal shrinks the bar, never wraps
    line = bar.line(5, 10, "converting", columns=60)
    assert len(line) <= 59 and "5/10 files" in line
