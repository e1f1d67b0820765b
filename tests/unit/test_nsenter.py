"""labkit.namespaces.nsenter without an engine: commands, listings, both address views."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from labkit.base.errors import NotRoot
from labkit.namespaces import nsenter

from .fakes.client import FakeClient, FakeContainer
from .fakes.clock import FakeClock
from .fakes.host import FakeHost, addr_json
from .fakes.seam import Fakes

# `ip -j addr` inside a container's netns, recorded: lo, and eth0 with 10.213.0.254/24.
LINKS = json.loads((Path(__file__).parent / "samples" / "ip-j-addr.netns.json").read_text())


@pytest.fixture
def fake(fakes: Callable[..., Fakes]) -> FakeHost:
    return fakes(host=FakeHost(), root=True).host


def test_enter_argv_joins_only_the_network_namespace() -> None:
    assert nsenter.enter_argv(42, ["ip", "addr"]) == ["nsenter", "-t", "42", "-n", "ip", "addr"]


def test_interfaces_here_and_inside(fake: FakeHost) -> None:
    fake.answers[("nsenter", "-t", "42", "-n", "ip")] = json.dumps(LINKS)
    fake.answers[("ip",)] = json.dumps(LINKS[:1])
    assert nsenter.interfaces(42) == {"lo": ["127.0.0.1/8", "::1/128"],
                                      "eth0": ["10.213.0.254/24", "fe80::b05f:1dff:fe38:500a/64"]}
    assert list(nsenter.interfaces()) == ["lo"]


def test_inspect_pid_shows_the_command(fake: FakeHost, capsys: pytest.CaptureFixture[str]) -> None:
    fake.answers[("docker", "inspect")] = "4242\n"
    assert nsenter.inspect_pid(FakeContainer("c1")) == 4242
    assert capsys.readouterr().out == (
        "$ docker inspect -f '{{.State.Pid}}' c1\nhost PID 4242\n")


def test_inspect_vs_nsenter_finds_the_same_address(fake: FakeHost) -> None:
    fake.answers[("nsenter", "-t", "4242")] = json.dumps(LINKS)
    box = FakeContainer("c1", networks={"net0": {"IPAddress": "10.213.0.254",
                                                 "IPPrefixLen": 24}})
    row = nsenter.inspect_vs_nsenter(box).iloc[0]
    assert (row["network"], row["docker inspect"], row["nsenter ... ip addr"], row["same"]) == (
        "net0", "10.213.0.254/24", "10.213.0.254/24", True)
    box.attrs["NetworkSettings"]["Networks"]["net0"]["IPAddress"] = "10.213.0.9"
    assert not nsenter.inspect_vs_nsenter(box).iloc[0]["same"]


def test_host_view_reads_again_while_interfaces_come_and_go(
        fake: FakeHost, fakes: Callable[..., Fakes]) -> None:
    # PID 2's interfaces, then this netns's: a veth went away between the first two reads.
    there: list[Any] = [{"lo": ["127.0.0.1/8"], "veth1": []}, {"lo": ["127.0.0.1/8", "::1/128"]}]
    here: list[Any] = [{"lo": ["127.0.0.1/8"]}, {"lo": []}]
    fake.answers[("nsenter", "-t", "2", "-n", "ip")] = lambda argv: addr_json(there.pop(0))
    fake.answers[("ip", "-d", "-j", "addr")] = lambda argv: addr_json(here.pop(0))
    fake.answers[("readlink",)] = "net:[1]\nnet:[1]\n"
    clock = fakes(clock=FakeClock()).clock
    table = nsenter.host_view(2)
    assert table.loc["lo", "answer"] == "127.0.0.1/8"
    assert table.loc["same interface names as `ip addr` here", "answer"] is True
    assert table.loc["same net namespace as this notebook", "answer"] is True
    assert there == [] and here == [] and clock.sleeps == [0.2]


def test_host_view_needs_root(fakes: Callable[..., Fakes]) -> None:
    host = fakes(host=FakeHost(), root=False).host
    with pytest.raises(NotRoot):
        nsenter.host_view(2)
    assert host.calls == []


def test_same_netns_compares_the_links(fake: FakeHost) -> None:
    fake.answers[("readlink",)] = "net:[1]\nnet:[1]\n"
    assert nsenter.same_netns_as_here(5)
    fake.answers[("readlink",)] = "net:[1]\nnet:[2]\n"
    assert not nsenter.same_netns_as_here(5)


def test_netns_list_shows_only_the_lessons(fake: FakeHost,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    fake.answers[("ip", "netns", "list")] = "someone (id: 0)\nnonet (id: 3)\nnstest\n"
    nsenter.netns_list(["nstest", "nonet"])
    assert capsys.readouterr().out.splitlines() == [
        "$ ip netns list", "nonet (id: 3)", "nstest", "(only this lesson's namespaces are shown)"]


def test_netns_add_goes_through_the_lab(capsys: pytest.CaptureFixture[str]) -> None:
    class Lab:
        def netns(self, name: str) -> str:
            return f"{name}-s0a1b2c"

    assert nsenter.netns_add(Lab(), "nstest") == "nstest-s0a1b2c"
    assert capsys.readouterr().out == "$ ip netns add nstest-s0a1b2c\n"


def test_docker_exec_reports_a_failure(fakes: Callable[..., Fakes],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    box = FakeContainer("c1", exec_answer=(127, b"sh: nope: not found\n"))
    fakes(client=FakeClient(containers=[box]))
    nsenter.docker_exec(box, ["nope"])
    assert box.execs == [["nope"]]
    assert capsys.readouterr().out.splitlines() == [
        "$ docker exec c1 nope", "sh: nope: not found", "(exit code 127)"]
