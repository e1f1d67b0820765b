"""labkit.lab.subnets: what is in use (Docker's IPAM and the host's routes), what is free."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path

import pytest

from labkit.lab import subnets

from .fakes.client import FakeClient, FakeObject
from .fakes.host import FakeHost
from .fakes.seam import Fakes

# `ip -j -4 route show table all` recorded on a host with docker0 (172.17.0.0/16).
ROUTES = (Path(__file__).parent / "samples" / "ip-j-4-route-table-all.host.json").read_text()


@pytest.fixture
def machine(fakes: Callable[..., Fakes]) -> FakeHost:
    nets = [FakeObject("lab", attrs={"IPAM": {"Config": [{"Subnet": "10.213.0.0/24"},
                                                         {"Subnet": "fd00:1::/64"}]}}),
            FakeObject("none", attrs={"IPAM": None})]
    return fakes(client=FakeClient(networks=nets),
                 host=FakeHost({("ip", "-j", "-4", "route"): ROUTES})).host


def test_used_networks_are_ipam_subnets_and_routes(machine: FakeHost) -> None:
    used = {str(n) for n in subnets.used_networks()}
    assert {"10.213.0.0/24", "172.17.0.0/16", "127.0.0.1/32", "127.0.0.0/8"} <= used
    assert "fd00:1::/64" not in used and "0.0.0.0/0" not in used  # no IPv6, no default
    assert machine.calls == [("ip", "-j", "-4", "route", "show", "table", "all")]


def test_free_subnet_skips_what_is_taken(machine: FakeHost) -> None:
    assert str(subnets.free_subnet()) == "10.213.1.0/24"
    avoid = [ipaddress.ip_network("10.213.1.0/24")]
    assert str(subnets.free_subnet(avoid=avoid)) == "10.213.2.0/24"
