"""The rules Docker writes for SNAT and DNAT, and the docker-proxy processes.

Taught in: 03-networking. Docker's rules are read (labkit.networking.firewall: `iptables-save`,
or `nft list table ip docker-bridges` on Docker 29's nftables backend) before and after a
step; the difference, filtered to what concerns the lesson's own containers and ports, is
shown as a table.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import pandas as pd
from docker.models.containers import Container

from labkit.base import containers
from labkit.base.errors import LabkitError
from labkit.base.facts import facts
from labkit.base.host import host
from labkit.base.http import LOOPBACK
from labkit.base.i18n import _
from labkit.base.show import docker, sh, show_command
from labkit.lab.session import Lab
from labkit.lessons.outside import OutsideWorld
from labkit.networking import firewall, nftables
from labkit.networking.chains import parse_listing

# DNAT lives in its own module; the notebook calls it here, as nat.show_dnat.
from labkit.networking.dnat import client_addresses as client_addresses
from labkit.networking.dnat import dnat_rules as dnat_rules
from labkit.networking.dnat import explain_clients as explain_clients
from labkit.networking.dnat import explain_dnat as explain_dnat
from labkit.networking.dnat import nft_dnat_rules as nft_dnat_rules
from labkit.networking.dnat import port_rules as port_rules
from labkit.networking.dnat import run_published as run_published
from labkit.networking.dnat import show_dnat as show_dnat
from labkit.networking.firewall import Rule
from labkit.networking.netinspect import addresses


def rules(tables: Sequence[str] = ("nat",), *, show: bool = False) -> list[Rule]:
    """Docker's current rules of these tables, from the engine's firewall backend."""
    return firewall.read(tables, show=show)


def snapshot(*, show: bool = False) -> list[Rule]:
    """The nat and filter rules now, to compare with a later snapshot (SHOW: print the
    command run, `iptables-save -t nat` and `-t filter`, or `nft list table ...`)."""
    return rules(("nat", "filter"), show=show)


def diff(before: Sequence[Rule], after: Sequence[Rule],
         mentions: Iterable[str]) -> pd.DataFrame:
    """Rules added (+) or removed (-) between two snapshots that mention one of `mentions`.

    Other lessons' containers come and go on the same engine; filtering by the lesson's own
    addresses and ports keeps only the rules this step caused.
    """
    needles = [str(n) for n in mentions]
    old, new = set(before), set(after)
    rows = [("+", r) for r in sorted(new - old) if r.mentions(needles)]
    rows += [("-", r) for r in sorted(old - new) if r.mentions(needles)]
    return pd.DataFrame([{"change": sign, "table": r.table, "chain": r.chain, "rule": r.shown}
                         for sign, r in rows], columns=["change", "table", "chain", "rule"])


def show(frame: pd.DataFrame) -> None:
    """Display a rules table with every rule in full (pandas would cut long cells)."""
    from IPython.display import display

    with pd.option_context("display.max_colwidth", None, "display.width", 250):
        display(frame)


def masquerade(subnet: str, current: Sequence[Rule] | None = None) -> list[Rule]:
    """The MASQUERADE rules for traffic that comes from SUBNET (Docker's SNAT rule): in
    iptables' POSTROUTING, or nftables' `nat-postrouting-out__BRIDGE`."""
    current = rules(("nat",)) if current is None else current
    return [r for r in current if r.table == "nat" and r.mentions([subnet])
            and (r.chain == "POSTROUTING" and "MASQUERADE" in r.spec
                 or r.chain.startswith("nat-postrouting-out__") and " masquerade" in r.spec)]


def explain_masquerade(rule: Rule) -> str:
    """One sentence on what a MASQUERADE rule from `masquerade` does (03-networking)."""
    m = re.search(r"-s (\S+) ! -o (\S+)|oifname != \"?([^\s\"]+)\"? ip saddr (\S+)", rule.spec)
    if not m:
        return "A MASQUERADE rule."
    subnet, bridge = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
    hook = "POSTROUTING" if rule.chain == "POSTROUTING" else f"{rule.chain} (hook postrouting)"
    return (f"labkit reads: in {hook}, packets from {subnet} that leave by any interface but "
            f"{bridge} get the address of the interface they leave by as source.")


def show_masquerade(subnet: str) -> None:
    """Show the command that lists Docker's nat rules, its MASQUERADE lines for SUBNET, and
    what they say (03-networking).

    Raises:
        LabkitError: there is none (the network has no SNAT, `ip-masq` off).
    """
    found = masquerade(subnet, rules(("nat",), show=True))
    if not found:
        raise LabkitError(_("No MASQUERADE rule for {subnet}.").format(subnet=subnet),
                          _("read the nat rules yourself: is the network's ip-masq off?"))
    firewall.print_rules(found)
    for r in found:
        print(explain_masquerade(r))


@contextlib.contextmanager
def without_masquerade(lab: Lab, source: str, destination: str) -> Iterator[None]:
    """Exempt one connection path from SNAT for the length of a `with` block.

    On iptables, inserts `-t nat -I POSTROUTING -s SOURCE/32 -d DESTINATION/32 -j RETURN`
    before Docker's MASQUERADE rule (recorded, removed when the block ends). On Docker's
    nftables backend an iptables rule cannot stop Docker's own table, so the lesson makes a
    table of its own that runs first and maps the path to its own source address
    (`firewall.nft_exemption`). Either way packets from one lesson container to one lesson
    address leave with their own source address, and the commands are shown.
    """
    if nftables.in_use():
        with firewall.nft_exemption(lab, source, destination):
            yield
        return
    rule = ["-s", f"{source}/32", "-d", f"{destination}/32", "-j", "RETURN"]
    show_command(["iptables", "-t", "nat", "-I", "POSTROUTING", *rule])
    lab.iptables("nat", "POSTROUTING", rule)
    try:
        yield
    finally:
        lab.release("iptables", table="nat", chain="POSTROUTING", rule=rule)


# -- Engine 28's guard: a container's address is reached only through its bridge -----------
def guards(address: str, *, show: bool = False) -> dict[Rule, int]:
    """The raw-table rules that drop packets for ADDRESS arriving from anywhere but its bridge,
    with their packet counters (`iptables-save -c -t raw`, or the nftables table's
    `raw-PREROUTING`). Engines from 28.0 add one per container (`-d ADDRESS/32 ! -i docker0
    -j DROP`; nftables: `... drop comment "DROP DIRECT ACCESS"`); older engines have none."""
    return {r: r.packets for r in firewall.read(("raw",), show=show, counters=True)
            if ("DROP" in r.spec or " drop" in r.spec) and r.mentions([address])}


@dataclass(frozen=True)
class Exemption:
    """What happened when one container asked the outside world without SNAT.

    Attributes:
        container_address: the container's own (private) address.
        seen: the client address the echo server reported ("" when no answer came back).
        dropped_by: guard rules whose packet counter rose during the request.
        timeout: how long the request waited.
    """

    container_address: str
    seen: str
    dropped_by: tuple[Rule, ...]
    timeout: int

    def explain(self) -> None:
        """Say what happened and why (03-networking); raise when it makes no sense."""
        if self.seen == self.container_address:
            print(_("The server saw {seen}, the container's own address: without SNAT the "
                    "private source address left the host as it was.").format(seen=self.seen))
        elif not self.seen and self.dropped_by:
            print(
                _(
                    "No answer within {timeout} s. The server answered {container_address}, but "
                    "the reply came in from the outside namespace, not through docker0, and this "
                    "rule dropped it (its packet counter rose):"
                ).format(timeout=self.timeout, container_address=self.container_address)
            )
            for rule in self.dropped_by:
                print(f"  {rule.where} {rule.spec}")
        else:
            raise LabkitError(
                _(
                    "Unexpected: the server saw {value}, and no guard rule counted a dropped reply."
                ).format(value=self.seen or "nothing"),
                _(
                    "run the chapter from the top (`lab.cleanup()` first); if it happens again, "
                    "read `{command}`"
                ).format(command=" ".join(firewall.command("nat"))),
            )


def ask_without_masquerade(lab: Lab, container: Container | str, world: OutsideWorld,
                           *, timeout: int = 5) -> Exemption:
    """Ask the outside world's echo server once with SNAT switched off for this one path.

    Inside `without_masquerade`, `docker exec C timeout TIMEOUT wget -qO- URL`; the guard rules'
    counters are read before and after, so a reply dropped on its way back is seen.
    """
    c = containers.get(container)
    ip = addresses(c)["bridge"]
    before = guards(ip, show=True)
    with without_masquerade(lab, ip, world.server_address):
        # `timeout N wget`, not `wget -T N`: bookworm's busybox wget crashes with -T.
        result = docker(["exec", c.name, "timeout", str(timeout), "wget", "-qO-", world.url],
                        check=False, quiet=True)
    after = guards(ip)
    seen = ""
    if result.ok:
        seen = str(json.loads(result.stdout).get("client_address", ""))
        print(result.stdout.strip())
    dropped = tuple(r for r, n in after.items() if n > before.get(r, 0))
    return Exemption(ip, seen, dropped, timeout)


# -- Published on 127.0.0.1, and a neighbour on the LAN (moby#41872) -----------------------
def loopback_guards(port: int, *, show: bool = False) -> list[str]:
    """raw-table rules that drop packets for 127.0.0.1:PORT arriving on any interface but lo
    (Docker writes one per port published on 127.0.0.1 from Engine 28.0; on the nftables
    backend `iifname != "lo" ip daddr 127.0.0.1 ... drop comment "DROP REMOTE LOOPBACK"`)."""
    if nftables.in_use():
        return [f"{r.chain}: {r.spec}" for r in firewall.read(("raw",), show=show)
                if "ip daddr 127.0.0.1 " in r.spec and " drop" in r.spec and r.mentions([port])]
    argv = ["iptables", "-t", "raw", "-S", "PREROUTING"]
    # quiet: the chain holds a guard for every container on the machine; the rule for this
    # port is printed next, from this output.
    ran = sh(argv, quiet=True) if show else host().run(argv)
    rules = parse_listing(ran.stdout, "raw").get("PREROUTING", [])
    return [r for r in rules if "-d 127.0.0.1/32" in r and "! -i lo" in r and "-j DROP" in r
            and Rule("raw", "PREROUTING", r).mentions([port])]


def guard_loopback(lab: Lab, port: int) -> None:
    """Make sure 127.0.0.1:PORT cannot be reached from the LAN, and say how (03-networking).

    Before 28.0 the DNAT rule for a port published on 127.0.0.1 (`-d 127.0.0.1/32 ! -i
    docker0`) also matched a crafted packet from a LAN neighbour whose destination is
    127.0.0.1: PREROUTING rewrites it before the kernel's check for such "martian" addresses.
    Engine 28.0 drops those packets in the raw table; on older engines the lab adds the same
    rule for this port itself (recorded, removed by cleanup).
    """
    found = loopback_guards(port, show=True)
    if found:
        print(_("Docker wrote this rule itself (engines from 28.0 do):"))
    elif nftables.in_use():
        raise LabkitError(
            _("No DROP REMOTE LOOPBACK rule for port {port} in Docker's table.").format(port=port),
            _("read `{command}` and run the cell again").format(
                command=" ".join(firewall.command("raw"))
            ),
        )
    else:
        rule = ["-d", "127.0.0.1/32", "!", "-i", "lo", "-p", "tcp", "-m", "tcp",
                "--dport", str(port), "-j", "DROP"]
        f = facts()
        print(_("Docker {major}.{minor} wrote no such rule (engines before 28.0 do not, "
                "moby#41872); the lab adds it for this port:").format(major=f.major, minor=f.minor))
        show_command(["iptables", "-t", "raw", "-I", "PREROUTING", *rule])
        lab.iptables("raw", "PREROUTING", rule)
        found = loopback_guards(port)
        if not found:
            raise LabkitError(_("The raw-table rule for 127.0.0.1 did not appear."),
                              _("read `iptables -t raw -S PREROUTING` and run the cell again"))
    for r in found:
        print("  " + r)


# -- what a lesson reads, said in a sentence (checked, not asserted in a cell) -------------
def ask_outside(container: Container | str, world: OutsideWorld, *, timeout: int = 5) -> None:
    """`docker exec C timeout T wget -qO- URL` to the world's echo server; say which client
    address it saw and whose that is (03-networking).

    Raises:
        LabkitError: no answer in time, or the server saw something other than the host's
            address on the world's link (SNAT did not happen).
    """
    c = containers.get(container)
    result = docker(["exec", c.name, "timeout", str(timeout), "wget", "-qO-", world.url],
                    check=False)
    if not result.ok:
        raise LabkitError(
            _("No answer from {url} within {timeout} s.").format(url=world.url, timeout=timeout),
            _(
                "check that the outside world still runs (`ip netns list`), or run "
                "`lab.cleanup()` and the chapter from the top"
            ),
        )
    seen = str(json.loads(result.stdout).get("client_address", ""))
    mine = addresses(c).get("bridge", "")
    if seen != world.host_address:
        raise LabkitError(
            _("The server saw {seen}, not the host's {host_address}.").format(
                seen=seen, host_address=world.host_address
            ),
            _("an exemption rule may be left over: run `labkit clean --chapter 03`"),
        )
    print(
        _("The server saw {seen}, the host's address on {host_link}; {name} is {mine}.").format(
            seen=seen, host_link=world.host_link, name=c.name, mine=mine
        )
    )


def published_url(container: Container | str, container_port: str = "80/tcp") -> str:
    """The http://127.0.0.1:PORT/ URL where Docker published CONTAINER_PORT, read with
    `docker port NAME CONTAINER_PORT` (run and printed; 03-networking).

    Raises:
        LabkitError: it is not published, or not on 127.0.0.1 / a port above 1023.
    """
    name = containers.get(container).name
    shown = docker(["port", name, container_port], check=False)
    bound = [line.strip() for line in shown.stdout.splitlines() if line.strip()]
    first = bound[0] if bound else ""
    address, _ignored, port = first.rpartition(":")
    if address != LOOPBACK or not port.isdigit() or int(port) < 1024:
        raise LabkitError(
            _("{name}'s {container_port} is published as {value}.").format(
                name=name, container_port=container_port, value=first or "nothing"
            ),
            _("publish it on 127.0.0.1 (a lesson network with host_binding)"),
        )
    return f"http://{LOOPBACK}:{port}/"
