"""The 04-namespaces exercise checks: the model answer passes, each wrong one gets its hint,
a second wrong try a second hint, and a placeholder left as `...` is "not answered yet"."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from labkit.lab.exercises import reset_tries
from labkit.namespaces import checks as chk
from labkit.namespaces import pid1
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


# -- a placeholder left as it is ---------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda: chk.check_joined(..., FakeContainer("c1")),
    lambda: chk.check_wired(FakeContainer("wire-me"), NET, ...),
    lambda: chk.check_wired(FakeContainer("wire-me"), NET, [...]),
    lambda: chk.check_child_pid(FakeContainer("mystery"), ...),
    lambda: chk.check_quick_stop(...),
    lambda: chk.check_quick_stop(None),
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
    assert not first and message in first.message and "container:NAME" in first.hint
    assert first.more == ""
    second = chk.judge_joined(chk.JoinFacts("c1", mine, C1, HOST))
    assert 'pid_mode="container:c1"' in second.more and "hint 2:" in str(second)


def test_joined_rejects_what_is_not_a_running_container(fakes: Callable[..., Fakes]) -> None:
    assert "not a container" in chk.check_joined("c1", FakeContainer("c1")).message
    stopped = FakeContainer("peek", running=False)
    assert "not running" in chk.check_joined(stopped, FakeContainer("c1")).message
    same = chk.check_joined(FakeContainer("c1"), FakeContainer("c1"))
    assert "c1 itself" in same.message


# -- 04.2 -------------------------------------------------------------------------------
def test_wiring_right_answer_passes() -> None:
    result = chk.judge_wiring(GOOD)
    assert result.passed and "10.213.7.253/24" in result.message


@pytest.mark.parametrize("changes,message,more", [
    ({"eth0_addresses": (), "eth0_up": False, "peer_master": ""}, "no eth0", "netns PID"),
    ({"peer_master": ""}, "on no bridge", "master br-0123456789ab"),
    ({"peer_master": "docker0"}, "on docker0", "master br-0123456789ab"),
    ({"eth0_up": False}, "eth0 is down", "ip link set eth0 up"),
    ({"eth0_addresses": ("192.168.9.9/24",)}, "no address in 10.213.7.0/24", "10.213.7.253"),
    ({"eth0_addresses": ("10.213.7.20/24",)}, "which Docker hands out", "10.213.7.253"),
    ({"eth0_addresses": ("10.213.7.253/16",)}, "the subnet is", "/24"),
    ({"default_via": ""}, "no default route", "default via 10.213.7.1"),
    ({"default_via": "10.213.7.9"}, "via 10.213.7.9", "default via 10.213.7.1"),
    ({"reaches_gateway": False}, "does not reach", "ip link show"),
])
def test_wiring_wrong_answers_name_the_missing_step(changes: dict[str, object], message: str,
                                                     more: str) -> None:
    facts = chk.WiringFacts(**{**GOOD.__dict__, **changes})
    first = chk.judge_wiring(facts)
    assert not first and message in first.message and first.hint and not first.more
    second = chk.judge_wiring(facts)
    assert more in second.more


@pytest.mark.parametrize("steps,message", [
    ("ip link set vethc up", "not a list of commands"),
    ([], "not a list of commands"),
    (["ip", "link"], "is not an argument list"),
    ([["ip", "link"], ["sh", "-c", "ip link"]], "step 2 runs sh"),
    ([["ip", "link", None]], "neither text nor a number"),
])
def test_wiring_steps_must_be_ip_or_nsenter_argument_lists(steps: object, message: str) -> None:
    result = chk.check_wired(FakeContainer("wire-me"), NET, steps)
    assert not result and message in result.message and "argument list" in result.hint


def test_wiring_stops_at_the_first_failing_step(fakes: Callable[..., Fakes],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    host = fakes(host=FakeHost({("ip", "link", "set", "vethd", "netns"):
                                (1, "", "Cannot find device \"vethd\"\n")})).host
    steps = [["ip", "link", "set", "vethc", "up"], ["ip", "link", "set", "vethd", "netns", 42],
             ["ip", "link", "set", "vethc", "master", NET.bridge]]
    result = chk.check_wired(FakeContainer("wire-me"), NET, steps)
    assert not result and result.message == 'step 2 failed: Cannot find device "vethd"'
    assert host.calls == [("ip", "link", "set", "vethc", "up"),
                          ("ip", "link", "set", "vethd", "netns", "42")]
    assert "$ ip link set vethd netns 42" in capsys.readouterr().out


# -- 04.3 -------------------------------------------------------------------------------
CHILD = chk.ChildFacts("mystery", child_host=5151, child_inner=7, main_host=5150, shim=5100)


def test_child_pid_model_answer_passes() -> None:
    result = chk.judge_child_pid(CHILD, 5151)
    assert result.passed and "/proc/5151/status" in result.message


@pytest.mark.parametrize("answer,message,more", [
    (7, "PID inside mystery", "NSpid"),
    (5150, "PID 1, the shell", "/proc/5150/task/5150/children"),
    (5100, "containerd shim", "docker top"),
    (4242, "new each time", "docker top"),
    ("abc", "not a number", ""),
])
def test_child_pid_wrong_answers_get_a_hint(answer: object, message: str, more: str) -> None:
    first = chk.judge_child_pid(CHILD, answer)
    assert not first and message in first.message and first.hint
    second = chk.judge_child_pid(CHILD, answer)
    assert more in second.more


# -- 04.4 -------------------------------------------------------------------------------
def test_quick_stop_passes_when_pid1_ends_on_sigterm() -> None:
    result = chk.judge_stop(chk.StopFacts("quick", "", pid1.Stopped("quick", "docker-init",
                                                                     0.4, 143)))
    assert result.passed and "under 2 s" in result.message and "docker-init" in result.message


@pytest.mark.parametrize("program", ["sleep", "sh"])
def test_quick_stop_fails_after_the_grace_period(program: str) -> None:
    facts = chk.StopFacts("quick", "", pid1.Stopped("quick", program, 10.3, 137))
    first = chk.judge_stop(facts)
    assert not first and "about 10 s" in first.message and program in first.message
    assert "handler" in first.hint and not first.more
    second = chk.judge_stop(facts)
    assert "init=True" in second.more and "trap" in second.more


def test_quick_stop_refuses_other_peoples_containers_and_sigkill(
        fakes: Callable[..., Fakes]) -> None:
    theirs = chk.check_quick_stop(FakeContainer("web"))
    assert not theirs and "not started by this lesson" in theirs.message
    box = FakeContainer("quick", lesson=True)
    box.attrs["Config"]["StopSignal"] = "SIGKILL"
    killed = chk.check_quick_stop(box)
    assert not killed and "docker kill" in killed.message


def test_quick_stop_times_docker_stop(fakes: Callable[..., Fakes],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    clock = FakeClock()
    box = FakeContainer("quick", lesson=True, pid=4242)
    cli = CliEngine(FakeClient(containers=[box]))

    def stop(argv: list[str]) -> tuple[int, str, str]:
        clock.now += 10.2
        box.attrs["State"].update(Running=False, Status="exited", ExitCode=137, Pid=0)
        return 0, "quick\n", ""

    cli.answers[("docker", "stop")] = stop
    fakes(host=FakeHost(files={"/proc/4242/comm": "sleep\n"}, strict=True), clock=clock,
          client=cli.client, system=cli.system())
    result = chk.check_quick_stop(box)
    assert [argv for argv, _ in cli.calls] == [["docker", "stop", "-t", "10", "quick"]]
    assert not result and "about 10 s" in result.message and "sleep" in result.message
    assert capsys.readouterr().out.splitlines()[:2] == ["$ docker stop -t 10 quick", "quick"]
