"""`ip -j` (iproute2's JSON) read into frozen links and routes, on the host or in a netns.

Taught in: 03-networking (bridges, veth pairs) and 04-namespaces (a netns seen from inside).
Everything comes from JSON, never from `ip`'s free text. Commands run through
`labkit.base.host.host()`, so they reach the Docker host even through a helper container.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from labkit.base.host import host


@dataclass(frozen=True)
class Link:
    """One network interface in one netns, as `ip -j addr` (or `ip -j link`) reports it.

    Attributes:
        ifindex: its index in its netns (`ip link` prints it first).
        ifname: its name, e.g. "eth0", "docker0", "veth1a2b3c4".
        kind: "veth", "bridge", ... ("" for a plain device, or without `ip -d`).
        peer_index: for a veth whose other end is in another netns, that end's ifindex: the
            N of `eth0@ifN` (`link_index`).
        master: the bridge it is plugged into, if any.
        state: the operational state ("UP", "DOWN", "UNKNOWN").
        mac: its MAC address.
        addresses: its IPv4 addresses with prefix, e.g. ("172.17.0.2/16",).
        flags: its flags, e.g. ("BROADCAST", "MULTICAST", "UP", "LOWER_UP").
        inet6: its IPv6 addresses with prefix.
    """

    ifindex: int
    ifname: str
    kind: str
    peer_index: int | None
    master: str | None
    state: str
    mac: str
    addresses: tuple[str, ...]
    flags: tuple[str, ...] = ()
    inet6: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The name as `ip link` prints it: `eth0@if11` for a veth, else just the name."""
        return f"{self.ifname}@if{self.peer_index}" if self.peer_index else self.ifname

    @property
    def up(self) -> bool:
        """True when the interface was set up (`ip link set ... up`): UP among its flags."""
        return "UP" in self.flags


def _addresses(item: dict[str, Any], family: str) -> tuple[str, ...]:
    return tuple(f"{a['local']}/{a['prefixlen']}" for a in item.get("addr_info", [])
                 if a.get("family") == family and "local" in a)


def parse_links(data: Sequence[dict[str, Any]]) -> list[Link]:
    """Turn the JSON of `ip [-d] -j addr show` or `ip -j link show` into Links."""
    links = []
    for item in data:
        info = item.get("linkinfo") or {}
        links.append(Link(
            ifindex=int(item["ifindex"]), ifname=str(item["ifname"]),
            kind=str(info.get("info_kind", "")),
            peer_index=int(item["link_index"]) if "link_index" in item else None,
            master=item.get("master"), state=str(item.get("operstate", "")),
            mac=str(item.get("address", "")), addresses=_addresses(item, "inet"),
            flags=tuple(str(f) for f in item.get("flags", [])),
            inet6=_addresses(item, "inet6")))
    return links


@dataclass(frozen=True)
class Route:
    """One route, as `ip -j route` reports it.

    Attributes:
        dst: "default", a network ("10.213.0.0/24") or one address ("10.213.0.1").
        gateway: the next hop ("" for a route on the link itself).
        dev: the interface it leaves by.
        type: "" for a unicast route, else "local", "broadcast", ... (table local).
    """

    dst: str
    gateway: str
    dev: str
    type: str = ""

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        """The destination as a network (an address alone is a /32); None for "default"."""
        if not self.dst or not self.dst[0].isdigit():
            return None
        return ipaddress.ip_network(self.dst if "/" in self.dst else f"{self.dst}/32",
                                    strict=False)


def parse_routes(data: Sequence[dict[str, Any]]) -> list[Route]:
    """Turn the JSON of `ip -j route show ...` into Routes."""
    return [Route(str(r.get("dst", "")), str(r.get("gateway", "")), str(r.get("dev", "")),
                  str(r.get("type", ""))) for r in data]


def _inside(pid: int | None, netns: str | None) -> list[str]:
    """The prefix that runs `ip` in PID's netns (nsenter) or in a named one (ip netns exec)."""
    if pid is not None:
        return ["nsenter", "-t", str(pid), "-n"]
    if netns is not None:
        return ["ip", "netns", "exec", netns]
    return []


def links(dev: str | None = None, *, pid: int | None = None,
          netns: str | None = None) -> list[Link]:
    """The interfaces of the host, of PID's netns or of a named netns (`ip -d -j addr show`).

    Args:
        dev: only this interface (`ip ... addr show dev DEV`; an error when it is missing).
        pid: read inside this process's netns (`nsenter -t PID -n ip ...`).
        netns: read inside this named netns (`ip netns exec NAME ip ...`).

    Taught in: 03-networking, 04-namespaces.
    """
    argv = [*_inside(pid, netns), "ip", "-d", "-j", "addr", "show"]
    return parse_links(host().json([*argv, "dev", dev] if dev else argv))


def routes(*selector: str, pid: int | None = None, ipv4: bool = False) -> list[Route]:
    """The routes `ip -j [-4] route show SELECTOR...` lists, on the host or in PID's netns.

    E.g. `routes("default", pid=4242)`, or `routes("table", "all", ipv4=True)`.
    """
    family = ["-4"] if ipv4 else []
    return parse_routes(host().json([*_inside(pid, None), "ip", "-j", *family, "route", "show",
                                     *selector]))
