"""nftables: Docker's `ip docker-bridges` table (Engine 29's nftables backend), parsed.

samples/nft-list-table-ip-docker-bridges.txt (also test_firewall.py's) is `nft list table ip
docker-bridges` from Docker 29.7.2 (`"firewall-backend": "nftables"`): 03's throwaway engine on
the docker29 matrix machine (bip 192.168.1.1/24, one container, 192.168.1.2). Added by hand, in
the form moby's nftabler/port.go writes them: the rules of a port published on 127.0.0.1:18080
(DNAT, its ACCEPT, DROP REMOTE LOOPBACK), a second DNAT for another port, and non-zero counters.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit.networking import nftables

TABLE = (Path(__file__).parent / "samples" / "nft-list-table-ip-docker-bridges.txt").read_text()


def test_parse_table_reads_chains_hooks_and_skips_maps() -> None:
    table = nftables.parse_table(TABLE)
    assert (table.family, table.name) == ("ip", "docker-bridges")
    assert "filter-forward-in-jumps" not in table.chains
    assert table.hooks["filter-FORWARD"].startswith("type filter hook forward")
    assert table.rules("filter-FORWARD") == ["oifname vmap @filter-forward-in-jumps",
                                             "iifname vmap @filter-forward-out-jumps"]
    assert set(table.bridge_chains("docker0")) == {
        "filter-forward-in__docker0", "filter-forward-out__docker0",
        "nat-postrouting-in__docker0", "nat-postrouting-out__docker0"}
    assert nftables.parse_table("").chains == {}


def test_isolation_and_path_rules_leave_counters_and_containers_out() -> None:
    table = nftables.parse_table(TABLE)
    assert nftables.isolation_rules(table, "docker0") == [
        'filter-forward-in__docker0: drop comment "UNPUBLISHED PORT DROP"']
    path = nftables.path_rules(table, "docker0")
    assert path[0] == "filter-FORWARD: oifname vmap @filter-forward-in-jumps"
    assert not any("192.168.1.2" in r or "counter" in r for r in path)


def test_show_prints_hooks_and_the_bridge_s_chains(capsys: pytest.CaptureFixture[str]) -> None:
    nftables.show(nftables.parse_table(TABLE), "docker0")
    out = capsys.readouterr().out
    assert "raw-PREROUTING: type filter hook prerouting priority raw" in out
    assert '  masquerade comment "MASQUERADE"' not in out  # the rule keeps its match
    assert 'oifname != "docker0" ip saddr 192.168.1.0/24 masquerade comment "MASQUERADE"' in out
    nftables.show(nftables.parse_table(""), "docker0")
    assert "no table docker-bridges" in capsys.readouterr().out


def test_the_backend_exists_from_29_0_and_the_command_can_enter_a_netns() -> None:
    assert nftables.engine_has_backend(29, 0) and not nftables.engine_has_backend(28, 5)
    assert nftables.list_argv(netns="bip-lab") == [
        "ip", "netns", "exec", "bip-lab", "nft", "list", "table", "ip", "docker-bridges"]
