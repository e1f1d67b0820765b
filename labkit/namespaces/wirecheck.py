"""Exercise check 04.2 of 04-namespaces: wire a container by hand.

Taught in: 04-namespaces, section 5 (exercise 04.2). `new_unwired` starts a `--network=none`
container and a veth pair; `check_wired` runs the learner's `ip` and `nsenter` steps, gathers
the container's wiring from the live system and hands it to `judge_wiring`, which needs no
engine. Re-exported by labkit.namespaces.checks, where the notebook calls it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from labkit.base import iproute
from labkit.base.errors import LabkitError
from labkit.base.i18n import _
from labkit.base.show import sh
from labkit.lab.exercises import CheckResult, failed, is_unanswered, passed, unanswered
from labkit.lab.session import Lab
from labkit.namespaces.handwire import LessonNetwork, reaches, veth_pair
from labkit.namespaces.procns import container_pid

WIRED = "04.2 wire a container by hand"


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
        return failed(WIRED, _("the container has no eth0 with an address"),
                      _("one end of the veth pair must move into the container's net namespace "
                        "and be called eth0 there"),
                      _("`ip link set` can move a device into the net namespace of a PID, and "
                        "rename it; once moved, it is no longer among the host's devices"))
    if f.peer_master != net.bridge:
        where = f"on {f.peer_master}" if f.peer_master else "on no bridge"
        return failed(
            WIRED,
            _("the host end of eth0's veth pair is {where}").format(where=where),
            _("the end that stays on the host is a port of the network's bridge"),
            _("a port's bridge is its master, here {bridge}; that end must be up too").format(
                bridge=net.bridge
            ),
        )
    if not f.eth0_up:
        return failed(WIRED, _("eth0 is down"), _("an interface carries nothing until it is up"),
                      _("moving a device into another namespace sets it down: it is up only if a "
                        "step inside the container's namespace sets it up afterwards"))
    inside = [a for a in f.eth0_addresses
              if ipaddress.ip_interface(a).ip in ipaddress.ip_network(net.subnet)]
    if not inside:
        return failed(WIRED, _("eth0 has no address in {subnet}").format(subnet=net.subnet),
                      _("the container needs an address on the bridge's subnet"),
                      _("the address printed above the cell, prefix included, given to eth0 "
                        "inside the container's net namespace"))
    ip = ipaddress.ip_interface(inside[0])
    if ip.ip in ipaddress.ip_network(net.ip_range) or str(ip.ip) == net.gateway:
        return failed(
            WIRED,
            _("{ip} is in {ip_range}, which Docker hands out").format(
                ip=ip.ip, ip_range=net.ip_range
            ),
            _(
                "Docker does not know about your address and may give it to the next "
                "container: use one outside {ip_range}"
            ).format(ip_range=net.ip_range),
            _("the address printed above the cell, {spare_address}").format(
                spare_address=net.spare_address(1)
            ),
        )
    if ip.network.prefixlen != net.prefixlen:
        return failed(
            WIRED,
            _("eth0 has {ip}, but the subnet is {subnet}").format(ip=ip, subnet=net.subnet),
            _("the prefix length decides which addresses are on the link"),
            _("use the subnet's prefix length, /{prefixlen}").format(prefixlen=net.prefixlen),
        )
    if f.default_via != net.gateway:
        return failed(
            WIRED,
            _("there is no default route via the bridge")
            if not f.default_via
            else _("the default route goes via {default_via}").format(default_via=f.default_via),
            _("packets for other networks go to the bridge's own address"),
            _(
                "the route belongs to the container, so it is added inside its net "
                "namespace; its next hop is the gateway, {gateway}"
            ).format(gateway=net.gateway),
        )
    if not f.reaches_gateway:
        return failed(
            WIRED,
            _("a ping from inside does not reach {gateway}").format(gateway=net.gateway),
            _("both ends of a veth pair must be up"),
            _(
                "`ip -br link` shows each end's state: the host end on the host, eth0 "
                "inside the container's net namespace"
            ),
        )
    return passed(WIRED, _("eth0 has {ip} on {bridge}, default route via {gateway}, and the "
                           "gateway answers").format(ip=ip, bridge=net.bridge, gateway=net.gateway))


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


class Unwired(NamedTuple):
    """What 04.2's cell prints and the learner's steps use, all plain text (`new_unwired`).

    Attributes:
        container: the container's name (`wire-me`, or `wire-me-<session>` where you have a
            container of that name: labkit never touches yours).
        host_end: the veth end that stays on the host.
        inner: the end to move into the container.
        address: the address to give eth0, with prefix (outside Docker's range).
        gateway: the bridge's address.
        bridge: the bridge to attach host_end to.
    """

    container: str
    host_end: str
    inner: str
    address: str
    gateway: str
    bridge: str


# The container new_unwired made last, for check_wired to inspect.
_unwired: dict[str, Any] = {}


def new_unwired(lab: Lab, net: LessonNetwork) -> Unwired:
    """04.2's start: a fresh `--network=none` container `wire-me` and a veth pair (both
    shown); prints, and returns as plain strings, what the learner's commands need besides
    wire-me's PID (which the cell reads with `docker inspect`). Running it again starts
    afresh."""
    box = lab.run("labkit/busybox", ["sleep", "86400"], name="wire-me",
                  flags=["--network", "none"])
    host_end, inner = veth_pair(lab, "vethc", "vethd")
    _unwired["box"] = box
    u = Unwired(box.name, host_end, inner, f"{net.spare_address(1)}/{net.prefixlen}",
                net.gateway, net.bridge)
    print("\n".join(f"{field:<9}{value}" for field, value in u._asdict().items()))
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


def check_wired(net: LessonNetwork, steps: Any) -> CheckResult:
    """04.2: run the learner's `ip`/`nsenter` steps (each shown, with its output), then judge
    the wiring of the container `new_unwired` made last."""
    if is_unanswered(steps):
        return unanswered(WIRED, _("a list of commands, each an argument list such as [\"ip\", "
                                   "\"link\", \"set\", host_end, \"up\"]"))
    why = bad_steps(steps)
    if why:
        return failed(WIRED, why, _("each step is one ip or nsenter command as an argument list, "
                                    "e.g. [\"ip\", \"link\", \"set\", host_end, \"up\"]"))
    if "box" not in _unwired:
        raise LabkitError(_("There is no wire-me container yet."),
                          _("run the whole cell: its first line starts one"))
    for n, step in enumerate(steps, start=1):
        result = sh([str(a) for a in step], check=False)
        if not result.ok:
            error = (result.stderr.strip().splitlines() or ["(no message)"])[-1]
            return failed(WIRED, _("step {n} failed: {error}").format(n=n, error=error),
                          _("run the whole cell again (it starts afresh), after fixing that "
                            "step; `ip help` and `nsenter --help` list what they take"),
                          _("the order matters: a veth end moved into the container is no longer "
                            "on the host, so later steps reach it only from inside the "
                            "container's net namespace"))
    return judge_wiring(wiring_facts(_unwired["box"], net))
