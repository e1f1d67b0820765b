"""probes: ping shown as typed, HTTP that stays on loopback."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from labkit.base.errors import LabkitError
from labkit.networking import probes

from .fakes.cli_engine import CliEngine
from .fakes.client import FakeClient, FakeContainer
from .fakes.clock import FakeClock
from .fakes.seam import Fakes
from .http_servers import QuietHandler, serving


def test_http_get_refuses_anything_but_loopback() -> None:
    with pytest.raises(LabkitError, match="not on 127.0.0.1"):
        probes.http_get("http://198.51.100.10:8080/")


class _Page(QuietHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.reply(*((404, b"no such page\n") if self.path == "/gone" else (
            200, b"<title>Welcome to nginx!</title>\n")))


def test_http_get_returns_status_and_text_even_for_an_error() -> None:
    with serving(_Page) as port:
        assert probes.http_get(f"http://127.0.0.1:{port}/") == (
            200, "<title>Welcome to nginx!</title>\n")
        assert probes.http_get(f"http://127.0.0.1:{port}/gone") == (404, "no such page\n")
        probes.wait_http(f"http://127.0.0.1:{port}/gone", accept=(404,), timeout=1)


def closed_port() -> int:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_wait_http_says_why_nothing_answered(clock: FakeClock) -> None:
    url = f"http://127.0.0.1:{closed_port()}/"
    with pytest.raises(LabkitError) as err:
        probes.wait_http(url, timeout=5)
    assert err.value.message == f"{url} did not answer within 5 s (Connection refused)."
    assert sum(clock.sleeps) == pytest.approx(5)


@pytest.mark.parametrize(("out", "ok", "shown"), [
    ("PING 1.2.3.4: 56 data bytes\n64 bytes from 1.2.3.4: seq=0 ttl=64 time=0.081 ms\n\n"
     "--- 1.2.3.4 ping statistics ---\n1 packets transmitted, 1 packets received, "
     "0% packet loss\nround-trip min/avg/max = 0.081/0.081/0.081 ms\n", True,
     "1 packets transmitted, 1 packets received, 0% packet loss"),
    ("ping: bad address 'c2'\n", False, "ping: bad address 'c2'"),
])
def test_ping_prints_only_the_stable_summary(fakes: Callable[..., Fakes],
                                             capsys: pytest.CaptureFixture[str],
                                             out: str, ok: bool, shown: str) -> None:
    client = FakeClient(containers=[FakeContainer("c1")])
    cli = CliEngine(client)
    cli.answers[("docker", "exec")] = (0 if ok else 1, out, "")
    fakes(client=client, system=cli.system())
    assert probes.ping("c1", "c2") is ok  # the name is looked up in the engine
    assert capsys.readouterr().out == f"$ docker exec c1 ping -c 1 -W 2 c2\n{shown}\n"
    assert cli.calls[0][0] == ["docker", "exec", "c1", "ping", "-c", "1", "-W", "2", "c2"]


class _BadGateway(QuietHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.reply(502)


def test_wait_http_gives_up_with_a_hint(clock: FakeClock) -> None:
    with serving(_BadGateway) as port, pytest.raises(LabkitError) as err:
        probes.wait_http(f"http://127.0.0.1:{port}/", timeout=30)
    assert err.value.message == (
        f"http://127.0.0.1:{port}/ did not answer within 30 s (status 502).")
    assert "docker logs" in err.value.hint
    assert sum(clock.sleeps) == pytest.approx(30) and max(clock.sleeps) == pytest.approx(0.3)
