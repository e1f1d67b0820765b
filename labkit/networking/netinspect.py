"""Read a container's network plumbing: bridges, veth pairs, addresses, modes, sockets.

Taught in: 03-networking. Everything comes from JSON (`ip -j`, `docker inspect`), never from
parsing free text where JSON exists. The tables and sentences that follow a cell's commands
are in `views`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from docker.models.containers import Container

from labkit.base import containers as ctr
from labkit.base import iproute
from labkit.base import labels as lesson_labels
from labkit.base.engine import client
from labkit.base.errors import LabkitError, friendly
from labkit.base.host import host
from labkit.base.i18n import _
from labkit.base.iproute import Link
from labkit.base.show import docker, sh
from labkit.networking import nftables


# -- links as `ip -j addr` reports them ----------------------------------------------------
def host_links() -> list[Link]:
    """The host's interfaces (`ip -d -j addr show`)."""
    return iproute.links()


def netns_links(pid: int) -> list[Link]:
    """The interfaces inside the netns of process PID (`nsenter -t PID -n ip -d -j addr`)."""
    return iproute.links(pid=pid)


# -- bridges -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bridge:
    """A Linux bridge on the host: a virtual switch that containers plug their veths into.

    Attributes:
        name: e.g. "docker0" or "br-<id>".
        address: the bridge's own address with prefix (the containers' gateway).
        subnet: the network it serves.
        state: "UP" once something is plugged in and up, else "DOWN".
        ports: the interfaces plugged into it.
    """

    name: str
    address: str
    subnet: str
    state: str
    ports: tuple[str, ...]


def bridge(name: str, links: Sequence[Link] | None = None) -> Bridge:
    """Read one bridge (its address from `ip -j addr`, its ports from their `master`).

    Raises:
        LabkitError: there is no bridge with that name.
    """
    links = list(links) if links is not None else host_links()
    found = next((x for x in links if x.ifname == name), None)
    if found is None:
        raise LabkitError(_("The host has no interface called {name!r}.").format(name=name),
                          _("list the bridges with `ip -br link show type bridge`"))
    address = found.addresses[0] if found.addresses else ""
    subnet = str(ipaddress.ip_interface(address).network) if address else ""
    ports = tuple(sorted(x.ifname for x in links if x.master == name))
    return Bridge(name, address, subnet, found.state, ports)


def bridge_of(network: str) -> str:
    """The host interface behind a Docker bridge network: docker0, or br-<first 12 of ID>."""
    with friendly():
        net = client().networks.get(network)
    opts = net.attrs.get("Options") or {}
    if net.attrs.get("Driver") != "bridge":
        raise LabkitError(
            _("Network {network!r} uses the {driver} driver, which has no bridge.").format(
                network=network, driver=net.attrs.get("Driver")
            ),
            _("pick a bridge network"),
        )
    return opts.get("com.docker.network.bridge.name") or f"br-{net.id[:12]}"


# -- veth pairs ----------------------------------------------------------------------------
@dataclass(frozen=True)
class VethPair:
    """A container's interface on one network, matched to its peer on the host.

    Attributes:
        container: the container's name.
        network: the Docker network.
        address: the container's address with prefix (from docker inspect).
        gateway: the container's gateway (the bridge's address).
        inside: the container's end (`eth0`), with its ifindex and peer index.
        outside: the host's end (`veth...`), plugged into `bridge`.
        bridge: the bridge the host end is plugged into.
    """

    container: str
    network: str
    address: str
    gateway: str
    inside: Link
    outside: Link
    bridge: str

    @property
    def matched(self) -> bool:
        """True when each end names the other's ifindex (the proof they are one pair)."""
        return (self.inside.peer_index == self.outside.ifindex
                and self.outside.peer_index == self.inside.ifindex)


def veth_pairs(containers: Iterable[Container | str],
               links: Sequence[Link] | None = None) -> list[VethPair]:
    """Match each container's interfaces to the host's veths.

    The container's interface is found by the MAC address docker inspect reports; its
    host peer is the host veth whose ifindex is the interface's `link_index` (the N of
    `eth0@ifN`) and whose own `link_index` points back.
    """
    host_side = list(links) if links is not None else host_links()
    by_index = {x.ifindex: x for x in host_side if x.kind == "veth"}
    pairs = []
    for item in containers:
        c = ctr.get(item)
        inside_links = netns_links(ctr.pid(c))
        for net_name, net in sorted(ctr.endpoints(c).items()):
            mac = net.mac.lower()
            inside = next((x for x in inside_links if mac and x.mac.lower() == mac), None)
            if inside is None or inside.peer_index is None:
                continue
            outside = by_index.get(inside.peer_index)
            if outside is None:
                continue
            pairs.append(VethPair(c.name, net_name, net.cidr, net.gateway, inside, outside,
                                  outside.master or ""))
    return pairs


_LINK_HEAD = re.compile(r"^(\d+): ([^:@\s]+)(?:@(?:if(\d+)|\S+))?: <([^>]*)>(.*)$")


def parse_ip_link(text: str) -> list[Link]:
    """The interfaces in `ip link show` output (the form a learner reads: `2: eth0@if12: <...>
    ... master docker0 state UP ...` and its `link/ether MAC` line). Only veths are asked
    for this way, so each is a veth."""
    found: list[Link] = []
    for line in text.splitlines():
        head = _LINK_HEAD.match(line)
        if head:
            index, name, peer, flags, rest = head.groups()
            master = re.search(r" master (\S+)", rest)
            state = re.search(r" state (\S+)", rest)
            found.append(Link(int(index), name, "veth", int(peer) if peer else None,
                              master.group(1) if master else None,
                              state.group(1) if state else "", "", (),
                              tuple(flags.split(",")) if flags else ()))
        elif found and line.strip().startswith("link/ether "):
            last = found[-1]
            found[-1] = Link(last.ifindex, last.ifname, last.kind, last.peer_index, last.master,
                             last.state, line.split()[1], last.addresses, last.flags)
    return found


def show_pairs(containers: Iterable[Container | str]) -> list[VethPair]:
    """Show each container's veth pair, both ends, with the commands that list them
    (03-networking, section 1), and return the pairs for the table that follows.

    For each container: `nsenter -t PID -n ip link show type veth` (the container's end, in its
    netns, found by the MAC address docker inspect reports), then `ip link show dev VETH` (the
    host's end: the host veth whose ifindex is the N of `eth0@ifN`, looked up in the host's
    `ip -j link`). The table is read from what these two commands printed.
    """
    host_side = {x.ifindex: x for x in host_links() if x.kind == "veth"}
    pairs = []
    for item in containers:
        c = ctr.get(item)
        inside_out = sh(["nsenter", "-t", str(ctr.pid(c)), "-n", "ip", "link", "show",
                         "type", "veth"])
        inside_links = parse_ip_link(inside_out.stdout)
        for net_name, net in sorted(ctr.endpoints(c).items()):
            mac = net.mac.lower()
            inside = next((x for x in inside_links if mac and x.mac.lower() == mac), None)
            peer = host_side.get(inside.peer_index) if inside and inside.peer_index else None
            if inside is None or peer is None:
                continue
            outside = parse_ip_link(sh(["ip", "link", "show", "dev", peer.ifname]).stdout)
            if outside:
                pairs.append(VethPair(c.name, net_name, net.cidr, net.gateway, inside,
                                      outside[0], outside[0].master or ""))
    return pairs


class NoVethPair(LabkitError):
    """The container has no veth pair: it runs in host, none or container: mode."""


def host_veth(container: Container | str) -> str:
    """The name of the host's end of a container's (first) veth pair (exercise 03.3's answer).

    Raises:
        NoVethPair: the container is not on a bridge network.
    """
    pairs = veth_pairs([container])
    if not pairs:
        raise NoVethPair(
            _("Container {name} has no veth pair.").format(name=ctr.get(container).name),
            _("host, none and container: modes have no veth of their own"),
        )
    return pairs[0].outside.ifname


# -- docker networks -----------------------------------------------------------------------
def addresses(container: Container | str) -> dict[str, str]:
    """{network: address} of a container as docker inspect reports it ('' in host mode)."""
    return {k: v.address for k, v in sorted(ctr.endpoints(ctr.get(container)).items())}


# -- namespaces and sockets ----------------------------------------------------------------
def network_mode(container: Container | str) -> str:
    """HostConfig.NetworkMode, with `container:<ID>` shown as `container:<name>`."""
    mode = ctr.network_mode(ctr.get(container))
    if mode.startswith("container:"):
        other = ctr.find(mode.split(":", 1)[1])
        if other is not None:
            mode = "container:" + other.name
    return mode



# -- docker network ls and the bridge's ports ----------------------------------------------
def network_ls(labels: dict[str, str]) -> None:
    """`docker network ls` twice, filtered as the command filters: Docker's own networks
    (`--filter type=builtin`: bridge, host, none) and the lesson's (`--filter label=` the
    lesson's session label, from LABELS: `lab.labels`). Other people's networks stay private."""
    docker(["network", "ls", "--filter", "type=builtin"])
    session = labels.get(lesson_labels.SESSION)
    mine = (f"{lesson_labels.SESSION}={session}" if session
            else ",".join(f"{k}={v}" for k, v in labels.items()))
    docker(["network", "ls", "--filter", f"label={mine}"])


def bridge_ports(name: str) -> None:
    """The bridge's ports: `brctl show NAME` where bridge-utils is installed, otherwise
    `ip -br link show master NAME` (the same list, from iproute2)."""
    argv = (["brctl", "show", name] if host().has_tool("brctl")
            else ["ip", "-br", "link", "show", "master", name])
    sh(argv)


# -- how 127.0.0.11 answers ----------------------------------------------------------------
def resolver_rules(container: Container | str) -> None:
    """The nat rules Docker wrote inside a container's netns for its embedded DNS
    (`nsenter -n -t PID iptables -t nat -S`, run and printed as it is): :53 to 127.0.0.11 is
    sent on to the ports where dockerd's resolver listens. On Docker 29's nftables backend
    they are in the netns's table `ip docker-dns` instead (moby's
    daemon/libnetwork/resolver_unix.go, setupNftablesNAT), read with `nft list table ip
    docker-dns`.

    Raises:
        LabkitError: no rule for 127.0.0.11 there.
    """
    enter = ["nsenter", "-n", "-t", str(ctr.pid(ctr.get(container)))]
    if nftables.in_use():
        argv = [*enter, "nft", "list", "table", "ip", "docker-dns"]
    else:
        argv = [*enter, "iptables", "-t", "nat", "-S"]
    if "127.0.0.11" not in sh(argv).stdout:
        raise LabkitError(_("No rule for 127.0.0.11 in the container's netns."),
                          _("is the container on a network you created (only those have DNS)?"))


def resolver_sockets(container: Container | str) -> None:
    """Where dockerd's resolver listens inside the container's netns (`nsenter -n -t PID
    ss -H -lntup`, run and printed as it is): 127.0.0.11 on two random ports, one TCP, one
    UDP, both dockerd's.

    Raises:
        LabkitError: there is none (the container is not on a user-defined network).
    """
    argv = ["nsenter", "-n", "-t", str(ctr.pid(ctr.get(container))), "ss", "-H", "-lntup"]
    found = [line for line in sh(argv).stdout.splitlines()
             if len(line.split()) >= 5 and line.split()[4].startswith("127.0.0.11:")]
    if not found:
        raise LabkitError(_("Nothing listens on 127.0.0.11 in the container's netns."),
                          _("is the container on a network you created (only those have DNS)?"))


# -- what a lesson reads, said in a sentence (checked, not asserted in a cell) -------------
