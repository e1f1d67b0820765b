"""Lab's creating calls and labkit.docker: the line printed is the argv that ran."""

from __future__ import annotations

import shlex
from collections.abc import Callable

import pytest

from labkit.base import show
from labkit.base.errors import CommandFailed, HostToolMissing, LabkitError
from labkit.lab import session

from .fakes.cli_engine import CliEngine
from .fakes.client import FakeClient, FakeContainer
from .fakes.seam import Fakes

LABELS = ["--label", "io.labkit.course=docker-internals-workbook",
          "--label", "io.labkit.chapter=03", "--label", "io.labkit.session=s0a0b0c"]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, fakes: Callable[..., Fakes]) -> CliEngine:
    """The docker CLI against a fake engine whose every image counts as local.

    Making sure of a course image is images.ensure's (test_images): not these tests' business.
    """
    monkeypatch.setattr(session, "require_local_image", lambda image: None)
    client = FakeClient()
    engine = CliEngine(client)
    fakes(client=client, system=engine.system())
    return engine


def printed_lines(out: str) -> list[list[str]]:
    """The commands printed, each as the argv a shell would run (folded lines joined)."""
    joined = out.replace(" \\\n", " ")
    return [shlex.split(line[2:]) for line in joined.splitlines() if line.startswith("$ ")]


def test_a_container_runs_the_line_it_prints_labels_and_dns_included(
        cli: CliEngine, capsys: pytest.CaptureFixture[str]) -> None:
    lab = session.Lab("03", session="s0a0b0c")
    typed = ["--network", "front", "-e", "DB_HOST=db", "-p", "127.0.0.1:8080:80", "--init"]
    box = lab.run("labkit/nginx:1.22.1", ["nginx", "-g", "daemon off;"], name="web",
                  flags=typed)
    ran, env = cli.calls[-1]
    assert ran == ["docker", "run", "-d", "--name", "web", *typed, *LABELS,
                   "--dns", "127.0.0.1", "labkit/nginx:1.22.1", "nginx", "-g", "daemon off;"]
    assert env is None
    out = capsys.readouterr().out
    assert printed_lines(out) == [ran]
    assert box.id in out and box.name == "web"  # what `docker run -d` printed, then the object
    assert box.labels["io.labkit.session"] == "s0a0b0c"


def test_a_lessons_own_dns_replaces_ours_and_a_joiner_gets_none(
        cli: CliEngine, capsys: pytest.CaptureFixture[str]) -> None:
    lab = session.Lab("03", session="s0a0b0c")
    lab.run("labkit/busybox", "sleep 60", name="own", flags=["--dns", "10.213.0.53"])
    own = cli.calls[-1][0]
    assert own[5:7] == ["--dns", "10.213.0.53"] and own.count("--dns") == 1
    assert own[-3:] == ["labkit/busybox", "sleep", "60"]
    lab.run("labkit/busybox", ["sleep", "60"], name="side", flags=["--network=container:c1"])
    side = cli.calls[-1][0]
    assert "--dns" not in side and "--network=container:c1" in side  # as typed
    lab.run("labkit/busybox", ["sleep", "60"], name="plain", guard_dns=False)
    assert "--dns" not in cli.calls[-1][0]
    lab.run("labkit/busybox", ["sleep", "60"], name="hostnet", flags=["--network", "host"])
    assert cli.calls[-1][0][-5:-3] == ["--dns", "127.0.0.1"]
    assert printed_lines(capsys.readouterr().out) == [argv for argv, _ in cli.calls]


def test_a_lesson_container_never_joins_a_learners_network_or_container(
        cli: CliEngine) -> None:
    learner = {"learner.owns": "yes"}
    cli.client.networks.create("ex-net", labels=learner)
    cli.client.containers.found["c1"] = FakeContainer("c1", labels=learner)
    lab = session.Lab("04", session="s0a0b0c")
    for flags in (["--network", "ex-net"], ["--network=container:c1"],
                  ["--pid", "container:c1"], ["--ipc", "container:c1"]):
        with pytest.raises(LabkitError) as err:
            lab.run("labkit/busybox", ["sleep", "60"], name="peek", flags=flags)
        assert "not the lesson's" in err.value.message
        assert "-<session>" in err.value.hint
    assert not any(argv[:2] == ["docker", "run"] for argv, _ in cli.calls)  # refused first
    own = lab.network("ex-net")  # the lesson's: ex-net-s0a0b0c, with the course's labels
    assert own.name == "ex-net-s0a0b0c"
    lab.run("labkit/busybox", ["sleep", "60"], name="ex-a", flags=["--network", own.name])
    lab.run("labkit/busybox", ["sleep", "60"], name="h", flags=["--network", "host",
                                                               "--pid", "host"])
    assert [argv[:2] for argv, _ in cli.calls].count(["docker", "run"]) == 2


def test_run_once_removes_the_container_and_returns_its_exit(cli: CliEngine) -> None:
    cli.answers[("docker", "run", "--rm")] = (1, "", "exec format error\n")
    done = session.Lab("01", session="s0a0b0c").run_once("labkit/busybox", ["true"],
                                                         flags=["--network", "none"], quiet=True)
    assert not done.ok and done.returncode == 1 and "exec format" in done.stderr
    assert cli.calls[-1][0][:5] == ["docker", "run", "--rm", "--network", "none"]


def test_network_volume_and_tag_run_their_lines(
        cli: CliEngine, capsys: pytest.CaptureFixture[str]) -> None:
    lab = session.Lab("03", session="s0a0b0c")
    net = lab.network("wired", subnet="10.213.9.0/24", ip_range="10.213.9.0/25",
                      gateway="10.213.9.1", host_binding="127.0.0.1")
    vol = lab.volume("data")
    cli.client.images.put("app:v1")
    given = lab.tag("app:v1", "127.0.0.1:5000/app:v1")
    assert [argv for argv, _ in cli.calls] == [
        ["docker", "network", "create", "--subnet", "10.213.9.0/24", "--ip-range",
         "10.213.9.0/25", "--gateway", "10.213.9.1",
         "-o", "com.docker.network.bridge.host_binding_ipv4=127.0.0.1", *LABELS, "wired"],
        ["docker", "volume", "create", *LABELS, "data"],
        ["docker", "tag", "app:v1", "127.0.0.1:5000/app:v1"]]
    assert printed_lines(capsys.readouterr().out) == [argv for argv, _ in cli.calls]
    assert net.name == "wired" and vol.name == "data" and given == "127.0.0.1:5000/app:v1"
    assert lab.made("tag")[0]["ref"] == "127.0.0.1:5000/app:v1"


def test_flags_the_lab_gives_itself_are_refused_before_anything_runs(cli: CliEngine) -> None:
    lab = session.Lab("03", session="s0a0b0c")
    for flags, message in ((["-d"], "`-d` is lab.run's"), (["--name", "x"], "`--name` is"),
                           (["labkit/busybox"], "not a `docker run` option"),
                           (["-p", "8080:80"], "every interface")):
        with pytest.raises(LabkitError, match=message):
            lab.run("labkit/busybox", flags=flags)
    assert cli.calls == []


def test_a_port_goes_on_a_lesson_link_address_only_when_the_lab_allows_it(
        cli: CliEngine, capsys: pytest.CaptureFixture[str]) -> None:
    """03's DNAT lesson publishes on the host's end of the outside world's link, nowhere else."""
    lab = session.Lab("03", session="s0a0b0c")
    both = ["-p", "127.0.0.1:18080:80", "-p", "203.0.113.1:18080:80"]
    with pytest.raises(LabkitError, match="203.0.113.1"):
        lab.run("labkit/nginx:1.22.1", name="front", flags=both)
    with pytest.raises(LabkitError, match="not a lesson link address"):
        lab.allow_publishing_on("192.168.1.10")
    lab.allow_publishing_on("203.0.113.1")
    lab.run("labkit/nginx:1.22.1", name="front", flags=both)
    ran = cli.calls[-1][0]
    assert ran[ran.index("-p"):ran.index("-p") + 4] == both
    assert printed_lines(capsys.readouterr().out) == [ran]
    with pytest.raises(LabkitError):  # still never every interface
        lab.run("labkit/nginx:1.22.1", name="front", flags=["-p", "0.0.0.0:18080:80"])
    assert len(cli.calls) == 1


def test_docker_prints_the_env_it_sets_and_raises_with_the_clis_last_line(
        cli: CliEngine, capsys: pytest.CaptureFixture[str]) -> None:
    cli.answers[("docker", "build")] = (0, "Successfully built 0123456789ab\n", "")
    done = show.docker(["build", "-t", "a b", "."], env={"DOCKER_BUILDKIT": "0"})
    assert capsys.readouterr().out == (
        "$ DOCKER_BUILDKIT=0 docker build -t 'a b' .\nSuccessfully built 0123456789ab\n")
    assert done.ok and cli.calls[-1][1]["DOCKER_BUILDKIT"] == "0"
    cli.answers[("docker", "rm")] = (1, "", "Error response from daemon: No such container: x\n")
    with pytest.raises(CommandFailed, match="No such container: x"):
        show.docker(["rm", "x"])
    assert not show.docker(["rm", "x"], check=False).ok


def test_docker_says_when_there_is_no_docker_command(fakes: Callable[..., Fakes]) -> None:
    from labkit.base import engine

    fakes(system=engine.System(which=lambda name: None))
    with pytest.raises(HostToolMissing, match="no `docker` command"):
        show.docker(["ps"])


def test_a_long_output_line_is_folded_after_the_given_characters_only() -> None:
    lowers = [f"/var/lib/docker/overlay2/l/{c * 26}" for c in "ABCDEFG"]
    line = f"rw,relatime,lowerdir={':'.join(lowers)},upperdir=/u/diff,workdir=/u/work"
    folded = show.fold_output(f"short\n{line}", ",:").splitlines()
    assert folded[0] == "short" and len(folded) > 3
    assert all(len(f) <= show.WIDTH for f in folded)
    assert all(f.startswith("  ") for f in folded[2:])  # continuations are indented
    assert "".join(f.removeprefix("  ") for f in folded[1:]) == line  # the same characters
    assert all(f.endswith((",", ":")) for f in folded[1:-1])  # folded only after those
    unbreakable = "x" * (show.WIDTH + 20)
    assert show.fold_output(unbreakable, ",:") == unbreakable


def test_a_long_line_is_folded_and_still_pastes_as_the_same_command() -> None:
    argv = ["docker", "run", "-d", "--name", "c1", *LABELS, "--dns", "127.0.0.1",
            "labkit/busybox", "sh", "-c", "echo a b; sleep 3600"]
    text = show.command_line(argv)
    parts = text.split(" \\\n")
    assert len(parts) == 3 and all(len(p) <= show.WIDTH for p in parts)
    assert parts[1].startswith("    --label") and parts[2].startswith("    labkit/busybox")
    assert shlex.split(text.replace("\\\n", " ")) == argv  # what a shell runs when pasted
    assert show.command_line(["docker", "ps", "-a"]) == "docker ps -a"  # short: one line
