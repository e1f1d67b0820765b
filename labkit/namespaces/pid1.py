"""What PID 1 of a container must do: take SIGTERM, and reap orphans. `--init`, shell and exec form.

Taught in: 04-namespaces, section 7: `docker stop` sends the container's PID 1 its stop signal
(SIGTERM unless the image's STOPSIGNAL names another: labkit/nginx's is SIGQUIT) and waits
(10 s by default) before SIGKILL; the kernel does not deliver a signal to a namespace's init
for which it has no handler, so a PID 1 without one (`sleep`, a shell running a shell-form
CMD) makes `docker stop` wait the whole grace period. `--init` puts docker-init
(tini) at PID 1: it forwards signals to its child and reaps the orphans reparented to it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from labkit.base import containers, procfs, wait
from labkit.base.errors import LabkitError
from labkit.base.i18n import _
from labkit.base.show import docker, sh
from labkit.base.wait import WaitTimeout, wait_for
from labkit.namespaces.procns import child_pids

# The grace period `docker stop` gives a container before SIGKILL, unless told otherwise.
GRACE = 10
# The lesson's shorter one (`docker stop -t 3`): the wait is the lesson, 3 s of it show it.
LESSON_GRACE = 3


def took(seconds: float) -> str:
    """A duration rounded for a learner (and for nbval): "under 2 s" or "about N s"."""
    # Whole seconds, rounded down: what a stop costs beyond its wait is always a little more.
    # Under 2 s is "at once" next to a grace of 3 s or more: a busy machine takes a second to
    # stop even a container whose PID 1 ends on SIGTERM (seen on Docker 29 under load).
    return _("under 2 s") if seconds < 2 else _("about {n} s").format(n=int(seconds))


@dataclass(frozen=True)
class Stopped:
    """What one `docker stop` did.

    Attributes:
        container: the container's name.
        pid1: the program that was its PID 1 (/proc/HOSTPID/comm before the stop).
        seconds: how long after the stop began it was over (`timed_stop`: the whole
            `docker stop`; `stop_all`: until the container's State.FinishedAt).
        exit_code: the container's exit code after it (137 = 128 + 9: ended by SIGKILL).
    """

    container: str
    pid1: str
    seconds: float
    exit_code: int

    @property
    def took(self) -> str:
        """The time rounded: "under 2 s" or "about N s"."""
        return took(self.seconds)

    @property
    def killed(self) -> bool:
        """Whether the engine had to send SIGKILL (exit code 137)."""
        return self.exit_code == 137


def stop_argv(names: str | Sequence[str], timeout: int | None = None) -> list[str]:
    """`docker stop [-t N] NAME...`."""
    listed = [names] if isinstance(names, str) else list(names)
    return ["docker", "stop", *([] if timeout is None else ["-t", str(timeout)]), *listed]


def timed_stop(container: Any, timeout: int | None = None, *, show: bool = True) -> Stopped:
    """Run `docker stop [-t N] NAME` (shown, with its output) on a running container, timed.

    Raises:
        LabkitError: the container is not running (a stop would prove nothing).
    """
    pid1 = procfs.comm(containers.pid(container))
    start = wait.clock()
    docker(stop_argv(container.name, timeout)[1:], show=show)
    seconds = wait.clock() - start
    return Stopped(container.name, pid1, seconds, containers.state(container).exit_code)


def finished_at(container: Any) -> float:
    """When the container's process ended (`docker inspect -f '{{.State.FinishedAt}}'`), in
    seconds since the epoch."""
    stamp = str(containers.get(container).attrs["State"]["FinishedAt"])
    # RFC 3339 with nanoseconds: datetime takes at most microseconds.
    stamp = re.sub(r"(\.\d{6})\d+", r"\1", stamp).replace("Z", "+00:00")
    return datetime.fromisoformat(stamp).timestamp()


def stop_all(boxes: Sequence[Any], timeout: int | None = LESSON_GRACE) -> pd.DataFrame:
    """Run one `docker stop -t TIMEOUT NAME...` (shown, with its output) for running
    containers, and tell how long each took to end.

    The docker CLI stops the containers side by side and prints each name in the order given
    (docker/cli's cli/command/container/stop.go, through parallelOperation), so the cell
    waits one grace period, not one per container; `-t 3` makes that grace period 3 s
    instead of the default 10. Each container's time runs from the moment the command
    started to its `State.FinishedAt`. Taught in: 04-namespaces, section 7.

    Returns:
        A table: container, its PID 1, how long it took to end, the exit code, why.
    """
    pid1 = {c.name: procfs.comm(containers.pid(c)) for c in boxes}
    start = time.time()
    docker(stop_argv([c.name for c in boxes], timeout)[1:])
    found = [Stopped(c.name, pid1[c.name], finished_at(c) - start,
                     containers.state(c).exit_code) for c in boxes]
    rows = [(s.container, s.pid1, s.took, s.exit_code,
             "SIGKILL after the grace period" if s.killed else "its PID 1 ended on SIGTERM")
            for s in found]
    return pd.DataFrame(rows, columns=["container", "PID 1", "ended after", "exit code",
                                       "why"]).set_index("container")


@dataclass(frozen=True)
class Proc:
    """One process of a container, numbered as the container sees it.

    Attributes:
        pid: its PID inside the container's pid namespace.
        ppid: its parent's PID there (0: the parent is outside, the containerd shim).
        state: its state letter and word from /proc/PID/status, e.g. "Z (zombie)".
        program: its program name.
        host_pid: its PID on the host.
    """

    pid: int
    ppid: int
    state: str
    program: str
    host_pid: int


def _inner(status: dict[str, str]) -> tuple[int, int]:
    ns = status.get("NSpid", "0").split()
    return int(ns[-1]), len(ns)


def procs(container: Any) -> list[Proc]:
    """Every process of a running container, zombies included, read from the host's /proc.

    The tree is walked from the main process through /proc/PID/task/*/children: `docker top`
    reads the container's cgroup.procs, which a process leaves when it ends, so it never lists
    a zombie (the cgroup's pids.current still counts one until it is reaped). A process that
    ends while it is read is left out.
    """
    order = [containers.pid(container)]
    for hpid in order:
        order += [k for k in child_pids(hpid) if k not in order]
    found = []
    for hpid in order:
        try:
            status = procfs.status(hpid)
        except (OSError, LabkitError):
            continue
        try:
            ppid_status = procfs.status(int(status.get("PPid", "0") or 0))
        except (OSError, LabkitError):
            ppid_status = {}  # the parent is gone or not ours to read: outside, as far as we know
        pid, depth = _inner(status)
        ppid, pdepth = _inner(ppid_status)
        found.append(Proc(pid, ppid if pdepth == depth else 0, status.get("State", "?"),
                          status.get("Name", "?"), hpid))
    return sorted(found, key=lambda p: p.pid)


def ps(container: Any, *, show: bool = False) -> pd.DataFrame:
    """A container's processes, read from the host's /proc (zombies included, see `procs`):
    each one's place in the container's process tree, its program and its state.

    The PIDs of processes other than PID 1 depend on how many the runtime used first, so the
    table names each by its relation to PID 1 instead. Taught in: 04-namespaces, section 7.

    Args:
        show: first run `ps -o pid,ppid,stat,comm -p HOSTPID --ppid HOSTPID` on the host
            (shown, with its output): the container's PID 1 and its children, in host numbers.
    """
    def place(p: Proc) -> str:
        if p.pid == 1:
            return "PID 1"
        return "child of PID 1" if p.ppid == 1 else f"child of PID {p.ppid or '?'}"

    if show:
        pid = str(containers.pid(container))
        sh(["ps", "-o", "pid,ppid,stat,comm", "-p", pid, "--ppid", pid])
    rows = [(place(p), p.program, p.state) for p in procs(container)]
    return pd.DataFrame(rows, columns=["process", "program", "state"]).set_index("process")


# The orphan lesson's command: the subshell starts `sleep 1` in the background and ends, so
# that sleep is orphaned and handed to PID 1; then the shell becomes `sleep 86400` (exec).
ORPHAN = ["sh", "-c", "(sleep 1 &); exec sleep 86400"]


def settle_orphans(boxes: Sequence[Any], timeout: float = 10.0) -> None:
    """Wait until each container runs ORPHAN's end state: the shell has become `sleep 86400`
    and the orphaned `sleep 1` has ended (reaped, or a zombie). Shows nothing.

    Raises:
        LabkitError: that state is not reached within `timeout` seconds.
    """
    def settled() -> bool:
        for c in boxes:
            found = procs(c)
            live = [p for p in found if p.program == "sleep" and not p.state.startswith("Z")]
            if any(p.program == "sh" for p in found) or len(live) != 1:
                return False
        return True

    try:
        wait_for("the orphans to end", settled, timeout=timeout, interval=0.2)
    except WaitTimeout as exc:
        raise LabkitError(
            _("The orphaned sleep 1 still runs after {timeout:.0f} s.").format(timeout=timeout),
            _("is the machine very busy? Run the cell again."),
        ) from exc
