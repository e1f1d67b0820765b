"""The one fake seam: use_host, use_client, use_root and use_system, and the fixtures over them
(fakes.use_fakes, conftest.py). A test that forgets to fake something fails loudly."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from labkit.base import engine, facts, settings, wait
from labkit.base.host import host, require_root

from .fakes.client import FakeClient, info
from .fakes.clock import FakeClock
from .fakes.host import FakeHost
from .fakes.machine import FakeMachine
from .fakes.seam import Fakes, Unfaked, use_fakes


def test_nothing_reaches_this_machine_unless_faked() -> None:
    with pytest.raises(Unfaked, match=r"host\(\)\.run"):
        host().run(["true"])
    with pytest.raises(Unfaked, match=r"host\(\)\.read_text"):
        host().read_text("/etc/hostname")
    with pytest.raises(Unfaked, match=r"client\(\)\.containers"):
        engine.client().containers.list()
    with pytest.raises(Unfaked, match=r"system\(\)\.which"):
        engine.find_tool("iptables")
    with pytest.raises(Unfaked, match="DNS"):
        socket.getfqdn("127.0.0.1")
    assert settings.is_root() is False and engine.system().is_root() is False


def test_unfaked_is_not_swallowed_by_an_except_exception() -> None:
    with pytest.raises(Unfaked):
        try:
            host().run(["ip", "link"])
        except Exception:  # noqa: BLE001 - what labkit's fallbacks do
            pytest.fail("a fallback must not hide an unfaked call")


def test_use_fakes_puts_everything_back(no_real_machine: Fakes) -> None:
    real_clock = wait.clock
    fake_host, fake_client, fake_clock = FakeHost(), FakeClient(), FakeClock()
    with use_fakes(host=fake_host, client=fake_client, root=True, clock=fake_clock) as now:
        assert (host(), engine.client(), settings.is_root()) == (fake_host, fake_client, True)
        assert wait.clock() == 1000.0 and now.clock is fake_clock
        assert now.system is no_real_machine.system  # not given: kept
        with use_fakes(root=False) as inner:
            assert settings.is_root() is False and inner.host is fake_host
        assert settings.is_root() is True
    assert host() is no_real_machine.host and engine.client() is no_real_machine.client
    assert settings.is_root() is False and wait.clock is real_clock


def test_use_client_answers_without_a_ping_and_forgets_the_facts(
        machine: FakeMachine) -> None:
    machine.with_tools("docker", "iptables")
    machine.engine = FakeClient(info(CgroupVersion="1"))
    assert facts.facts().cgroup_version == "1"
    before = engine.generation()
    other = FakeClient(info())
    other.ping = lambda: pytest.fail("use_client must not ping")  # type: ignore[method-assign]
    assert engine.use_client(other) is None
    try:
        assert engine.generation() == before + 1 and machine.engine.closed
        assert engine.client() is other and facts.facts().cgroup_version == "2"
    finally:
        assert engine.use_client(None) is other
    assert engine.client() is machine.engine  # a real client again: the machine's engine


def test_a_fake_machine_brings_its_own_engine(machine: FakeMachine) -> None:
    assert not engine.reachable()  # no engine yet: the system's docker() fails
    machine.engine = FakeClient(info())
    assert engine.reachable() and engine.client() is machine.engine


def test_the_fakes_fixture_merges_what_is_given(fakes: Callable[..., Fakes]) -> None:
    first = fakes(host=FakeHost(mode="helper"))
    second = fakes(root=True)
    assert second.host is first.host and host().mode == "helper"
    require_root()  # a helper container acts as root on the host


def test_a_lenient_fake_host_answers_every_command_and_records_it() -> None:
    lenient = FakeHost({("ip", "-j"): "[]", ("false",): (1, "", "no")})
    assert lenient.run(["touch", "/x"]).stdout == "" and lenient.json(["ip", "-j", "link"]) == []
    assert lenient.run(["false"], check=False).returncode == 1
    assert lenient.calls == [("touch", "/x"), ("ip", "-j", "link"), ("false",)]
    with pytest.raises(OSError):
        lenient.read_text("/nowhere")
    strict = FakeHost({("ip",): "[]"}, strict=True)
    assert strict.json(["ip", "-j", "link"]) == []
    with pytest.raises(Unfaked):
        strict.run(["touch", "/x"])
