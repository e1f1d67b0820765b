"""The chains Docker made in iptables, read live, and how FORWARD walks them for a bridge.

Taught in: 03-networking (section 3, the filter table; exercise 03.4 reads a DNAT rule). The
chains are read from `iptables -S`, never assumed from the engine's version: Engine 28 added
DOCKER-FORWARD, DOCKER-CT, DOCKER-BRIDGE and the raw table's guards, and an older engine on a
machine where a newer one ran still shows them until the machine restarts. Engine 29 removed
DOCKER-ISOLATION-STAGE-1/2 (moby#49981; the comment on `isolationChain1` in moby's
daemon/libnetwork/drivers/bridge/internal/iptabler/iptabler.go): the DOCKER chain's last rule
per bridge, `! -i BR -o BR -j DROP` (`setDefaultForwardRule` in iptabler/network.go), already
drops what another bridge sends to an unpublished port. On the nftables backend (Docker 29)
the same reading comes from `nft list table ip docker-bridges` (labkit.networking.nftables).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from labkit.base.errors import LabkitError
from labkit.base.facts import facts
from labkit.base.host import host
from labkit.base.i18n import _
from labkit.base.show import sh
from labkit.networking import nftables

# What each chain Docker may create does; a row is shown only when the live ruleset has it.
CHAIN_ROLES: dict[tuple[str, str], str] = {
    ("filter", "DOCKER-USER"): "yours: FORWARD jumps here first; Docker leaves it empty",
    ("filter", "DOCKER-FORWARD"): "Docker's part of FORWARD, one jump per bridge (Engine 28+)",
    ("filter", "DOCKER-CT"): "accepts packets of connections conntrack knows (replies)",
    ("filter", "DOCKER-BRIDGE"): "sends new packets for a bridge on to DOCKER",
    ("filter", "DOCKER-ISOLATION-STAGE-1"): "from one Docker bridge ... (engines before 29)",
    ("filter", "DOCKER-ISOLATION-STAGE-2"): "... into another: DROP (engines before 29)",
    ("filter", "DOCKER-INTERNAL"): "drops what leaves an --internal network",
    ("filter", "DOCKER"): "one ACCEPT per published port; from 28, then DROP the rest into "
                          "the bridge",
    ("nat", "DOCKER"): "one DNAT per published port",
    ("raw", "PREROUTING"): "DROP for packets to a container address not arriving on its bridge",
}


def parse_listing(text: str, table: str) -> dict[str, list[str]]:
    """`iptables -t TABLE -S` output as {chain: its rules} (built-in chains included)."""
    chains: dict[str, list[str]] = {}
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] in {"-N", "-P"}:
            chains.setdefault(words[1], [])
        elif len(words) >= 2 and words[0] == "-A":
            chains.setdefault(words[1], []).append(line.strip())
    return chains


def listing(table: str, *, show: bool = True) -> dict[str, list[str]]:
    """Run `iptables -t TABLE -S` and parse it (SHOW: print the command line; the listing
    itself is long and holds every container's rules, so the caller prints what concerns the
    lesson, read from this output)."""
    argv = ["iptables", "-t", table, "-S"]
    ran = sh(argv, quiet=True) if show else host().run(argv)
    return parse_listing(ran.stdout, table)


def docker_chains(tables: dict[str, dict[str, list[str]]]) -> pd.DataFrame:
    """The chains Docker made, in these listings ({table: listing}), each with what it does.

    The raw table's PREROUTING appears only when Docker wrote DROP rules into it (Engine 28+).
    """
    rows = []
    for table, chains in tables.items():
        for chain, rules in chains.items():
            if chain.startswith("DOCKER") or (
                    table == "raw" and chain == "PREROUTING" and _guard_rules(rules)):
                rows.append({"table": table, "chain": chain,
                             "what it does": CHAIN_ROLES.get((table, chain), "")})
    return pd.DataFrame(rows, columns=["table", "chain", "what it does"])


def _guard_rules(rules: Sequence[str]) -> list[str]:
    return [r for r in rules if "-j DROP" in r and " ! -i " in r]


def path_rules(chains: dict[str, list[str]], bridge: str = "docker0") -> list[str]:
    """FORWARD and Docker's filter rules for one bridge: those that name the bridge or no
    interface at all, and no address (per-container rules come and go with containers).

    DOCKER-USER's lone `-j RETURN` is left out: it does what the end of the chain does, and
    whether it is there depends on which engine first made the chain since the machine booted
    (engines stopped adding it with moby#50098, but leave one they find).
    """
    keep = []
    for chain, rules in chains.items():
        if chain != "FORWARD" and not chain.startswith("DOCKER"):
            continue
        for r in rules:
            if r == "-A DOCKER-USER -j RETURN":
                continue
            names = re.findall(r"-[io] (\S+)", r)
            if (not names or bridge in names) and not re.search(r" -[sd] \d", r):
                keep.append(r)
    return keep


def forward_path(bridge: str = "docker0") -> None:
    """Show which chains this engine made and how FORWARD walks them for BRIDGE (03-networking).

    Reads `iptables -t filter -S`, `-t nat -S` and `-t raw -S` live and prints the command of
    each, then the firewall backend, the chains with what each does, and the filter rules a
    packet for BRIDGE passes (in order).
    """
    from IPython.display import display

    if nftables.in_use():
        print(backend())
        table = nftables.read()
        nftables.show(table, bridge)
        print(
            _("The filter rules a packet to or from {bridge} passes, in order:").format(
                bridge=bridge
            )
        )
        for rule in nftables.path_rules(table, bridge):
            print("  " + rule)
        return
    tables = {t: listing(t) for t in ("filter", "nat", "raw")}
    print(backend())
    made = docker_chains(tables)
    stale = stale_chains(made, facts().major)
    if facts().major >= 29:
        # The isolation chains of an engine that ran here before (a host's 28, say) stay until
        # the machine restarts; Docker 29 neither makes nor uses them, so they are not its
        # chains (03's text says so once; the isolation cell shows the rule 29 uses instead).
        made = made[~made["chain"].isin(stale)].reset_index(drop=True)
        stale = []
    with pd.option_context("display.max_colwidth", None, "display.width", 250):
        display(made)
    if stale:
        print(
            _(
                "{stale}: Engine 28 writes these, and this engine is {major}.{minor}. They are "
                "left over from a newer engine that ran on this machine before (rules stay until "
                "the machine restarts); this engine never fills them."
            ).format(stale=", ".join(stale), major=facts().major, minor=facts().minor)
        )
    print(
        _("The filter rules a packet to or from {bridge} passes, in order:").format(bridge=bridge)
    )
    for rule in path_rules(tables["filter"], bridge):
        print("  " + rule)


ENGINE_28_CHAINS = ("DOCKER-FORWARD", "DOCKER-CT", "DOCKER-BRIDGE", "DOCKER-INTERNAL")


ISOLATION_CHAINS = ("DOCKER-ISOLATION-STAGE-1", "DOCKER-ISOLATION-STAGE-2")


def stale_chains(chains: pd.DataFrame, major: int) -> list[str]:
    """Chains present that this engine's release does not make, left by another engine that
    ran on this machine before (rules stay until it restarts): Engine 28's chains on an older
    engine, and the isolation chains on Docker 29, which removed them (moby#49981)."""
    if major >= 29:
        return [c for c in chains["chain"] if c in ISOLATION_CHAINS]
    if major >= 28:
        return []
    return [c for c in chains["chain"] if c in ENGINE_28_CHAINS]


def backend() -> str:
    """One sentence on which firewall backend holds Docker's rules here (from the facts)."""
    f = facts()
    if f.firewall_engine.startswith("nftables"):
        return ("This engine writes nftables rules itself (FirewallBackend nftables): "
                "`nft list ruleset` shows them, and iptables shows almost none.")
    if f.iptables_variant == "nft":
        return ("iptables here is iptables-nft (`iptables --version` says nf_tables): the "
                "rules below are stored as nftables tables (`nft list ruleset` shows them "
                "too), written through the iptables syntax Docker uses.")
    if f.iptables_variant == "legacy":
        return ("iptables here is iptables-legacy: the rules below live in the kernel's older "
                "x_tables, which `nft list ruleset` does not show.")
    return "Which iptables variant this machine has could not be read (`iptables --version`)."


def isolation_rules(chains: dict[str, list[str]], bridge: str = "docker0") -> dict[str, list[str]]:
    """The filter rules that drop a packet from another bridge into BRIDGE, by where they are.

    Returns:
        {"isolation": the DOCKER-ISOLATION-STAGE-1/2 rules for BRIDGE (engines before 29),
         "DOCKER": the DOCKER chain's `! -i BRIDGE -o BRIDGE -j DROP` (engines from 28)}.
    """
    stage1 = [r for r in chains.get("DOCKER-ISOLATION-STAGE-1", [])
              if f"-i {bridge} " in r and "DOCKER-ISOLATION-STAGE-2" in r]
    stage2 = [r for r in chains.get("DOCKER-ISOLATION-STAGE-2", [])
              if f"-o {bridge} " in r and r.endswith("-j DROP")]
    default = [r for r in chains.get("DOCKER", [])
               if r == f"-A DOCKER ! -i {bridge} -o {bridge} -j DROP"]
    return {"isolation": stage1 + stage2, "DOCKER": default}


def explain_isolation(found: dict[str, list[str]], major: int) -> list[str]:
    """What keeps two Docker bridges apart on this engine, as lines to print.

    Raises:
        LabkitError: no rule drops traffic between bridges, or an Engine 29 or later still
            has the isolation chains (it removes them when it starts).
    """
    iso, default = found["isolation"], found["DOCKER"]
    lines = [f"  {r}" for r in iso + default]
    if iso and major >= 29:
        raise LabkitError(_("This engine has DOCKER-ISOLATION rules, which Engine 29 removes."),
                          _("read `iptables -t filter -S` again after restarting the daemon"))
    if iso and default:
        lines.append("Both drop it: the isolation chains (a packet that comes in on one "
                     "bridge and leaves by another) and the DOCKER chain's last rule for the "
                     "bridge. Engine 29 dropped the chains, keeping only the DOCKER rule "
                     "(moby#49981).")
    elif iso:
        lines.append("DOCKER-ISOLATION-STAGE-1 sends a packet that comes in on this bridge "
                     "and leaves by another to STAGE-2, which drops it if it leaves by a "
                     "Docker bridge. (Docker 28 adds a DROP at the end of DOCKER too; Docker 29 "
                     "keeps only that one, moby#49981.)")
    elif default:
        lines.append("No DOCKER-ISOLATION chains: Docker 29 removed them (moby#49981). The "
                     "DOCKER chain's last rule for the bridge drops every packet into it from "
                     "another interface, another Docker bridge included, that no published "
                     "port's ACCEPT above it let in. So a container on another network reaches "
                     "only the published ports here, as any machine outside would.")
    else:
        raise LabkitError(_("No rule here drops a packet from another bridge."),
                          _("read `iptables -t filter -S`: is the engine running with iptables?"))
    return lines


def isolation(bridge: str = "docker0") -> None:
    """Show which rules keep another Docker network's packets out of BRIDGE (03-networking),
    read live from iptables, or from Docker's nftables table on the nftables backend."""
    if nftables.in_use():
        table = nftables.read()
        rules = nftables.isolation_rules(table, bridge)
        if not rules:
            raise LabkitError(
                _("No drop rule for {bridge} in table {table}.").format(
                    bridge=bridge, table=nftables.TABLE
                ),
                _("read `nft list table ip docker-bridges`"),
            )
        for r in rules:
            print("  " + r)
        print(_("nftables backend: each bridge has a chain for packets into it; it accepts "
                "replies, the bridge's own traffic and published ports, then drops the rest, "
                "another bridge's packets included."))
        return
    print(
        _("The rules that drop a packet from another Docker network into {bridge}:").format(
            bridge=bridge
        )
    )
    for line in explain_isolation(isolation_rules(listing("filter"), bridge), facts().major):
        print(line)
