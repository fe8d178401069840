"""Progress of long replays on standard error: the reporter, and `bearing estimate --progress`."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from gnuradio.bearing import cli
from gnuradio.bearing.cli import progress
from gnuradio.bearing.cli.progress import format_duration, progress_text, replay_progress

DEMO_CAPTURE = Path(__file__).resolve().parents[2] / "examples" / "data" / "demo_ula4.sigmf-meta"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def quick(monkeypatch):
    """Reports from the first second, a log line every second."""
    monkeypatch.setattr(progress, "FIRST_REPORT_S", 0.0)
    monkeypatch.setattr(progress, "LOG_INTERVAL_S", 0.0)


def test_durations_and_the_line():
    assert [format_duration(s) for s in (0.4, 42, 185, 7620)] == ["0 s", "42 s", "3 min 05 s", "2 h 07 min"]
    assert progress_text("x.sigmf-meta", 0.25, 120, 30.0) == (
        "bearing: x.sigmf-meta: 25% replayed, 120 estimates, 1 min 30 s left"
    )
    assert progress_text("x", 0.0, 0, 5.0) == "bearing: x: 0% replayed, 0 estimates"


def test_a_log_gets_lines_and_a_terminal_one_line_rewritten_then_erased(quick):
    log, terminal = io.StringIO(), Terminal()
    began = time.monotonic()

    def fraction() -> float:
        return min(1.0, (time.monotonic() - began) / 4.0)

    with (
        replay_progress("c", fraction, lambda: 7, "always", log),
        replay_progress("c", fraction, lambda: 7, "auto", terminal),
    ):
        time.sleep(2.5)
    lines = log.getvalue().splitlines()
    assert len(lines) == 2 and all(
        line.startswith("bearing: c: ") and "7 estimates" in line for line in lines
    )
    assert int(lines[1].split("%")[0].rsplit(" ", 1)[1]) > int(lines[0].split("%")[0].rsplit(" ", 1)[1])
    shown = terminal.getvalue()
    assert shown.count("\r\033[K") == 3 and shown.endswith("\r\033[K") and "\n" not in shown


def test_auto_is_silent_off_a_terminal_and_never_is_silent_everywhere(quick):
    log, terminal = io.StringIO(), Terminal()
    with (
        replay_progress("c", lambda: 0.5, lambda: 1, "auto", log),
        replay_progress("c", lambda: 0.5, lambda: 1, "never", terminal),
    ):
        time.sleep(1.5)
    assert log.getvalue() == terminal.getvalue() == ""
    with (
        pytest.raises(ValueError, match="progress: must be one of auto, always, never"),
        replay_progress("c", lambda: 0, lambda: 0, "often"),
    ):
        pass


def test_estimate_reports_its_progress_on_stderr_only(quick, capsys, monkeypatch):
    monkeypatch.setattr(progress, "POLL_S", 0.05)  # the replay may take under a second
    status = cli.main(
        ["estimate", str(DEMO_CAPTURE), "--method", "mod-dnn", "--json", "--progress", "always"]
    )
    out, err = capsys.readouterr()
    assert status == 0
    assert all(line.startswith("{") for line in out.splitlines())
    reports = [line for line in err.splitlines() if "% replayed" in line]
    assert reports and all(f"{DEMO_CAPTURE} (mod-dnn): " in line for line in reports)
