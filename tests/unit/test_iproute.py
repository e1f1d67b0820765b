"""labkit.base.iproute on recorded `ip -j` output: links, veth peers, addresses, routes.

The samples in samples/ip-*.json were recorded with iproute2 on Linux: a bridge, a veth whose
host end is plugged into it, and its other end (eth0, 10.213.0.254/24, a default route) in a
second netns, the way Docker wires a container.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from labkit.base import iproute

from .fakes.host import FakeHost
from .fakes.seam import Fakes

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def test_host_side_bridge_and_veth() -> None:
    lo, bridge, veth = iproute.parse_links(sample("ip-d-j-addr.host.json"))
    assert (lo.ifindex, lo.ifname, lo.kind, lo.state) == (1, "lo", "", "UNKNOWN")
    assert lo.addresses == ("127.0.0.1/8",) and lo.inet6 == ("::1/128",)
    assert (bridge.kind, bridge.addresses, bridge.master) == (
        "bridge", ("10.213.0.1/24",), None)
    assert (veth.ifname, veth.kind, veth.master, veth.peer_index) == (
        "veth1a2b3c4", "veth", "br-0123456789ab", 2)
    assert veth.addresses == () and veth.label == "veth1a2b3c4@if2"
    assert veth.up and "LOWER_UP" in veth.flags


def test_inside_end_names_the_host_end() -> None:
    links = iproute.parse_links(sample("ip-d-j-addr.netns.json"))
    eth0 = next(x for x in links if x.ifname == "eth0")
    assert (eth0.ifindex, eth0.peer_index, eth0.label) == (2, 3, "eth0@if3")
    assert eth0.addresses == ("10.213.0.254/24",)
    assert eth0.mac == "b2:5f:1d:38:50:0a" and eth0.state == "UP"
    host_end = next(x for x in iproute.parse_links(sample("ip-d-j-addr.host.json"))
                    if x.ifindex == eth0.peer_index)
    assert host_end.peer_index == eth0.ifindex  # each end names the other


def test_without_details_the_kind_is_unknown_but_the_rest_is_there() -> None:
    plain = iproute.parse_links(sample("ip-j-addr.netns.json"))
    assert [x.kind for x in plain] == ["", ""]
    assert plain[1].addresses == ("10.213.0.254/24",)
    link_only = iproute.parse_links(sample("ip-j-link.host.json"))
    assert link_only[2].master == "br-0123456789ab" and link_only[2].addresses == ()
    assert iproute.parse_links(sample("ip-j-4-addr-eth0.netns.json"))[0].inet6 == ()


def test_routes_and_their_networks() -> None:
    (default,) = iproute.parse_routes(sample("ip-j-route-default.netns.json"))
    assert (default.dst, default.gateway, default.dev, default.network) == (
        "default", "10.213.0.1", "eth0", None)
    table = iproute.parse_routes(sample("ip-j-4-route-table-all.host.json"))
    nets = {str(r.network) for r in table if r.network is not None}
    assert "127.0.0.0/8" in nets and "127.0.0.1/32" in nets  # one address is a /32
    local = next(r for r in table if r.dst == "127.0.0.1")
    assert local.type == "local" and local.network == ipaddress.ip_network("127.0.0.1/32")


@pytest.fixture
def fake(fakes: Callable[..., Fakes]) -> FakeHost:
    return fakes(host=FakeHost({("ip",): json.dumps(sample("ip-d-j-addr.host.json")),
                                ("nsenter",): json.dumps(sample("ip-d-j-addr.netns.json"))})).host


def test_links_runs_ip_where_asked(fake: FakeHost) -> None:
    assert [x.ifname for x in iproute.links()] == ["lo", "br-0123456789ab", "veth1a2b3c4"]
    assert [x.ifname for x in iproute.links(pid=42)] == ["lo", "eth0"]
    iproute.links("docker0", netns="outside-s1")
    assert fake.calls == [
        ("ip", "-d", "-j", "addr", "show"),
        ("nsenter", "-t", "42", "-n", "ip", "-d", "-j", "addr", "show"),
        ("ip", "netns", "exec", "outside-s1", "ip", "-d", "-j", "addr", "show", "dev", "docker0")]


def test_routes_runs_ip_route_show(fake: FakeHost) -> None:
    fake.answers[("nsenter", "-t", "7", "-n", "ip", "-j", "route")] = json.dumps(
        sample("ip-j-route-default.netns.json"))
    assert iproute.routes("default", pid=7)[0].gateway == "10.213.0.1"
    iproute.routes("table", "all", ipv4=True)
    assert fake.calls[-1] == ("ip", "-j", "-4", "route", "show", "table", "all")
