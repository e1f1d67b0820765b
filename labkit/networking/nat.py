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
from labkit.base.host import host
from labkit.base.procfs import parse_cmdline
from labkit.lab.session import Lab
from labkit.lessons.outside import OutsideWorld
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
