"""daemon: waiting for dockerd (fake clock), and stopping a process (real child processes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from labkit.base import daemon
from labkit.base.errors import EngineUnavailable
from labkit.lab import cleanup

from .fakes.clock import FakeClock

IGNORES_TERM = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                "print('ready', flush=True); time.sleep(60)")


def child(code: str = "import time; print('ready', flush=True); time.sleep(60)"
          ) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    return proc


def start_time(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]


def test_wait_until_answers_returns_once_ping_is_true(clock: FakeClock) -> None:
    pings = iter([False, False, True])
    daemon.wait_until_answers(lambda: next(pings), timeout=60)
    assert clock.sleeps == [0.3, 0.3]


def test_wait_until_answers_gives_up_with_the_log_tail(clock: FakeClock, tmp_path: Path) -> None:
    log = tmp_path / "dockerd.log"
    log.write_text("".join(f"line {n}\n" for n in range(20)))
    with pytest.raises(EngineUnavailable) as info:
        daemon.wait_until_answers(lambda: False, timeout=60, log=log)
    lines = info.value.message.splitlines()
    assert lines[0] == "dockerd did not answer within 60 s."
    assert lines[1:] == [f"line {n}" for n in range(12, 20)]
    assert info.value.hint == f"read {log} for the reason"


def test_wait_until_answers_stops_when_the_daemon_died(clock: FakeClock) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with pytest.raises(EngineUnavailable, match="did not answer within 60 s") as info:
        daemon.wait_until_answers(lambda: False, timeout=60, proc=dead)  # type: ignore[arg-type]
    assert clock.sleeps == [] and info.value.hint == "check the daemon's log"


def test_terminate_stops_a_process_with_sigterm() -> None:
    proc = child()
    assert daemon.terminate(proc.pid, timeout=10)
    assert proc.wait(timeout=5) == -15


def test_terminate_kills_what_ignores_sigterm() -> None:
    proc = child(IGNORES_TERM)
    assert daemon.terminate(proc.pid, timeout=0.3)
    assert proc.wait(timeout=5) == -9


def test_terminate_of_a_gone_process_is_true() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert daemon.terminate(proc.pid)


def test_cleanup_stops_only_the_process_it_started() -> None:
    proc = child()
    try:
        # Same PID, another start time: a later process that got the PID; left alone.
        cleanup._undo_process({"pid": proc.pid, "start": "1"})
        cleanup._undo_process({"pid": proc.pid})
        assert proc.poll() is None
        cleanup._undo_process({"pid": proc.pid, "start": start_time(proc.pid)})
        assert proc.wait(timeout=5) == -15
    finally:
        proc.kill()
        proc.wait()
