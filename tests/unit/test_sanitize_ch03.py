"""Chapter 03's sanitize rules fold ports, link indexes and log times, and nothing that teaches."""

from __future__ import annotations

from .test_sanitize import sanitize


def test_loopback_ports_and_port_arguments_are_folded() -> None:
    assert sanitize("80/tcp -> 127.0.0.1:32850") == sanitize("80/tcp -> 127.0.0.1:49153")
    assert sanitize("--dport 18080 -j DNAT") == "--dport <port> -j DNAT"
    assert sanitize("$ ss -H -ltnp sport = :18120") == "$ ss -H -ltnp sport = :<port>"
    assert sanitize("-host-port 18081") == "-host-port <port>"
    # Well-known ports stay: they are part of the lesson.
    assert sanitize("--dport 80 -j ACCEPT 198.51.100.10:8080 127.0.0.1:8080") == (
        "--dport 80 -j ACCEPT 198.51.100.10:8080 127.0.0.1:8080")


def test_ip_link_index_prefix_is_folded_at_line_starts_only() -> None:
    text = "290: eth0@if291: <BROADCAST,UP> mtu 1500\n    inet 172.17.0.2/16\n1: lo: <LOOPBACK>"
    assert sanitize(text) == ("<n>: eth0@if<n>: <BROADCAST,UP> mtu 1500\n inet 172.17.0.<n>/16\n"
                              "<n>: lo: <LOOPBACK>")
    assert sanitize("hits: 12") == "hits: 12"


def test_nginx_log_time_is_folded() -> None:
    line = '172.17.0.1 - - [28/Nov/2026:17:35:09 +0000] "GET / HTTP/1.1" 200 615'
    assert sanitize(line) == '172.17.0.<n> - - [<time>] "GET / HTTP/1.1" 200 615'


def test_the_resolver_lesson_folds_pids_ports_and_this_machines_resolver() -> None:
    assert sanitize("$ nsenter -n -t 4821 iptables -t nat -S") == sanitize(
        "$ nsenter -n -t 77 iptables -t nat -S")
    assert sanitize("-A DOCKER_POSTROUTING -s 127.0.0.11/32 -p udp --sport 41234 -j SNAT") == (
        sanitize("-A DOCKER_POSTROUTING -s 127.0.0.11/32 -p udp --sport 53211 -j SNAT"))
    assert sanitize("udp UNCONN 127.0.0.11:45678") == sanitize("udp UNCONN 127.0.0.11:39001")
    assert sanitize("GET http://203.0.113.1:18123/") == sanitize("GET http://203.0.113.1:18190/")
    # The host's own resolver differs between machines; a loopback one is the lesson's.
    assert sanitize("nameserver 10.255.255.53") == sanitize("nameserver 192.0.2.1")
    assert sanitize("nameserver 127.0.0.11") == "nameserver 127.0.0.11"
    assert sanitize("nameserver 127.0.0.1") != sanitize("nameserver 127.0.0.11")


def test_commands_run_as_shown_fold_their_pids_and_netns_ids_only() -> None:
    host_end = ("    link/ether <mac> brd ff:ff:ff:ff:ff:ff link-netnsid 3")
    assert sanitize(host_end) == sanitize(host_end.replace("netnsid 3", "netnsid 12"))
    assert sanitize(host_end).endswith("link-netnsid <n>")
    owner = 'tcp LISTEN 0 4096 127.0.0.11:37111 0.0.0.0:* users:(("dockerd",pid=812,fd=43))'
    assert sanitize(owner) == sanitize(owner.replace("pid=812,fd=43", "pid=99031,fd=7"))
    assert '(("dockerd",pid=<pid>,fd=<fd>))' in sanitize(owner)  # the program stays
    proxy = ("4242 /usr/bin/docker-proxy -proto tcp -host-ip 127.0.0.1 -host-port 18080 "
             "-container-ip 172.17.0.3 -container-port 80")
    assert sanitize(proxy).startswith("<pid> /usr/bin/docker-proxy -proto tcp -host-ip "
                                      "127.0.0.1 -host-port <port>")
    assert sanitize(proxy).endswith("-container-port 80")  # the container's port teaches
    assert sanitize("4242 sleep 3600") == "4242 sleep 3600"  # only docker-proxy lines
    assert sanitize("udp sport 45678 snat ip to :53") == sanitize("udp sport 39001 snat ip to :53")
    assert sanitize("udp dport 53") == "udp dport 53"


def test_a_veths_peer_as_bridge_link_names_it_is_folded() -> None:
    held = ("7: veth0a1b2c3@ifb0: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 master docker0"
            " state forwarding")
    host = ("7: veth9f8e7d6@docker0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master docker0"
            " state forwarding")
    assert sanitize(held) == sanitize(host)
    assert "master docker0" in sanitize(host)  # the bridge it is a port of stays
