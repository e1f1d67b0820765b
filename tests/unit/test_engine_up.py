"""`labkit engine up` installs no engine beside one that is there, and only missing tools."""

from __future__ import annotations

import pytest

from labkit.base import engine
from labkit.base.errors import EngineUnavailable, LabkitError
from labkit.cli import provision

from .fakes.client import FakeClient, info
from .fakes.machine import FakeMachine

UPDATE = ["apt-get", "update", "-q"]


def install(package: str) -> list[str]:
    return ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]


def _installed_packages(machine: FakeMachine) -> list[str]:
    return [argv[-1] for argv in machine.apt_get if argv[1] == "install"]


def test_docker_ce_that_answers_gets_only_the_missing_tools(machine: FakeMachine) -> None:
    machine.with_tools(missing=["brctl", "debootstrap"])
    machine.installed = {"docker-ce", "containerd.io"}
    machine.candidates = {p: "1.0" for p in ("bridge-utils", "debootstrap", "docker.io")}
    machine.brings = {"bridge-utils": ["brctl"], "debootstrap": ["debootstrap"]}
    machine.engine = FakeClient(info())
    said = provision.up(progress=lambda m: None)
    assert machine.apt_get == [UPDATE, install("bridge-utils"), install("debootstrap")]
    assert "already answers (28.5.2)" in said


def test_nothing_is_installed_when_every_tool_is_there(machine: FakeMachine) -> None:
    machine.with_tools()
    machine.engine = FakeClient(info())
    provision.up(progress=lambda m: None)
    assert machine.apt_get == []


def test_docker_ce_without_its_cli_is_told_to_install_docker_ce_cli(machine: FakeMachine) -> None:
    machine.with_tools(missing=["docker"])
    machine.installed = {"docker-ce"}
    machine.candidates = {"docker.io": "26.1.5", "docker-cli": "26.1.5"}
    machine.engine = FakeClient(info())
    said = provision.up(progress=lambda m: None)
    assert machine.apt_get == []
    assert "docker-ce-cli" in said


def test_an_installed_engine_that_is_stopped_is_started_not_reinstalled(
        machine: FakeMachine) -> None:
    machine.with_tools(missing=["dockerd", "lsns"])
    machine.paths = {"/usr/bin/dockerd", "/run/systemd/system"}  # found outside PATH
    machine.installed = {"docker-ce", "util-linux"}
    machine.candidates = {"docker.io": "20.10.24", "util-linux-extra": "2.41"}
    machine.brings = {"util-linux-extra": ["lsns"]}
    machine.starts = FakeClient(info())
    said = provision.up(progress=lambda m: None)
    assert ["systemctl", "start", "docker.service"] in machine.calls
    # util-linux is installed but lacks lsns (a newer release moved it): the next candidate.
    assert machine.apt_get == [UPDATE, install("util-linux-extra")]
    assert said.startswith("Started docker.service.")


@pytest.mark.parametrize("state", ["disabled", "masked"])
def test_a_service_switched_off_is_never_started(machine: FakeMachine, state: str) -> None:
    """Rootless Docker users switch the rootful docker.service off; `sudo labkit engine up`
    must not start it (nor a dockerd of its own) behind their back."""
    machine.with_tools()
    machine.paths = {"/run/systemd/system"}
    machine.installed = {"docker.io"}
    machine.unit_state = state
    machine.starts = FakeClient(info())
    with pytest.raises(EngineUnavailable, match=f"docker.service is {state}"):
        provision.up(progress=lambda m: None)
    assert not any(c[:2] == ["systemctl", "start"] for c in machine.calls)
    assert machine.spawned == []


def test_a_bare_machine_gets_debian_s_engine_and_cli(machine: FakeMachine) -> None:
    machine.with_tools(missing=["dockerd", "docker"])
    machine.paths = {"/run/systemd/system"}
    machine.candidates = {"docker.io": "26.1.5", "docker-cli": "26.1.5"}
    machine.brings = {"docker.io": ["dockerd"], "docker-cli": ["docker"]}
    machine.starts = FakeClient(info())
    provision.up(progress=lambda m: None)
    # Debian 13 and later: the daemon in docker.io, the CLI in docker-cli.
    assert machine.apt_get == [UPDATE, install("docker.io"), install("docker-cli")]


def test_debian_12_s_docker_io_brings_the_cli_too(machine: FakeMachine) -> None:
    machine.with_tools(missing=["dockerd", "docker"])
    machine.paths = {"/run/systemd/system"}
    machine.candidates = {"docker.io": "20.10.24"}
    machine.brings = {"docker.io": ["dockerd", "docker"]}
    machine.starts = FakeClient(info())
    provision.up(progress=lambda m: None)
    assert _installed_packages(machine) == ["docker.io"]


def test_debian_s_engine_without_its_cli_gets_docker_cli_only(machine: FakeMachine) -> None:
    machine.with_tools(missing=["docker"])
    machine.installed = {"docker.io"}
    machine.candidates = {"docker.io": "26.1.5", "docker-cli": "26.1.5"}
    machine.brings = {"docker-cli": ["docker"]}
    machine.engine = FakeClient(info())
    provision.up(progress=lambda m: None)
    assert _installed_packages(machine) == ["docker-cli"]


def test_a_package_this_release_lacks_is_named_with_what_to_do(machine: FakeMachine) -> None:
    machine.with_tools(missing=["brctl"])
    machine.engine = FakeClient(info())
    with pytest.raises(LabkitError) as caught:
        provision.up(progress=lambda m: None)
    assert "`brctl`" in caught.value.message and "bridge-utils" in caught.value.message
    assert "labkit engine up" in caught.value.hint


def test_containerd_io_without_dockerd_asks_for_docker_ce(machine: FakeMachine) -> None:
    machine.with_tools(missing=["dockerd"])
    machine.installed = {"containerd.io"}
    machine.candidates = {"docker.io": "26.1.5"}
    with pytest.raises(EngineUnavailable) as caught:
        provision.up(progress=lambda m: None)
    assert "docker-ce" in caught.value.hint
    assert machine.apt_get == []


def test_tools_are_found_in_sbin_folders_outside_path(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path) -> None:
    # The real System's lookup is under test; SEARCH_DIRS is where it looks beyond PATH.
    monkeypatch.setattr(engine, "SEARCH_DIRS", (str(tmp_path),))
    monkeypatch.setenv("PATH", "/nonexistent")
    tool = tmp_path / "iptables"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    assert engine.System().which("iptables") == str(tool)


def test_an_engine_labkit_installs_gets_buildx_when_the_release_has_it(
        machine: FakeMachine) -> None:
    machine.with_tools(missing=["dockerd", "docker"])
    machine.buildx = False
    machine.paths = {"/run/systemd/system"}
    machine.candidates = {"docker.io": "28.5.2", "docker-cli": "28.5.2", "docker-buildx": "0.29.1"}
    machine.brings = {"docker.io": ["dockerd"], "docker-cli": ["docker"]}
    machine.starts = FakeClient(info())
    provision.up(progress=lambda m: None)
    # What `apt install docker.io` brings as recommendations on Debian 13 and later.
    assert _installed_packages(machine) == ["docker.io", "docker-cli", "docker-buildx"]


def test_a_learner_s_engine_never_gets_buildx_from_labkit(machine: FakeMachine) -> None:
    machine.with_tools()
    machine.buildx = False
    machine.installed = {"docker-ce"}
    machine.candidates = {"docker-buildx": "0.29.1"}
    machine.engine = FakeClient(info())
    provision.up(progress=lambda m: None)
    assert machine.apt_get == []
