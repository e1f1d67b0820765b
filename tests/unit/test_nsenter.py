"""labkit.namespaces.nsenter without an engine: commands, listings, both address views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from labkit.base.errors import NotRoot
from labkit.namespaces import nsenter, views

from .fakes.cli_engine import CliEngine
from .fakes.client import FakeClient, FakeContainer
from .fakes.clock import FakeClock
from .fakes.host import FakeHost, addr_json
from .fakes.seam import Fakes


@pytest.fixture
def fake(fakes: Callable[..., Fakes]) -> FakeHost:
    return fakes(host=FakeHost(), root=True).host


def test_enter_argv_joins_only_the_network_namespace() -> None:
    assert nsenter.enter_argv(42, ["ip", "addr"]) == ["nsenter", "-t", "42", "-n", "ip", "addr"]


@pytest.fixture
def cli(fakes: Callable[..., Fakes]) -> CliEngine:
    engine = CliEngine(FakeClient())
    fakes(client=engine.client, system=engine.system())
    return engine


def test_inspect_pid_runs_what_it_shows(cli: CliEngine,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    cli.answers[("docker", "inspect")] = (0, "4242\n", "")
    assert nsenter.inspect_pid(FakeContainer("c1")) == 4242
    assert [argv for argv, _ in cli.calls] == [["docker", "inspect", "-f", "{{.State.Pid}}", "c1"]]
    assert capsys.readouterr().out == "$ docker inspect -f '{{.State.Pid}}' c1\n4242\n"


def test_host_view_reads_again_while_interfaces_come_and_go(
        fake: FakeHost, fakes: Callable[..., Fakes], capsys: pytest.CaptureFixture[str]) -> None:
    # PID 2's interfaces, then this netns's: a veth went away between the first two reads.
    there: list[Any] = [{"lo": ["127.0.0.1/8"], "veth1": []}, {"lo": ["127.0.0.1/8", "::1/128"]}]
    here: list[Any] = [{"lo": ["127.0.0.1/8"]}, {"lo": []}]
    fake.answers[("nsenter", "-t", "2", "-n", "ip", "-j", "addr")] = (
        lambda argv: addr_json(there.pop(0)))
    fake.answers[("ip", "-j", "addr")] = lambda argv: addr_json(here.pop(0))
    fake.answers[("readlink",)] = "net:[1]\nnet:[1]\n"
    clock = fakes(clock=FakeClock()).clock
    table = views.host_view(2)
    # Both lines shown once (their JSON is the table's), and run again after 0.2 s.
    assert capsys.readouterr().out == "$ nsenter -t 2 -n ip -j addr\n$ ip -j addr\n"
    assert fake.calls[:4] == [("nsenter", "-t", "2", "-n", "ip", "-j", "addr"),
                              ("ip", "-j", "addr")] * 2
    assert table.loc["lo", "answer"] == "127.0.0.1/8"
    assert table.loc["same interface names as `ip addr` here", "answer"] is True
    assert table.loc["same net namespace as this notebook", "answer"] is True
    assert there == [] and here == [] and clock.sleeps == [0.2]


def test_host_view_needs_root(fakes: Callable[..., Fakes]) -> None:
    host = fakes(host=FakeHost(), root=False).host
    with pytest.raises(NotRoot):
        views.host_view(2)
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
    assert fake.calls == [("ip", "netns", "list")]
    assert capsys.readouterr().out.splitlines() == [
        "$ ip netns list", "nonet (id: 3)", "nstest", "(only this lesson's namespaces are shown)"]
