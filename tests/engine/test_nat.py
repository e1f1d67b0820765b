"""nat against the real engine: -p adds DNAT and a docker-proxy; SNAT and its exemption."""

from __future__ import annotations

import json

import pytest

from labkit.base.errors import LabkitError
from labkit.base.facts import facts
from labkit.base.host import host
from labkit.lab.session import Lab
from labkit.lessons import outside
from labkit.lessons.outside import outside_world
from labkit.lessons.registry import free_port
from labkit.networking import chains, firewall, nat, netinspect, nftables, probes, proxy

pytestmark = pytest.mark.engine


def test_publishing_adds_dnat_rules_and_a_proxy(lab: Lab) -> None:
    before = nat.snapshot()
    port = free_port(18180, 18189)
    web = lab.run("labkit/nginx:1.22.1", name="t3-front", flags=["-p", f"127.0.0.1:{port}:80"])
    ip = netinspect.addresses(web)["bridge"]
    frame = nat.diff(before, nat.snapshot(), mentions=[ip, port])
    rules = list(frame["rule"])
    assert any(("-j DNAT" in r or " dnat to " in r) and f"dport {port}" in r and f"{ip}:80" in r
               for r in rules)
    assert set(frame["change"]) == {"+"} and {"nat", "filter"} <= set(frame["table"])
    forwarders = proxy.show_proxies(port)
    if facts().userland_proxy:
        [forwarder] = forwarders
        assert forwarder.arg("-container-ip") == ip and forwarder.arg("-host-ip") == "127.0.0.1"
    else:  # a learner's "userland-proxy": false: the NAT rules alone carry the port
        assert forwarders == []
    probes.wait_http(f"http://127.0.0.1:{port}/")
    after_removal = nat.snapshot()
    web.remove(force=True)
    gone = nat.diff(after_removal, nat.snapshot(), mentions=[ip, port])
    assert set(gone["change"]) == {"-"} and len(gone) == len(frame)
    assert proxy.show_proxies(port) == []


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
    if nftables.in_use():
        # Docker's nftables table drops it too: raw-PREROUTING's "DROP DIRECT ACCESS".
        assert exemption.seen == "" and exemption.dropped_by, exemption
        assert all(r.chain == "raw-PREROUTING" and "DROP DIRECT ACCESS" in r.spec
                   for r in exemption.dropped_by)
        assert not host().run(["nft", "list", "table", "ip", firewall.EXEMPT_TABLE],
                              check=False).ok
    elif facts().major >= 28:
        # Engine 28's raw-table guard drops the reply to the container's own address.
        assert exemption.seen == "" and exemption.dropped_by, exemption
        assert all(f"-d {ip}/32" in r.spec and "! -i docker0" in r.spec
                   for r in exemption.dropped_by)
    else:
        assert exemption.seen == ip and not nat.guards(ip)
    exemption.explain()
    if not nftables.in_use():
        assert not host().run(["iptables", "-t", "nat", "-C", "POSTROUTING", *rule],
                              check=False).ok
    assert not any(e.get("kind") == "iptables" for e in lab.ledger.entries)
    assert seen() == world.host_address


def test_dnat_from_the_outside_keeps_the_client_address(lab: Lab) -> None:
    world = outside_world(lab)
    port = free_port(18190, 18199)
    web = nat.run_published(lab, "labkit/nginx:1.22.1", world, name="t3-dnat", port=port)
    ip = netinspect.addresses(web)["bridge"]
    assert {b["HostIp"] for b in web.ports["80/tcp"]} == {"127.0.0.1", world.host_address}
    rules = nat.port_rules(port, ip)
    assert any(r.startswith(("-A PREROUTING", "nat-PREROUTING"))
               and ("--dst-type LOCAL" in r or "fib daddr type local" in r) for r in rules)
    assert sum("DNAT" in r or " dnat to " in r for r in rules) == 2
    assert nat.explain_dnat(rules)
    probes.wait_http(f"http://127.0.0.1:{port}/")
    assert "nginx" in outside.fetch(world, f"http://{world.host_address}:{port}/", timeout=5)
    probes.http_get(f"http://127.0.0.1:{port}/")
    gateway = netinspect.bridge("docker0").address.split("/")[0]
    nat.explain_clients(web, world.link_address, gateway)
    nat.guard_loopback(lab, port)
    assert nat.loopback_guards(port)
    # Nothing answers on a port that is not published: the request gives up in time.
    with pytest.raises(LabkitError, match="within 2 s|failed"):
        outside.fetch(world, f"http://{world.host_address}:{port + 1000}/", timeout=2)


def test_the_chains_are_read_from_the_engine(capsys: pytest.CaptureFixture[str]) -> None:
    if nftables.in_use():  # Docker 29's nftables backend: no iptables chains of Docker's
        table = nftables.read(show=False)
        assert nftables.path_rules(table, "docker0")
        assert nftables.isolation_rules(table, "docker0")
        return
    tables = {t: chains.listing(t, show=False) for t in ("filter", "nat", "raw")}
    made = chains.docker_chains(tables)
    assert {"DOCKER", "DOCKER-USER"} <= set(made["chain"])
    if facts().major >= 28:
        assert {"DOCKER-FORWARD", "DOCKER-CT", "DOCKER-BRIDGE"} <= set(made["chain"])
    else:
        # Engine 28's chains may be left over from a newer engine; these are this one's.
        assert "-A FORWARD -o docker0 -j DOCKER" in chains.path_rules(tables["filter"])
        assert set(chains.stale_chains(made, facts().major)) <= set(chains.ENGINE_28_CHAINS)
    assert chains.path_rules(tables["filter"])
    chains.backend()


def test_the_nft_exemption_table_lives_exactly_as_long_as_its_block(lab: Lab) -> None:
    # Runs on every engine with nft on the host: the table only names documentation
    # addresses (192.0.2.0/24), so it changes nothing for anyone while it exists.
    if not host().has_tool("nft"):
        pytest.skip("no nft on this host")
    listed = ["nft", "list", "table", "ip", firewall.EXEMPT_TABLE]
    with firewall.nft_exemption(lab, "192.0.2.10", "192.0.2.20"):
        table = host().run(listed).stdout
        assert "flags owner" in table and "snat to 192.0.2.10" in table
        assert "priority srcnat - 1" in table
        assert any(e["kind"] == "process" for e in lab.ledger.entries)
    assert not host().run(listed, check=False).ok
    assert not any(e["kind"] == "process" for e in lab.ledger.entries)
