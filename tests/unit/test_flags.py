"""labkit.lab.flags: `docker run` flags as typed (every lab.run's, and a learner's stricter),
checked before they run."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from labkit.base.errors import LabkitError
from labkit.lab import session
from labkit.lab.flags import learner_flags, published_address, run_flags

from .fakes.cli_engine import CliEngine
from .fakes.client import FakeClient, FakeObject
from .fakes.seam import Fakes


def test_flags_are_kept_as_typed_and_the_equals_form_split() -> None:
    assert learner_flags(["--init", "--pid", "container:c1"]) == [
        "--init", "--pid", "container:c1"]
    assert learner_flags(["--pid=container:c1", "-p", "127.0.0.1:8080:80"]) == [
        "--pid", "container:c1", "-p", "127.0.0.1:8080:80"]


@pytest.mark.parametrize("flags,message,hint", [
    ("--init", "not a list of strings", "one word per string"),
    (["-P"], "`-P` is not needed", "127.0.0.1"),
    (["-p", "8080:80"], "every interface", "127.0.0.1"),
    (["--dns", "8.8.8.8"], "`--dns` is not needed", "through Docker itself"),
    (["-v", "/etc:/etc"], "`-v` is not needed", "no file of this machine"),
    (["--pid"], "needs a value", '["--pid", "VALUE"]'),
    (["--frobnicate"], "not a `docker run` flag", "only flags"),
])
def test_a_flag_the_course_cannot_allow_is_refused_with_what_to_write(
        flags: object, message: str, hint: str) -> None:
    with pytest.raises(LabkitError) as err:
        learner_flags(flags)
    assert message in err.value.message and hint in err.value.hint


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, fakes: Callable[..., Fakes]) -> CliEngine:
    monkeypatch.setattr(session, "require_local_image", lambda image: None)
    client = FakeClient()
    engine = CliEngine(client)
    fakes(client=client, system=engine.system())
    return engine


def test_flags_run_in_the_line_as_typed_and_joining_a_network_drops_our_dns(
        cli: CliEngine) -> None:
    lab = session.Lab("04", session="s0a0b0c")
    lab.run("labkit/busybox", ["sleep", "60"], name="peek",
            flags=["--pid=container:c1", "-it"], show=False)
    ran = cli.calls[-1][0]
    assert ran[:7] == ["docker", "run", "-d", "--name", "peek", "--pid=container:c1", "-it"]
    assert "--dns" in ran
    lab.run("labkit/busybox", ["sleep", "60"], name="side",
            flags=["--network", "container:c1"], show=False)
    assert "--dns" not in cli.calls[-1][0]  # Docker refuses --dns beside container:NAME
    lab.run("labkit/busybox", ["sleep", "60"], name="root", flags=["--privileged"], show=False)
    assert "--privileged" in cli.calls[-1][0]  # a lesson may; an exercise answer may not
    assert len(cli.calls) == 3


@pytest.mark.parametrize("value,address", [
    ("127.0.0.1:8080:80", "127.0.0.1"), ("127.0.0.1::80/udp", "127.0.0.1"),
    ("203.0.113.1:80:80", "203.0.113.1"), ("[::1]:8080:80", "::1"),
    ("8080:80", None), ("80", None), ("8000-8010:80", None),
])
def test_the_address_a_p_value_publishes_on(value: str, address: str | None) -> None:
    assert published_address(value) == address


@pytest.mark.parametrize("flags,message,hint", [
    (["-p", "8080:80"], "`-p 8080:80` would publish on every interface",
     "write -p 127.0.0.1:8080:80"),
    (["--publish=80"], "every interface", "write -p 127.0.0.1::80"),
    (["-p8080:80"], "every interface", "127.0.0.1:8080:80"),
    (["-p", "0.0.0.0:8080:80"], "would publish on 0.0.0.0", "127.0.0.1 only"),
    (["-p", "203.0.113.1:8080:80"], "would publish on 203.0.113.1", "127.0.0.1 only"),
    (["--network"], "needs a value", '["--network", "VALUE"]'),
    (["--detach"], "lab.run's to give", "in the background"),
    (["--name=web"], "lab.run's to give", "name=..."),
    (["labkit/busybox", "sh"], "not a `docker run` option", "first two arguments"),
    ("--init", "not a list of strings", "one word per string"),
])
def test_run_flags_refuse_what_the_course_never_runs(flags: object, message: str,
                                                     hint: str) -> None:
    with pytest.raises(LabkitError) as err:
        run_flags(flags)
    assert message in err.value.message and hint in err.value.hint


def test_run_flags_read_values_and_switches_and_allow_a_lesson_address() -> None:
    read = run_flags(["--network", "lab-net", "-e", "A=1", "-P", "--net=other",
                      "-p", "203.0.113.1:80:80"], publish_on={"203.0.113.1"})
    assert read.values("--network", "--net") == ["lab-net", "other"]
    assert read.has("-P") and not read.has("--dns") and read.values("-e") == ["A=1"]
    assert read.words[-2:] == ("-p", "203.0.113.1:80:80")


def test_publish_all_only_on_a_network_that_binds_loopback(cli: CliEngine) -> None:
    course = {"io.labkit.course": "docker-internals-workbook"}  # lesson networks, both
    cli.client.networks.items += [
        FakeObject("lab-net", attrs={"Labels": course, "Options": {
            "com.docker.network.bridge.host_binding_ipv4": "127.0.0.1"}}),
        FakeObject("open-net", attrs={"Labels": course})]
    lab = session.Lab("03", session="s0a0b0c")
    for flags in (["-P"], ["--network", "open-net", "-P"], ["-P", "--network", "open-net"]):
        with pytest.raises(LabkitError, match="every interface") as err:
            lab.run("labkit/nginx:1.22.1", flags=flags, show=False)
        assert 'host_binding="127.0.0.1"' in err.value.hint
    assert cli.calls == []
    lab.run("labkit/nginx:1.22.1", name="auto", flags=["--network", "lab-net", "-P"], show=False)
    assert cli.calls[-1][0][4:8] == ["auto", "--network", "lab-net", "-P"]
