"""Chapter 03's second views: tables and sentences that follow a command's own output.

Taught in: 03-networking. Each reads what a cell's commands just showed (or the engine's
state) and puts it side by side; the lesson's operations stay in their own modules
(`netinspect`, `links`, ...). Where a sentence rests on a fact, it checks it and raises
`LabkitError` when the fact does not hold, rather than saying something untrue.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import pandas as pd
from docker.models.containers import Container

from labkit.base import containers as ctr
from labkit.base.errors import LabkitError
from labkit.base.facts import facts
from labkit.base.host import host
from labkit.base.i18n import _
from labkit.base.show import sh
from labkit.networking.links import KEEP_VARIABLE, LinkView
from labkit.networking.netinspect import VethPair, addresses, bridge, network_mode

if TYPE_CHECKING:
    from labkit.networking.topology import Topology


# -- section 1: veth pairs -----------------------------------------------------------------
def pairs_frame(pairs: Sequence[VethPair]) -> pd.DataFrame:
    """The pairs as a table: container side `eth0@ifN`, host side `vethX@ifM`, the bridge
    (03-networking, section 1)."""
    return pd.DataFrame([{
        "container": p.container, "network": p.network, "address": p.address,
        "inside": p.inside.label, "host veth": p.outside.label, "bridge": p.bridge,
        "gateway": p.gateway, "ends match": p.matched,
    } for p in pairs])


def explain_pairs(pairs: Sequence[VethPair], bridge_name: str = "docker0") -> None:
    """Show each host end as the bridge sees it (`bridge link show dev VETH`, run and printed:
    a port of the bridge, `master BRIDGE`, and its forwarding state), then say that each pair's
    ends match, the host ends are ports of BRIDGE_NAME, and the bridge is every container's
    gateway (03-networking).

    Raises:
        LabkitError: one of these does not hold.
    """
    ours = list(dict.fromkeys(p.outside.ifname for p in pairs))  # in the pairs' order
    ports = [name for name in ours
             if f" master {bridge_name} " in sh(["bridge", "link", "show", "dev", name]).stdout]
    br = bridge(bridge_name)
    gateway = br.address.split("/")[0]
    if not all(p.matched for p in pairs) or ports != ours:
        raise LabkitError(
            _("The veth ends do not all match, or some are not ports of {name}.").format(
                name=br.name
            ),
            _("a container may have restarted: run the cell that starts them again"),
        )
    print(
        _("{ours} host veths, all ports of {name}; {name} is the gateway:").format(
            ours=len(ours), name=br.name
        ),
        all(p.gateway == gateway for p in pairs),
    )


# -- section 4: links --------------------------------------------------------------------
def explain_variables(view: LinkView, major: int | None = None, minor: int | None = None) -> None:
    """Say whether this engine injected the link's variables, and why (03-networking).

    Args:
        view: what `link_view` read from the recipient.
        major, minor: the engine's version (default: the facts').

    Raises:
        LabkitError: an engine before 29 injected none (every engine before 29.0 does).
    """
    if major is None or minor is None:
        major, minor = facts().major, facts().minor
    engine = f"Docker {major}.{minor}"
    if view.env and major >= 29:
        print(
            _(
                "{engine} injected {env} link variables: its dockerd runs with {keep_variable}=1 "
                "in its environment, which brings back what Engine 29.0 stopped doing "
                "(moby#50719)."
            ).format(engine=engine, env=len(view.env), keep_variable=KEEP_VARIABLE)
        )
    elif view.env:
        print(
            _("{engine} injected {env} link variables, as every engine before 29.0 does.").format(
                engine=engine, env=len(view.env)
            )
        )
    elif major >= 29:
        print(_("{engine} injected none: Engine 29.0 stopped injecting the legacy link variables "
                "(moby#50719). Their names carry the linked container's alias, so a program had "
                "to know it or scan its whole environment, and they froze an address that a "
                "restart changes; dropping them brings the default bridge closer to user-defined "
                "networks. Setting {keep_variable}=1 in dockerd's own environment (an "
                "Environment= line in a systemd drop-in for docker.service, then a restart of "
                "the daemon) brings them back (docker/cli's deprecated.md plans its removal for "
                "30.0); the course leaves your engine as it is. Here a link gives only its "
                "/etc/hosts line.").format(engine=engine, keep_variable=KEEP_VARIABLE))
    else:
        raise LabkitError(
            _("{engine} injected no link variables, but engines before 29.0 always do.").format(
                engine=engine
            ),
            _(
                "run the cell again; if it repeats, check the link "
                "with `docker inspect -f '{{.HostConfig.Links}}' "
                "link-client`"
            ),
        )


def explain_link_change(before: LinkView, after: LinkView, now: str) -> None:
    """Say what changed after the linked container came back with address NOW (03-networking).

    Raises:
        LabkitError: the address did not change, /etc/hosts was not rewritten, or PID 1's
            variables changed (neither is what Docker does; the lesson's reading would be
            wrong).
    """
    if before.hosts_address == now:
        raise LabkitError(
            _("The linked container came back with its old address {now}.").format(now=now),
            _("run the restart cell again: it needs another address"),
        )
    if after.hosts_address != now:
        raise LabkitError(
            _("/etc/hosts still says {value}, not the new address {now}.").format(
                value=after.hosts_address or "nothing", now=now
            ),
            _("run the restart cell again: Docker rewrites the file on restart"),
        )
    if after.env != before.env:
        raise LabkitError(_("PID 1's link variables changed; they are set once, when it starts."),
                          _("run the chapter from the top (`lab.cleanup()` first)"))
    old = before.address_variable
    if not old:
        print(_("/etc/hosts now says {now} (Docker rewrote it). PID 1 has no link variables that "
                "could still hold the old address: on this engine the name is the only way a "
                "link tells a container where its neighbour is.").format(now=now))
        return
    print(
        _(
            "/etc/hosts now says {now} (Docker rewrote it); PID 1's variables still say {old}."
        ).format(now=now, old=old)
    )
    new = next((v for k, v in after.exec_env.items() if k.endswith("_ADDR")), "?")
    same = _("the old") if new == old else _("the new")
    print(_("A process started now with `docker exec` gets {same} value, {new}: Docker computes "
            "a link's variables again for every exec.").format(same=same, new=new))


# -- section 5: network modes ------------------------------------------------------------
def modes_frame(containers: Iterable[Container | str], *, show: bool = False) -> pd.DataFrame:
    """Each container's network mode, its addresses and whose netns it is in.

    The netns column compares the links /proc/PID/ns/net point to, read with one `readlink`
    of every container's main process and of `/proc/self` (the readlink itself, in the host's
    netns): "host" when a container's is the host's, "own" when no other listed container
    shares it, else the container it shares with. SHOW: print the readlink and its output
    (03-networking).
    """
    items = [ctr.get(c) for c in containers]
    paths = [f"/proc/{ctr.pid(c)}/ns/net" for c in items] + ["/proc/self/ns/net"]
    argv = ["readlink", *paths]
    links = (sh(argv) if show else host().run(argv)).stdout.split()
    if len(links) != len(paths):
        raise LabkitError(_("Could not read every container's /proc/PID/ns/net."),
                          _("are they all running? Reading /proc/PID/ns needs root"))
    ids = {c.name: link for c, link in zip(items, links, strict=False)}
    host_ns = links[-1]
    rows = []
    for c in items:
        ns = ids[c.name]
        twin = next((n for n, other in ids.items() if other == ns and n != c.name), None)
        where = "host" if ns == host_ns else (f"shared with {twin}" if twin else "own")
        addrs = ", ".join(a for a in addresses(c).values() if a)
        rows.append({"container": c.name, "mode": network_mode(c),
                     "address in inspect": addrs or "(none)", "netns": where})
    return pd.DataFrame(rows)


# -- section 6: the picture, as text -------------------------------------------------------
def describe(topo: Topology) -> str:
    """The topology as text, one line per bridge, container and link: what `topology.draw`
    shows, as text nbval can compare (03-networking, section 6)."""
    lines = []
    for b in topo.bridges:
        nets = sorted({p.network for p in topo.pairs if p.bridge == b.name})
        lines.append(f"bridge {b.name} {b.address} (network {', '.join(nets)})")
        for p in sorted(topo.pairs, key=lambda p: p.container):
            if p.bridge == b.name:
                lines.append(f"  {p.outside.ifname} <-> {p.container} {p.inside.ifname} "
                             f"{p.address}")
    for name, mode in topo.others:
        lines.append(f"no veth of its own: {name} ({mode})")
    if topo.world:
        w = topo.world
        lines.append(f"host {w.host_link} {w.host_address} <-> netns {w.netns} eth0 "
                     f"{w.link_address}, server {w.server_address}:{w.server_port}")
    return "\n".join(lines)
