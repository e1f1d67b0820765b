"""netinspect against the real engine: veth pairs, bridges, modes, host-mode sockets."""

from __future__ import annotations

import ipaddress

import pytest

from labkit.base.facts import facts
from labkit.base.host import host
from labkit.lab.session import Lab
from labkit.lessons.registry import free_port
from labkit.networking import links, netinspect, nftables, probes, topology, views

pytestmark = pytest.mark.engine


def test_veth_pairs_on_docker0_and_a_lesson_network(lab: Lab) -> None:
    net = lab.network("t3-net", subnet="auto")
    a = lab.run("labkit/busybox", ["sleep", "300"], name="t3-a")
    b = lab.run("labkit/busybox", ["sleep", "300"], name="t3-b", flags=["--network", net.name])
    pairs = netinspect.veth_pairs([a, b])
    assert [(p.container, p.network) for p in pairs] == [(a.name, "bridge"), (b.name, net.name)]
    assert all(p.matched and p.inside.ifname == "eth0" for p in pairs)
    docker0 = netinspect.bridge("docker0")
    assert pairs[0].outside.ifname in docker0.ports and pairs[0].bridge == "docker0"
    assert pairs[0].gateway == docker0.address.split("/")[0]
    brname = netinspect.bridge_of(net.name)
    assert brname == f"br-{net.id[:12]}" and pairs[1].bridge == brname
    lesson_bridge = netinspect.bridge(brname)
    assert ipaddress.ip_interface(pairs[1].address) in ipaddress.ip_network(lesson_bridge.subnet)
    assert netinspect.host_veth(b) == pairs[1].outside.ifname
    topo = topology.collect([a, b])
    assert f"{pairs[1].outside.ifname} <-> {b.name} eth0" in views.describe(topo)
    shown = netinspect.show_pairs([a, b])  # the same pairs, read from `ip link show` as printed
    assert [(p.container, p.inside.label, p.outside.label, p.bridge) for p in shown] == [
        (p.container, p.inside.label, p.outside.label, p.bridge) for p in pairs]
    assert all(p.matched for p in shown)


def test_modes_and_a_host_mode_listener(lab: Lab) -> None:
    a = lab.run("labkit/busybox", ["sleep", "300"], name="t3-m1")
    port = free_port(18190, 18199)
    hostc = lab.run("labkit/busybox", ["httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", "/etc"],
                    name="t3-host", flags=["--network", "host"])
    none = lab.run("labkit/busybox", ["sleep", "300"], name="t3-none", flags=["--network", "none"])
    side = lab.run("labkit/busybox", ["sleep", "300"], name="t3-side",
                   flags=["--network", f"container:{a.name}"])
    probes.wait_http(f"http://127.0.0.1:{port}/passwd")
    listening = host().run(["ss", "-H", "-ltnp", "sport", "=", f":{port}"]).stdout
    assert f"127.0.0.1:{port} " in listening and '(("httpd",' in listening
    frame = views.modes_frame([a, hostc, none, side]).set_index("container")
    assert frame.loc[hostc.name, "netns"] == "host"
    assert frame.loc[hostc.name, "address in inspect"] == "(none)"
    assert frame.loc[none.name, "netns"] == "own"
    assert frame.loc[side.name, "netns"] == f"shared with {a.name}"
    assert frame.loc[side.name, "mode"] == f"container:{a.name}"
    assert netinspect.addresses(hostc) == {"host": ""}
    with pytest.raises(Exception, match="no veth pair"):
        netinspect.host_veth(none)
    assert probes.ping(side, netinspect.addresses(a)["bridge"])
    assert not probes.ping(a, "t3-none")  # no DNS on the default bridge


def test_a_link_s_hosts_line_follows_a_restart_and_pid_1_s_variables_do_not(
        lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    web = lab.run("labkit/nginx:1.22.1", name="t3-link-web")
    client = lab.run("labkit/busybox", ["sleep", "300"], name="t3-link-client",
                     flags=["--link", f"{web.name}:web"])
    before = links.link_view(client, "web")
    old = netinspect.addresses(web)["bridge"]
    assert before.hosts_address == old
    # Engines before 29.0 inject the variables; 29 only with the daemon's escape hatch.
    if facts().major < 29:
        assert before.env["WEB_PORT_80_TCP_ADDR"] == old
    if before.env:
        assert before.address_variable == old
    views.explain_variables(before)
    web.stop(timeout=0)
    lab.run("labkit/busybox", ["sleep", "300"], name="t3-link-filler")
    web.start()
    after = links.link_view(client, "web")
    views.explain_link_change(before, after, netinspect.addresses(web)["bridge"])
    assert "Docker rewrote it" in capsys.readouterr().out


def test_the_embedded_resolver_answers_from_inside_the_netns(
        lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    net = lab.network("t3-dns", subnet="auto")
    c = lab.run("labkit/busybox", ["sleep", "300"], name="t3-dns-c", flags=["--network", net.name])
    netinspect.resolver_rules(c)
    rules = capsys.readouterr().out
    if nftables.in_use():  # Docker 29's nftables backend: the netns's table ip docker-dns
        assert "nft list table ip docker-dns" in rules and "dnat to 127.0.0.11:" in rules
    else:
        assert "--dport 53 -j DNAT --to-destination 127.0.0.11:" in rules
    netinspect.resolver_sockets(c)
    sockets = [s for s in capsys.readouterr().out.splitlines()[1:] if "127.0.0.11:" in s]
    assert {s.split()[0] for s in sockets} == {"tcp", "udp"}
    assert all('(("dockerd",' in s for s in sockets)
    netinspect.network_ls(lab.labels)
    listed = [line.split()[1] for line in capsys.readouterr().out.splitlines()
              if line and not line.startswith(("$", "NETWORK ID"))]
    assert {"bridge", "host", "none", net.name} == set(listed)
    netinspect.bridge_ports(netinspect.bridge_of(net.name))
    assert netinspect.host_veth(c) in capsys.readouterr().out
