"""DNAT from the outside world: a published port's nat rules, said in sentences, and whom the
container's server saw.

Taught in: 03-networking. `show_dnat` reads the rules a published port uses from the engine's
firewall backend (`iptables -t nat -S`, or `nft list table ip docker-bridges` on Docker 29's
nftables backend) and says what each does; `explain_clients` reads nginx's access log. Re-exported
by labkit.networking.nat, where the notebook calls it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from docker.models.containers import Container

from labkit.base import containers
from labkit.base.errors import LabkitError
from labkit.base.http import LOOPBACK
from labkit.base.i18n import _
from labkit.base.show import docker
from labkit.lab.session import Lab
from labkit.lessons.outside import OutsideWorld
from labkit.networking import firewall, nftables
from labkit.networking.chains import listing
from labkit.networking.firewall import Rule


# -- DNAT from the outside world -----------------------------------------------------------
def run_published(lab: Lab, image: str, world: OutsideWorld, *, name: str, port: int,
                  container_port: str = "80/tcp") -> Container:
    """`docker run -d -p 127.0.0.1:PORT:80 -p WORLD_HOST:PORT:80 IMAGE` (03-networking).

    The second address is the host's end of the lesson's outside-world link (203.0.113.x):
    only the outside netns can reach it, so the port is published to the lesson, not to the
    network (`Lab.allow_publishing_on` refuses any other address).
    """
    lab.allow_publishing_on(world.host_address)
    inside = container_port.removesuffix("/tcp")
    return lab.run(image, name=name, flags=["-p", f"{LOOPBACK}:{port}:{inside}",
                                            "-p", f"{world.host_address}:{port}:{inside}"])


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


def nft_dnat_rules(port: int, container_ip: str, current: Sequence[Rule]) -> list[str]:
    """`dnat_rules` on Docker's nftables backend, as `CHAIN: RULE` lines: the jumps from
    nat-PREROUTING and nat-OUTPUT, the DNAT rules for PORT (chain nat-prerouting-and-output)
    and the hairpin masquerade (`MASQ TO OWN PORT`) for the container's address."""
    keep = [r for r in current if r.chain in {"nat-PREROUTING", "nat-OUTPUT"}
            and "jump nat-prerouting-and-output" in r.spec]
    keep += [r for r in current if " dnat to " in r.spec and r.mentions([port])]
    keep += [r for r in current if "masquerade" in r.spec
             and f"ip saddr {container_ip} ip daddr {container_ip} " in r.spec]
    return [f"{r.chain}: {r.spec}" for r in keep]


def explain_dnat(rules: Sequence[str], bridge: str = "docker0") -> list[str]:
    """One sentence per kind of rule in RULES (what `dnat_rules` or `nft_dnat_rules` found),
    said for this host, and one for the hairpin MASQUERADE rule when this engine wrote none."""
    said = []
    nft = any(r.startswith("nat-") for r in rules)
    rules = [_as_iptables(r, bridge) for r in rules]
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
    said = list(dict.fromkeys(said + ([last] if last else [])))
    if nft:  # the same sentences, in the words of Docker's nftables table
        words = {"`--dst-type LOCAL`": "`fib daddr type local`",
                 "goes through DOCKER": "goes through nat-prerouting-and-output",
                 "`! -d 127.0.0.0/8`": "`ip daddr != 127.0.0.0/8`",
                 f"`! -i {bridge}`": f'`iifname != "{bridge}"`', "`! -i`": "`iifname !=`",
                 "without `! -i`": "without `iifname !=`"}
        for old, new in words.items():
            said = [s.replace(old, new) for s in said]
    return said


def _as_iptables(rule: str, bridge: str) -> str:
    """An nftables `CHAIN: RULE` line said with the iptables words `explain_dnat` looks for."""
    chain, _ignored, spec = rule.partition(": ")
    if not chain.startswith("nat-"):
        return rule
    hook = {"nat-PREROUTING": "-A PREROUTING", "nat-OUTPUT": "-A OUTPUT"}.get(chain, "")
    words = [hook]
    if "fib daddr type local" in spec:
        words.append("--dst-type LOCAL")
    if "ip daddr != 127.0.0.0/8" in spec:
        words.append("! -d 127.0.0.0/8")
    if " dnat to " in spec:
        words.append("DNAT")
    if f'iifname != "{bridge}"' in spec or f"iifname != {bridge} " in spec:
        words.append(f"! -i {bridge}")
    if "masquerade" in spec:
        words.append("MASQUERADE")
    return " ".join(w for w in words if w)


def port_rules(port: int, container_ip: str, *, show: bool = False) -> list[str]:
    """The nat rules a published PORT uses, read from the engine's firewall backend
    (`dnat_rules` on iptables, `nft_dnat_rules` on nftables), printing the command if SHOW."""
    if nftables.in_use():
        return nft_dnat_rules(port, container_ip, firewall.read(("nat",), show=show))
    return dnat_rules(port, container_ip, listing("nat", show=show))


def show_dnat(port: int, container_ip: str, bridge: str = "docker0") -> None:
    """Docker's nat rules (`iptables -t nat -S`, or `nft list table ip docker-bridges` on the
    nftables backend), showing only those a published port uses, and what each does."""
    rules = port_rules(port, container_ip, show=True)
    for r in rules:
        print("  " + r)
    for sentence in explain_dnat(rules, bridge):
        print("- " + sentence)


def client_addresses(log: str) -> list[str]:
    """The client address of each line of nginx's access log (its first field)."""
    return [line.split()[0] for line in log.splitlines()
            if line.strip() and re.match(r"\d+\.\d+\.\d+\.\d+ ", line)]


def explain_clients(container: Container | str, outside_client: str, bridge_address: str) -> None:
    """`docker logs --tail 2 NAME` (run and printed), then say whom nginx saw for the last two
    requests: OUTSIDE_CLIENT (through DNAT, which rewrites only the destination), then
    BRIDGE_ADDRESS (docker-proxy's own connection) (03-networking).

    Raises:
        LabkitError: its access log says otherwise.
    """
    name = containers.get(container).name
    shown = docker(["logs", "--tail", "2", name])
    expected = [outside_client, bridge_address]
    seen = client_addresses(shown.stdout + shown.stderr)[-2:]
    if seen != expected:
        raise LabkitError(
            _("nginx in {name} logged clients {seen}, not {expected}.").format(
                name=name, seen=seen, expected=expected
            ),
            _("run the two requests again, in this order, then this cell"),
        )
    print(
        _(
            "nginx saw {outside_client}, the outside client itself (DNAT rewrote only the "
            "destination), then {bridge_address}: docker-proxy, connecting from the bridge."
        ).format(outside_client=outside_client, bridge_address=bridge_address)
    )
