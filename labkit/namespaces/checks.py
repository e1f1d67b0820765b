"""Exercise checks of 04-namespaces: see another container's processes, wire a container by hand,
find a fresh container's child on the host, make `docker stop` return at once.

Each `check_*` gathers facts from the live system (the learner's own container, or one the
check makes fresh, so no earlier output answers it) and hands them to a `judge_*` function
that needs no engine (the unit tests call the judges with made-up facts). A placeholder left
as `...` is "not answered yet".
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from docker.models.containers import Container

from labkit.base import containers, iproute, labels
from labkit.base.errors import LabkitError
from labkit.base.show import sh
from labkit.base.wait import wait_for
from labkit.lab.exercises import CheckResult, failed, is_unanswered, passed, unanswered
from labkit.lab.session import Lab
from labkit.namespaces import pid1
from labkit.namespaces.handwire import LessonNetwork, reaches, veth_pair
from labkit.namespaces.pidns import pid_view
from labkit.namespaces.procns import TYPES, container_pid, host_process, read_ns

JOINED = "04.1 see another container's processes"
WIRED = "04.2 wire a container by hand"
HOST_PID = "04.3 a container's child on the host"
QUICK = "04.4 make docker stop return at once"


def _running(exercise: str, answer: Any, what: str) -> CheckResult | None:
    """None when `answer` is a running container; else the verdict that says what it is."""
    if is_unanswered(answer):
        return unanswered(exercise, what)
    if not isinstance(answer, Container):
        return failed(exercise, f"{answer!r} is not a container",
                      "lab.run(...) returns the container it started: assign that")
    if not containers.state(answer).running:
        return failed(exercise, f"{answer.name} is not running",
                      "give it a command that keeps running, such as sleep 86400, and run "
                      "the whole cell again (it starts a fresh container)")
    return None


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
        return passed(JOINED, f"it is in {f.target}'s pid namespace, so ps in it lists "
                      f"{f.target}'s processes; it shares {', '.join(with_target)} with "
                      f"{f.target} and has its own {', '.join(own) or 'nothing else'}")
    general = ("docker run chooses each namespace on its own: --pid takes host, or "
               "container:NAME to join another container's pid namespace")
    more = f"lab.run(\"labkit/busybox\", [\"sleep\", \"86400\"], pid_mode=\"container:{f.target}\")"
    if f.mine.get("pid") == f.host.get("pid"):
        return failed(JOINED, f"it is in the host's pid namespace (--pid host): it sees every "
                      f"process of the machine, not just {f.target}'s", general, more)
    return failed(JOINED, f"it has a pid namespace of its own: ps in it lists only its own "
                  f"processes, none of {f.target}'s", general, more)


def check_joined(answer: Any, target: Any) -> CheckResult:
    """04.1: is the learner's running container in `target`'s pid namespace?"""
    verdict = _running(JOINED, answer, "a container started with lab.run(...)")
    if verdict is not None:
        return verdict
    if answer.name == target.name:
        return failed(JOINED, f"that is {target.name} itself",
                      f"start a second container that joins {target.name}")
    return judge_joined(JoinFacts(target.name, read_ns(container_pid(answer)),
                                  read_ns(container_pid(target)), read_ns(host_process().pid)))


# -- 04.2 -------------------------------------------------------------------------------
@dataclass(frozen=True)
class WiringFacts:
    """What a container's net namespace looks like, for judging a hand-wiring.

    Attributes:
        network: the lesson network it should be on.
        eth0_addresses: eth0's IPv4 addresses with prefix ([] when there is no eth0).
        eth0_up: whether eth0 is up.
        default_via: the default route's next hop ("" when there is none).
        peer_master: the bridge the host end of eth0's veth pair is attached to ("" if none).
        reaches_gateway: whether a ping from inside reached the gateway.
    """

    network: LessonNetwork
    eth0_addresses: tuple[str, ...]
    eth0_up: bool
    default_via: str
    peer_master: str
    reaches_gateway: bool


def judge_wiring(f: WiringFacts) -> CheckResult:
    """Judge a hand-wiring from its facts, naming the first thing that is missing."""
    net = f.network
    if not f.eth0_addresses and not f.eth0_up and not f.peer_master:
        return failed(WIRED, "the container has no eth0 with an address",
                      "one end of the veth pair must move into the container's net namespace "
                      "and be renamed eth0",
                      "ip link set END netns PID, then nsenter -t PID -n ip link set END "
                      "name eth0")
    if f.peer_master != net.bridge:
        where = f"on {f.peer_master}" if f.peer_master else "on no bridge"
        return failed(WIRED, f"the host end of eth0's veth pair is {where}",
                      "the end that stays on the host is a port of the network's bridge",
                      f"ip link set HOST_END master {net.bridge}, then ip link set HOST_END up")
    if not f.eth0_up:
        return failed(WIRED, "eth0 is down", "an interface carries nothing until it is up",
                      "nsenter -t PID -n ip link set eth0 up")
    inside = [a for a in f.eth0_addresses
              if ipaddress.ip_interface(a).ip in ipaddress.ip_network(net.subnet)]
    if not inside:
        return failed(WIRED, f"eth0 has no address in {net.subnet}",
                      "the container needs an address on the bridge's subnet",
                      f"nsenter -t PID -n ip addr add {net.spare_address(1)}/{net.prefixlen} "
                      "dev eth0")
    ip = ipaddress.ip_interface(inside[0])
    if ip.ip in ipaddress.ip_network(net.ip_range) or str(ip.ip) == net.gateway:
        return failed(WIRED, f"{ip.ip} is in {net.ip_range}, which Docker hands out",
                      "Docker does not know about your address and may give it to the next "
                      f"container: use one outside {net.ip_range}",
                      f"the address printed above the cell, {net.spare_address(1)}")
    if ip.network.prefixlen != net.prefixlen:
        return failed(WIRED, f"eth0 has {ip}, but the subnet is {net.subnet}",
                      "the prefix length decides which addresses are on the link",
                      f"use the subnet's prefix length, /{net.prefixlen}")
    if f.default_via != net.gateway:
        return failed(WIRED, "there is no default route via the bridge" if not f.default_via
                      else f"the default route goes via {f.default_via}",
                      "packets for other networks go to the bridge's own address",
                      f"nsenter -t PID -n ip route add default via {net.gateway}")
    if not f.reaches_gateway:
        return failed(WIRED, f"a ping from inside does not reach {net.gateway}",
                      "both ends of a veth pair must be up",
                      "ip link show HOST_END, and nsenter -t PID -n ip link show eth0")
    return passed(WIRED, f"eth0 has {ip} on {net.bridge}, default route via {net.gateway}, "
                  "and the gateway answers")


def wiring_facts(container: Any, net: LessonNetwork) -> WiringFacts:
    """Read a container's eth0, default route and veth peer, and ping the gateway."""
    pid = container_pid(container)
    eth0 = next((x for x in iproute.links(pid=pid) if x.ifname == "eth0"), None)
    if eth0 is None:
        return WiringFacts(net, (), False, "", "", False)
    via = next((r.gateway for r in iproute.routes("default", pid=pid) if r.dst == "default"), "")
    peer = next((x for x in iproute.links() if x.ifindex == eth0.peer_index), None)
    master = (peer.master if peer else None) or ""
    return WiringFacts(net, eth0.addresses, eth0.up, via, master,
                       reaches(container, net.gateway))


@dataclass(frozen=True)
class Unwired:
    """A fresh `--network=none` container and a veth pair for it, made by `new_unwired()`.

    Attributes:
        container: the container (wire-me).
        pid: its host PID, as text (for `ip link set END netns PID`, `nsenter -t PID`).
        host_end: the veth end that stays on the host.
        inner: the end to move into the container.
        address: the address to give eth0, with prefix (outside Docker's range).
        gateway: the bridge's address.
        bridge: the bridge to attach host_end to.
    """

    container: Any
    pid: str
    host_end: str
    inner: str
    address: str
    gateway: str
    bridge: str


def new_unwired(lab: Lab, net: LessonNetwork) -> Unwired:
    """04.2's start: a fresh `--network=none` container `wire-me` and a veth pair (both
    shown); prints what the learner needs. Running it again starts afresh."""
    box = lab.run("labkit/busybox", ["sleep", "86400"], name="wire-me", network_mode="none")
    host_end, inner = veth_pair(lab, "vethc", "vethd")
    u = Unwired(box, str(container_pid(box)), host_end, inner,
                f"{net.spare_address(1)}/{net.prefixlen}", net.gateway, net.bridge)
    print(f"{box.name}: host PID {u.pid}; veth {u.host_end} (host end) and {u.inner}; "
          f"address {u.address}, gateway {u.gateway}, bridge {u.bridge}")
    return u


def bad_steps(steps: Any) -> str:
    """Why `steps` is not a list of `ip`/`nsenter` argument lists ("" when it is one)."""
    if isinstance(steps, str) or not isinstance(steps, Sequence) or not steps:
        return f"{steps!r} is not a list of commands"
    for n, argv in enumerate(steps, start=1):
        if isinstance(argv, str) or not isinstance(argv, Sequence) or not argv:
            return f"step {n}, {argv!r}, is not an argument list"
        if not all(isinstance(a, str | int) for a in argv):
            return f"step {n} holds something that is neither text nor a number"
        if str(argv[0]) not in {"ip", "nsenter"}:
            return f"step {n} runs {argv[0]}, not ip or nsenter"
    return ""


def check_wired(container: Any, net: LessonNetwork, steps: Any) -> CheckResult:
    """04.2: run the learner's `ip`/`nsenter` steps (each shown, with its output), then judge
    the wiring."""
    if is_unanswered(steps):
        return unanswered(WIRED, "a list of commands, each an argument list such as "
                          "[\"ip\", \"link\", \"set\", host_end, \"up\"]")
    why = bad_steps(steps)
    if why:
        return failed(WIRED, why, "each step is one ip or nsenter command as an argument list, "
                      "e.g. [\"ip\", \"link\", \"set\", host_end, \"up\"]")
    for n, step in enumerate(steps, start=1):
        result = sh([str(a) for a in step], check=False)
        if not result.ok:
            error = (result.stderr.strip().splitlines() or ["(no message)"])[-1]
            return failed(WIRED, f"step {n} failed: {error}",
                          "run the whole cell again (it starts afresh), after fixing that step;"
                          " `ip help` and `nsenter --help` list what they take",
                          "the order matters: a veth end moved into the container is no "
                          "longer on the host, so later steps reach it with nsenter -t PID -n")
    return judge_wiring(wiring_facts(container, net))


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
        return failed(HOST_PID, f"{answer!r} is not a number", "the answer is a PID: an integer")
    if given == f.child_host:
        return passed(HOST_PID, f"host PID {given} is {f.name}'s sleep: one process, two "
                      f"numbers (NSpid in /proc/{given}/status lists both)")
    general = ("the host numbers every process of a container in its own way; docker top "
               "NAME lists a container's processes with their host PIDs")
    if given == f.child_inner:
        return failed(HOST_PID, f"{given} is the sleep's PID inside {f.name}", general,
                      "docker top NAME -o pid,comm, or NSpid in /proc/HOSTPID/status")
    if given == f.main_host:
        return failed(HOST_PID, f"{given} is {f.name}'s PID 1, the shell; the sleep is its child",
                      general, f"the children of {given}: /proc/{given}/task/{given}/children")
    if given == f.shim:
        return failed(HOST_PID, f"{given} is the containerd shim, outside the container", general,
                      "docker top NAME -o pid,comm and take the sleep's line")
    return failed(HOST_PID, f"{given} is not {f.name}'s sleep (the container is new each time "
                  "the cell runs: read it afresh, do not type a number)", general,
                  "docker top NAME -o pid,comm and take the sleep's line")


def check_child_pid(container: Any, answer: Any) -> CheckResult:
    """04.3: what is the host PID of the `sleep` in this container (made by new_mystery)?"""
    if is_unanswered(answer):
        return unanswered(HOST_PID, "the sleep's host PID, read from the live system")
    view = pid_view(container)
    child = next((p for p in pid1.procs(container) if p.program == "sleep"), None)
    if child is None:
        raise LabkitError(f"{container.name} runs no sleep any more.",
                          "run the cell again: it starts a fresh container")
    return judge_child_pid(ChildFacts(container.name, child.host_pid, child.pid, view.host_pid,
                                      view.parent_pid), answer)


# -- 04.4 -------------------------------------------------------------------------------
# How long `docker stop` may take and still count as "at once".
AT_ONCE = 3.0


@dataclass(frozen=True)
class StopFacts:
    """What the check saw of the learner's container and its `docker stop -t 10`.

    Attributes:
        name: the container's name.
        stop_signal: its configured stop signal ("" for the default, SIGTERM).
        stopped: what the timed `docker stop` did.
    """

    name: str
    stop_signal: str
    stopped: pid1.Stopped


def kill_signal(stop_signal: str) -> bool:
    """Whether a configured stop signal is SIGKILL (which skips the lesson)."""
    return stop_signal.upper().removeprefix("SIG") in {"KILL", "9"}


def judge_stop(f: StopFacts) -> CheckResult:
    """Did `docker stop` return at once, because PID 1 ended on the stop signal?"""
    s = f.stopped
    if s.seconds < AT_ONCE:
        return passed(QUICK, f"docker stop returned in {s.took}: PID 1 was {s.pid1}, exit code "
                      f"{s.exit_code}")
    return failed(QUICK, f"docker stop took {s.took}: PID 1 was {s.pid1}, which ignored SIGTERM, "
                  f"so the engine sent SIGKILL after {pid1.GRACE} s (exit code {s.exit_code})",
                  "the kernel gives a namespace's PID 1 only the signals it has a handler for: "
                  "make PID 1 a program that acts on SIGTERM, or one that passes it on",
                  "three ways: init=True (--init: docker-init, i.e. tini, is PID 1 and forwards "
                  "the signal); a shell PID 1 that traps TERM: [\"sh\", \"-c\", "
                  "'trap \"exit 0\" TERM; sleep 86400 & wait']; or, in a Dockerfile, the exec "
                  "form CMD [\"prog\"] of a program that handles SIGTERM")


def check_quick_stop(answer: Any) -> CheckResult:
    """04.4: stop the learner's own lesson container with `docker stop -t 10` (shown), timed."""
    verdict = _running(QUICK, answer, "a container started with lab.run(...) that keeps running")
    if verdict is not None:
        return verdict
    if containers.labels(answer).get(labels.COURSE) != labels.COURSE_VALUE:
        return failed(QUICK, f"{answer.name} was not started by this lesson",
                      "start it with lab.run(...): the check stops only the lesson's containers")
    signal_name = str(answer.attrs.get("Config", {}).get("StopSignal") or "")
    if kill_signal(signal_name):
        return failed(QUICK, f"{answer.name} is stopped with {signal_name}: that is docker kill, "
                      "with no chance to clean up", "keep SIGTERM and make PID 1 act on it")
    # -t 10: the default grace period, whatever --stop-timeout the container asks for.
    stopped = pid1.timed_stop(answer, pid1.GRACE)
    return judge_stop(StopFacts(answer.name, signal_name, stopped))
