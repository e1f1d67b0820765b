from __future__ import annotations

import pytest

from labkit.base import engine, facts

from .fakes.client import FakeClient, info
from .fakes.machine import FakeMachine


def _answering(machine: FakeMachine, client: FakeClient) -> facts.EngineFacts:
    machine.engine = client
    machine.tools.update({"docker": "/usr/bin/docker", "iptables": "/usr/sbin/iptables"})
    return facts.facts()


def test_debian_testing_with_buildx_uses_buildkit_overlay2_and_iptables_nft(
        machine: FakeMachine) -> None:
    f = _answering(machine, FakeClient(info(FirewallBackend={"Driver": "iptables"})))
    assert (f.major, f.minor, f.builder, f.storage, f.storage_driver) == (
        28, 5, "buildkit", "overlay2", "overlay2")
    assert (f.firewall, f.firewall_engine, f.cgroup_version, f.local) == (
        "iptables-nft", "iptables", "2", True)
    assert f.raw["Driver"] == "overlay2" and "raw" not in repr(f)


def test_without_buildx_docker_build_falls_back_to_classic(machine: FakeMachine) -> None:
    machine.buildx = False
    assert _answering(machine, FakeClient(info())).builder == "classic"


def test_engine_20_10_sends_no_builder_version_so_builds_are_classic(
        machine: FakeMachine) -> None:
    machine.iptables = "iptables v1.8.9 (legacy)\n"
    f = _answering(machine, FakeClient(info(CgroupVersion="1"), server_version="20.10.24+dfsg1",
                                       api_version="1.41", ping_headers={}))
    assert (f.major, f.minor, f.builder, f.builder_version) == (20, 10, "classic", "")
    assert (f.firewall, f.firewall_engine, f.cgroup_version) == ("iptables-legacy", "", "1")


def test_containerd_image_store_is_told_apart_from_the_graphdriver(
        machine: FakeMachine) -> None:
    store = info(Driver="overlayfs",
                 DriverStatus=[["driver-type", "io.containerd.snapshotter.v1"]])
    f = _answering(machine, FakeClient(store))
    assert (f.storage, f.storage_driver, f.containerd_store) == ("containerd", "overlayfs", True)


def test_docker_buildkit_0_asks_for_the_classic_builder(machine: FakeMachine,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_BUILDKIT", "0")
    assert _answering(machine, FakeClient(info())).builder == "classic"


def test_facts_are_read_once_per_client_and_reset_with_it(machine: FakeMachine) -> None:
    _answering(machine, FakeClient(info()))
    facts.facts()
    assert sum(c[:2] == ["docker", "buildx"] for c in machine.calls) == 1
    engine.reset_client()
    facts.facts()
    assert sum(c[:2] == ["docker", "buildx"] for c in machine.calls) == 2


def test_summary_keeps_the_fields_its_callers_read(machine: FakeMachine) -> None:
    s = _answering(machine, FakeClient(info())) and facts.facts()
    assert (s.server_version, s.api_version, s.storage_driver) == ("28.5.2", "1.51", "overlay2")


def test_the_engine_line_names_release_store_firewall_and_cgroup(machine: FakeMachine) -> None:
    store = info(Driver="overlayfs", CgroupVersion="1",
                 DriverStatus=[["driver-type", "io.containerd.snapshotter.v1"]])
    f = _answering(machine, FakeClient(store, server_version="29.7.2"))
    assert f.line == "Docker 29.7.2 (containerd image store, iptables-nft firewall, cgroup v1)"
    engine.reset_client()
    old = _answering(machine, FakeClient(info(), server_version="28.5.2+dfsg4"))
    assert old.line == ("Docker 28.5.2+dfsg4 (overlay2 graphdriver, iptables-nft firewall, "
                        "cgroup v2)")


def test_no_engine_means_no_facts(machine: FakeMachine) -> None:
    assert facts.facts_or_none() is None and facts.facts_or_none() is None


@pytest.mark.parametrize("backend,variant,expected", [
    ("", "legacy", "iptables-legacy"), ("iptables", "nft", "iptables-nft"),
    ("nftables", "nft", "nftables"), ("iptables+firewalld", "nft", "iptables-nft+firewalld"),
    ("", "", "iptables"),
])
def test_firewall_names_engine_backend_and_iptables_variant(backend: str, variant: str,
                                                            expected: str) -> None:
    assert facts.firewall_of(backend, variant) == expected


def test_version_numbers_survive_debian_suffixes() -> None:
    assert facts.major_minor("26.1.5+dfsg1") == (26, 1)
    assert facts.major_minor("?") == (0, 0)


@pytest.mark.parametrize(("builder_version", "buildx", "env", "builder"), [
    ("2", True, None, "buildkit"),     # Engine 23+: `docker build` is `docker buildx build`
    ("2", False, None, "classic"),     # 23+ CLI without buildx falls back
    ("", True, None, "classic"),       # Engine 20.10: BuildKit built in, but not the default
    ("", False, None, "classic"),      # Debian's 20.10: no buildx, classic unless asked
    ("2", True, "0", "classic"),       # DOCKER_BUILDKIT=0 asks any CLI for classic
])
def test_builder_of_is_what_a_plain_docker_build_uses(builder_version: str, buildx: bool,
                                                      env: str | None, builder: str) -> None:
    assert facts.builder_of(builder_version, buildx, env) == builder
