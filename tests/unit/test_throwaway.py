"""throwaway: its daemon.json, its bip, loading and leftovers (a LessonEngine)."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from labkit.base.errors import LabkitError
from labkit.base.show import command_line
from labkit.lessons import dockerd
from labkit.networking import throwaway

from .fakes.cli_engine import CliEngine
from .fakes.client import FakeClient, FakeContainer
from .fakes.host import FakeHost
from .fakes.seam import Fakes


def test_daemon_json_puts_bip_first_then_a_quick_shutdown_then_the_backend(
        tmp_path: Path) -> None:
    # 03 prints the file: `bip` leads, as the lesson reads it.
    conf = dockerd.daemon_config(tmp_path, 29, True, {"firewall-backend": "nftables"},
                                 first={"bip": "192.168.1.1/24"})
    assert list(conf.items()) == [("bip", "192.168.1.1/24"), ("shutdown-timeout", 2),
                                  ("firewall-backend", "nftables")]


def test_bip_must_be_an_address_not_the_network() -> None:
    assert throwaway.check_bip("192.168.1.1/24") == "192.168.1.1/24"
    with pytest.raises(LabkitError) as err:
        throwaway.check_bip("192.168.1.0/24")
    assert "192.168.1.1/24" in err.value.hint


def test_load_and_run_are_the_docker_lines_they_print(
        fakes: Callable[..., Fakes], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    inner = FakeClient()  # the throwaway engine, as its SDK sees it
    cli = CliEngine(FakeClient())  # the docker CLI, against the learner's engine
    fakes(client=cli.client, system=cli.system())
    engine = throwaway.Throwaway(SimpleNamespace(), "ns", tmp_path, tmp_path / "d.json", [],
                                 show=False, _client=inner)  # type: ignore[arg-type]
    sock = f"unix://{tmp_path}/docker.sock"
    cli.answers[("docker", "save")] = (0, "", "")
    cli.answers[("docker", "--host", sock, "load")] = (
        0, "Loaded image: labkit/busybox:latest\n", "")
    assert engine.load("labkit/busybox") == "labkit/busybox:latest"  # untagged: latest
    archive = str(tmp_path / "image.tar")
    assert [argv for argv, _ in cli.calls] == [
        ["docker", "save", "-o", archive, "labkit/busybox:latest"],
        ["docker", "--host", sock, "load", "-i", archive]]
    assert capsys.readouterr().out == (
        "$ " + command_line(["docker", "save", "-o", archive, "labkit/busybox:latest"]) + "\n"
        + "$ " + command_line(["docker", "--host", sock, "load", "-i", archive])
        + "\nLoaded image: labkit/busybox:latest\n")
    box = FakeContainer("t1", running=True)
    inner.containers.found["t1"] = box
    cli.answers[("docker", "--host", sock, "run")] = (0, box.id + "\n", "")
    assert engine.run("labkit/busybox:latest", ["sleep", "3600"]) is box
    assert cli.calls[-1][0] == ["docker", "--host", sock, "run", "-d", "--pull", "never",
                                "--dns", "127.0.0.1", "labkit/busybox:latest", "sleep", "3600"]
    assert "--pull never" in capsys.readouterr().out
    cli.answers[("docker", "--host", sock, "run")] = (
        125, "", "Unable to find image 'labkit/x:latest' locally\n")
    with pytest.raises(LabkitError, match="failed"):
        engine.run("labkit/x", ["true"])  # never a pull: the engine's own error
    with pytest.raises(LabkitError, match="takes no options"):
        engine.run("labkit/busybox", ["true"], network="host")


def test_the_dockerd_line_is_folded_and_still_pastes(
        capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["nsenter", "--net=/var/run/netns/bip-lab-s000000", "--", "dockerd",
            "--config-file", "/var/lib/labkit/lessons/s000000/throwaway/daemon.json",
            "--data-root", "/var/lib/labkit/lessons/s000000/throwaway/data",
            "--exec-root", "/var/lib/labkit/lessons/s000000/throwaway/exec",
            "-H", "unix:///var/lib/labkit/lessons/s000000/throwaway/docker.sock",
            "--storage-driver", "vfs"]
    engine = throwaway.Throwaway(SimpleNamespace(), "ns", Path("/x"), Path("/x/d.json"), argv,
                                 show=False)  # type: ignore[arg-type]
    engine.show_argv()
    text = capsys.readouterr().out
    assert max(len(line) for line in text.splitlines()) <= 100  # no wall
    assert shlex.split(text[2:].replace("\\\n", " ")) == argv  # a shell reads the same argv


def test_config_and_docker0_are_read_with_the_commands_printed(
        fakes: Callable[..., Fakes], capsys: pytest.CaptureFixture[str]) -> None:
    host = fakes(host=FakeHost({("cat",): '{"bip": "192.168.1.1/24"}\n',
                                ("ip", "netns", "exec"): "docker0 DOWN 192.168.1.1/24\n"},
                               strict=True)).host
    engine = throwaway.Throwaway(SimpleNamespace(), "bip-lab", Path("/x"), Path("/x/d.json"),
                                 [], show=False)  # type: ignore[arg-type]
    engine.show_config()
    engine.show_docker0()
    assert host.calls == [("cat", "/x/d.json"), ("ip", "netns", "exec", "bip-lab", "ip", "-4",
                                                  "-br", "addr", "show", "dev", "docker0")]
    assert capsys.readouterr().out == (
        '$ cat /x/d.json\n{"bip": "192.168.1.1/24"}\n'
        "$ ip netns exec bip-lab ip -4 -br addr show dev docker0\ndocker0 DOWN 192.168.1.1/24\n")


def test_the_nftables_backend_is_asked_for_only_where_dockerd_has_it() -> None:
    assert throwaway.backend_for(29) == "nftables"
    assert throwaway.backend_for(28) == ""


def test_a_container_address_comes_from_its_network_entry() -> None:
    box = FakeContainer("t1", networks={"bridge": {"IPAddress": "192.168.1.2",
                                                   "IPPrefixLen": 24}})
    box.attrs["NetworkSettings"].pop("IPAddress", None)  # API 1.52 has no top-level one
    assert throwaway.address(box) == "192.168.1.2"
    assert throwaway.address(box, "wp-net") == ""
