"""The chapter 03 checks against the real engine: the model solutions pass, wrong answers fail."""

from __future__ import annotations

import pytest

from labkit.lab.session import Lab
from labkit.lessons.registry import free_port
from labkit.networking import checks, netinspect, probes

pytestmark = pytest.mark.engine


def test_reach_by_name(lab: Lab) -> None:
    net = lab.network("t3-ex-net", subnet="auto")
    a = lab.run("labkit/busybox", ["sleep", "300"], name="t3-ex-a", network=net.name)
    b = lab.run("labkit/busybox", ["sleep", "300"], name="t3-ex-b", network=net.name)
    assert checks.check_reach_by_name(a.name, b.name).passed
    c = lab.run("labkit/busybox", ["sleep", "300"], name="t3-ex-c")
    wrong = checks.check_reach_by_name(a.name, c.name)
    assert not wrong.passed and "user-defined network" in wrong.message + wrong.hint
    d = lab.run("labkit/busybox", ["sleep", "300"], name="t3-ex-d", links={c.name: "up"})
    one_way = checks.check_reach_by_name(d.name, c.name)
    assert not one_way.passed and one_way.message.startswith(f"{c.name} has no way")


def test_published_port(lab: Lab) -> None:
    port = free_port(18170, 18179)
    web = lab.run("labkit/nginx:1.22.1", name="t3-ex-web", ports={"80/tcp": port})
    probes.wait_http(f"http://127.0.0.1:{port}/")
    assert checks.check_published_port(web.name, port).passed
    bare = lab.run("labkit/nginx:1.22.1", name="t3-ex-bare")
    wrong = checks.check_published_port(bare.name, port)
    assert not wrong.passed and "publishes no port" in wrong.message and wrong.hint
    other = free_port(18170, 18179)
    off = lab.run("labkit/nginx:1.22.1", name="t3-ex-off", ports={"81/tcp": other})
    dead = checks.check_published_port(off.name, other)
    assert not dead.passed and "no answer" in dead.message and "80/tcp" in dead.hint


def test_host_veth(lab: Lab) -> None:
    a = lab.run("labkit/busybox", ["sleep", "300"], name="t3-ex-v1")
    b = lab.run("labkit/busybox", ["sleep", "300"], name="t3-ex-v2")
    code, out = a.exec_run(["cat", "/sys/class/net/eth0/iflink"])
    right = next(x.ifname for x in netinspect.host_links() if x.ifindex == int(out))
    assert checks.check_host_veth(a.name, right).passed
    wrong = checks.check_host_veth(a.name, netinspect.host_veth(b))
    assert not wrong.passed and "iflink" in wrong.hint
    assert not checks.check_host_veth(a.name, "eth0").passed
