"""The 04-namespaces exercise checks: the model answer passes, each wrong one gets its hint,
a second wrong try a second hint, and a placeholder left as `...` is "not answered yet"."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from labkit.lab.exercises import reset_tries
from labkit.namespaces import checks as chk
from labkit.namespaces import pid1, wirecheck
from labkit.namespaces.handwire import LessonNetwork
from labkit.namespaces.procns import TYPES

from .fakes.cli_engine import CliEngine
from .fakes.client import FakeClient, FakeContainer
from .fakes.clock import FakeClock
from .fakes.host import FakeHost
from .fakes.seam import Fakes

NET = LessonNetwork("net0", "10.213.7.0/24", "10.213.7.0/25", "10.213.7.1", "br-0123456789ab")
GOOD = chk.WiringFacts(NET, ("10.213.7.253/24",), True, "10.213.7.1", "br-0123456789ab", True)

HOST = {t: 4026531830 + i for i, t in enumerate(TYPES)}
C1 = {**HOST, **{t: 4026532100 + i for i, t in enumerate(["ipc", "mnt", "net", "pid", "uts"])}}
OWN = {**HOST, **{t: 4026532200 + i for i, t in enumerate(["ipc", "mnt", "net", "pid", "uts"])}}


@pytest.fixture(autouse=True)
def fresh_tries() -> Iterator[None]:
    reset_tries()
    yield
    reset_tries()


class StubLab:
    """`lab.run` as a check calls it (the check has read the flags with learner_flags): BOX."""

    def __init__(self, box: FakeContainer) -> None:
        self.box = box
        self.runs: list[tuple[list[str], str, list[str]]] = []

    def run(self, image: str, command: Sequence[str], *, name: str, flags: Any) -> Any:
        self.runs.append((list(command), name, list(flags)))
        return self.box


# -- a placeholder left as it is ---------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda: chk.check_joined(StubLab(FakeContainer("peek")), ..., FakeContainer("c1")),
    lambda: chk.check_joined(StubLab(FakeContainer("peek")), ["--pid", ...], FakeContainer("c1")),
    lambda: chk.check_wired(NET, ...),
    lambda: chk.check_wired(NET, [...]),
    lambda: chk.check_child_pid(FakeContainer("mystery"), ...),
    lambda: chk.check_clean_stop(StubLab(FakeContainer("graceful")), ...),
    lambda: chk.check_clean_stop(StubLab(FakeContainer("graceful")), None),
])
def test_a_placeholder_is_not_answered_yet(call: Callable[[], object]) -> None:
    result = call()
    assert not result and result.message == "not answered yet"
    assert "replace the `...`" in result.hint and "hint 2" not in str(result)


# -- 04.1 -------------------------------------------------------------------------------
def test_joined_model_answer_passes() -> None:
    mine = {**OWN, "pid": C1["pid"]}
    result = chk.judge_joined(chk.JoinFacts("c1", mine, C1, HOST))
    assert result.passed and "c1's pid namespace" in result.message
    assert "own ipc, mnt, net, uts" in result.message


@pytest.mark.parametrize("mine,message", [
    (OWN, "a pid namespace of its own"),
    ({**OWN, "pid": HOST["pid"]}, "host's pid namespace"),
    ({**OWN, "net": C1["net"]}, "a pid namespace of its own"),
    (HOST, "host's pid namespace"),
])
def test_joined_wrong_answers_get_a_hint_then_a_second(mine: dict[str, int],
                                                       message: str) -> None:
    first = chk.judge_joined(chk.JoinFacts("c1", mine, C1, HOST))
    assert not first and message in first.message and "pid namespace's flag" in first.hint
    assert first.more == ""
    second = chk.judge_joined(chk.JoinFacts("c1", mine, C1, HOST))
    assert "--pid" in second.more and "hint 2:" in str(second)
    assert "container:c1" not in second.more  # narrows, never gives the answer


@pytest.mark.parametrize("flags,message", [
    ("--pid container:c1", "not a list of strings"),
    (["--pid"], "needs a value"),
    (["--privileged"], "not needed here"),
    (["--pid=container:c1", "--frobnicate"], "not a `docker run` flag"),
])
def test_joined_flags_that_cannot_run_are_refused_with_a_hint(flags: object,
                                                              message: str) -> None:
    lab = StubLab(FakeContainer("peek"))
    result = chk.check_joined(lab, flags, FakeContainer("c1"))
    assert not result and message in result.message and result.hint and not lab.runs


def test_joined_flags_docker_refuses_get_dockers_error() -> None:
    class Refusing(StubLab):
        def run(self, image: str, command: Sequence[str], *, name: str, flags: Any) -> Any:
            raise chk.CommandFailed("`docker run -d --pid container:nope labkit/busybox` failed:"
                                    " docker: Error response from daemon: No such container: "
                                    "nope", "read its output above")

    result = chk.check_joined(Refusing(FakeContainer("peek")), ["--pid", "container:nope"],
                              FakeContainer("c1"))
    assert not result and result.message.startswith("docker run refused --pid container:nope")
    assert "docker's error" in result.hint


def test_joined_runs_peek_with_the_flags_as_typed() -> None:
    lab = StubLab(FakeContainer("peek", running=False))
    result = chk.check_joined(lab, ["--pid=container:c1"], FakeContainer("c1"))
    assert lab.runs == [(["sleep", "86400"], "peek", ["--pid", "container:c1"])]
    assert not result and "ended as soon as it started" in result.message


# -- 04.2 -------------------------------------------------------------------------------
def test_wiring_right_answer_passes() -> None:
    result = chk.judge_wiring(GOOD)
    assert result.passed and "10.213.7.253/24" in result.message


@pytest.mark.parametrize("changes,message,more", [
    ({"eth0_addresses": (), "eth0_up": False, "peer_master": ""}, "no eth0", "namespace of a PID"),
    ({"peer_master": ""}, "on no bridge", "master, here br-0123456789ab"),
    ({"peer_master": "docker0"}, "on docker0", "master, here br-0123456789ab"),
    ({"eth0_up": False}, "eth0 is down", "sets it down"),
    ({"eth0_addresses": ("192.168.9.9/24",)}, "no address in 10.213.7.0/24", "prefix included"),
    ({"eth0_addresses": ("10.213.7.20/24",)}, "which Docker hands out", "10.213.7.253"),
    ({"eth0_addresses": ("10.213.7.253/16",)}, "the subnet is", "/24"),
    ({"default_via": ""}, "no default route", "the gateway, 10.213.7.1"),
    ({"default_via": "10.213.7.9"}, "via 10.213.7.9", "the gateway, 10.213.7.1"),
    ({"reaches_gateway": False}, "does not reach", "ip -br link"),
])
def test_wiring_wrong_answers_name_the_missing_step(changes: dict[str, object], message: str,
                                                     more: str) -> None:
    facts = chk.WiringFacts(**{**GOOD.__dict__, **changes})
    first = chk.judge_wiring(facts)
    assert not first and message in first.message and first.hint and not first.more
    second = chk.judge_wiring(facts)
    assert more in second.more
    assert not any(w in second.more for w in ("nsenter -t", "ip link set ", "ip route add"))


@pytest.mark.parametrize("steps,message", [
    ("ip link set vethc up", "not a list of commands"),
    ([], "not a list of commands"),
    (["ip", "link"], "is not an argument list"),
    ([["ip", "link"], ["sh", "-c", "ip link"]], "step 2 runs sh"),
    ([["ip", "link", None]], "neither text nor a number"),
])
def test_wiring_steps_must_be_ip_or_nsenter_argument_lists(steps: object, message: str) -> None:
    result = chk.check_wired(NET, steps)
    assert not result and message in result.message and "argument list" in result.hint


def test_wiring_stops_at_the_first_failing_step(fakes: Callable[..., Fakes],
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(wirecheck, "_unwired", {"box": FakeContainer("wire-me")})
    host = fakes(host=FakeHost({("ip", "link", "set", "vethd", "netns"):
                                (1, "", "Cannot find device \"vethd\"\n")})).host
    steps = [["ip", "link", "set", "vethc", "up"], ["ip", "link", "set", "vethd", "netns", 42],
             ["ip", "link", "set", "vethc", "master", NET.bridge]]
    result = chk.check_wired(NET, steps)
    assert not result and result.message == 'step 2 failed: Cannot find device "vethd"'
    assert host.calls == [("ip", "link", "set", "vethc", "up"),
                          ("ip", "link", "set", "vethd", "netns", "42")]
    assert "$ ip link set vethd netns 42" in capsys.readouterr().out


def test_wiring_needs_the_cell_to_have_made_wire_me(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wirecheck, "_unwired", {})
    with pytest.raises(chk.LabkitError, match="no wire-me"):
        chk.check_wired(NET, [["ip", "link", "set", "vethc", "up"]])


def test_new_unwired_prints_and_hands_out_plain_strings(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    box = FakeContainer("wire-me")
    made: list[tuple[str, list[str], dict[str, Any]]] = []

    class Runs:
        def run(self, image: str, command: list[str], **options: Any) -> FakeContainer:
            made.append((image, command, options))
            return box

    monkeypatch.setattr(wirecheck, "veth_pair", lambda lab, a, b: (a, b))
    monkeypatch.setattr(wirecheck, "_unwired", {})
    container, host_end, inner, address, gateway, bridge = chk.new_unwired(
        Runs(), NET)  # type: ignore[arg-type]
    assert made == [("labkit/busybox", ["sleep", "86400"],
                     {"name": "wire-me", "flags": ["--network", "none"]})]
    assert (container, host_end, inner, address, gateway, bridge) == (
        "wire-me", "vethc", "vethd", f"{NET.spare_address(1)}/24", "10.213.7.1", NET.bridge)
    assert all(type(v) is str for v in (container, host_end, inner, address, gateway, bridge))
    out = capsys.readouterr().out
    assert "host_end vethc" in out and f"bridge   {NET.bridge}" in out
    assert wirecheck._unwired["box"] is box


# -- 04.3 -------------------------------------------------------------------------------
CHILD = chk.ChildFacts("mystery", child_host=5151, child_inner=7, main_host=5150, shim=5100)


def test_child_pid_model_answer_passes() -> None:
    result = chk.judge_child_pid(CHILD, 5151)
    assert result.passed and "/proc/5151/status" in result.message


@pytest.mark.parametrize("answer,message,more", [
    (7, "PID inside mystery", "docker top"),
    (5150, "PID 1, the shell", "5150 as its parent"),
    (5100, "containerd shim", "one level further down"),
    (4242, "new each time", "docker top"),
    ("abc", "not a number", ""),
])
def test_child_pid_wrong_answers_get_a_hint(answer: object, message: str, more: str) -> None:
    first = chk.judge_child_pid(CHILD, answer)
    assert not first and message in first.message and first.hint
    second = chk.judge_child_pid(CHILD, answer)
    assert more in second.more


# -- 04.4 -------------------------------------------------------------------------------
def stop_facts(signal: str, program: str, seconds: float, code: int,
               timeout: int | None = None) -> chk.StopFacts:
    return chk.StopFacts("graceful", signal, pid1.Stopped("graceful", program, seconds, code),
                         timeout)


def test_clean_stop_passes_when_the_trap_ran() -> None:
    result = chk.judge_stop(stop_facts("USR1", "sh", 0.3, 0))
    assert result.passed and "sent USR1" in result.message and "under 2 s" in result.message


@pytest.mark.parametrize("facts,message", [
    (stop_facts("", "sh", 3.2, 137), "ignored SIGTERM"),
    (stop_facts("SIGINT", "sh", 3.2, 137), "ignored SIGINT"),
    (stop_facts("", "sh", 3.2, 137, 1), "--stop-timeout only sets how long"),
    (stop_facts("KILL", "sh", 0.2, 137), "no process can handle it"),
    (stop_facts("", "docker-init", 0.2, 143), "with --init the shell is not PID 1"),
    (stop_facts("HUP", "docker-init", 0.2, 129), "exit code 129, not 0"),
])
def test_clean_stop_wrong_answers_get_a_hint_then_a_second(facts: chk.StopFacts,
                                                           message: str) -> None:
    first = chk.judge_stop(facts)
    assert not first and message in first.message and "stop signal" in first.hint
    assert not first.more
    second = chk.judge_stop(facts)
    assert "docker run --help" in second.more and "USR1" not in second.more


@pytest.mark.parametrize("flags,message", [
    ("--stop-signal USR1", "not a list of strings"),
    (["--stop-signal"], "needs a value"),
    (["--entrypoint", "true"], "--entrypoint replaces"),
    (["--entrypoint=sh"], "--entrypoint replaces"),
    (["--rm"], "not needed here"),
])
def test_clean_stop_flags_that_cannot_run_are_refused(flags: object, message: str) -> None:
    lab = StubLab(FakeContainer("graceful"))
    result = chk.check_clean_stop(lab, flags)
    assert not result and message in result.message and result.hint and not lab.runs


def test_clean_stop_runs_the_server_with_the_flags_and_times_docker_stop(
        fakes: Callable[..., Fakes], capsys: pytest.CaptureFixture[str]) -> None:
    clock = FakeClock()
    box = FakeContainer("graceful", lesson=True, pid=4242)
    box.attrs["Config"]["StopSignal"] = "USR1"
    cli = CliEngine(FakeClient(containers=[box]))

    def stop(argv: list[str]) -> tuple[int, str, str]:
        clock.now += 0.3
        box.attrs["State"].update(Running=False, Status="exited", ExitCode=0, Pid=0)
        return 0, "graceful\n", ""

    cli.answers[("docker", "stop")] = stop
    fakes(host=FakeHost(files={"/proc/4242/comm": "sh\n"}, strict=True), clock=clock,
          client=cli.client, system=cli.system())
    lab = StubLab(box)
    result = chk.check_clean_stop(lab, ["--stop-signal", "USR1"])
    assert lab.runs == [(chk.SERVER, "graceful", ["--stop-signal", "USR1"])]
    assert [argv for argv, _ in cli.calls] == [["docker", "stop", "-t", "3", "graceful"]]
    assert result.passed and "sent USR1" in result.message, str(result)
    assert capsys.readouterr().out.splitlines()[:2] == ["$ docker stop -t 3 graceful",
                                                        "graceful"]
