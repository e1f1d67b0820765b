"""A picture of the lesson's network, drawn from the live host: bridges, veth pairs,
containers with their addresses, and the outside-world netns.

Taught in: 03-networking (section 6). The figure comes with a text version (`views.describe`) that
says the same, so nbval can compare it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from docker.models.containers import Container
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from labkit.base import containers as ctr
from labkit.base.figure import shown, subplots
from labkit.base.i18n import _
from labkit.lessons.outside import OutsideWorld
from labkit.networking import netinspect
from labkit.networking.views import describe


@dataclass(frozen=True)
class Topology:
    """What the picture shows.

    Attributes:
        bridges: the bridges the lesson's containers are plugged into.
        pairs: each container's veth pair.
        others: containers without a veth of their own, with their network mode.
        world: the outside-world netns, if the lesson made one.
    """

    bridges: tuple[netinspect.Bridge, ...]
    pairs: tuple[netinspect.VethPair, ...]
    others: tuple[tuple[str, str], ...]
    world: OutsideWorld | None


def collect(containers: Iterable[Container | str],
            world: OutsideWorld | None = None) -> Topology:
    """Read the topology of these containers (and the outside world) from the host."""
    links = netinspect.host_links()
    items = [ctr.get(c) for c in containers]
    with_veth = [c for c in items if ctr.network_mode(c) not in {"host", "none"}
                 and not ctr.network_mode(c).startswith("container:")]
    pairs = tuple(netinspect.veth_pairs(with_veth, links))
    # Ordered by network name: bridge names (br-<id>) change from run to run.
    order = sorted({(p.network, p.bridge) for p in pairs})
    names = list(dict.fromkeys(b for _ignored, b in order))
    bridges = tuple(netinspect.bridge(n, links) for n in names)
    others = tuple(sorted((c.name, netinspect.network_mode(c)) for c in items
                          if c not in with_veth))
    return Topology(bridges, pairs, others, world)


def draw(topo: Topology) -> Figure:
    """Draw the topology: containers on top, bridges in the host, the outside on the right.

    Every label has room of its own: a veth's name runs along its cable, the host's end of
    the outside link sits in the gap between the host and the outside netns, below the cable.
    """
    fig, ax = subplots(figsize=(13, 6.5))  # closed: shown once, as the cell's value
    ax.set_xlim(0, 130)
    ax.set_ylim(0, 66)
    ax.axis("off")
    right = 92 if topo.world else 128
    _box(ax, 1, 10, right - 1, 36, _("host (root netns)"), "#f4f4f4", "top")
    # Each bridge gets room in proportion to its containers.
    counts = [max(1, sum(p.bridge == b.name for p in topo.pairs)) for b in topo.bridges]
    unit = (right - 3) / max(sum(counts), 1)
    x0 = 2.0
    for b, n in zip(topo.bridges, counts, strict=True):
        width = n * unit
        _box(ax, x0 + 0.5, 13, width - 1, 6, f"{b.name}\n{b.address}", "#cfe3f7")
        mine = sorted((p for p in topo.pairs if p.bridge == b.name), key=lambda p: p.container)
        for j, p in enumerate(mine):
            cx = x0 + unit * (j + 0.5)
            _box(ax, cx - unit / 2 + 0.7, 50, unit - 1.4, 12,
                 f"{p.container}\n{p.inside.ifname}\n{p.address}", "#fde9c8")
            ax.plot([cx, cx], [19, 50], color="#555", lw=1.2)
            ax.text(cx - 0.8, 32, p.outside.ifname, rotation=90, ha="right", va="center",
                    fontsize=7)
        x0 += width
    if topo.others:
        ax.text(2, 5, _("no veth of their own: ") + "   ".join(
            f"{n} ({m})" for n, m in topo.others), fontsize=8, va="center")
    if topo.world:
        w = topo.world
        _box(ax, 106, 10, 23, 36, f"netns {w.netns}\n\neth0 {w.link_address}\n\n"
             + _("echo server") + f"\n{w.server_address}:{w.server_port}", "#d9f2d9")
        ax.plot([right, 106], [28, 28], color="#555", lw=1.2)
        ax.text((right + 106) / 2, 27, f"{w.host_link}\n{w.host_address}", ha="center",
                va="top", fontsize=7)
    fig.tight_layout()
    where = _(", the outside netns on the right") if topo.world else ""
    return shown(fig, _("The network: containers on top, their bridges in the host{where}. "
                        "{lines}").format(where=where,
                                          lines="; ".join(describe(topo).splitlines())))


def _box(ax, x: float, y: float, w: float, h: float, text: str, color: str,  # type: ignore[no-untyped-def]
         where: str = "center") -> None:
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.3", fc=color, ec="#333"))
    ty, va = (y + h - 1, "top") if where == "top" else (y + h / 2, "center")
    ax.text(x + w / 2, ty, text, ha="center", va=va, fontsize=8)
