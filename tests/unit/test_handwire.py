"""labkit.namespaces.handwire without an engine: addresses,, every wiring step shown as it runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from labkit.base.errors import LabkitError
from labkit.namespaces import handwire

from .fakes.cli_engine import CliEngine
from .fakes.client import FakeClient, FakeContainer
from .fakes.clock import FakeClock
from .fakes.host import FakeHost
from .fakes.lab import FakeLab
from .fakes.seam import Fakes

# `ip -d -j addr` in a wired container's netns (recorded): lo, then eth0.
NETNS_LINKS = json.loads((Path(__file__).parent / "samples" / "ip-d-j-addr.netns.json").read_text())
INSIDE = ("nsenter", "-t", "4242", "-n", "ip", "-d", "-j", "addr", "show")

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


class RecordingLab(FakeLab):
    """FakeLab with Lab.record: what a lesson made some other way, recorded for cleanup."""

    def record(self, kind: str, **data: Any) -> None:
        self.recorded.append((kind, data))


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
    lab = RecordingLab()
    wiring = handwire.wire(lab, FakeContainer("nonet", pid=4242), NET)  # type: ignore[arg-type]
    inside = ("ip", "netns", "exec", "nonet")
    expected = [
        ("mkdir", "-p", "/var/run/netns"),
        ("ln", "-s", "/proc/4242/ns/net", "/var/run/netns/nonet"),
        ("ip", "link", "add", "vetha", "type", "veth", "peer", "name", "vethb"),
        ("ip", "link", "set", "vetha", "master", "br-0123456789ab"),
        ("ip", "link", "set", "vetha", "up"),
        ("ip", "link", "set", "vethb", "netns", "nonet"),
        (*inside, "ip", "link", "set", "dev", "vethb", "name", "eth0"),
        (*inside, "ip", "link", "set", "eth0", "up"),
        (*inside, "ip", "addr", "add", "10.213.7.254/24", "dev", "eth0"),
        (*inside, "ip", "route", "add", "default", "via", "10.213.7.1"),
    ]
    # eth0 is looked for before anything changes; then each step runs as it is shown
    assert fake.calls[0] == INSIDE and fake.calls[1:] == expected
    assert lab.recorded == [("symlink", {"path": "/var/run/netns/nonet"}),
                            ("link", {"name": "vetha"})]
    shown = [line[2:] for line in capsys.readouterr().out.splitlines() if line.startswith("$ ")]
    assert shown == [" ".join(argv) for argv in expected]
    assert wiring == handwire.Wiring("nonet", 4242, "nonet", "vetha", "10.213.7.254/24",
                                     "10.213.7.1")


def test_wire_refuses_a_container_that_has_eth0(fake: FakeHost) -> None:
    fake.answers[INSIDE] = json.dumps(NETNS_LINKS)
    lab = RecordingLab()
    with pytest.raises(LabkitError, match="already has an eth0"):
        handwire.wire(lab, FakeContainer("nonet", pid=4242), NET)  # type: ignore[arg-type]
    assert fake.calls == [INSIDE] and lab.recorded == []  # nothing made, nothing to undo


def test_unwire_deletes_the_pair_and_the_name(fake: FakeHost,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    handwire.unwire(handwire.Wiring("nonet", 1, "nonet", "vetha", "10.213.7.254/24", "x"))
    assert fake.calls == [("ip", "link", "delete", "vetha"), ("rm", "/var/run/netns/nonet")]
    assert capsys.readouterr().out == "$ ip link delete vetha\n$ rm /var/run/netns/nonet\n"


def test_veth_pair_records_then_runs_what_it_shows(fake: FakeHost,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    lab = RecordingLab()
    assert handwire.veth_pair(lab, "vethc", "vethd") == ("vethc", "vethd")  # type: ignore[arg-type]
    assert lab.recorded == [("link", {"name": "vethc"})]
    assert fake.calls == [("ip", "link", "add", "vethc", "type", "veth", "peer", "name", "vethd")]
    assert capsys.readouterr().out == "$ ip link add vethc type veth peer name vethd\n"


def in_engine(fakes: Callable[..., Fakes], answer: tuple[int, str]) -> FakeContainer:
    """Container nonet in a fake engine; `docker exec` in it answers ANSWER."""
    box = FakeContainer("nonet", exec_answer=answer)
    fakes(client=FakeClient(containers=[box]))
    return box


ANSWER = ("HTTP/1.0 200 OK\r\nDate: today\r\n\r\n"
          "{\"client_address\": \"203.0.113.1\"}\n")


@pytest.fixture
def cli(fakes: Callable[..., Fakes]) -> CliEngine:
    engine = CliEngine(FakeClient())
    fakes(client=engine.client, system=engine.system())
    return engine


def test_fetch_runs_the_docker_exec_it_shows(cli: CliEngine,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    cli.answers[("docker", "exec")] = (0, ANSWER, "")
    status, body = handwire.fetch(FakeContainer("nonet"), "198.51.100.10", 8080)
    assert (status, body) == ("HTTP/1.0 200 OK", '{"client_address": "203.0.113.1"}')
    argv = cli.calls[0][0]
    assert argv[:5] == ["docker", "exec", "nonet", "sh", "-c"]
    assert argv[-2:] == ["198.51.100.10", "8080"]  # arguments, not part of the script
    assert "198.51.100.10" not in argv[5]
    out = capsys.readouterr().out
    assert out.startswith("$ docker exec nonet sh -c ") and "Date: today" in out  # all of it
    assert out.endswith('{"client_address": "203.0.113.1"}\n')


def test_fetch_without_an_answer(cli: CliEngine, capsys: pytest.CaptureFixture[str]) -> None:
    cli.answers[("docker", "exec")] = (1, "", "")
    assert handwire.fetch(FakeContainer("nonet"), "198.51.100.10", 8080) == ("", "")
    assert capsys.readouterr().out.splitlines()[-1] == "(no answer)"
    assert handwire.parse_http(0, "garbage") == ("", "")



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
