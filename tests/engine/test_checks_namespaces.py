"""The 04-namespaces checks on live containers: the model answer passes, a wrong one is
rejected with a hint."""

from __future__ import annotations

import pytest

from labkit.base.show import docker
from labkit.lab.exercises import reset_tries
from labkit.lab.session import Lab
from labkit.namespaces import checks as chk
from labkit.namespaces import handwire, pid1

pytestmark = pytest.mark.engine


@pytest.fixture(autouse=True)
def fresh_tries() -> None:
    reset_tries()


def test_check_joined(lab: Lab) -> None:
    c1 = lab.run("labkit/busybox", ["sh", "-c", "sleep 300 & wait"], name="t-chk-c1")
    wrong = chk.check_joined(lab, ["--pid", "host"], c1)
    assert not wrong and "host's pid namespace" in wrong.message and "pid" in wrong.hint
    own = chk.check_joined(lab, ["--network", f"container:{c1.name}"], c1)  # afresh
    assert not own and "of its own" in own.message
    missing = chk.check_joined(lab, ["--pid", "container:t-chk-nothere"], c1)
    assert not missing and "refused --pid container:t-chk-nothere" in missing.message
    result = chk.check_joined(lab, ["--pid", f"container:{c1.name}"], c1)  # the model answer
    assert result.passed, str(result)


def test_check_child_pid(lab: Lab) -> None:
    box = chk.new_mystery(lab)
    child = next(p for p in pid1.procs(box) if p.program == "sleep")
    top = docker(["top", box.name, "-o", "pid,comm"]).stdout  # the model answer
    answer = int(next(line.split()[0] for line in top.splitlines() if line.endswith("sleep")))
    assert child.host_pid == answer and chk.check_child_pid(box, answer).passed
    inside = chk.check_child_pid(box, child.pid)
    assert not inside.passed and "PID inside" in inside.message
    shell = chk.check_child_pid(box, pid1.procs(box)[0].host_pid)
    assert not shell.passed and "PID 1, the shell" in shell.message


def test_check_clean_stop(lab: Lab) -> None:
    slow = chk.check_clean_stop(lab, ["--stop-timeout", "1"])
    assert not slow.passed and "ignored SIGTERM" in slow.message, str(slow)
    assert "--stop-timeout only" in slow.message
    init = chk.check_clean_stop(lab, ["--init"])
    assert not init.passed and "143" in init.message, str(init)
    killed = chk.check_clean_stop(lab, ["--stop-signal", "KILL"])
    assert not killed.passed and "no process can handle it" in killed.message, str(killed)
    result = chk.check_clean_stop(lab, ["--stop-signal", "USR1"])  # the model answer
    assert result.passed and "under 2 s" in result.message, str(result)
    assert "shutting down" in docker(["logs", "graceful"], show=False).stdout


def test_check_wired_runs_the_steps_and_names_what_is_missing(lab: Lab) -> None:
    net = handwire.lesson_network(lab, "t-chk-net")
    container, host_end, inner, address, gateway, bridge = chk.new_unwired(lab, net)
    pid = docker(["inspect", "-f", "{{.State.Pid}}", container]).stdout.strip()
    inside = ["nsenter", "-t", pid, "-n", "ip"]
    partial = [["ip", "link", "set", host_end, "up"],
               ["ip", "link", "set", inner, "netns", pid],
               [*inside, "link", "set", inner, "name", "eth0"],
               [*inside, "link", "set", "eth0", "up"],
               [*inside, "addr", "add", address, "dev", "eth0"]]
    result = chk.check_wired(net, partial)  # the host end is on no bridge yet
    assert not result.passed and "on no bridge" in result.message

    # afresh, as a learner reruns the cell: the model answer
    container, host_end, inner, address, gateway, bridge = chk.new_unwired(lab, net)
    pid = docker(["inspect", "-f", "{{.State.Pid}}", container]).stdout.strip()
    inside = ["nsenter", "-t", pid, "-n", "ip"]
    steps = [["ip", "link", "set", host_end, "master", bridge],
             ["ip", "link", "set", host_end, "up"],
             ["ip", "link", "set", inner, "netns", pid],
             [*inside, "link", "set", inner, "name", "eth0"],
             [*inside, "link", "set", "eth0", "up"],
             [*inside, "addr", "add", address, "dev", "eth0"],
             [*inside, "route", "add", "default", "via", gateway]]
    assert chk.check_wired(net, steps).passed
