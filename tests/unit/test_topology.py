"""topology: the text description and the figure say the same things."""

from __future__ import annotations

from labkit.base import iproute
from labkit.lessons.outside import OutsideWorld
from labkit.networking import netinspect, topology, views


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
    assert views.describe(TOPO).splitlines() == [
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


def _crowded() -> topology.Topology:
    """The chapter's own picture: eight containers with veths on three bridges."""
    nets = [("docker0", "bridge", "172.17.0", ["c1", "c2", "c3", "front"]),
            ("br-ad98a55b32b3", "lab-net", "10.213.0", ["auto", "c4"]),
            ("br-feeec3093f80", "wp-net", "10.213.1", ["db", "web"])]
    bridges, pairs = [], []
    for bridge, network, prefix, names in nets:
        veths = tuple(f"veth{i:03d}{len(pairs) + i:04d}" for i in range(len(names)))
        bridges.append(netinspect.Bridge(bridge, f"{prefix}.1/24", f"{prefix}.0/24", "UP", veths))
        pairs += [pair(n, network, bridge, v, f"{prefix}.{i + 2}/24")
                  for i, (n, v) in enumerate(zip(names, veths, strict=True))]
    return topology.Topology(tuple(bridges), tuple(pairs),
                             (("alone", "none"), ("hostweb", "host"), ("side", "container:c1")),
                             TOPO.world)


def test_no_two_labels_overlap() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = topology.draw(_crowded())
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    # A few pixels of margin: a label that touches a cable is unreadable too.
    boxes = [(t.get_text(), t.get_window_extent(renderer).padded(4))
             for t in fig.axes[0].texts]
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            assert not box_a.overlaps(box_b), f"{a!r} overlaps {b!r}"
    for line in fig.axes[0].lines:  # each cable is straight: vertical or horizontal
        (x0, y0), (x1, y1) = fig.axes[0].transData.transform(list(zip(*line.get_data(),
                                                                       strict=True)))
        for text, box in boxes:
            crosses_x = min(x0, x1) <= box.x1 and box.x0 <= max(x0, x1)
            crosses_y = min(y0, y1) <= box.y1 and box.y0 <= max(y0, y1)
            assert not (crosses_x and crosses_y), f"a cable runs through {text!r}"
    width, height = canvas.get_width_height()
    assert all(0 <= box.x0 and box.x1 <= width and 0 <= box.y0 and box.y1 <= height
               for _, box in boxes)
