"""topology: the text description and the figure say the same things."""

from __future__ import annotations

from labkit.base import iproute
from labkit.lessons.outside import OutsideWorld
from labkit.networking import netinspect, topology


def pair(container: str, network: str, bridge: str, veth: str, address: str
         ) -> netinspect.VethPair:
    inside = iproute.Link(10, "eth0", "veth", 11, None, "UP", "", (address,))
    outside = iproute.Link(11, veth, "veth", 10, bridge, "UP", "", ())
    return netinspect.VethPair(container, network, address, "", inside, outside, bridge)


TOPO = topology.Topology(
    bridges=(netinspect.Bridge("docker0", "172.17.0.1/16", "172.17.0.0/16", "UP",
                               ("veth1111111",)),
             netinspect.Bridge("br-0123456789ab", "10.213.1.1/24", "10.213.1.0/24", "UP",
                               ("veth2222222",))),
    pairs=(pair("c1", "bridge", "docker0", "veth1111111", "172.17.0.2/16"),
           pair("db", "wp-net", "br-0123456789ab", "veth2222222", "10.213.1.2/24")),
    others=(("alone", "none"), ("side", "container:c1")),
    world=OutsideWorld("outside", "out-host", "203.0.113.1", "203.0.113.2", "198.51.100.10",
                       8080),
)


def test_describe_names_every_bridge_container_and_the_outside() -> None:
    assert topology.describe(TOPO).splitlines() == [
        "bridge docker0 172.17.0.1/16 (network bridge)",
        "  veth1111111 <-> c1 eth0 172.17.0.2/16",
        "bridge br-0123456789ab 10.213.1.1/24 (network wp-net)",
        "  veth2222222 <-> db eth0 10.213.1.2/24",
        "no veth of its own: alone (none)",
        "no veth of its own: side (container:c1)",
        "host out-host 203.0.113.1 <-> netns outside eth0 203.0.113.2, "
        "server 198.51.100.10:8080",
    ]


def test_draw_shows_the_same_names() -> None:
    fig = topology.draw(TOPO)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    for word in ("docker0", "br-0123456789ab", "c1", "db", "veth1111111", "veth2222222",
                 "side (container:c1)", "198.51.100.10:8080", "out-host"):
        assert word in texts
    assert len(fig.axes[0].patches) == 1 + 2 + 2 + 1  # host, bridges, containers, outside


def test_draw_without_world_or_containers() -> None:
    fig = topology.draw(topology.Topology((), (), (), None))
    assert [t.get_text() for t in fig.axes[0].texts] == ["host (root netns)"]
