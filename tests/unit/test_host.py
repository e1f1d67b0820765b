from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from labkit.base import facts
from labkit.base import host as host_mod
from labkit.base.errors import CommandFailed, HostToolMissing, NotRoot

from .fakes.client import FakeClient
from .fakes.host import FakeHost
from .fakes.seam import Fakes


def test_helper_passes_the_command_as_arguments_not_as_script_text() -> None:
    argv = ["ls", "/var/lib/docker/$(id)"]
    command = host_mod.helper_command(argv)
    assert command[:2] == ["sh", "-c"] and command[2] == host_mod.HELPER_SCRIPT
    assert command[-2:] == argv
    assert "$(id)" not in command[2]


@pytest.mark.parametrize("env,info,expected", [
    ({}, {"OperatingSystem": "Debian GNU/Linux 12", "DockerRootDir": "/"}, "local"),
    ({}, {"OperatingSystem": "Docker Desktop", "DockerRootDir": "/"}, "helper"),
    ({"DOCKER_HOST": "tcp://192.0.2.10:2376"}, {"DockerRootDir": "/"}, "helper"),
    ({}, {"DockerRootDir": "/no/such/dir"}, "helper"),
    ({"LABKIT_HOST_MODE": "local"}, {"OperatingSystem": "Docker Desktop"}, "local"),
])
def test_choose_mode(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], info: dict[str, Any],
                     expected: str) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("LABKIT_HOST_MODE", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert facts.choose_mode(info) == expected


def test_local_run_returns_output() -> None:
    result = host_mod.Host("local").run(["echo", "hello"])
    assert result.ok and result.stdout == "hello\n" and result.argv == ("echo", "hello")


def test_local_run_failure_is_explained() -> None:
    with pytest.raises(CommandFailed, match="false"):
        host_mod.Host("local").run(["false"])
    assert host_mod.Host("local").run(["false"], check=False).returncode == 1


def test_missing_tool_says_how_to_install() -> None:
    with pytest.raises(HostToolMissing) as info:
        host_mod.Host("local").run(["no-such-tool-here"])
    assert "labkit engine up" in info.value.hint


def test_arguments_are_never_given_to_a_shell() -> None:
    out = host_mod.Host("local").run(["echo", "$(id); rm -rf /"]).stdout
    assert out == "$(id); rm -rf /\n"


def test_helper_mode_runs_a_short_lived_container(fakes: Callable[..., Fakes]) -> None:
    removed: list[bool] = []

    class Helper:
        def start(self) -> None:
            pass

        def wait(self, timeout: float) -> dict[str, int]:
            return {"StatusCode": 0}

        def logs(self, stdout: bool, stderr: bool) -> bytes:
            return b"[]" if stdout else b""

        def remove(self, force: bool) -> None:
            removed.append(force)

    engine = FakeClient()
    engine.containers.make = lambda args, kwargs: Helper()
    fakes(client=engine)
    assert host_mod.Host("helper").json(["ip", "-j", "link"]) == []
    (image, command), kwargs = engine.containers.created[0]
    assert image == host_mod.HELPER_IMAGE
    assert command[-3:] == ["ip", "-j", "link"] and command[0] == "sh"
    assert "SYS_ADMIN" in kwargs["cap_add"] and kwargs["pid_mode"] == "host"
    assert kwargs["network_mode"] == "host" and removed == [True]


def test_use_host_answers_host_and_gives_back_the_previous_one() -> None:
    strict = host_mod.host()  # the autouse fixture's: fails loudly
    mine = FakeHost({("uname",): "Linux\n"})
    assert host_mod.use_host(mine) is strict
    try:
        assert host_mod.host() is mine and host_mod.host().run(["uname"]).stdout == "Linux\n"
    finally:
        assert host_mod.use_host(strict) is mine
    assert host_mod.host() is strict


def test_require_root_asks_settings_unless_the_host_is_a_helper(
        fakes: Callable[..., Fakes]) -> None:
    fakes(host=FakeHost(), root=False)
    with pytest.raises(NotRoot) as info:
        host_mod.require_root()
    assert "sudo ./course lab" in info.value.hint
    fakes(root=True)
    host_mod.require_root()
    fakes(host=FakeHost(mode="helper"), root=False)  # the helper container is root on the host
    host_mod.require_root()
