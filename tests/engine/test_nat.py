"""nat against the real engine: -p adds DNAT and a docker-proxy; SNAT and its exemption."""

from __future__ import annotations

import json

import pytest

from labkit.base.facts import facts
from labkit.base.host import host
from labkit.lab.session import Lab
from labkit.lessons.outside import outside_world
from labkit.lessons.registry import free_port
from labkit.networking import nat, netinspect, probes

pytestmark = pytest.mark.engine


def test_publishing_adds_dnat_rules_and_a_proxy(lab: Lab) -> None:
    before = nat.snapshot()
    port = free_port(18180, 18189)
    web = lab.run("labkit/nginx:1.22.1", name="t3-front", ports={"80/tcp": ("127.0.0.1", port)})
    ip = netinspect.addresses(web)["bridge"]
    frame = nat.diff(before, nat.snapshot(), mentions=[ip, port])
    rules = list(frame["rule"])
    assert any("-j DNAT" in r and f"--dport {port}" in r and f"{ip}:80" in r for r in rules)
    assert set(frame["change"]) == {"+"} and {"nat", "filter"} <= set(frame["table"])
    [proxy] = nat.proxies(port)
    assert proxy.arg("-container-ip") == ip and proxy.arg("-host-ip") == "127.0.0.1"
    probes.wait_http(f"http://127.0.0.1:{port}/")
    after_removal = nat.snapshot()
    web.remove(force=True)
    gone = nat.diff(after_removal, nat.snapshot(), mentions=[ip, port])
    assert set(gone["change"]) == {"-"} and len(gone) == len(frame)
    assert nat.proxies(port) == []


def test_masquerade_and_the_exemption(lab: Lab) -> None:
    world = outside_world(lab)
    c = lab.run("labkit/busybox", ["sleep", "300"], name="t3-snat")
    ip = netinspect.addresses(c)["bridge"]
    subnet = netinspect.bridge("docker0").subnet
    assert nat.masquerade(subnet)

    def seen() -> str:
        code, out = c.exec_run(["timeout", "10", "wget", "-qO-", world.url])
        assert code == 0, out
        return json.loads(out)["client_address"]

    assert seen() == world.host_address
    rule = ["-s", f"{ip}/32", "-d", f"{world.server_address}/32", "-j", "RETURN"]
    exemption = nat.ask_without_masquerade(lab, c, world, timeout=3)
    if facts().major >= 28:
        # Engine 28's raw-table guard drops the reply to the container's own address.
        assert exemption.seen == "" and exemption.dropped_by, exemption
        assert all(f"-d {ip}/32" in r.spec and "! -i docker0" in r.spec
                   for r in exemption.dropped_by)
    else:
        assert exemption.seen == ip and not nat.guards(ip)
    exemption.explain()
    assert not host().run(["iptables", "-t", "nat", "-C", "POSTROUTING", *rule], check=False).ok
    assert not any(e.get("kind") == "iptables" for e in lab.ledger.entries)
    assert seen() == world.host_address
