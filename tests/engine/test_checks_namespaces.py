"""The 04-namespaces checks on live containers: a right answer passes, a wrong one is
rejected with a hint."""

from __future__ import annotations

import os

import pytest

from labkit.base.host import host
from labkit.lab.session import Lab
from labkit.namespaces import checks as chk
from labkit.namespaces import handwire
from labkit.namespaces import procns as namespaces

pytestmark = pytest.mark.engine


def test_check_shared_namespaces(lab: Lab) -> None:
    hostnet = lab.run("labkit/busybox", ["sleep", "300"], name="t-chk-hostnet", network_mode="host")
    a, b = os.getpid(), namespaces.container_pid(hostnet)
    truth = set(namespaces.shared_namespaces(a, b))
    assert chk.check_shared_namespaces(a, b, truth).passed
    wrong = chk.check_shared_namespaces(a, b, {"net"})
    assert not wrong.passed and "user" in wrong.message and wrong.hint


def test_check_host_pid(lab: Lab) -> None:
    box = lab.run("labkit/busybox", ["sleep", "300"], name="t-chk-pid")
    assert chk.check_host_pid(box, namespaces.container_pid(box)).passed
    inside = chk.check_host_pid(box, 1)
    assert not inside.passed and "NSpid" in inside.hint


def test_check_wired_names_each_missing_step(lab: Lab) -> None:
    net = handwire.lesson_network(lab, "t-chk-net")
    box = lab.run("labkit/busybox", ["sleep", "300"], name="t-chk-wire", network_mode="none")
    result = chk.check_wired(box, net)
    assert not result.passed and "no eth0" in result.message and result.hint

    pid = str(namespaces.container_pid(box))
    outer, inner = lab.veth("t-chk-a", "t-chk-b")
    run, inside = host().run, ["nsenter", "-t", pid, "-n", "ip"]
    run(["ip", "link", "set", outer, "up"])
    run(["ip", "link", "set", inner, "netns", pid])
    run([*inside, "link", "set", inner, "name", "eth0"])
    run([*inside, "link", "set", "eth0", "up"])
    run([*inside, "addr", "add", f"{net.spare_address()}/24", "dev", "eth0"])
    result = chk.check_wired(box, net)  # the host end is on no bridge yet
    assert not result.passed and "on no bridge" in result.message
    assert net.bridge in result.hint

    run(["ip", "link", "set", outer, "master", net.bridge])
    result = chk.check_wired(box, net)
    assert not result.passed and "no default route" in result.message

    run([*inside, "route", "add", "default", "via", net.gateway])
    assert chk.check_wired(box, net).passed
