"""Docker's firewall rules, read from the backend that holds them, as one list of rules.

Taught in: 03-networking (sections 2 and 3, exercise 03.4). On the iptables backend (every
engine, and Docker 29's default) the rules come from `iptables-save -t TABLE`; on Docker 29's
nftables backend (`"firewall-backend": "nftables"`) from `nft list table ip docker-bridges`,
whose chains moby names after the iptables table they stand for (`nat-POSTROUTING`,
`filter-forward-in__docker0`, `raw-PREROUTING`: moby's
daemon/libnetwork/drivers/bridge/internal/nftabler). Which one is read follows
`facts().firewall_engine`; every reader prints the command it ran.

Also here: the lesson's own nftables table that exempts one path from Docker's nft
masquerade (`nft_exemption`), because an iptables rule cannot stop a rule in another table.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from labkit.base.errors import LabkitError
from labkit.base.host import host
from labkit.base.i18n import _
from labkit.base.show import command_line, sh
from labkit.base.wait import WaitTimeout, wait_for
from labkit.lab.session import Lab
from labkit.networking import nftables


@dataclass(frozen=True, order=True)
class Rule:
    """One of Docker's firewall rules.

    Attributes:
        table: "nat", "filter" or "raw" (on nftables: the prefix of the chain's name).
        chain: e.g. "POSTROUTING", "DOCKER"; on nftables "nat-postrouting-out__docker0".
        spec: the rule without its packet counters, e.g. "-A DOCKER -d 127.0.0.1/32 ... -j
            DNAT ..." or `oifname != "docker0" ip saddr 172.17.0.0/16 masquerade ...`.
        line: the line as the command printed it (counters included).
        packets: its packet counter (0 where it was not read).
    """

    table: str
    chain: str
    spec: str
    line: str = field(default="", compare=False)
    packets: int = field(default=0, compare=False)

    def mentions(self, needles: Iterable[str]) -> bool:
        """True when the rule names one of these addresses, ports or interfaces as a whole word
        (172.17.0.3 matches 172.17.0.3/32 and 172.17.0.3:80, not 172.17.0.30)."""
        return any(re.search(rf"(?<![\w.-]){re.escape(str(n))}(?![\w-]|\.\d)", self.spec)
                   for n in needles)

    @property
    def shown(self) -> str:
        """The line as printed (the spec where no line was kept)."""
        return self.line or self.spec

    @property
    def where(self) -> str:
        """Where the rule lives, said as its command would: `-t raw` or `chain raw-PREROUTING:`."""
        return f"-t {self.table}" if self.spec.startswith("-A ") else f"chain {self.chain}:"


def parse_save(text: str, table: str) -> list[Rule]:
    """The rules of one table in `iptables-save` output, with `-c` counters when present."""
    found, current = [], None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("*"):
            current = line[1:].strip()
            continue
        packets = 0
        if line.startswith("[") and "] " in line:
            counters, _ignored, line = line.partition("] ")
            packets = int(counters[1:].split(":")[0])
        if line.startswith("-A ") and current == table:
            found.append(Rule(table, line.split()[1], line, raw.strip(), packets))
    return found


_PACKETS = re.compile(r"counter packets (\d+) bytes \d+")


def from_nft(table: nftables.NftTable) -> list[Rule]:
    """The rules of Docker's nftables table, each with the table its chain stands for."""
    found = []
    for chain, lines in table.chains.items():
        kind = chain.split("-", 1)[0]
        for line in lines:
            counted = _PACKETS.search(line)
            found.append(Rule(kind, chain, nftables.without_counters(line), line,
                              int(counted.group(1)) if counted else 0))
    return found


def command(table: str, *, counters: bool = False) -> list[str]:
    """The command that lists Docker's rules of TABLE on this engine's backend."""
    if nftables.in_use():
        return nftables.list_argv()
    return ["iptables-save", *(["-c"] if counters else []), "-t", table]


def read(tables: Sequence[str] = ("nat",), *, show: bool = False,
         counters: bool = False) -> list[Rule]:
    """Docker's rules of these tables, from the engine's backend (printing each command run
    when SHOW). On nftables one `nft list table` answers for every table."""
    if nftables.in_use():
        rules = from_nft(nftables.read(show=show))
        return [r for r in rules if r.table in tables]
    found: list[Rule] = []
    for table in tables:
        argv = command(table, counters=counters)
        # The whole table is long and holds every container's rules: the lines that concern
        # the lesson are printed next, from this output.
        ran = sh(argv, quiet=True) if show else host().run(argv)
        found += parse_save(ran.stdout, table)
    return found


def print_rules(rules: Iterable[Rule]) -> None:
    """Print rules as the command printed them, indented under it."""
    for r in rules:
        print("  " + r.shown)


# -- the lesson's own nftables table: one path without Docker's masquerade -----------------
EXEMPT_TABLE = "labkit-snat-exempt"


# The exemption rule's comment: the last command, so its presence means the table is whole.
EXEMPT_COMMENT = "lesson: no masquerade"


def exemption_commands(source: str, destination: str) -> list[str]:
    """The nft commands of the lesson's exemption table (03-networking).

    A nat chain at priority `srcnat - 1` runs before Docker's `nat-POSTROUTING` (priority
    srcnat). Its `snat to SOURCE` maps the connection to its own source address; the kernel
    runs a connection's nat chains only until one of them has mapped it (`nf_nat_inet_fn`),
    so Docker's masquerade is never reached for it. An `accept` would not do: it ends only
    this table's chain, and the next nat chain at the hook runs as usual. `flags owner` ties
    the table to the `nft` process that made it: the table goes when that process ends.
    """
    t = f"ip {EXEMPT_TABLE}"
    return [f"add table {t} {{ flags owner; }}",
            f"add chain {t} postrouting {{ type nat hook postrouting priority srcnat - 1; "
            "policy accept; }",
            f"add rule {t} postrouting ip saddr {source} ip daddr {destination} "
            f'counter snat to {source} comment "{EXEMPT_COMMENT}"']


@contextlib.contextmanager
def nft_exemption(lab: Lab, source: str, destination: str) -> Iterator[None]:
    """Exempt one path from Docker's nft masquerade for the length of a `with` block.

    `nft -i` (interactive) reads the commands from a pipe and keeps its netlink socket open;
    the table is created with `flags owner`, so it exists exactly as long as that process.
    The process is recorded (`lab.spawn`), ended when the block ends, and by cleanup at the
    latest; a crashed kernel closes the pipe, which ends it too. What is printed is what runs:
    the shell line that starts `nft -i` in the background, then each command written into its
    pipe after nft's own prompt, `nft> `.
    """
    if not host().has_tool("nft"):
        raise LabkitError(_("The nftables backend is in use, but there is no `nft` here."),
                          _("install the nftables package (`apt-get install nftables`)"))
    fifo = lab.workdir("nft-exemption") / "commands"
    fifo.unlink(missing_ok=True)
    os.mkfifo(fifo)
    script = f"exec nft -i < {command_line([str(fifo)])}"
    print("$ " + command_line(["sh", "-c", script]) + " &")
    proc = lab.spawn(["sh", "-c", script])
    with open(fifo, "w") as pipe:
        for line in exemption_commands(source, destination):
            print("nft> " + line)
            pipe.write(line + "\n")
        pipe.flush()
        try:
            # nft reads the pipe line by line: wait for the last command's rule, not the table
            wait_for(f"table {EXEMPT_TABLE} with its rule", lambda: EXEMPT_COMMENT in host().run(
                ["nft", "list", "table", "ip", EXEMPT_TABLE], check=False).stdout, timeout=10)
        except WaitTimeout as exc:
            lab.release("process", pid=proc.pid)
            raise LabkitError(
                _("nft did not create table {exempt_table}.").format(exempt_table=EXEMPT_TABLE),
                _(
                    "`flags owner` needs Linux 5.12 or later and an nft that knows "
                    "it; read `uname -r` and `nft --version`"
                ),
            ) from exc
        try:
            yield
        finally:
            pipe.close()
            lab.release("process", pid=proc.pid)
