"""labkit.base.containers, iproute and procfs against a real container and the real host."""

from __future__ import annotations

import pytest

from labkit.base import containers, iproute, labels, procfs
from labkit.lab.session import Lab

pytestmark = pytest.mark.engine


def test_a_running_container_seen_three_ways(lab: Lab) -> None:
    box = lab.run("labkit/busybox", ["sleep", "300"], name="t-readers")
    pid = containers.pid("t-readers")
    assert pid == containers.state(box).pid > 1 and containers.state(box).running
    assert containers.labels(box)[labels.SESSION] == lab.session
    (net,) = containers.endpoints(containers.get(box)).values()
    eth0 = next(x for x in iproute.links(pid=pid) if x.ifname == "eth0")
    assert eth0.addresses == (net.cidr,) and eth0.mac.lower() == net.mac.lower()
    host_end = next(x for x in iproute.links() if x.ifindex == eth0.peer_index)
    assert host_end.kind == "veth" and host_end.peer_index == eth0.ifindex
    assert procfs.status(pid)["NSpid"].split()[-1] == "1"
    assert not procfs.same_namespace(pid, "self", "net")
    with pytest.raises(containers.NoSuchContainer):
        containers.get("t-readers-nobody")
