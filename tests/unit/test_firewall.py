"""firewall: Docker's rules read from either backend; nat's lessons on the nftables backend."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from labkit.base.errors import LabkitError
from labkit.networking import firewall, nat, nftables

from .fakes.client import FakeClient, info
from .fakes.host import FakeHost
from .fakes.seam import Fakes

# `nft list table ip docker-bridges` on Docker 29.7.2's nftables backend (see test_nftables.py).
NFT = (Path(__file__).parent / "samples" / "nft-list-table-ip-docker-bridges.txt").read_text()
LIST = tuple(nftables.list_argv())


@pytest.fixture
def nft_engine(machine: Any, fakes: Callable[..., Fakes]) -> FakeHost:
    """A fake Docker 29 on the nftables backend, whose table is NFT."""
    machine.engine = FakeClient(info(FirewallBackend={"Driver": "nftables"}),
                                server_version="29.7.2", api_version="1.52")
    machine.tools.update({"docker": "/usr/bin/docker", "iptables": "/usr/sbin/iptables"})
    return fakes(host=FakeHost({LIST: NFT}, strict=True)).host


def test_from_nft_names_each_chain_s_table_and_keeps_counters() -> None:
    rules = firewall.from_nft(nftables.parse_table(NFT))
    masq = next(r for r in rules if "masquerade" in r.spec)
    assert (masq.table, masq.chain, masq.packets) == ("nat", "nat-postrouting-out__docker0", 7)
    assert "counter packets" not in masq.spec and "packets 7" in masq.shown
    assert {r.table for r in rules} == {"nat", "raw", "filter"}


def test_parse_save_reads_counters() -> None:
    [rule] = firewall.parse_save("*raw\n[3:180] -A PREROUTING -d 172.17.0.2/32 -j DROP\n", "raw")
    assert (rule.spec, rule.packets) == ("-A PREROUTING -d 172.17.0.2/32 -j DROP", 3)
    assert rule.where == "-t raw"


def test_read_asks_nft_once_and_keeps_the_tables_asked_for(
        nft_engine: FakeHost, capsys: pytest.CaptureFixture[str]) -> None:
    rules = firewall.read(("nat",), show=True)
    assert {r.table for r in rules} == {"nat"} and nft_engine.calls == [LIST]
    assert capsys.readouterr().out == "$ nft list table ip docker-bridges\n"
    assert firewall.command("nat") == list(LIST)


def test_masquerade_on_nftables_is_the_bridge_s_postrouting_chain(
        nft_engine: FakeHost, capsys: pytest.CaptureFixture[str]) -> None:
    [rule] = nat.masquerade("192.168.1.0/24")
    assert rule.chain == "nat-postrouting-out__docker0"
    nat.show_masquerade("192.168.1.0/24")
    out = capsys.readouterr().out
    assert out.startswith("$ nft list table ip docker-bridges\n  oifname")
    assert "packets from 192.168.1.0/24 that leave by any interface but docker0" in out
    with pytest.raises(LabkitError, match="No MASQUERADE rule for 10.213.9.0/24"):
        nat.show_masquerade("10.213.9.0/24")


def test_explain_masquerade_reads_iptables_too() -> None:
    rule = firewall.Rule("nat", "POSTROUTING", "-A POSTROUTING -s 192.168.1.0/24 ! -o docker0 "
                         "-j MASQUERADE")
    assert "in POSTROUTING, packets from 192.168.1.0/24" in nat.explain_masquerade(rule)


def test_guards_on_nftables_are_drop_direct_access(nft_engine: FakeHost) -> None:
    found = nat.guards("192.168.1.2")
    assert [(r.chain, n) for r, n in found.items()] == [("raw-PREROUTING", 3)]
    [rule] = found
    assert rule.where == "chain raw-PREROUTING:" and "DROP DIRECT ACCESS" in rule.spec


def test_dnat_on_nftables_is_explained_in_its_own_words(
        nft_engine: FakeHost, capsys: pytest.CaptureFixture[str]) -> None:
    rules = nat.nft_dnat_rules(18080, "192.168.1.2", firewall.read(("nat",)))
    assert [r.split(":")[0] for r in rules] == ["nat-OUTPUT", "nat-PREROUTING",
                                                "nat-prerouting-and-output"]
    said = nat.explain_dnat(rules)
    assert said[0].startswith("OUTPUT") and "`ip daddr != 127.0.0.0/8`" in said[0]
    assert "`fib daddr type local`" in said[1] and "--dst-type" not in " ".join(said)
    assert any("docker-proxy" in s for s in said) and said[-1].startswith("No hairpin")
    nat.show_dnat(18080, "192.168.1.2")
    out = capsys.readouterr().out
    assert "$ nft list table ip docker-bridges" in out and "dport 5000" not in out


def test_loopback_guard_on_nftables_is_docker_s(
        nft_engine: FakeHost, capsys: pytest.CaptureFixture[str]) -> None:
    lab = SimpleNamespace(iptables=lambda *a: pytest.fail("Docker's rule is there already"))
    nat.guard_loopback(lab, 18080)  # type: ignore[arg-type]
    assert "DROP REMOTE LOOPBACK" in capsys.readouterr().out
    with pytest.raises(LabkitError, match="No DROP REMOTE LOOPBACK rule for port 18081"):
        nat.guard_loopback(lab, 18081)  # type: ignore[arg-type]


def test_the_exemption_runs_before_docker_s_chain_and_maps_to_itself() -> None:
    table, chain, rule = firewall.exemption_commands("172.17.0.2", "198.51.100.10")
    assert "flags owner" in table
    assert "hook postrouting priority srcnat - 1" in chain
    assert "ip saddr 172.17.0.2 ip daddr 198.51.100.10" in rule and "snat to 172.17.0.2" in rule


def test_the_exemption_prints_the_nft_it_starts_and_the_lines_it_types(
        fakes: Callable[..., Fakes], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    typed: list[str] = []
    started: list[list[str]] = []
    released: list[tuple[str, dict[str, Any]]] = []

    def spawn(argv: list[str]) -> SimpleNamespace:
        """Stands for `nft -i < FIFO`: a reader of the pipe, as nft would be."""
        started.append(argv)

        def read() -> None:
            with open(tmp_path / "commands") as pipe:
                typed.extend(line.rstrip("\n") for line in pipe)

        reader = threading.Thread(target=read)
        reader.start()
        readers.append(reader)
        return SimpleNamespace(pid=4242)

    readers: list[threading.Thread] = []
    lab = SimpleNamespace(workdir=lambda name: tmp_path, spawn=spawn,
                          release=lambda kind, **match: released.append((kind, match)))
    listed = f'table ip {firewall.EXEMPT_TABLE} {{ ... comment "{firewall.EXEMPT_COMMENT}" }}'
    host = fakes(host=FakeHost({("nft", "list", "table", "ip", firewall.EXEMPT_TABLE): listed},
                               strict=False)).host
    with firewall.nft_exemption(lab, "172.17.0.2", "198.51.100.10"):  # type: ignore[arg-type]
        assert released == []
    readers[0].join(timeout=5)
    fifo = tmp_path / "commands"
    assert started == [["sh", "-c", f"exec nft -i < {fifo}"]]
    commands = firewall.exemption_commands("172.17.0.2", "198.51.100.10")
    assert typed == commands  # what nft read is what was printed after its prompt
    assert capsys.readouterr().out == (f"$ sh -c 'exec nft -i < {fifo}' &\n"
                                       + "".join(f"nft> {c}\n" for c in commands))
    assert ("nft", "list", "table", "ip", firewall.EXEMPT_TABLE) in host.calls
    assert released == [("process", {"pid": 4242})]
