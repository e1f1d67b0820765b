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
    own = lab.run("labkit/busybox", ["sleep", "300"], name="t-chk-own")
    wrong = chk.check_joined(own, c1)
    assert not wrong and "of its own" in wrong.message and "container:NAME" in wrong.hint
    peek = lab.run("labkit/busybox", ["sleep", "300"], name="t-chk-peek",
                   pid_mode=f"container:{c1.name}")
    result = chk.check_joined(peek, c1)
    assert result.passed, str(result)


def test_check_child_pid(lab: Lab) -> None:
    box = chk.new_mystery(lab)
    child = next(p for p in pid1.procs(box) if p.program == "sleep")
    top = docker(["top", box.name, "-o", "pid,comm"]).stdout  # the model answer's command
    answer = int(next(line.split()[0] for line in top.splitlines() if line.endswith("sleep")))
    assert child.host_pid == answer and chk.check_child_pid(box, answer).passed
    inside = chk.check_child_pid(box, child.pid)
    assert not inside.passed and "PID inside" in inside.message
    shell = chk.check_child_pid(box, pid1.procs(box)[0].host_pid)
    assert not shell.passed and "PID 1, the shell" in shell.message


def test_check_quick_stop(lab: Lab) -> None:
    slow = lab.run("labkit/busybox", ["sleep", "300"], name="t-chk-slow")
    result = chk.check_quick_stop(slow)
    assert not result.passed and "about 10 s" in result.message
    quick = lab.run("labkit/busybox", ["sleep", "300"], name="t-chk-quick", init=True)
    assert chk.check_quick_stop(quick).passed


def test_check_wired_runs_the_steps_and_names_what_is_missing(lab: Lab) -> None:
    net = handwire.lesson_network(lab, "t-chk-net")
    box = chk.new_unwired(lab, net)
    inside = ["nsenter", "-t", box.pid, "-n", "ip"]
    partial = [["ip", "link", "set", box.host_end, "up"],
               ["ip", "link", "set", box.inner, "netns", box.pid],
               [*inside, "link", "set", box.inner, "name", "eth0"],
               [*inside, "link", "set", "eth0", "up"],
               [*inside, "addr", "add", box.address, "dev", "eth0"]]
    result = chk.check_wired(box.container, net, partial)  # the host end is on no bridge yet
    assert not result.passed and "on no bridge" in result.message

    box = chk.new_unwired(lab, net)  # afresh, as a learner reruns the cell
    inside = ["nsenter", "-t", box.pid, "-n", "ip"]
    steps = [["ip", "link", "set", box.host_end, "master", box.bridge],
             ["ip", "link", "set", box.host_end, "up"],
             ["ip", "link", "set", box.inner, "netns", box.pid],
             [*inside, "link", "set", box.inner, "name", "eth0"],
             [*inside, "link", "set", "eth0", "up"],
             [*inside, "addr", "add", box.address, "dev", "eth0"],
             [*inside, "route", "add", "default", "via", box.gateway]]
    assert chk.check_wired(box.container, net, steps).passed
