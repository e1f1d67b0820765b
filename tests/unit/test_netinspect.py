"""netinspect: bridges, veth pairs matched both ways, network modes, netns ids, ss parsing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from labkit.base import iproute
from labkit.base.errors import LabkitError
from labkit.networking import netinspect, views

from .fakes.cli_engine import CliEngine
from .fakes.client import FakeClient, FakeContainer, info
from .fakes.host import FakeHost, link_json
from .fakes.seam import Fakes

HOST = [
    link_json(1, "lo", kind="", addrs=(("127.0.0.1", 8),), state="UNKNOWN"),
    link_json(5, "docker0", kind="bridge", addrs=(("172.17.0.1", 16),)),
    link_json(11, "veth1111111", peer=10, master="docker0"),
    link_json(13, "veth2222222", peer=12, master="docker0"),
    link_json(15, "veth3333333", peer=10, master="br-0123456789ab"),  # an index clash elsewhere
]


def test_bridge_reads_address_subnet_and_ports() -> None:
    b = netinspect.bridge("docker0", iproute.parse_links(HOST))
    assert b == netinspect.Bridge("docker0", "172.17.0.1/16", "172.17.0.0/16", "UP",
                                  ("veth1111111", "veth2222222"))


def test_unknown_bridge_is_a_learner_error() -> None:
    with pytest.raises(LabkitError, match="no interface called 'nope'"):
        netinspect.bridge("nope", iproute.parse_links(HOST))


def fake_container(name: str, pid: int, nets: dict[str, dict[str, Any]],
                   mode: str = "default") -> FakeContainer:
    return FakeContainer(name, pid=pid, running=pid > 0, networks=nets, mode=mode)


def test_veth_pairs_match_by_mac_and_both_indexes(fakes: Callable[..., Fakes]) -> None:
    inside = {
        100: [link_json(1, "lo", kind=""),
              link_json(10, "eth0", peer=11, mac="02:42:ac:11:00:02",
                        addrs=(("172.17.0.2", 16),))],
        200: [link_json(1, "lo", kind=""),
              link_json(12, "eth0", peer=13, mac="02:42:ac:11:00:03")],
    }
    c1 = fake_container("c1", 100, {"bridge": {"MacAddress": "02:42:AC:11:00:02",
                                               "IPAddress": "172.17.0.2", "IPPrefixLen": 16,
                                               "Gateway": "172.17.0.1"}})
    c2 = fake_container("c2", 200, {"bridge": {"MacAddress": "02:42:ac:11:00:03",
                                               "IPAddress": "172.17.0.3", "IPPrefixLen": 16,
                                               "Gateway": "172.17.0.1"}})
    host = fakes(host=FakeHost({("nsenter", "-t", str(pid), "-n"): json.dumps(links)
                                for pid, links in inside.items()}, strict=True)).host
    pairs = netinspect.veth_pairs([c1, c2], iproute.parse_links(HOST))
    assert [call[:3] for call in host.calls] == [("nsenter", "-t", "100"),
                                                 ("nsenter", "-t", "200")]
    assert [(p.container, p.inside.label, p.outside.ifname, p.bridge) for p in pairs] == [
        ("c1", "eth0@if11", "veth1111111", "docker0"),
        ("c2", "eth0@if13", "veth2222222", "docker0")]
    assert all(p.matched for p in pairs)
    frame = views.pairs_frame(pairs)
    assert list(frame["host veth"]) == ["veth1111111@if10", "veth2222222@if12"]
    assert list(frame["address"]) == ["172.17.0.2/16", "172.17.0.3/16"]


IP_LINK_INSIDE = (
    "10: eth0@if11: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode "
    "DEFAULT group default\n"
    "    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff link-netnsid 0\n")
IP_LINK_HOST = (
    "11: veth1111111@if10: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master "
    "docker0 state UP mode DEFAULT group default\n"
    "    link/ether 5e:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff link-netnsid 3\n")


def test_parse_ip_link_reads_both_indexes_master_and_mac() -> None:
    inside, = netinspect.parse_ip_link(IP_LINK_INSIDE)
    assert (inside.ifindex, inside.ifname, inside.peer_index, inside.master, inside.mac,
            inside.state, inside.label) == (10, "eth0", 11, None, "02:42:ac:11:00:02", "UP",
                                            "eth0@if11")
    outside, = netinspect.parse_ip_link(IP_LINK_HOST)
    assert (outside.ifindex, outside.peer_index, outside.master) == (11, 10, "docker0")
    assert netinspect.parse_ip_link("3: veth0@veth1: <BROADCAST> mtu 1500 state DOWN\n")[0] \
        .peer_index is None  # both ends in one netns: a name, not an index
    assert netinspect.parse_ip_link("") == []


def test_show_pairs_prints_the_commands_and_reads_the_table_from_them(
        fakes: Callable[..., Fakes], capsys: pytest.CaptureFixture[str]) -> None:
    c1 = fake_container("c1", 100, {"bridge": {"MacAddress": "02:42:AC:11:00:02",
                                               "IPAddress": "172.17.0.2", "IPPrefixLen": 16,
                                               "Gateway": "172.17.0.1"}})
    host = fakes(client=FakeClient(containers=[c1]), host=FakeHost({
        ("ip", "-d", "-j", "addr", "show"): json.dumps(HOST),
        ("nsenter", "-t", "100", "-n", "ip", "link", "show", "type", "veth"): IP_LINK_INSIDE,
        ("ip", "link", "show", "dev", "veth1111111"): IP_LINK_HOST}, strict=True)).host
    pairs = netinspect.show_pairs(["c1"])
    out = capsys.readouterr().out
    assert out == ("$ nsenter -t 100 -n ip link show type veth\n" + IP_LINK_INSIDE
                   + "$ ip link show dev veth1111111\n" + IP_LINK_HOST)
    assert ("ip", "link", "show", "dev", "veth1111111") in host.calls
    p, = pairs
    assert (p.container, p.inside.label, p.outside.label, p.bridge, p.address) == (
        "c1", "eth0@if11", "veth1111111@if10", "docker0", "172.17.0.2/16")
    assert p.matched
    # a host end that does not name the container's end back is shown, and not matched
    host.answers[("ip", "link", "show", "dev", "veth1111111")] = IP_LINK_HOST.replace(
        "@if10", "@if99")
    assert not netinspect.show_pairs(["c1"])[0].matched


def test_explain_pairs_shows_the_bridge_s_view_of_each_port(
        fakes: Callable[..., Fakes], capsys: pytest.CaptureFixture[str]) -> None:
    inside = netinspect.parse_ip_link(IP_LINK_INSIDE)[0]
    outside = netinspect.parse_ip_link(IP_LINK_HOST)[0]
    pair = netinspect.VethPair("c1", "bridge", "172.17.0.2/16", "172.17.0.1", inside, outside,
                               "docker0")
    port = ("11: veth1111111@docker0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master docker0 "
            "state forwarding priority 32 cost 2\n")
    host = fakes(host=FakeHost({("bridge", "link", "show", "dev", "veth1111111"): port,
                                ("ip", "-d", "-j", "addr", "show"): json.dumps(HOST)},
                               strict=True)).host
    views.explain_pairs([pair])
    assert host.calls[0] == ("bridge", "link", "show", "dev", "veth1111111")
    assert capsys.readouterr().out == ("$ bridge link show dev veth1111111\n" + port
                                       + "1 host veths, all ports of docker0; docker0 is the "
                                       "gateway: True\n")
    host.answers[("bridge", "link", "show", "dev", "veth1111111")] = port.replace(
        "master docker0", "master br-0123456789ab")  # plugged into another bridge
    with pytest.raises(LabkitError, match="not ports of docker0"):
        views.explain_pairs([pair])


def test_a_pair_whose_ends_disagree_is_not_matched() -> None:
    inside = iproute.parse_links([link_json(10, "eth0", peer=15)])[0]
    outside = iproute.parse_links([HOST[2]])[0]  # veth1111111: ifindex 11, peer 10
    pair = netinspect.VethPair("c", "bridge", "", "", inside, outside, "docker0")
    assert not pair.matched


def test_a_stopped_container_has_no_veth_pair_to_find() -> None:
    with pytest.raises(LabkitError, match="c9 is not running"):
        netinspect.veth_pairs([fake_container("c9", 0, {})], [])


def test_addresses_and_modes_by_name(fakes: Callable[..., Fakes],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    web = fake_container("web", 100, {"bridge": {"IPAddress": "172.17.0.2"},
                                      "ex-net": {"IPAddress": "10.213.0.2"}})
    side = fake_container("side", 200, {}, mode=f"container:{web.id}")
    hostnet = fake_container("hostnet", 300, {"host": {"IPAddress": ""}}, mode="host")
    fakes(client=FakeClient(containers=[web, side, hostnet]))
    assert netinspect.addresses("web") == {"bridge": "172.17.0.2", "ex-net": "10.213.0.2"}
    assert netinspect.network_mode("side") == "container:web"  # the ID shown as a name
    gone = fake_container("orphan", 400, {}, mode="container:id-gone")
    assert netinspect.network_mode(gone) == "container:id-gone"
    readlink = ("readlink", "/proc/100/ns/net", "/proc/200/ns/net", "/proc/300/ns/net",
                "/proc/self/ns/net")
    fake = fakes(host=FakeHost({readlink: "net:[11]\nnet:[11]\nnet:[1]\nnet:[1]\n"},
                               strict=True)).host
    table = views.modes_frame(["web", "side", "hostnet"], show=True).set_index("container")
    assert fake.calls == [readlink]  # one readlink, the host's own netns last
    assert capsys.readouterr().out == ("$ " + " ".join(readlink) + "\n"
                                       "net:[11]\nnet:[11]\nnet:[1]\nnet:[1]\n")
    assert list(table["netns"]) == ["shared with side", "shared with web", "host"]
    fake.answers[readlink] = "net:[11]\nnet:[12]\nnet:[13]\nnet:[1]\n"  # nothing shared
    assert list(views.modes_frame(["web", "side", "hostnet"])["netns"]) == ["own"] * 3
    assert table.loc["hostnet", "address in inspect"] == "(none)"
    assert table.loc["web", "address in inspect"] == "172.17.0.2, 10.213.0.2"


def test_network_ls_shows_the_defaults_and_the_lesson_s_networks_only(
        fakes: Callable[..., Fakes], capsys: pytest.CaptureFixture[str]) -> None:
    cli = CliEngine(FakeClient())
    fakes(client=cli.client, system=cli.system())
    header = "NETWORK ID     NAME      DRIVER    SCOPE\n"
    cli.answers[("docker", "network", "ls", "--filter", "type=builtin")] = (0, header + (
        "aaaaaaaaaaaa   bridge    bridge    local\nbbbbbbbbbbbb   host      host      local\n"
        "cccccccccccc   none      null      local\n"), "")
    cli.answers[("docker", "network", "ls", "--filter", "label=io.labkit.session=s000000")] = (
        0, header + "eeeeeeeeeeee   lab-net   bridge    local\n", "")
    netinspect.network_ls({"io.labkit.course": "docker-internals-workbook",
                           "io.labkit.session": "s000000"})
    assert [argv for argv, _ in cli.calls] == [
        ["docker", "network", "ls", "--filter", "type=builtin"],
        ["docker", "network", "ls", "--filter", "label=io.labkit.session=s000000"]]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "$ docker network ls --filter type=builtin"
    assert lines[5] == "$ docker network ls --filter label=io.labkit.session=s000000"
    assert [x.split()[1] for x in lines[2:5] + lines[7:]] == ["bridge", "host", "none",
                                                              "lab-net"]


def test_bridge_ports_use_brctl_or_ip(fakes: Callable[..., Fakes],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    class NoBrctl(FakeHost):
        def has_tool(self, name: str) -> bool:
            return name != "brctl"

    host = fakes(host=FakeHost({("brctl", "show"): "bridge name\tbridge id\n"})).host
    netinspect.bridge_ports("br-0123456789ab")
    assert host.calls == [("brctl", "show", "br-0123456789ab")]
    host = fakes(host=NoBrctl({("ip",): "veth1111111@if10 UP\n"})).host
    netinspect.bridge_ports("br-0123456789ab")
    assert host.calls == [("ip", "-br", "link", "show", "master", "br-0123456789ab")]
    assert "$ ip -br link show master br-0123456789ab" in capsys.readouterr().out


SS_IN_NETNS = (
    'udp UNCONN 0 0 127.0.0.11:45678 0.0.0.0:* users:(("dockerd",pid=812,fd=41))\n'
    'tcp LISTEN 0 4096 127.0.0.11:37111 0.0.0.0:* users:(("dockerd",pid=812,fd=43))\n'
    'tcp LISTEN 0 511 0.0.0.0:80 0.0.0.0:* users:(("nginx",pid=900,fd=6))\n')


DNS_NFT = """\
table ip docker-dns {
	chain dns-dnat {
		type nat hook output priority dstnat; policy accept;
		ip daddr 127.0.0.11 udp dport 53 counter packets 4 bytes 240 dnat to 127.0.0.11:45678
		ip daddr 127.0.0.11 tcp dport 53 counter packets 0 bytes 0 dnat to 127.0.0.11:37111
	}
}
"""


@pytest.mark.parametrize("backend", ["iptables", "nftables"])
def test_the_embedded_resolver_is_dockerd_on_127_0_0_11(
        fakes: Callable[..., Fakes], machine: Any, backend: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    c = FakeContainer("c4", pid=4242)
    nat_s = ("-N DOCKER_OUTPUT\n-A OUTPUT -d 127.0.0.11/32 -j DOCKER_OUTPUT\n"
             "-A DOCKER_OUTPUT -d 127.0.0.11/32 -p udp -m udp --dport 53 -j DNAT "
             "--to-destination 127.0.0.11:45678\n-A POSTROUTING -o eth0 -j ACCEPT\n")
    machine.engine = FakeClient(info(FirewallBackend={"Driver": backend}), containers=[c])
    machine.tools.update({"docker": "/usr/bin/docker", "iptables": "/usr/sbin/iptables"})
    fakes(host=FakeHost({
        ("nsenter", "-n", "-t", "4242", "ss"): SS_IN_NETNS,
        ("nsenter", "-n", "-t", "4242", "iptables"): nat_s,
        ("nsenter", "-n", "-t", "4242", "nft"): DNS_NFT}, strict=True))
    netinspect.resolver_sockets("c4")
    assert capsys.readouterr().out == ("$ nsenter -n -t 4242 ss -H -lntup\n"
                                       + SS_IN_NETNS)  # the real output, as it printed it
    netinspect.resolver_rules("c4")
    out = capsys.readouterr().out.splitlines()
    if backend == "nftables":  # Docker 29's nftables backend: the netns's own table
        assert out[0] == "$ nsenter -n -t 4242 nft list table ip docker-dns"
        assert out[1:] == DNS_NFT.rstrip().splitlines()
    else:
        assert out[0] == "$ nsenter -n -t 4242 iptables -t nat -S"
        assert out[1:] == nat_s.rstrip().splitlines()
    fakes(host=FakeHost({("nsenter",): "-P OUTPUT ACCEPT\n"}))  # a netns with no resolver
    with pytest.raises(LabkitError, match="No rule for 127.0.0.11"):
        netinspect.resolver_rules("c4")
    with pytest.raises(LabkitError, match="Nothing listens on 127.0.0.11"):
        netinspect.resolver_sockets("c4")
