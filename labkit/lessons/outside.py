"""The lesson's "outside world": a network namespace reached through the host, with
documentation addresses (RFC 5737), so no packet of a lesson ever leaves the machine.

Taught in: 03-networking (SNAT, DNAT); used again in 04-namespaces.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from dataclasses import asdict, dataclass

import pandas as pd

from labkit.base.errors import HostToolMissing, LabkitError, NameTaken
from labkit.base.host import host, require_root
from labkit.base.i18n import _
from labkit.base.show import command_line, sh
from labkit.base.wait import wait_for
from labkit.lab.session import Lab
from labkit.lab.subnets import used_networks
from labkit.lessons import echo_server

# Small on purpose: a machine may really talk to other documentation addresses (some sandboxes
# put their egress proxy at one), and a lesson must not capture that traffic. A few slots, so
# two chapters open at once each get a world of their own: (link /30, server address).
SLOTS = tuple((ipaddress.ip_network(f"203.0.113.{4 * i}/30"),
               ipaddress.ip_address(f"198.51.100.{10 + i}")) for i in range(4))


def free_slot(used: list[ipaddress.IPv4Network]) -> tuple[ipaddress.IPv4Network,
                                                           ipaddress.IPv4Address]:
    """The first (link, server) pair that overlaps nothing in use.

    Raises:
        NameTaken: every slot is taken (other lessons' worlds, or this machine's own routes).
    """
    for link, server in SLOTS:
        if not any(n.overlaps(link) or server in n for n in used):
            return link, server
    raise NameTaken(_("Every outside-world address the course may use is taken on this machine."),
                    _("close the other chapters' notebooks (their lab.cleanup() frees them), or "
                      "run `labkit clean`"))


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


def outside_world(lab: Lab, *, name: str = "outside", port: int = 8080,
                  show: bool = False) -> OutsideWorld:
    """Create the outside world: netns, veth pair, addresses, routes, and an echo server.

    With SHOW (03-networking), each `ip` command that wires it is printed as it runs, and so
    is the command that starts the echo server in the background; the netns and the veth pair
    come from `lab.netns` and `lab.veth`, which the first printed line names.

    The host routes one address (198.51.100.10) into the namespace over a /30 link, so
    containers reach it the way they would reach the Internet: through their gateway, the
    host, and Docker's MASQUERADE rule.
    Everything is recorded in the lab's ledger and removed by `lab.cleanup()`.

    The first world on a machine gets 203.0.113.0/30 and 198.51.100.10; one made while another
    exists takes the next slot.

    Raises:
        NameTaken: no slot is free.
    """
    require_root()
    link_net, server_ip = free_slot(used_networks())
    hosts = list(link_net.hosts())
    host_addr, link_addr = str(hosts[0]), str(hosts[1])
    server = str(server_ip)
    ns = lab.netns(name)
    host_if, ns_if = lab.veth("out-host", "out-ns")
    if show:
        print(_("(the lab made the netns {ns} and the veth pair {host_if} / {ns_if}; the rest is "
                "wired by these commands)").format(ns=ns, host_if=host_if, ns_if=ns_if))
    run = sh if show else host().run
    run(["ip", "link", "set", ns_if, "netns", ns])
    run(["ip", "addr", "add", f"{host_addr}/{link_net.prefixlen}", "dev", host_if])
    run(["ip", "link", "set", host_if, "up"])
    inside = ["ip", "netns", "exec", ns]
    run([*inside, "ip", "link", "set", "lo", "up"])
    run([*inside, "ip", "link", "set", ns_if, "name", "eth0"])
    run([*inside, "ip", "addr", "add", f"{link_addr}/{link_net.prefixlen}", "dev", "eth0"])
    run([*inside, "ip", "link", "set", "eth0", "up"])
    run([*inside, "ip", "addr", "add", f"{server}/32", "dev", "lo"])
    run([*inside, "ip", "route", "add", "default", "via", host_addr])
    # Deleted with host_if: a route through a link goes when the link goes.
    run(["ip", "route", "add", f"{server}/32", "via", link_addr, "dev", host_if])
    serve = [sys.executable, echo_server.__file__, "--address", server, "--port", str(port)]
    if show:  # Lab.spawn runs `ip netns exec NS ARGV...` in the background
        print("$ " + command_line(["ip", "netns", "exec", ns, *serve]) + " &")
    lab.spawn(serve, netns=ns)
    _wait_for_port(ns, server, port)
    return OutsideWorld(ns, host_if, host_addr, link_addr, server, port)


def _wait_for_port(ns: str, address: str, port: int, timeout: float = 10) -> None:
    def accepts() -> bool:
        try:
            with socket.create_connection((address, port), timeout=0.5):
                return True
        except OSError:
            return False

    wait_for(f"the echo server on {address}:{port}", accepts, timeout=timeout, interval=0.1,
             message=f"the echo server in {ns} did not start on {address}:{port}",
             hint="run `labkit clean`, then the cell again")


def fetch(world: OutsideWorld, url: str, *, timeout: int = 5) -> str:
    """GET URL from inside the outside-world netns, as a machine on the Internet would
    (03-networking): `ip netns exec NETNS timeout T busybox wget -qO- URL`, run as printed
    (its page is returned, not printed).

    Only the lesson's own addresses are asked (the host's end of the world's link).

    Raises:
        LabkitError: URL is not on the world's link, busybox is missing, or no answer
            came within TIMEOUT seconds.
    """
    if not url.startswith(f"http://{world.host_address}:"):
        raise LabkitError(
            _("{url} is not on the outside world's link ({host_address}).").format(
                url=url, host_address=world.host_address
            ),
            _("ask only the lesson's own addresses from the outside netns"),
        )
    if not host().has_tool("busybox"):
        raise HostToolMissing(_("The busybox command is not installed on this machine."),
                              _("install Debian's busybox-static (`labkit doctor` lists it)"))
    # `timeout` around it: a request must never wait forever (busybox wget's -T is not in
    # every build).
    argv = ["ip", "netns", "exec", world.netns, "timeout", str(timeout),
            "busybox", "wget", "-qO-", url]
    # quiet: the page is long; the caller prints the line it is about.
    result = sh(argv, check=False, quiet=True)
    if result.returncode == 124:
        raise LabkitError(
            _("No answer from {url} within {timeout} s, asked from {netns}.").format(
                url=url, timeout=timeout, netns=world.netns
            ),
            _(
                "check that the container runs (`docker ps`) and that the port is "
                "published on {host_address} (`docker port NAME`)"
            ).format(host_address=world.host_address),
        )
    if not result.ok:
        raise LabkitError(
            _("The request to {url} from {netns} failed: {error}").format(
                url=url, netns=world.netns, error=(result.stderr or result.stdout).strip()
            ),
            _("read the message above; `docker port NAME` shows what is published"),
        )
    return result.stdout
