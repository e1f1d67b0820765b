"""Exercise checks of 04-namespaces: shared namespaces, a hand-wired container, a host PID.

Each `check_*` gathers facts from the live system and hands them to a `judge_*` function
that needs no engine (the unit tests call the judges with made-up facts).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from labkit.base import iproute
from labkit.lab.exercises import CheckResult, failed, passed
from labkit.namespaces.handwire import LessonNetwork, reaches
from labkit.namespaces.pidns import pid_view
from labkit.namespaces.procns import TYPES, container_pid, shared_namespaces

SHARED = "04.1 shared namespaces"
WIRED = "04.2 wire a container by hand"
HOST_PID = "04.3 a container's host PID"


# -- 04.1 -------------------------------------------------------------------------------
def judge_shared(truth: Iterable[str], answer: Any) -> CheckResult:
    """Compare an answer (a collection of namespace type names) with the shared types."""
    truth_set = set(truth)
    if isinstance(answer, str) or not isinstance(answer, Iterable):
        return failed(SHARED, f"the answer is {answer!r}, not a set of type names",
                      "answer with a set such as {\"net\", \"uts\"}")
    given = {str(a).strip().lower() for a in answer}
    unknown = sorted(given - set(TYPES))
    if unknown:
        return failed(SHARED, f"{', '.join(unknown)} is not a namespace type",
                      f"the types are {', '.join(TYPES)} (the names in /proc/PID/ns)")
    if given == truth_set:
        return passed(SHARED, f"they share {', '.join(sorted(truth_set)) or 'nothing'}")
    missing, extra = sorted(truth_set - given), sorted(given - truth_set)
    parts = ([f"they also share {', '.join(missing)}"] if missing else []) + (
        [f"they do not share {', '.join(extra)}"] if extra else [])
    hint = ("compare the links: readlink /proc/A/ns/TYPE and /proc/B/ns/TYPE name the same "
            "inode exactly when the namespace is shared")
    if {"user", "time"} & set(missing):
        hint = ("Docker gives a container no user or time namespace of its own by default; "
                + hint)
    return failed(SHARED, "; ".join(parts), hint)


def check_shared_namespaces(pid_a: int, pid_b: int, answer: Any) -> CheckResult:
    """04.1: which namespace types do the processes pid_a and pid_b share?"""
    return judge_shared(shared_namespaces(pid_a, pid_b), answer)


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
                      "make a veth pair, move one end into the container "
                      "(ip link set END netns PID) and rename it eth0")
    if f.peer_master != net.bridge:
        where = f"on {f.peer_master}" if f.peer_master else "on no bridge"
        return failed(WIRED, f"the host end of eth0's veth pair is {where}",
                      f"attach it: ip link set HOST_END master {net.bridge}, then set it up")
    if not f.eth0_up:
        return failed(WIRED, "eth0 is down", "nsenter -t PID -n ip link set eth0 up")
    inside = [a for a in f.eth0_addresses
              if ipaddress.ip_interface(a).ip in ipaddress.ip_network(net.subnet)]
    if not inside:
        return failed(WIRED, f"eth0 has no address in {net.subnet}",
                      f"nsenter -t PID -n ip addr add {net.spare_address()}/{net.prefixlen} "
                      "dev eth0")
    ip = ipaddress.ip_interface(inside[0])
    if ip.ip in ipaddress.ip_network(net.ip_range) or str(ip.ip) == net.gateway:
        return failed(WIRED, f"{ip.ip} is in {net.ip_range}, which Docker hands out",
                      "Docker does not know about your address and may give it to the next "
                      f"container: use one outside {net.ip_range}")
    if ip.network.prefixlen != net.prefixlen:
        return failed(WIRED, f"eth0 has {ip}, but the subnet is {net.subnet}",
                      f"use the subnet's prefix length, /{net.prefixlen}")
    if f.default_via != net.gateway:
        return failed(WIRED, "there is no default route via the bridge" if not f.default_via
                      else f"the default route goes via {f.default_via}",
                      f"nsenter -t PID -n ip route add default via {net.gateway}")
    if not f.reaches_gateway:
        return failed(WIRED, f"a ping from inside does not reach {net.gateway}",
                      "check that both veth ends are up (ip link)")
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


def check_wired(container: Any, net: LessonNetwork) -> CheckResult:
    """04.2: is this --network=none container wired into the network by hand?"""
    return judge_wiring(wiring_facts(container, net))


# -- 04.3 -------------------------------------------------------------------------------
def judge_host_pid(name: str, host_pid: int, inner_pid: int, parent_pid: int,
                   answer: Any) -> CheckResult:
    """Compare an answer with a container's host PID."""
    try:
        given = int(answer)
    except (TypeError, ValueError):
        return failed(HOST_PID, f"{answer!r} is not a number",
                      "the answer is a PID: an integer")
    if given == host_pid:
        return passed(HOST_PID, f"host PID {given} is {name}'s main process "
                      f"(PID {inner_pid} inside)")
    if given == inner_pid:
        return failed(HOST_PID, f"{given} is its PID inside its own pid namespace",
                      "the host numbers it differently: "
                      "docker inspect -f '{{.State.Pid}}' NAME, or NSpid in /proc/PID/status")
    if given == parent_pid:
        return failed(HOST_PID, "that is its parent, the containerd shim",
                      "take the child the shim started: docker inspect -f '{{.State.Pid}}' NAME")
    return failed(HOST_PID, f"{given} is not {name}'s main process",
                  "docker inspect -f '{{.State.Pid}}' NAME prints it")


def check_host_pid(container: Any, answer: Any) -> CheckResult:
    """04.3: what is the host PID of this container's main process?"""
    view = pid_view(container)
    return judge_host_pid(container.name, view.host_pid, view.inner_pid, view.parent_pid,
                          answer)
