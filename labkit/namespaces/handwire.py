"""Wiring a `--network=none` container into a bridge by hand, the way Docker does it for you.

Taught in: 04-namespaces, section 5: link the container's net namespace into /var/run/netns,
make a veth pair, put one end on the bridge, move the other in, rename it eth0, give it an
address and a default route. Every step is shown as the command it is.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import pandas as pd

from labkit.base import containers, iproute
from labkit.base.engine import client
from labkit.base.errors import LabkitError
from labkit.base.host import host, require_root
from labkit.base.show import show_command
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
            raise LabkitError(f"{self.subnet} has no spare address number {nth}.",
                              "use a smaller nth")
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


def _step(argv: list[str]) -> None:
    show_command(argv)
    host().run(argv)


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
    name = lab.name(netns, "netns")
    proc_net = f"/proc/{pid}/ns/net"
    show_command(["mkdir", "-p", NETNS_DIR])
    show_command(["ln", "-s", proc_net, f"{NETNS_DIR}/{name}"])
    lab.symlink(f"{NETNS_DIR}/{name}", proc_net)
    inside = ["ip", "netns", "exec", name]
    if any(link.ifname == "eth0" for link in iproute.links(netns=name)):
        raise LabkitError(f"{container.name} already has an eth0.",
                          "wire a container started with network_mode=\"none\"")
    host_end, peer = lab.veth(*ends)
    show_command(["ip", "link", "add", host_end, "type", "veth", "peer", "name", peer])
    _step(["ip", "link", "set", host_end, "master", net.bridge])
    _step(["ip", "link", "set", host_end, "up"])
    _step(["ip", "link", "set", peer, "netns", name])
    _step([*inside, "ip", "link", "set", "dev", peer, "name", "eth0"])
    _step([*inside, "ip", "link", "set", "eth0", "up"])
    cidr = f"{address}/{net.prefixlen}"
    _step([*inside, "ip", "addr", "add", cidr, "dev", "eth0"])
    _step([*inside, "ip", "route", "add", "default", "via", net.gateway])
    return Wiring(container.name, pid, name, host_end, cidr, net.gateway)


def check_address(net: LessonNetwork, address: str) -> None:
    """Refuse an address outside the subnet, Docker's to hand out, or the gateway's."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError as exc:
        raise LabkitError(f"{address!r} is not an IPv4 address.",
                          f"write it like {net.spare_address()}") from exc
    if ip not in ipaddress.ip_network(net.subnet):
        raise LabkitError(f"{address} is not in {net.name}'s subnet {net.subnet}.",
                          f"pick an address such as {net.spare_address()}")
    if ip in ipaddress.ip_network(net.ip_range) or address == net.gateway:
        raise LabkitError(f"{address} is in {net.ip_range}, the range Docker hands out: "
                          "a later container could get the same address.",
                          f"pick one outside it, such as {net.spare_address()}")


def unwire(wiring: Wiring) -> None:
    """Undo `wire()`: delete the veth pair (both ends go) and the /var/run/netns link."""
    require_root()
    _step(["ip", "link", "delete", wiring.host_end])
    link = f"{NETNS_DIR}/{wiring.netns}"
    show_command(["rm", link])
    host().run(["rm", link])


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


def http_get(container: Any, address: str, port: int) -> tuple[str, str]:
    """`GET /` from inside the container (busybox nc): (status line, body); ("", "") if none."""
    code, out = run_in(container, ["sh", "-c", HTTP_GET, address, str(port)])
    head, _, body = out.replace("\r\n", "\n").partition("\n\n")
    status = head.splitlines()[0] if code == 0 and head.startswith("HTTP/") else ""
    return status, body.strip() if status else ""


def fetch(container: Any, address: str, port: int) -> None:
    """Show the `docker exec NAME sh -c '... | nc ...'` request; print status line and body.

    The headers are left out: they include a date.
    """
    show_command(["docker", "exec", container.name, "sh", "-c", HTTP_GET, address, str(port)])
    status, body = http_get(container, address, port)
    print(f"{status}\n{body}" if status else "(no answer)")


def container_address(container: Any, net: LessonNetwork) -> str:
    """The IPv4 address Docker gave a container on the network (`docker inspect`)."""
    found = containers.endpoints(containers.get(container)).get(net.name)
    if found is None or not found.address:
        raise LabkitError(f"{container.name} is not on {net.name}.",
                          f"run it with network={net.name!r}")
    return found.address


def docker_knows(net: LessonNetwork) -> list[str]:
    """The containers Docker lists on the network (`docker network inspect`), by name."""
    found = client().networks.get(net.id or net.name)
    found.reload()
    return sorted(c["Name"] for c in (found.attrs.get("Containers") or {}).values())
