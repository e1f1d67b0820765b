"""labkit.namespaces.handwire against the real engine: a --network=none container wired by hand."""

from __future__ import annotations

import pytest

from labkit.base import containers, iproute
from labkit.base.host import host
from labkit.base.show import docker
from labkit.lab.session import Lab
from labkit.lessons.outside import outside_world
from labkit.namespaces import handwire

pytestmark = pytest.mark.engine


def test_wire_reach_and_undo(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    net = handwire.lesson_network(lab, "t-hw-net")
    assert net.ip_range == handwire.split_subnet(net.subnet)
    peer = lab.run("labkit/busybox", ["sleep", "300"], name="t-hw-peer",
                   flags=["--network", net.name])
    box = lab.run("labkit/busybox", ["sleep", "300"], name="t-hw-box", flags=["--network", "none"])
    capsys.readouterr()
    wiring = handwire.wire(lab, box, net, netns="t-hw-ns", ends=("t-hw-a", "t-hw-b"))
    shown = [x for x in capsys.readouterr().out.splitlines() if x.startswith("$ ")]
    assert shown[:3] == ["$ mkdir -p /var/run/netns",
                         f"$ ln -s /proc/{wiring.pid}/ns/net /var/run/netns/{wiring.netns}",
                         f"$ ip link add {wiring.host_end} type veth peer name t-hw-b"]
    assert len(shown) == 10
    assert wiring.address == f"{net.spare_address()}/24"
    links = host().json(["ip", "-j", "link", "show", "master", net.bridge])
    assert wiring.host_end in {x["ifname"] for x in links}
    assert handwire.reaches(box, net.gateway)
    assert handwire.reaches(box, containers.endpoints(peer)[net.name].address)
    listed = docker(["network", "inspect", "-f", "{{range .Containers}}{{println .Name}}{{end}}",
                     net.name], show=False).stdout.split()
    assert listed == [peer.name]  # 04 cell 30: Docker never learns of our wiring
    world = outside_world(lab)
    status, body = handwire.fetch(box, world.server_address, world.server_port)
    assert status.startswith("HTTP/1.0 200") and world.host_address in body
    assert "\nDate: " in capsys.readouterr().out  # the whole answer is shown
    handwire.unwire(wiring)
    assert {x.ifname for x in iproute.links(pid=wiring.pid)} == {"lo"}
    assert not host().run(["ip", "link", "show", wiring.host_end], check=False).ok


def test_a_container_with_eth0_is_refused(lab: Lab) -> None:
    from labkit.base.errors import LabkitError

    net = handwire.lesson_network(lab, "t-hw-net2")
    box = lab.run("labkit/busybox", ["sleep", "300"], name="t-hw-eth0",
                  flags=["--network", net.name])
    with pytest.raises(LabkitError, match="already has an eth0"):
        handwire.wire(lab, box, net, netns="t-hw-ns2", ends=("t-hw-c", "t-hw-d"))
