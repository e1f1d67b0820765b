"""The 04-namespaces exercise judges: a right answer passes, each wrong one gets its hint."""

from __future__ import annotations

import pytest

from labkit.namespaces import checks as chk
from labkit.namespaces.handwire import LessonNetwork

NET = LessonNetwork("net0", "10.213.7.0/24", "10.213.7.0/25", "10.213.7.1", "br-0123456789ab")
GOOD = chk.WiringFacts(NET, ("10.213.7.253/24",), True, "10.213.7.1", "br-0123456789ab", True)


def test_shared_right_answer_passes() -> None:
    result = chk.judge_shared(["net", "user", "time"], {"time", "NET ", "user"})
    assert result.passed and "net, time, user" in result.message


@pytest.mark.parametrize("answer,message,hint", [
    ({"net"}, "also share time, user", "no user or time namespace of its own"),
    ({"net", "user", "time", "pid"}, "do not share pid", "readlink"),
    ({"network"}, "network is not a namespace type", "/proc/PID/ns"),
    ("net", "not a set of type names", "a set such as"),
    (None, "not a set of type names", "a set such as"),
])
def test_shared_wrong_answers_get_a_hint(answer: object, message: str, hint: str) -> None:
    result = chk.judge_shared(["net", "user", "time"], answer)
    assert not result.passed and message in result.message and hint in result.hint
    assert "hint:" in str(result)


def test_wiring_right_answer_passes() -> None:
    result = chk.judge_wiring(GOOD)
    assert result.passed and "10.213.7.253/24" in result.message


@pytest.mark.parametrize("changes,message,hint", [
    ({"eth0_addresses": (), "eth0_up": False, "peer_master": ""}, "no eth0", "veth pair"),
    ({"peer_master": ""}, "on no bridge", "master br-0123456789ab"),
    ({"peer_master": "docker0"}, "on docker0", "master br-0123456789ab"),
    ({"eth0_up": False}, "eth0 is down", "ip link set eth0 up"),
    ({"eth0_addresses": ("192.168.9.9/24",)}, "no address in 10.213.7.0/24", "10.213.7.254"),
    ({"eth0_addresses": ("10.213.7.20/24",)}, "which Docker hands out", "outside"),
    ({"eth0_addresses": ("10.213.7.253/16",)}, "the subnet is", "/24"),
    ({"default_via": ""}, "no default route", "default via 10.213.7.1"),
    ({"default_via": "10.213.7.9"}, "via 10.213.7.9", "default via 10.213.7.1"),
    ({"reaches_gateway": False}, "does not reach", "both veth ends are up"),
])
def test_wiring_wrong_answers_name_the_missing_step(changes: dict[str, object], message: str,
                                                     hint: str) -> None:
    facts = chk.WiringFacts(**{**GOOD.__dict__, **changes})
    result = chk.judge_wiring(facts)
    assert not result.passed and message in result.message and hint in result.hint


def test_host_pid_right_answer_passes() -> None:
    assert chk.judge_host_pid("c1", 4242, 1, 4200, "4242").passed


@pytest.mark.parametrize("answer,message,hint", [
    (1, "inside its own pid namespace", "NSpid"),
    (4200, "its parent", "{{.State.Pid}}"),
    (17, "not c1's main process", "{{.State.Pid}}"),
    ("abc", "not a number", "integer"),
])
def test_host_pid_wrong_answers_get_a_hint(answer: object, message: str, hint: str) -> None:
    result = chk.judge_host_pid("c1", 4242, 1, 4200, answer)
    assert not result.passed and message in result.message and hint in result.hint
