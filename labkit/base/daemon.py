"""Start, wait for and stop a `dockerd` process that labkit owns.

Taught in: 00-preflight (`labkit engine up`). Chapter 03 starts a throwaway daemon with it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from labkit.base import procfs
from labkit.base.errors import EngineUnavailable
from labkit.base.fmt import Progress
from labkit.base.i18n import _
from labkit.base.wait import WaitTimeout, wait_for


@dataclass(frozen=True)
class DaemonRecord:
    """A dockerd that labkit started: enough to find it again and stop only it."""

    pid: int
    socket: str
    started_by: str  # "labkit" (a process we spawned) or "systemd"
    log: str

    def save(self, path: Path) -> None:
        """Write the record as JSON."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def load(cls, path: Path) -> DaemonRecord | None:
        """Read a record, or None when there is none."""
        try:
            return cls(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            return None


def pid_alive(pid: int) -> bool:
    """True when a process with this PID exists (and is not a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    found = procfs.stat(pid)
    return found is None or found.state != "Z"  # unreadable: it exists, so count it alive


def is_dockerd(pid: int) -> bool:
    """True when PID is a running dockerd."""
    argv = procfs.cmdline(pid)
    return bool(argv) and os.path.basename(argv[0]) == "dockerd" and pid_alive(pid)


def remove_stale_pidfile(path: Path, progress: Progress) -> None:
    """Delete a pid file whose process is gone, as a killed daemon leaves behind."""
    try:
        pid = int(path.read_text().strip() or 0)
    except (OSError, ValueError):
        return
    if pid and pid_alive(pid):
        return
    path.unlink(missing_ok=True)
    progress(f"removed stale pid file {path} (process {pid} is gone)")


def wait_until_answers(
    ping: Callable[[], bool], *, timeout: float, proc: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> None:
    """Poll until ping() is true; raise EngineUnavailable with the log's tail on failure.

    Stops waiting as soon as PROC has exited: a daemon that died will not answer later.
    """

    def failed() -> EngineUnavailable:
        tail = ""
        if log is not None and log.exists():
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-8:])
        return EngineUnavailable(
            (_("dockerd did not answer within {timeout:.0f} s.").format(timeout=timeout)
             + f"\n{tail}").rstrip(),
            _("read {log} for the reason").format(log=log) if log else _("check the daemon's log"),
        )

    def answers() -> bool:
        if ping():
            return True
        if proc is not None and proc.poll() is not None:
            raise failed()
        return False

    try:
        wait_for("dockerd to answer", answers, timeout=timeout, interval=0.3)
    except WaitTimeout:
        raise failed() from None


def terminate(pid: int, *, timeout: float = 30) -> bool:
    """Stop a process with SIGTERM, then SIGKILL after timeout. True when it is gone.

    Taught in: 00-preflight (`labkit engine down`); lesson cleanup stops spawned processes
    with it too.
    """
    if not pid_alive(pid):
        return True

    def gone() -> bool:
        return not pid_alive(pid)

    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 0.5)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return True  # it ended between the check and the signal
        try:
            return wait_for(f"process {pid} to exit", gone, timeout=wait, interval=0.1)
        except WaitTimeout:
            continue
    return False
