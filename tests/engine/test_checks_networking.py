"""The chapter 03 checks against the real engine: the model solutions pass, wrong answers fail."""

from __future__ import annotations

import pytest

from labkit.base import containers
from labkit.lab.session import Lab
from labkit.lessons.registry import free_port
from labkit.networking import checks, firewall, netinspect

pytestmark = pytest.mark.engine


def test_reach_by_name(lab: Lab) -> None:
    net = lab.network("t3-ex-net", subnet="auto")
    a = lab.run("labkit/busybox", ["sleep", "300"], name="t3-ex-a", network=net.name)
    b = lab.run("labkit/busybox", ["sleep", "300"], name="t3-ex-b", network=net.name)
    assert checks.check_reach_by_name(a, b).passed
    c = lab.run("labkit/busybox", ["sleep", "300"], name="t3-ex-c")
    wrong = checks.check_reach_by_name(a.name, c.name)
    assert not wrong.passed and "user-defined network" in wrong.message
    d = lab.run("labkit/busybox", ["sleep", "300"], name="t3-ex-d", links={c.name: "up"})
    one_way = checks.check_reach_by_name(d.name, c.name)
    assert not one_way.passed and one_way.message.startswith(f"{c.name} has no way")


def test_publish(lab: Lab) -> None:
    port = free_port(18170, 18179)
    refused = checks.check_publish(lab, f"{port}:80", port)
    assert not refused.passed and "every address" in refused.message
    dead = checks.check_publish(lab, f"127.0.0.1:{port}:8080", port, wait=1)
    assert not dead.passed and "nothing answered there" in dead.message
    right = checks.check_publish(lab, f"127.0.0.1:{port}:80", port)
    assert right.passed, right
    assert [(b.host_ip, b.host_port) for b in containers.published("ex-web")] == [
        ("127.0.0.1", port)]


def test_host_veth(lab: Lab) -> None:
    stranger = checks.new_stranger(lab)
    other = lab.run("labkit/busybox", ["sleep", "300"], name="t3-ex-v2")
    code, out = stranger.exec_run(["cat", "/sys/class/net/eth0/iflink"])
    right = next(x.ifname for x in netinspect.host_links() if x.ifindex == int(out))
    assert checks.check_host_veth(stranger, right).passed
    wrong = checks.check_host_veth(stranger, netinspect.host_veth(other))
    assert not wrong.passed and "ifindex" in wrong.hint
    assert not checks.check_host_veth(stranger, "eth0").passed
    again = checks.new_stranger(lab)  # fresh: the old answer names a veth that is gone
    assert not checks.check_host_veth(again, right).passed


def test_dnat(lab: Lab) -> None:
    target = checks.new_dnat_target(lab)
    # As the notebook's model solution reads it, on either firewall backend.
    rule = next(r for r in firewall.read(["nat"])
                if "dnat" in r.spec.lower() and r.mentions([target.port]))
    answer = rule.spec.split("--to-destination ")[-1].split("dnat to ")[-1].split()[0]
    assert checks.check_dnat(target, answer).passed
    assert not checks.check_dnat(target, f"127.0.0.1:{target.port}").passed
    gateway = next(iter(containers.endpoints(target.container).values())).gateway
    assert "bridge's own" in checks.check_dnat(target, f"{gateway}:80").message


def test_lookups(lab: Lab) -> None:
    puzzle = checks.new_link_puzzle(lab)
    found = checks.lookups(puzzle)
    assert found == {"lk-app finds db": True, "lk-app finds lk-db": True,
                     "lk-db finds lk-app": False, "dns-a finds dns-b": True,
                     "dns-a finds lk-db": False}
    assert checks.check_lookups(puzzle, dict(found)).passed
    wrong = checks.check_lookups(puzzle, {**found, "lk-db finds lk-app": True})
    assert not wrong.passed and "1 of 5" in wrong.message
