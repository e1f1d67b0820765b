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
