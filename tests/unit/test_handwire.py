"""labkit.namespaces.handwire without an engine: addresses,, every wiring step shown as it runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from labkit.base.errors import LabkitError
from labkit.namespaces import handwire

from .fakes.client import FakeClient, FakeContainer
from .fakes.clock import FakeClock
from .fakes.host import FakeHost
from .fakes.lab import FakeLab
from .fakes.seam import Fakes

# `ip -d -j addr` in a wired container's netns (recorded): lo, then eth0.
NETNS_LINKS = json.loads((Path(__file__).parent / "samples" / "ip-d-j-addr.netns.json").read_text())
INSIDE = ("ip", "netns", "exec", "nonet", "ip", "-d", "-j", "addr", "show")

NET = handwire.LessonNetwork("net0", "10.213.7.0/24", "10.213.7.0/25", "10.213.7.1",
                             "br-0123456789ab")


def test_ip_range_is_the_lower_half() -> None:
    assert handwire.split_subnet("10.213.7.0/24") == "10.213.7.0/25"


def test_spare_addresses_are_outside_dockers_range() -> None:
    assert NET.spare_address() == "10.213.7.254"
    assert NET.spare_address(1) == "10.213.7.253"
    assert NET.prefixlen == 24
    with pytest.raises(LabkitError, match="no spare address"):
        NET.spare_address(200)


@pytest.mark.parametrize("address,message", [
    ("10.9.9.9", "not in net0's subnet"),
    ("10.213.7.x", "not an IPv4 address"),
    ("10.213.7.5", "range Docker hands out"),
    ("10.213.7.1", "range Docker hands out"),
])
def test_check_address_refuses_what_would_clash(address: str, message: str) -> None:
    with pytest.raises(LabkitError, match=message) as info:
        handwire.check_address(NET, address)
    assert "10.213.7.254" in info.value.hint
    handwire.check_address(NET, "10.213.7.200")


@pytest.fixture
def fake(fakes: Callable[..., Fakes]) -> FakeHost:
    host = FakeHost({INSIDE: json.dumps(NETNS_LINKS[:1])})  # --network=none: only lo
    return fakes(host=host, root=True).host


def test_wire_needs_root(fakes: Callable[..., Fakes]) -> None:
    host = fakes(host=FakeHost(), root=False).host
    with pytest.raises(LabkitError, match="needs root"):
        handwire.wire(FakeLab(), FakeContainer("nonet"), NET)  # type: ignore[arg-type]
    assert host.calls == []


def test_wire_runs_and_shows_every_step_of_the_notes(
        fake: FakeHost, capsys: pytest.CaptureFixture[str]) -> None:
    lab = FakeLab()
    wiring = handwire.wire(lab, FakeContainer("nonet", pid=4242), NET)  # type: ignore[arg-type]
    inside = ("ip", "netns", "exec", "nonet")
    expected = [
        ("ip", "link", "set", "vetha", "master", "br-0123456789ab"),
        ("ip", "link", "set", "vetha", "up"),
        ("ip", "link", "set", "vethb", "netns", "nonet"),
        (*inside, "ip", "link", "set", "dev", "vethb", "name", "eth0"),
        (*inside, "ip", "link", "set", "eth0", "up"),
        (*inside, "ip", "addr", "add", "10.213.7.254/24", "dev", "eth0"),
        (*inside, "ip", "route", "add", "default", "via", "10.213.7.1"),
    ]
    assert fake.calls[0] == INSIDE and fake.calls[1:] == expected
    assert lab.recorded == [("symlink", ("/var/run/netns/nonet", "/proc/4242/ns/net")),
                            ("link", "vetha")]
    shown = [line[2:] for line in capsys.readouterr().out.splitlines() if line.startswith("$ ")]
    assert shown[:3] == ["mkdir -p /var/run/netns",
                         "ln -s /proc/4242/ns/net /var/run/netns/nonet",
                         "ip link add vetha type veth peer name vethb"]
    assert shown[3:] == [" ".join(argv) for argv in expected]
    assert wiring == handwire.Wiring("nonet", 4242, "nonet", "vetha", "10.213.7.254/24",
                                     "10.213.7.1")


def test_wire_refuses_a_container_that_has_eth0(fake: FakeHost) -> None:
    fake.answers[INSIDE] = json.dumps(NETNS_LINKS)
    with pytest.raises(LabkitError, match="already has an eth0"):
        handwire.wire(FakeLab(), FakeContainer("nonet"), NET)  # type: ignore[arg-type]


def test_unwire_deletes_the_pair_and_the_name(fake: FakeHost) -> None:
    handwire.unwire(handwire.Wiring("nonet", 1, "nonet", "vetha", "10.213.7.254/24", "x"))
    assert fake.calls == [("ip", "link", "delete", "vetha"), ("rm", "/var/run/netns/nonet")]


def in_engine(fakes: Callable[..., Fakes], answer: tuple[int, str]) -> FakeContainer:
    """Container nonet in a fake engine; `docker exec` in it answers ANSWER."""
    box = FakeContainer("nonet", exec_answer=answer)
    fakes(client=FakeClient(containers=[box]))
    return box


def test_http_get_keeps_status_and_body(fakes: Callable[..., Fakes],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    box = in_engine(fakes, (0, "HTTP/1.0 200 OK\r\nDate: today\r\n\r\n"
                               "{\"client_address\": \"203.0.113.1\"}\n"))
    handwire.fetch(box, "198.51.100.10", 8080)
    seen = box.execs
    assert seen[0][-2:] == ["198.51.100.10", "8080"]  # arguments, not part of the script
    assert "198.51.100.10" not in seen[0][2]
    out = capsys.readouterr().out
    assert out.endswith('HTTP/1.0 200 OK\n{"client_address": "203.0.113.1"}\n')
    assert "Date" not in out


def test_http_get_without_an_answer(fakes: Callable[..., Fakes]) -> None:
    box = in_engine(fakes, (1, ""))
    assert handwire.http_get(box, "198.51.100.10", 8080) == ("", "")
    assert box.execs[0][:2] == ["sh", "-c"]


def test_reaches_asks_again_until_a_ping_is_answered(fakes: Callable[..., Fakes],
                                                     clock: FakeClock) -> None:
    box = in_engine(fakes, (0, ""))
    assert handwire.reaches(box, "10.213.7.1") is True
    assert box.execs == [["ping", "-c", "1", "-W", "1", "10.213.7.1"]]
    box.exec_answer = (1, "")
    box.execs.clear()
    assert handwire.reaches(box, "10.213.7.1", within=2) is False
    assert len(box.execs) > 2 and sum(clock.sleeps) == pytest.approx(2)


def test_network_table_names_the_spare_address() -> None:
    table = NET.to_frame()
    assert table.loc["spare address (ours)", "value"] == "10.213.7.254"
    assert table.loc["ip range (Docker's)", "value"] == "10.213.7.0/25"


def test_container_address_explains_a_missing_network() -> None:
    box = FakeContainer("c3", networks={"net0": {"IPAddress": "10.213.7.2"}})
    assert handwire.container_address(box, NET) == "10.213.7.2"
    with pytest.raises(LabkitError, match="not on net0"):
        handwire.container_address(FakeContainer("c9"), NET)
