"""Start, wait for and stop a `dockerd` process that labkit owns.

Taught in: 00-preflight (`labkit engine up`). Chapter 03 starts a throwaway daemon with it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from labkit.base.errors import EngineUnavailable

Progress = Callable[[str], None]


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
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state != "Z"


def cmdline(pid: int) -> list[str]:
    """The command line of a process, or [] when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [p.decode(errors="replace") for p in raw.split(b"\0") if p]


def is_dockerd(pid: int) -> bool:
    """True when PID is a running dockerd."""
    argv = cmdline(pid)
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


def spawn(
    argv: Sequence[str], log: Path, *, netns: str | None = None
) -> subprocess.Popen[bytes]:
    """Start dockerd in its own session, its output going to a log file.

    Args:
        argv: the dockerd command line.
        log: file that collects its output.
        netns: run it inside this named network namespace (`ip netns exec`).
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    full = ["ip", "netns", "exec", netns, *argv] if netns else list(argv)
    with open(log, "ab") as out:
        return subprocess.Popen(  # noqa: S603 - argument list, no shell
            full, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def wait_until_answers(
    ping: Callable[[], bool], *, timeout: float, proc: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> None:
    """Poll until ping() is true; raise EngineUnavailable with the log's tail on failure."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ping():
            return
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.3)
    tail = ""
    if log is not None and log.exists():
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-8:])
    raise EngineUnavailable(
        f"dockerd did not answer within {timeout:.0f} s.\n{tail}".rstrip(),
        f"read {log} for the reason" if log else "check the daemon's log",
    )


def terminate(pid: int, *, timeout: float = 30) -> bool:
    """Stop a process with SIGTERM, then SIGKILL after timeout. True when it is gone."""
    if not pid_alive(pid):
        return True
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)
    return not pid_alive(pid)
