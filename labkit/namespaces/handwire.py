"""Wiring a `--network=none` container into a bridge by hand, the way Docker does it for you.

Taught in: 04-namespaces, section 5: link the container's net namespace into /var/run/netns,
make a veth pair, put one end on the bridge, move the other in, rename it eth0, give it an
address and a default route. Every step runs as the command it shows.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import pandas as pd

from labkit.base import containers, iproute
from labkit.base.errors import LabkitError
from labkit.base.host import require_root
from labkit.base.i18n import _
from labkit.base.show import docker, sh
from labkit.base.wait import WaitTimeout, wait_for
from labkit.lab.session import Lab
from labkit.lab.subnets import free_subnet
from labkit.namespaces.nsenter import run_in

NETNS_DIR = "/var/run/netns"


@dataclass(frozen=True)
class LessonNetwork:
    """A Docker bridge network whose IPAM hands out only part of its subnet.

    Attributes:
        name: the network's name.
        subnet: the whole subnet, e.g. 10.213.0.0/24.
        ip_range: the part Docker gives to containers (`--ip-range`).
        gateway: the bridge's own address.
        bridge: the Linux bridge behind it (br-<first 12 of the network ID>).
        id: the network's ID (names need not be unique in Docker; IDs are).
    """

    name: str
    subnet: str
    ip_range: str
    gateway: str
    bridge: str
    id: str = ""

    def spare_address(self, nth: int = 0) -> str:
        """A host address outside the IP range, so Docker never hands it out: the subnet's
        last one, or the nth before it (nth=1 gives .253 in a /24)."""
        hosts = list(ipaddress.ip_network(self.subnet).hosts())
        spare = hosts[-1 - nth]
        if spare in ipaddress.ip_network(self.ip_range) or str(spare) == self.gateway:
            raise LabkitError(
                _("{subnet} has no spare address number {nth}.").format(
                    subnet=self.subnet, nth=nth
                ),
                _("use a smaller nth"),
            )
        return str(spare)

    def to_frame(self) -> pd.DataFrame:
        """The network's facts as a two-column table (the ID left out)."""
        rows = [("name", self.name), ("subnet", self.subnet),
                ("ip range (Docker's)", self.ip_range), ("gateway", self.gateway),
                ("bridge", self.bridge), ("spare address (ours)", self.spare_address())]
        return pd.DataFrame(rows, columns=["what", "value"]).set_index("what")

    @property
    def prefixlen(self) -> int:
        """The subnet's prefix length (24 for a /24)."""
        return ipaddress.ip_network(self.subnet).prefixlen


def split_subnet(subnet: str) -> str:
    """The lower half of a subnet: the `--ip-range` Docker may use (10.213.0.0/24 -> /25)."""
    net = ipaddress.ip_network(subnet)
    return str(next(net.subnets(prefixlen_diff=1)))


def lesson_network(lab: Lab, name: str = "net0") -> LessonNetwork:
    """`docker network create --subnet S --ip-range R --gateway G NAME`, S a free /24 of the pool.

    Taught in: 04-namespaces, section 5. The upper half of S stays free for hand-wired addresses.
    """
    subnet = str(free_subnet())
    ip_range = split_subnet(subnet)
    gateway = str(next(ipaddress.ip_network(subnet).hosts()))
    net = lab.network(name, subnet=subnet, ip_range=ip_range, gateway=gateway)
    cfg = net.attrs["IPAM"]["Config"][0]
    opts = net.attrs.get("Options") or {}
    bridge = opts.get("com.docker.network.bridge.name") or f"br-{net.id[:12]}"
    return LessonNetwork(net.name, cfg["Subnet"], cfg.get("IPRange") or ip_range,
                         cfg.get("Gateway") or gateway, bridge, net.id)


@dataclass(frozen=True)
class Wiring:
    """What `wire()` made: enough to look at it and to undo it.

    Attributes:
        container: the container's name.
        pid: its host PID (whose /proc/PID/ns/net was linked).
        netns: the name under /var/run/netns.
        host_end: the veth end on the bridge.
        address: the container's address with prefix, e.g. 10.213.0.254/24.
        gateway: its default route's next hop (the bridge's address).
    """

    container: str
    pid: int
    netns: str
    host_end: str
    address: str
    gateway: str


def veth_pair(lab: Lab, name: str, peer: str) -> tuple[str, str]:
    """Run `ip link add NAME type veth peer name PEER` (shown), recorded for cleanup first.

    Returns the two names (made unique when the host has interfaces of those names).
    Taught in: 04-namespaces, section 5 and exercise 04.2.
    """
    require_root()
    a, b = lab.name(name, "link"), lab.name(peer, "link")
    lab.record("link", name=a)  # deleting one end deletes the pair
    sh(["ip", "link", "add", a, "type", "veth", "peer", "name", b])
    return a, b


def wire(lab: Lab, container: Any, net: LessonNetwork, address: str | None = None, *,
         netns: str = "nonet", ends: tuple[str, str] = ("vetha", "vethb")) -> Wiring:
    """Connect a `--network=none` container to a bridge network by hand, step by step.

    Args:
        lab: the lesson (records the /var/run/netns link and the veth pair for cleanup).
        container: a running container with only `lo`.
        net: the network from `lesson_network()`.
        address: the container's address; by default the network's spare address.
        netns: the name to give its net namespace under /var/run/netns.
        ends: the veth pair's names (host end, container end).

    Raises:
        LabkitError: the container already has an eth0, or the address is Docker's to give.
    """
    require_root()
    address = address or net.spare_address()
    check_address(net, address)
    pid = containers.pid(container)
    if any(link.ifname == "eth0" for link in iproute.links(pid=pid)):
        raise LabkitError(_("{name} already has an eth0.").format(name=container.name),
                          _("wire a container started with --network none"))
    name = lab.name(netns, "netns")
    link = f"{NETNS_DIR}/{name}"
    sh(["mkdir", "-p", NETNS_DIR])
    lab.record("symlink", path=link)
    sh(["ln", "-s", f"/proc/{pid}/ns/net", link])
    inside = ["ip", "netns", "exec", name]
    host_end, peer = veth_pair(lab, *ends)
    sh(["ip", "link", "set", host_end, "master", net.bridge])
    sh(["ip", "link", "set", host_end, "up"])
    sh(["ip", "link", "set", peer, "netns", name])
    sh([*inside, "ip", "link", "set", "dev", peer, "name", "eth0"])
    sh([*inside, "ip", "link", "set", "eth0", "up"])
    cidr = f"{address}/{net.prefixlen}"
    sh([*inside, "ip", "addr", "add", cidr, "dev", "eth0"])
    sh([*inside, "ip", "route", "add", "default", "via", net.gateway])
    return Wiring(container.name, pid, name, host_end, cidr, net.gateway)


def check_address(net: LessonNetwork, address: str) -> None:
    """Refuse an address outside the subnet, Docker's to hand out, or the gateway's."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError as exc:
        raise LabkitError(
            _("{address!r} is not an IPv4 address.").format(address=address),
            _("write it like {spare_address}").format(spare_address=net.spare_address()),
        ) from exc
    if ip not in ipaddress.ip_network(net.subnet):
        raise LabkitError(
            _("{address} is not in {name}'s subnet {subnet}.").format(
                address=address, name=net.name, subnet=net.subnet
            ),
            _("pick an address such as {spare_address}").format(spare_address=net.spare_address()),
        )
    if ip in ipaddress.ip_network(net.ip_range) or address == net.gateway:
        raise LabkitError(
            _(
                "{address} is in {ip_range}, the range Docker hands out: a later "
                "container could get the same address."
            ).format(address=address, ip_range=net.ip_range),
            _("pick one outside it, such as {spare_address}").format(
                spare_address=net.spare_address()
            ),
        )


def unwire(wiring: Wiring) -> None:
    """Undo `wire()`: delete the veth pair (both ends go) and the /var/run/netns link."""
    require_root()
    sh(["ip", "link", "delete", wiring.host_end])
    sh(["rm", f"{NETNS_DIR}/{wiring.netns}"])


def reaches(container: Any, address: str, *, within: float = 4) -> bool:
    """True when a ping from inside the container to ADDRESS is answered (nothing shown).

    A link set up a moment ago can lose the first packet, so one `ping -c 1 -W 1` is sent
    again until WITHIN seconds have passed.
    """
    def answered() -> bool:
        return run_in(container, ["ping", "-c", "1", "-W", "1", address])[0] == 0

    try:
        return wait_for(f"{address} to answer a ping", answered, timeout=within)
    except WaitTimeout:
        return False


# busybox-static's wget crashes (SIGSEGV) in the course image, so the request is made with
# nc; the address and port reach the shell as arguments ($0, $1), never inside the script.
HTTP_GET = 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 5 "$0" "$1"'


def parse_http(code: int, out: str) -> tuple[str, str]:
    """(status line, body) of an HTTP/1.0 answer as nc printed it; ("", "") when there is none
    (a non-zero exit CODE, or no status line)."""
    head, _ignored, body = out.replace("\r\n", "\n").partition("\n\n")
    status = head.splitlines()[0] if code == 0 and head.startswith("HTTP/") else ""
    return status, body.strip() if status else ""


def fetch(container: Any, address: str, port: int) -> tuple[str, str]:
    """Run the `docker exec NAME sh -c '... | nc ...'` request (shown, with the whole answer:
    status line, headers, body). Returns (status line, body); ("", "") when nothing answered.

    Taught in: 04-namespaces, section 5.
    """
    answer = docker(["exec", container.name, "sh", "-c", HTTP_GET, address, str(port)],
                    check=False)
    status, body = parse_http(answer.returncode, answer.stdout)
    if not status:
        print(_("(no answer)"))
    return status, body
