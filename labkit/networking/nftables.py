"""Docker's own nftables table, `ip docker-bridges`, read live (Engine 29's nftables backend).

Taught in: 03-networking (section 2, the chains your engine made; section 5, the throwaway
engine). With `--firewall-backend=nftables` (or `"firewall-backend": "nftables"` in
daemon.json), experimental since Docker 29.0, dockerd writes no iptables rules: moby's
daemon/libnetwork/drivers/bridge/internal/nftabler keeps them in the tables `ip docker-bridges`
and `ip6 docker-bridges`, with one chain per bridge and direction (`filter-forward-in__BR`,
`filter-forward-out__BR`, `nat-postrouting-out__BR`, ...) reached through verdict maps. There
is no DOCKER-USER chain, and dockerd leaves `net.ipv4.ip_forward` to the host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from labkit.base.facts import facts
from labkit.base.host import host
from labkit.base.show import sh

TABLE = "docker-bridges"
FIRST_RELEASE = (29, 0)  # the backend arrived, experimental, in Docker 29.0.0


@dataclass(frozen=True)
class NftTable:
    """One nftables table as `nft list table` prints it.

    Attributes:
        family: "ip" or "ip6".
        name: the table's name.
        chains: {chain: its rules, one line each}; a base chain's `type ... hook ...` line
            is in `hooks`, not among its rules.
        hooks: {base chain: its `type ... hook ... priority ...; policy ...;` line}.
        text: the listing itself.
    """

    family: str
    name: str
    chains: dict[str, list[str]]
    hooks: dict[str, str]
    text: str

    def rules(self, chain: str) -> list[str]:
        """The rules of CHAIN ([] when it has none or does not exist)."""
        return self.chains.get(chain, [])

    def bridge_chains(self, bridge: str) -> dict[str, list[str]]:
        """The chains Docker made for BRIDGE (`...__BRIDGE`), with their rules."""
        return {c: r for c, r in self.chains.items() if c.endswith("__" + bridge)}


_HEADER = re.compile(r"^table (\S+) (\S+) \{$")
_CHAIN = re.compile(r"^chain (\S+) \{$")
_ADDRESS = re.compile(r" \d+\.\d+\.\d+\.\d+[ /:]")


def parse_table(text: str) -> NftTable:
    """An NftTable from `nft list table FAMILY NAME` output (sets and maps are skipped)."""
    family = name = ""
    chains: dict[str, list[str]] = {}
    hooks: dict[str, str] = {}
    current = ""
    depth = 0
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        header = _HEADER.match(line)
        if header:
            family, name = header.groups()
            depth = 1
            continue
        chain = _CHAIN.match(line)
        if chain and depth == 1:
            current = chain.group(1)
            chains[current] = []
            depth = 2
            continue
        if line.endswith("{"):
            depth += 1
            continue
        if line == "}":
            depth -= 1
            if depth <= 1:
                current = ""
            continue
        if current and depth == 2:
            if line.startswith("type ") and " hook " in line:
                hooks[current] = line
            else:
                chains[current].append(line)
    return NftTable(family, name, chains, hooks, text)


def list_argv(family: str = "ip", netns: str | None = None) -> list[str]:
    """`nft list table FAMILY docker-bridges`, inside the lesson netns NETNS if given."""
    argv = ["nft", "list", "table", family, TABLE]
    return ["ip", "netns", "exec", netns, *argv] if netns else argv


def read(family: str = "ip", *, netns: str | None = None, show: bool = True) -> NftTable:
    """Run `nft list table FAMILY docker-bridges` and parse it (SHOW: print the command
    line; the table is long, so the caller prints what concerns the lesson, from this output).

    Returns an empty table (no chains) where Docker made none, e.g. an iptables backend.
    """
    argv = list_argv(family, netns)
    out = sh(argv, check=False, quiet=True) if show else host().run(argv, check=False)
    return parse_table(out.stdout if out.returncode == 0 else "")


def engine_has_backend(major: int | None = None, minor: int | None = None) -> bool:
    """Whether an engine of this version can use the nftables backend (Docker 29.0 and later)."""
    if major is None or minor is None:
        major, minor = facts().major, facts().minor
    return (major, minor) >= FIRST_RELEASE


def in_use() -> bool:
    """Whether the learner's engine writes its rules with nftables (`FirewallBackend`)."""
    return facts().firewall_engine.startswith("nftables")


def path_rules(table: NftTable, bridge: str) -> list[str]:
    """The filter rules a packet to or from BRIDGE passes, in order: the FORWARD hook's
    verdict maps, then the bridge's own `filter-forward-in__` and `-out__` chains."""
    keep = [f"filter-FORWARD: {r}" for r in table.rules("filter-FORWARD")]
    for chain in (f"filter-forward-in__{bridge}", f"filter-forward-out__{bridge}"):
        keep += [f"{chain}: {without_counters(r)}" for r in table.rules(chain)
                 if not _ADDRESS.search(r)]  # per-container rules come and go
    return keep


def isolation_rules(table: NftTable, bridge: str) -> list[str]:
    """The rules that drop a packet from another bridge into BRIDGE: the end of
    `filter-forward-in__BRIDGE` (`drop comment "UNPUBLISHED PORT DROP"`)."""
    chain = f"filter-forward-in__{bridge}"
    return [f"{chain}: {without_counters(r)}" for r in table.rules(chain)
            if re.search(r"\bdrop\b", r)]


def show(table: NftTable, bridge: str) -> None:
    """Print what the nftables table holds for BRIDGE (03-networking): its base chains with
    their hooks, and BRIDGE's own chains with their rules (counters left out)."""
    if not table.chains:
        print(f"(no table {TABLE} here)")
        return
    for chain, hook in table.hooks.items():
        print(f"{chain}: {hook}")
    for chain, rules in table.bridge_chains(bridge).items():
        print(f"chain {chain}")
        for r in rules:
            print("  " + without_counters(r))


def without_counters(rule: str) -> str:
    """A rule without its `counter packets N bytes M` (they change with every packet)."""
    return re.sub(r"\s*counter packets \d+ bytes \d+", "", rule).strip()
