"""PID 1 of a container is an ordinary host process with a second number.

Taught in: 04-namespaces, section 6: the container's PID 1 and its host PID (NSpid in
/proc/PID/status), `ps` inside and outside, and what signals from the host do to it.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import Any

import pandas as pd

from labkit.base import containers, labels, procfs
from labkit.base.errors import LabkitError
from labkit.base.host import require_root
from labkit.base.i18n import _
from labkit.base.show import sh
from labkit.base.wait import WaitTimeout, wait_for


@dataclass(frozen=True)
class PidView:
    """One process seen from the host and from inside its pid namespace.

    Attributes:
        container: the container's name.
        host_pid: its PID on the host (the first NSpid number).
        ns_pids: its PID in every pid namespace it is in, outermost first (NSpid).
        name: the program's name (/proc/PID/comm).
        parent: the program name of its parent on the host.
        parent_pid: the parent's host PID.
    """

    container: str
    host_pid: int
    ns_pids: tuple[int, ...]
    name: str
    parent: str
    parent_pid: int = 0

    @property
    def inner_pid(self) -> int:
        """Its PID in its own (innermost) pid namespace: 1 for a container's main process."""
        return self.ns_pids[-1]

    def to_frame(self) -> pd.DataFrame:
        """Two rows: the view from inside the container and the view from the host."""
        return pd.DataFrame([
            (f"inside {self.container}", f"PID {self.inner_pid}", self.name,
             "(none visible: its parent is outside)"),
            ("on the host", f"host PID {self.host_pid}", self.name, self.parent),
        ], columns=["seen from", "number", "program", "parent"]).set_index("seen from")


# The lines of /proc/PID/status that pid_view reads.
STATUS_LINES = "^(Name|PPid|NSpid):"


def pid_view(container: Any, *, show: bool = False) -> PidView:
    """A container's main process, from the host's /proc/PID/status and its parent's
    /proc/PPID/comm. Taught in: 04-namespaces, section 6.

    Args:
        show: run `grep -E '^(Name|PPid|NSpid):' /proc/PID/status` and `cat /proc/PPID/comm`
            as shown commands, with their output; else read the files quietly.
    """
    pid = containers.pid(container)
    if show:
        status = procfs.parse_status(sh(["grep", "-E", STATUS_LINES,
                                         f"/proc/{pid}/status"]).stdout)
    else:
        status = procfs.status(pid)
    ns_pids = tuple(int(x) for x in status.get("NSpid", str(pid)).split())
    ppid = int(status.get("PPid", "0"))
    if not ppid:
        parent = "-"
    elif show:
        parent = sh(["cat", f"/proc/{ppid}/comm"]).stdout.strip()
    else:
        parent = procfs.comm(ppid)
    return PidView(container.name, pid, ns_pids, status.get("Name", "?"), parent, ppid)


def container_state(container: Any) -> str:
    """"running", or "exited (exit code N)" from `docker inspect`."""
    state = containers.state(container)
    if state.running:
        return "running"
    return f"{state.status} (exit code {state.exit_code})"


def kill_from_host(container: Any, sig: str, wait: float = 10.0) -> None:
    """Run `kill -SIG HOSTPID` (shown) for a container the lesson started; report its state
    after.

    Waits up to `wait` seconds for the container to stop, and prints what it found.
    Taught in: 04-namespaces, section 6 (PID 1 ignores signals it has no handler for, except
    SIGKILL from an outer namespace).

    Raises:
        LabkitError: the container is not a lesson's, is not running, or `sig` is not a
            signal name.
    """
    require_root()
    if not labels.made_by_course(containers.labels(container)):
        raise LabkitError(_("{name} was not started by a lesson.").format(name=container.name),
                          _("signal only containers made with lab.run(...)"))
    try:
        signum = signal.Signals[f"SIG{sig.upper().removeprefix('SIG')}"]
    except KeyError as exc:
        raise LabkitError(
            _("{sig!r} is not a signal name.").format(sig=sig), _("use TERM, INT or KILL")
        ) from exc
    pid = containers.pid(container)
    argv = ["kill", f"-{signum.name.removeprefix('SIG')}", str(pid)]
    sh(argv)
    state = "running"

    def stopped() -> bool:
        nonlocal state
        state = container_state(container)
        return state != "running"

    try:
        wait_for(f"{container.name} to stop", stopped, timeout=wait, interval=0.2)
    except WaitTimeout:
        pass  # it kept running: that is the lesson's point for TERM to a PID 1
    print(f"{container.name}: {state}" + (f" after {wait:.0f} s" if state == "running" else ""))
