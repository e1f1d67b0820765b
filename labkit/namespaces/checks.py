"""Exercise checks of 04-namespaces: see another container's processes, wire a container by hand,
find a fresh container's child on the host, let a server's PID 1 stop cleanly.

A learner answers as a Docker user would: `docker run` flags as typed (04.1, 04.4), `ip` and
`nsenter` command lines (04.2), a PID read from the live system (04.3). Each `check_*` runs
the answer or gathers facts from the live system (a container the check starts fresh, so no
earlier output answers it) and hands them to a `judge_*` function that needs no engine (the
unit tests call the judges with made-up facts). A placeholder left as `...` is "not answered
yet".
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labkit.base import containers
from labkit.base.errors import CommandFailed, LabkitError
from labkit.base.i18n import _
from labkit.base.wait import wait_for
from labkit.lab.exercises import CheckResult, failed, is_unanswered, passed, unanswered
from labkit.lab.flags import learner_flags
from labkit.lab.session import Lab
from labkit.namespaces import pid1
from labkit.namespaces.pidns import pid_view
from labkit.namespaces.procns import TYPES, container_pid, host_process, read_ns

# 04.2 lives in its own module; the notebook calls it here, as checks.check_wired.
from labkit.namespaces.wirecheck import WIRED as WIRED
from labkit.namespaces.wirecheck import Unwired as Unwired
from labkit.namespaces.wirecheck import WiringFacts as WiringFacts
from labkit.namespaces.wirecheck import bad_steps as bad_steps
from labkit.namespaces.wirecheck import check_wired as check_wired
from labkit.namespaces.wirecheck import judge_wiring as judge_wiring
from labkit.namespaces.wirecheck import new_unwired as new_unwired
from labkit.namespaces.wirecheck import wiring_facts as wiring_facts

JOINED = "04.1 see another container's processes"
HOST_PID = "04.3 a container's child on the host"
QUICK = "04.4 let a server stop cleanly"


# -- 04.1 -------------------------------------------------------------------------------
@dataclass(frozen=True)
class JoinFacts:
    """The namespaces of the learner's container, of the one it should join, and the host's.

    Attributes:
        target: the name of the container to join (c1).
        mine, theirs, host: {type: inode} of the learner's container, the target, the host.
    """

    target: str
    mine: Mapping[str, int]
    theirs: Mapping[str, int]
    host: Mapping[str, int]

    def shared(self, other: Mapping[str, int]) -> list[str]:
        """The types the learner's container shares with `other`."""
        return [t for t in TYPES if self.mine.get(t) == other.get(t)]


def judge_joined(f: JoinFacts) -> CheckResult:
    """Is the learner's container in the target's pid namespace (so it sees its processes)?"""
    with_target = f.shared(f.theirs)
    if "pid" in with_target:
        # Every type it does not share: on Docker 29.5 and later that includes `time`.
        own = [t for t in TYPES if t not in with_target]
        return passed(
            JOINED,
            _(
                "it is in {target}'s pid namespace, so ps in it lists {target}'s "
                "processes; it shares {with_target} with {target} and has its "
                "own {value}"
            ).format(
                target=f.target,
                with_target=", ".join(with_target),
                value=", ".join(own) or "nothing else",
            ),
        )
    general = (_("docker run chooses each namespace on its own, one flag per type (as --network "
                 "host does for the network); the pid namespace's flag can name the host's, or "
                 "another container's"))
    more = (_("the flag is --pid; besides host, its value can name a container: the docker run "
              "reference, under PID settings, gives the form"))
    if f.mine.get("pid") == f.host.get("pid"):
        return failed(
            JOINED,
            _(
                "it is in the host's pid namespace (--pid host): it sees every "
                "process of the machine, not just {target}'s"
            ).format(target=f.target),
            general,
            more,
        )
    return failed(JOINED, _("it has a pid namespace of its own: ps in it lists only its own "
                            "processes, none of {target}'s").format(target=f.target), general, more)


def _start_with(lab: Lab, exercise: str, flags: Any, command: Sequence[str],
                name: str) -> tuple[Any, CheckResult | None]:
    """Run `docker run` (shown) with the learner's FLAGS: the container, or the verdict that
    says why it did not start."""
    try:
        box = lab.run("labkit/busybox", list(command), name=name, flags=learner_flags(flags))
    except CommandFailed:  # docker run itself refused them: its error is printed above
        return None, failed(
            exercise,
            _("docker run refused {flags}").format(flags=shlex.join(flags)),
            _("read docker's error above the verdict, then fix the flags"),
        )
    except LabkitError as err:  # labkit refused them before anything ran
        return None, failed(exercise, err.message, err.hint)
    if not containers.state(box).running:
        return box, failed(exercise, _("{name} ended as soon as it started").format(name=box.name),
                           _("the flags must leave the container's command as it is"))
    return box, None


def check_joined(lab: Lab, flags: Any, target: Any) -> CheckResult:
    """04.1: start `peek` (`labkit/busybox sleep 86400`) with the learner's `docker run`
    flags; is it in `target`'s pid namespace?"""
    if is_unanswered(flags):
        return unanswered(JOINED, _("the docker run flags, as a list of strings such as "
                                    "[\"--flag\", \"value\"]"))
    peek, verdict = _start_with(lab, JOINED, flags, ["sleep", "86400"], "peek")
    if verdict is not None:
        return verdict
    return judge_joined(JoinFacts(target.name, read_ns(container_pid(peek)),
                                  read_ns(container_pid(target)), read_ns(host_process().pid)))


# -- 04.3 -------------------------------------------------------------------------------
def new_mystery(lab: Lab) -> Any:
    """A fresh container whose shell (PID 1) runs a `sleep` child: its host PIDs are new each
    time, so no earlier output holds the answer."""
    box = lab.run("labkit/busybox", ["sh", "-c", "sleep 86400 & wait"], name="mystery")
    wait_for(f"{box.name}'s sleep to start",
             lambda: any(p.program == "sleep" for p in pid1.procs(box)), timeout=10, interval=0.1)
    return box


@dataclass(frozen=True)
class ChildFacts:
    """The numbers of a container's `sleep` child and of its main process.

    Attributes:
        name: the container's name.
        child_host, child_inner: the child's PID on the host and inside.
        main_host: the host PID of the container's PID 1 (the shell).
        shim: the host PID of PID 1's parent (the containerd shim).
    """

    name: str
    child_host: int
    child_inner: int
    main_host: int
    shim: int


def judge_child_pid(f: ChildFacts, answer: Any) -> CheckResult:
    """Compare an answer with the host PID of the container's `sleep` child."""
    try:
        given = int(answer)
    except (TypeError, ValueError):
        return failed(HOST_PID, _("{answer!r} is not a number").format(answer=answer),
                      _("the answer is a PID: an integer"))
    if given == f.child_host:
        return passed(
            HOST_PID,
            _(
                "host PID {given} is {name}'s sleep: one process, two numbers "
                "(NSpid in /proc/{given}/status lists both)"
            ).format(given=given, name=f.name),
        )
    general = (_("one process, two numbers: its pid namespace's and the host's; ask Docker for "
                 "the container's processes, which it lists as the host numbers them"))
    if given == f.child_inner:
        return failed(
            HOST_PID,
            _("{given} is the sleep's PID inside {name}").format(given=given, name=f.name),
            general,
            _("that is the number ps inside the container shows; docker top shows the other one"),
        )
    if given == f.main_host:
        return failed(
            HOST_PID,
            _("{given} is {name}'s PID 1, the shell; the sleep is its child").format(
                given=given, name=f.name
            ),
            general,
            _("which of {name}'s processes has {given} as its parent?").format(
                name=f.name, given=given
            ),
        )
    if given == f.shim:
        return failed(
            HOST_PID,
            _("{given} is the containerd shim, outside the container").format(given=given),
            general,
            _("the shim's child is the container's PID 1; the sleep is one level further down"),
        )
    return failed(
        HOST_PID,
        _(
            "{given} is not {name}'s sleep (the container is new each time the "
            "cell runs: read it afresh, do not type a number)"
        ).format(given=given, name=f.name),
        general,
        _(
            "docker top lists a container's processes with their host PIDs; the sleep is "
            "not its PID 1"
        ),
    )


def check_child_pid(container: Any, answer: Any) -> CheckResult:
    """04.3: what is the host PID of the `sleep` in this container (made by new_mystery)?"""
    if is_unanswered(answer):
        return unanswered(HOST_PID, _("the sleep's host PID, read from the live system"))
    view = pid_view(container)
    child = next((p for p in pid1.procs(container) if p.program == "sleep"), None)
    if child is None:
        raise LabkitError(_("{name} runs no sleep any more.").format(name=container.name),
                          _("run the cell again: it starts a fresh container"))
    return judge_child_pid(ChildFacts(container.name, child.host_pid, child.pid, view.host_pid,
                                      view.parent_pid), answer)


# -- 04.4 -------------------------------------------------------------------------------
# The server of 04.4: a shell PID 1 that shuts down cleanly (exit 0) on SIGUSR1 only, so it
# ignores SIGTERM (section 6: the kernel drops a signal PID 1 has no handler for).
SERVER = ["sh", "-c", 'trap "echo shutting down; exit 0" USR1; sleep 86400 & wait']


@dataclass(frozen=True)
class StopFacts:
    """What the check saw of the learner's container and its `docker stop -t 3`.

    Attributes:
        name: the container's name.
        stop_signal: its configured stop signal ("" for the default, SIGTERM).
        stopped: what the timed `docker stop` did.
        stop_timeout: its configured grace period (`--stop-timeout`), None if not set.
    """

    name: str
    stop_signal: str
    stopped: pid1.Stopped
    stop_timeout: int | None = None


def kill_signal(stop_signal: str) -> bool:
    """Whether a configured stop signal is SIGKILL (which no process can act on)."""
    return stop_signal.upper().removeprefix("SIG") in {"KILL", "9"}


def judge_stop(f: StopFacts) -> CheckResult:
    """Did `docker stop` end the server through its own shutdown (exit code 0)?"""
    s = f.stopped
    sent = f.stop_signal or "SIGTERM"
    if s.exit_code == 0:
        return passed(
            QUICK,
            _(
                "docker stop sent {sent}, the server's trap ran its shutdown and "
                "exited 0, {took} after the stop began"
            ).format(sent=sent, took=s.took),
        )
    general = (_("docker stop sends the container's stop signal, SIGTERM unless the container "
                 "names another; this PID 1 has a handler for one signal only"))
    more = (_("`docker run --help` lists the flag that names the stop signal; the trap in the "
              "server's command names the signal it shuts down on"))
    if kill_signal(f.stop_signal):
        return failed(
            QUICK,
            _(
                "the stop signal was {stop_signal}: quick ({took}), but no "
                "process can handle it, so the server never ran its shutdown "
                "(exit code {exit_code})"
            ).format(stop_signal=f.stop_signal, took=s.took, exit_code=s.exit_code),
            general,
            more,
        )
    if s.killed:
        waited = (" (--stop-timeout only sets how long docker stop waits before SIGKILL when "
                  "no -t is given)" if f.stop_timeout is not None else "")
        return failed(
            QUICK,
            _(
                "PID 1 ({pid1}) ignored {sent}, so after the 3 s of -t 3 the "
                "engine sent SIGKILL (exit code {exit_code}): the server never "
                "ran its shutdown{waited}"
            ).format(pid1=s.pid1, sent=sent, exit_code=s.exit_code, waited=waited),
            general,
            more,
        )
    if s.exit_code == 128 + 15:
        return failed(QUICK, _("{sent} killed the shell (exit code 143 = 128 + 15) before its "
                               "shutdown ran: with --init the shell is not PID 1, so SIGTERM's "
                               "default action applies").format(sent=sent), general, more)
    return failed(QUICK, _("the server ended with exit code {exit_code}, not 0: its shutdown did "
                           "not run").format(exit_code=s.exit_code), general, more)


def check_clean_stop(lab: Lab, flags: Any) -> CheckResult:
    """04.4: start `graceful` (`labkit/busybox`, SERVER) with the learner's `docker run`
    flags, then run `docker stop -t 3` on it (shown), timed: did the server shut down
    cleanly?"""
    if is_unanswered(flags):
        return unanswered(QUICK, _("the docker run flags, as a list of strings such as "
                                   "[\"--flag\", \"value\"]"))
    if isinstance(flags, list | tuple) and any(
            str(f).split("=", 1)[0] == "--entrypoint" for f in flags):
        return failed(QUICK, _("--entrypoint replaces the server's program"),
                      _("keep the server as it is: change how docker stop treats it"))
    box, verdict = _start_with(lab, QUICK, flags, SERVER, "graceful")
    if verdict is not None:
        return verdict
    config = box.attrs.get("Config", {})
    signal_name = str(config.get("StopSignal") or "")
    stopped = pid1.timed_stop(box, pid1.LESSON_GRACE)
    return judge_stop(StopFacts(box.name, signal_name, stopped, config.get("StopTimeout")))
