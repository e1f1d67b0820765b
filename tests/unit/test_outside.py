from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from types import SimpleNamespace

import pytest

from labkit.base.errors import LabkitError, NameTaken
from labkit.base.show import command_line
from labkit.base.wait import WaitTimeout
from labkit.lessons import outside

from .fakes.clock import FakeClock
from .fakes.seam import Fakes


def net(text: str) -> ipaddress.IPv4Network:
    return ipaddress.ip_network(text)


def test_the_first_world_gets_the_first_slot() -> None:
    link, server = outside.free_slot([net("172.17.0.0/16"), net("192.0.2.0/24")])
    assert (str(link), str(server)) == ("203.0.113.0/30", "198.51.100.10")


def test_a_second_world_takes_the_next_slot() -> None:
    used = [net("203.0.113.0/30"), net("198.51.100.10/32")]
    link, server = outside.free_slot(used)
    assert (str(link), str(server)) == ("203.0.113.4/30", "198.51.100.11")


def test_a_machine_route_over_the_range_blocks_every_slot() -> None:
    with pytest.raises(NameTaken) as info:
        outside.free_slot([net("198.51.100.0/24")])
    assert "labkit clean" in info.value.hint


def test_slots_never_reach_a_proxy_at_203_0_113_80() -> None:
    proxy = ipaddress.ip_address("203.0.113.80")
    assert not any(proxy in link for link, _ in outside.SLOTS)


def test_waiting_for_the_echo_server_keeps_its_words(fakes: Callable[..., Fakes]) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        outside._wait_for_port("outside", "127.0.0.1", listener.getsockname()[1])
        closed = listener.getsockname()[1]
    clock = fakes(clock=FakeClock()).clock  # the real clock above, a fake one from here
    with pytest.raises(WaitTimeout) as info:
        outside._wait_for_port("outside", "127.0.0.1", closed, timeout=10)
    assert info.value.message == f"the echo server in outside did not start on 127.0.0.1:{closed}"
    assert sum(clock.sleeps) == pytest.approx(10)


WORLD = outside.OutsideWorld("outside", "out-host", "203.0.113.1", "203.0.113.2",
                             "198.51.100.10", 8080)
FETCH = ("ip", "netns", "exec", "outside", "timeout", "5", "busybox", "wget", "-qO-",
         "http://203.0.113.1:18080/")


def test_fetch_asks_from_inside_the_world_with_a_timeout(
        fakes: Callable[..., Fakes], capsys: pytest.CaptureFixture[str]) -> None:
    from .fakes.host import FakeHost

    host = fakes(host=FakeHost({FETCH: "<html>welcome</html>\n"})).host
    assert outside.fetch(WORLD, "http://203.0.113.1:18080/") == "<html>welcome</html>\n"
    assert host.calls == [FETCH]
    assert capsys.readouterr().out.startswith("$ ip netns exec outside timeout 5 busybox wget")


def test_fetch_that_runs_out_of_time_says_so(fakes: Callable[..., Fakes]) -> None:
    from .fakes.host import FakeHost

    fakes(host=FakeHost({FETCH: (124, "", "")}))
    with pytest.raises(LabkitError, match="No answer .* within 5 s") as err:
        outside.fetch(WORLD, "http://203.0.113.1:18080/")
    assert "docker port" in (err.value.hint or "")
    fakes(host=FakeHost({FETCH: (1, "", "wget: can't connect to remote host")}))
    with pytest.raises(LabkitError, match="can't connect"):
        outside.fetch(WORLD, "http://203.0.113.1:18080/")


def test_fetch_asks_only_the_world_s_own_link(fakes: Callable[..., Fakes]) -> None:
    from .fakes.host import FakeHost

    fakes(host=FakeHost(strict=True))
    with pytest.raises(LabkitError, match="not on the outside world's link"):
        outside.fetch(WORLD, "http://192.0.2.7:80/")


def test_a_shown_world_prints_every_command_it_runs(
        fakes: Callable[..., Fakes], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from .fakes.client import FakeClient
    from .fakes.host import FakeHost

    spawned: list[tuple[list[str], str | None]] = []
    lab = SimpleNamespace(netns=lambda name: name, veth=lambda a, b: (a, b),
                          spawn=lambda argv, netns=None: spawned.append((argv, netns)))
    host = fakes(host=FakeHost({("ip", "-j", "-4", "route"): "[]"}), client=FakeClient(),
                 root=True).host
    # The echo server's port is asked with a socket (no door): nothing listens in a unit test.
    monkeypatch.setattr(outside, "_wait_for_port", lambda *a, **k: None)
    world = outside.outside_world(lab, show=True)  # type: ignore[arg-type]
    wired = [c for c in host.calls if c[:2] != ("ip", "-j")]
    out = capsys.readouterr().out
    assert out == ("(the lab made the netns outside and the veth pair out-host / out-ns; the "
                   "rest is wired by these commands)\n"
                   + "".join(f"$ {command_line(c)}\n" for c in wired)  # each, as it ran
                   + f"$ {command_line(['ip', 'netns', 'exec', 'outside', *spawned[0][0]])} &\n")
    assert len(wired) == 10 and spawned[0][1] == "outside"
    assert world.server_address == "198.51.100.10"
    outside.outside_world(lab)  # type: ignore[arg-type]
    assert capsys.readouterr().out == ""  # 04's world is made silently
