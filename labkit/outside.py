"""The lesson's "outside world": a network namespace reached through the host, with
documentation addresses (RFC 5737), so no packet of a lesson ever leaves the machine.

Taught in: 03-networking (SNAT, DNAT); used again in 04-namespaces.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import time
from dataclasses import asdict, dataclass

import pandas as pd

from . import echo_server
from .errors import NameTaken
from .host import host, require_root
from .lab import Lab
from .subnets import used_networks

# Small on purpose: a machine may really talk to other documentation addresses (some sandboxes
# put their egress proxy at one), and a lesson must not capture that traffic.
LINK_NET = ipaddress.ip_network("203.0.113.0/30")
SERVER = ipaddress.ip_address("198.51.100.10")


@dataclass(frozen=True)
class OutsideWorld:
    """A netns standing in for the Internet.

    Attributes:
        netns: the namespace's name (`ip netns list`).
        host_link: the host's end of the veth pair.
        host_address: the host's address on that link (what SNAT rewrites to).
        link_address: the namespace's address on that link.
        server_address: where its echo server listens (routed through the namespace).
        server_port: the echo server's TCP port.
    """

    netns: str
    host_link: str
    host_address: str
    link_address: str
    server_address: str
    server_port: int

    @property
    def url(self) -> str:
        """The echo server's URL."""
        return f"http://{self.server_address}:{self.server_port}/"

    def to_frame(self) -> pd.DataFrame:
        """The world's facts as a two-column table."""
        return pd.DataFrame(list(asdict(self).items()), columns=["what", "value"])


def outside_world(lab: Lab, *, name: str = "outside", port: int = 8080) -> OutsideWorld:
    """Create the outside world: netns, veth pair, addresses, routes, and an echo server.

    The host routes one address, 198.51.100.10, into the namespace over a /30 link, so
    containers reach it the way they would reach the Internet: through their gateway, the
    host, and Docker's MASQUERADE rule.
    Everything is recorded in the lab's ledger and removed by `lab.cleanup()`.

    Raises:
        NameTaken: the documentation subnets are already in use on this machine.
    """
    require_root()
    server_net = ipaddress.ip_network(f"{SERVER}/32")
    busy = [n for n in used_networks() if n.overlaps(LINK_NET) or n.overlaps(server_net)]
    if busy:
        raise NameTaken(f"This machine already uses {busy[0]}, which the lesson needs.",
                        "remove that route or network, or run the lesson on another machine")
    hosts = list(LINK_NET.hosts())
    host_addr, link_addr = str(hosts[0]), str(hosts[1])
    server = str(SERVER)
    ns = lab.netns(name)
    host_if, ns_if = lab.veth("out-host", "out-ns")
    run = host().run
    run(["ip", "link", "set", ns_if, "netns", ns])
    run(["ip", "addr", "add", f"{host_addr}/{LINK_NET.prefixlen}", "dev", host_if])
    run(["ip", "link", "set", host_if, "up"])
    inside = ["ip", "netns", "exec", ns]
    run([*inside, "ip", "link", "set", "lo", "up"])
    run([*inside, "ip", "link", "set", ns_if, "name", "eth0"])
    run([*inside, "ip", "addr", "add", f"{link_addr}/{LINK_NET.prefixlen}", "dev", "eth0"])
    run([*inside, "ip", "link", "set", "eth0", "up"])
    run([*inside, "ip", "addr", "add", f"{server}/32", "dev", "lo"])
    run([*inside, "ip", "route", "add", "default", "via", host_addr])
    # Deleted with host_if: a route through a link goes when the link goes.
    run(["ip", "route", "add", f"{server}/32", "via", link_addr, "dev", host_if])
    lab.spawn([sys.executable, echo_server.__file__, "--address", server, "--port", str(port)],
              netns=ns)
    _wait_for_port(ns, server, port)
    return OutsideWorld(ns, host_if, host_addr, link_addr, server, port)


def _wait_for_port(ns: str, address: str, port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((address, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"the echo server in {ns} did not start on {address}:{port}")
