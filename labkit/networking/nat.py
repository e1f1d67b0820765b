"""The rules Docker writes into iptables for SNAT and DNAT, and the docker-proxy processes.

Taught in: 03-networking. `iptables-save` is read before and after a step; the difference,
filtered to what concerns the lesson's own containers and ports, is shown as a table.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from docker.models.containers import Container

from labkit.base import containers
from labkit.base.errors import LabkitError
from labkit.base.facts import facts
from labkit.base.host import host
from labkit.base.http import LOOPBACK
from labkit.base.procfs import parse_cmdline
from labkit.base.show import show_command
from labkit.lab.session import Lab
from labkit.lessons.outside import OutsideWorld
from labkit.networking.chains import listing, parse_listing
from labkit.networking.netinspect import addresses
from labkit.networking.probes import docker_cli


@dataclass(frozen=True, order=True)
class Rule:
    """One iptables rule, as `iptables-save` prints it.

    Attributes:
        table: "nat" or "filter".
        chain: e.g. "POSTROUTING", "DOCKER".
        spec: the whole rule, e.g. "-A DOCKER -d 127.0.0.1/32 ... -j DNAT ...".
    """

    table: str
    chain: str
    spec: str

    def mentions(self, needles: Iterable[str]) -> bool:
        """True when the rule names one of these addresses, ports or interfaces as a whole word
        (172.17.0.3 matches 172.17.0.3/32 and 172.17.0.3:80, not 172.17.0.30)."""
        return any(re.search(rf"(?<![\w.-]){re.escape(str(n))}(?![\w-]|\.\d)", self.spec)
                   for n in needles)


def parse_save(text: str, table: str) -> list[Rule]:
    """The rules of one table in `iptables-save` output (the `-A CHAIN ...` lines)."""
    rules, current = [], None
    for line in text.splitlines():
        if line.startswith("*"):
            current = line[1:].strip()
        elif line.startswith("-A ") and current == table:
            rules.append(Rule(table, line.split()[1], line.strip()))
    return rules


def rules(tables: Sequence[str] = ("nat",)) -> list[Rule]:
    """The host's current rules of these tables (`iptables-save -t TABLE`)."""
    found: list[Rule] = []
    for table in tables:
        found += parse_save(host().run(["iptables-save", "-t", table]).stdout, table)
    return found


def snapshot() -> list[Rule]:
    """The nat and filter rules now, to compare with a later snapshot."""
    return rules(("nat", "filter"))


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
    return pd.DataFrame([{"change": sign, "table": r.table, "chain": r.chain, "rule": r.spec}
                         for sign, r in rows], columns=["change", "table", "chain", "rule"])


def show(frame: pd.DataFrame) -> None:
    """Display a rules table with every rule in full (pandas would cut long cells)."""
    from IPython.display import display

    with pd.option_context("display.max_colwidth", None, "display.width", 250):
        display(frame)


def masquerade(subnet: str, current: Sequence[Rule] | None = None) -> list[Rule]:
    """The MASQUERADE rules for traffic that comes from SUBNET (Docker's SNAT rule)."""
    current = rules(("nat",)) if current is None else current
    return [r for r in current if r.chain == "POSTROUTING" and "MASQUERADE" in r.spec
            and r.mentions([subnet])]


@contextlib.contextmanager
def without_masquerade(lab: Lab, source: str, destination: str) -> Iterator[None]:
    """Exempt one connection path from SNAT for the length of a `with` block.

    Inserts `-t nat -I POSTROUTING -s SOURCE/32 -d DESTINATION/32 -j RETURN` before Docker's
    MASQUERADE rule, so packets from one lesson container to one lesson address leave with
    their own source address. The rule is recorded, and removed when the block ends.
    """
    rule = ["-s", f"{source}/32", "-d", f"{destination}/32", "-j", "RETURN"]
    lab.iptables("nat", "POSTROUTING", rule)
    try:
        yield
    finally:
        lab.release("iptables", table="nat", chain="POSTROUTING", rule=rule)


# -- Engine 28's guard: a container's address is reached only through its bridge -----------
def guards(address: str) -> dict[Rule, int]:
    """The raw-table rules that drop packets for ADDRESS arriving from anywhere but its bridge,
    with their packet counters (`iptables-save -c -t raw`). Engines from 28.0 add one per
    container (`-d ADDRESS/32 ! -i docker0 -j DROP`); older engines have none."""
    found: dict[Rule, int] = {}
    for line in host().run(["iptables-save", "-c", "-t", "raw"]).stdout.splitlines():
        counters, _, spec = line.partition("] ")
        if not counters.startswith("[") or not spec.startswith("-A "):
            continue
        rule = Rule("raw", spec.split()[1], spec.strip())
        if "DROP" in spec and rule.mentions([address]):
            found[rule] = int(counters[1:].split(":")[0])
    return found


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
            print(f"The server saw {self.seen}, the container's own address: without SNAT "
                  "the private source address left the host as it was.")
        elif not self.seen and self.dropped_by:
            print(f"No answer within {self.timeout} s. The server answered {self.container_address}"
                  ", but the reply came in from the outside namespace, not through docker0, "
                  "and this rule dropped it (its packet counter rose):")
            for rule in self.dropped_by:
                print(f"  -t raw {rule.spec}")
        else:
            raise LabkitError(
                f"Unexpected: the server saw {self.seen or 'nothing'}, and no guard rule "
                "counted a dropped reply.",
                "run the chapter from the top (`lab.cleanup()` first); if it happens again, "
                "read `iptables-save -t nat` and `iptables-save -t raw`")


def ask_without_masquerade(lab: Lab, container: Container | str, world: OutsideWorld,
                           *, timeout: int = 5) -> Exemption:
    """Ask the outside world's echo server once with SNAT switched off for this one path.

    Inside `without_masquerade`, `docker exec C timeout TIMEOUT wget -qO- URL`; the guard rules'
    counters are read before and after, so a reply dropped on its way back is seen.
    """
    c = containers.get(container)
    ip = addresses(c)["bridge"]
    before = guards(ip)
    with without_masquerade(lab, ip, world.server_address):
        # `timeout N wget`, not `wget -T N`: bookworm's busybox wget crashes with -T.
        result = docker_cli(["exec", c.name, "timeout", str(timeout), "wget", "-qO-", world.url],
                            check=False, quiet=True, timeout=timeout + 30)
    after = guards(ip)
    seen = ""
    if result.ok:
        seen = str(json.loads(result.stdout).get("client_address", ""))
        print(result.stdout.strip())
    dropped = tuple(r for r, n in after.items() if n > before.get(r, 0))
    return Exemption(ip, seen, dropped, timeout)


# -- docker-proxy --------------------------------------------------------------------------
@dataclass(frozen=True)
class Proxy:
    """A docker-proxy process: the userland forwarder behind one published port.

    Attributes:
        pid: its host PID.
        argv: its command line.
    """

    pid: int
    argv: tuple[str, ...]

    def arg(self, flag: str) -> str:
        """The value after a flag such as "-host-port" ('' when absent)."""
        args = list(self.argv)
        return args[args.index(flag) + 1] if flag in args[:-1] else ""


def parse_proxy(pid: int, raw: bytes) -> Proxy | None:
    """A Proxy from a /proc/PID/cmdline, or None when it is not docker-proxy."""
    argv = tuple(parse_cmdline(raw))
    if not argv or os.path.basename(argv[0]) != "docker-proxy":
        return None
    return Proxy(pid, argv)


def proxies(host_port: int | None = None, proc: Path = Path("/proc")) -> list[Proxy]:
    """The docker-proxy processes on this machine (only those for HOST_PORT if given)."""
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        p = parse_proxy(int(entry.name), raw)
        if p and (host_port is None or p.arg("-host-port") == str(host_port)):
            found.append(p)
    return sorted(found, key=lambda p: p.pid)


def proxies_frame(found: Sequence[Proxy]) -> pd.DataFrame:
    """docker-proxy processes as a table of what each forwards where."""
    return pd.DataFrame([{
        "program": os.path.basename(p.argv[0]), "proto": p.arg("-proto"),
        "listens on": f"{p.arg('-host-ip')}:{p.arg('-host-port')}",
        "forwards to": f"{p.arg('-container-ip')}:{p.arg('-container-port')}",
    } for p in found])


# -- DNAT from the outside world -----------------------------------------------------------
def run_published(lab: Lab, image: str, world: OutsideWorld, *, name: str, port: int,
                  container_port: str = "80/tcp") -> Container:
    """`docker run -d -p 127.0.0.1:PORT:80 -p WORLD_HOST:PORT:80 IMAGE` (03-networking).

    The second address is the host's end of the lesson's outside-world link (203.0.113.x):
    only the outside netns can reach it, so the port is published to the lesson, not to the
    network (`Lab.allow_publishing_on` refuses any other address).
    """
    lab.allow_publishing_on(world.host_address)
    return lab.run(image, name=name,
                   ports={container_port: [(LOOPBACK, port), (world.host_address, port)]})


def dnat_rules(port: int, container_ip: str, current: dict[str, list[str]]) -> list[str]:
    """The nat rules a published PORT uses: the jumps into DOCKER, its DNAT rules, and the
    hairpin MASQUERADE for the container's own address (from `iptables -t nat -S`)."""
    keep = []
    for chain in ("PREROUTING", "OUTPUT"):
        keep += [r for r in current.get(chain, []) if "-j DOCKER" in r]
    keep += [r for r in current.get("DOCKER", []) if "DNAT" in r
             and Rule("nat", "DOCKER", r).mentions([port])]
    keep += [r for r in current.get("POSTROUTING", []) if "MASQUERADE" in r
             and f"-s {container_ip}/32 -d {container_ip}/32" in r]
    return keep


def explain_dnat(rules: Sequence[str], bridge: str = "docker0") -> list[str]:
    """One sentence per kind of rule in RULES (what `dnat_rules` found), said for this host,
    and one for the hairpin MASQUERADE rule when this engine wrote none."""
    said = []
    if not any("MASQUERADE" in r for r in rules):
        last = ("No hairpin MASQUERADE rule for this container: with docker-proxy (the "
                "default), `! -i` keeps a container's own request to a published port out "
                "of DNAT and the proxy carries it, so this engine writes none. With "
                "`--userland-proxy=false` there is one: DNAT sends such a packet back into "
                "the bridge, and the rule gives it the bridge's address as source, so the "
                "reply returns through the host, where conntrack undoes the DNAT.")
    else:
        last = ""
    for r in rules:
        if r.startswith("-A PREROUTING") and "--dst-type LOCAL" in r:
            said.append("PREROUTING: every packet arriving for one of this host's own "
                        "addresses (`--dst-type LOCAL`) goes through DOCKER.")
        elif r.startswith("-A OUTPUT") and "--dst-type LOCAL" in r:
            skip = " except 127.0.0.0/8 (`! -d 127.0.0.0/8`)" if "! -d 127.0.0.0/8" in r else ""
            said.append(f"OUTPUT: the host's own packets to its addresses too{skip}.")
        elif "DNAT" in r and f"! -i {bridge}" in r:
            said.append(f"DNAT `! -i {bridge}`: only packets that come from outside the bridge "
                        "are rewritten; a container's own request to a published port is "
                        "left to docker-proxy.")
        elif "DNAT" in r:
            said.append("DNAT without `! -i`: the userland proxy is off, so packets from the "
                        "bridge are rewritten too (hairpin NAT).")
        elif "MASQUERADE" in r:
            said.append("Hairpin MASQUERADE: a container that reaches its own published port "
                        "through the host gets the bridge's address as source, so its reply "
                        "goes back through the host and conntrack. With docker-proxy (the "
                        "default) `! -i` keeps such packets out of DNAT and this rule matches "
                        "nothing; with `--userland-proxy=false` it is what makes hairpin work.")
    return list(dict.fromkeys(said + ([last] if last else [])))


def show_dnat(port: int, container_ip: str, bridge: str = "docker0") -> None:
    """`iptables -t nat -S`, showing only the rules a published port uses, and what each does."""
    rules = dnat_rules(port, container_ip, listing("nat"))
    for r in rules:
        print("  " + r)
    for sentence in explain_dnat(rules, bridge):
        print("- " + sentence)


def client_addresses(log: str) -> list[str]:
    """The client address of each line of nginx's access log (its first field)."""
    return [line.split()[0] for line in log.splitlines()
            if line.strip() and re.match(r"\d+\.\d+\.\d+\.\d+ ", line)]


def explain_clients(container: Container | str, outside_client: str, bridge_address: str) -> None:
    """Say whom nginx saw for the last two requests: OUTSIDE_CLIENT (through DNAT, which
    rewrites only the destination), then BRIDGE_ADDRESS (docker-proxy's own connection).

    Raises:
        LabkitError: its access log says otherwise.
    """
    c = containers.get(container)
    expected = [outside_client, bridge_address]
    seen = client_addresses(c.logs(tail=10).decode(errors="replace"))[-2:]
    if seen != expected:
        raise LabkitError(f"nginx in {c.name} logged clients {seen}, not {expected}.",
                          "run the two requests again, in this order, then this cell")
    print(f"nginx saw {outside_client}, the outside client itself (DNAT rewrote only the "
          f"destination), then {bridge_address}: docker-proxy, connecting from the bridge.")


# -- Published on 127.0.0.1, and a neighbour on the LAN (moby#41872) -----------------------
def loopback_guards(port: int) -> list[str]:
    """raw-table rules that drop packets for 127.0.0.1:PORT arriving on any interface but lo
    (Docker writes one per port published on 127.0.0.1 from Engine 28.0)."""
    rules = parse_listing(host().run(["iptables", "-t", "raw", "-S", "PREROUTING"]).stdout,
                          "raw").get("PREROUTING", [])
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
    show_command(["iptables", "-t", "raw", "-S", "PREROUTING"])
    found = loopback_guards(port)
    if found:
        print("Docker wrote this rule itself (engines from 28.0 do):")
    else:
        rule = ["-d", "127.0.0.1/32", "!", "-i", "lo", "-p", "tcp", "-m", "tcp",
                "--dport", str(port), "-j", "DROP"]
        f = facts()
        print(f"Docker {f.major}.{f.minor} wrote no such rule (engines before 28.0 do not, "
              "moby#41872); the lab adds it for this port:")
        show_command(["iptables", "-t", "raw", "-I", "PREROUTING", *rule])
        lab.iptables("raw", "PREROUTING", rule)
        found = loopback_guards(port)
        if not found:
            raise LabkitError("The raw-table rule for 127.0.0.1 did not appear.",
                              "read `iptables -t raw -S PREROUTING` and run the cell again")
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
    result = docker_cli(["exec", c.name, "timeout", str(timeout), "wget", "-qO-", world.url],
                        check=False, timeout=timeout + 30)
    if not result.ok:
        raise LabkitError(f"No answer from {world.url} within {timeout} s.",
                          "check that the outside world still runs (`ip netns list`), or run "
                          "`lab.cleanup()` and the chapter from the top")
    seen = str(json.loads(result.stdout).get("client_address", ""))
    mine = addresses(c).get("bridge", "")
    if seen != world.host_address:
        raise LabkitError(f"The server saw {seen}, not the host's {world.host_address}.",
                          "an exemption rule may be left over: run `labkit clean --chapter 03`")
    print(f"The server saw {seen}, the host's address on {world.host_link}; "
          f"{c.name} is {mine}.")


def published_url(container: Container | str, container_port: str = "80/tcp") -> str:
    """The http://127.0.0.1:PORT/ URL where Docker published CONTAINER_PORT (`docker port`).

    Raises:
        LabkitError: it is not published, or not on 127.0.0.1 / a port above 1023.
    """
    c = containers.get(container)
    c.reload()
    bound = (c.ports.get(container_port) or [{}])[0]
    if bound.get("HostIp") != LOOPBACK or int(bound.get("HostPort") or 0) < 1024:
        raise LabkitError(f"{c.name}'s {container_port} is published as {bound or 'nothing'}.",
                          "publish it on 127.0.0.1 (a lesson network with host_binding)")
    return f"http://{LOOPBACK}:{bound['HostPort']}/"
