"""probes: the docker CLI shown as typed, HTTP that stays on loopback."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from types import SimpleNamespace
from typing import Any

import pytest

from labkit.base.errors import LabkitError
from labkit.base.http import NoAnswer
from labkit.networking import probes

from .fake_clock import FakeClock
from .http_servers import serving


def test_http_get_refuses_anything_but_loopback() -> None:
    with pytest.raises(LabkitError, match="not on 127.0.0.1"):
        probes.http_get("http://198.51.100.10:8080/")


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        status, body = (404, b"no such page\n") if self.path == "/gone" else (
            200, b"<title>Welcome to nginx!</title>\n")
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_http_get_returns_status_and_text_even_for_an_error() -> None:
    with serving(_Page) as port:
        assert probes.http_get(f"http://127.0.0.1:{port}/") == (
            200, "<title>Welcome to nginx!</title>\n")
        assert probes.http_get(f"http://127.0.0.1:{port}/gone") == (404, "no such page\n")
        probes.wait_http(f"http://127.0.0.1:{port}/gone", accept=(404,), timeout=1)


def test_wait_http_says_why_nothing_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeClock().install(monkeypatch)

    def refused(url: str) -> tuple[int, str]:
        raise NoAnswer("Nothing answers HTTP on 127.0.0.1:1 (Connection refused).",
                       reason="Connection refused")

    monkeypatch.setattr(probes, "http_get", refused)
    with pytest.raises(LabkitError) as err:
        probes.wait_http("http://127.0.0.1:1/", timeout=5)
    assert err.value.message == (
        "http://127.0.0.1:1/ did not answer within 5 s (Connection refused).")


def test_docker_cli_shows_docker_not_its_path(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(probes.shutil, "which", lambda name: "/opt/bin/docker")
    calls = []

    def run(argv: list[str], **kwargs: Any) -> SimpleNamespace:
        calls.append(argv)
        return SimpleNamespace(returncode=0, stdout="hello\n", stderr="")

    monkeypatch.setattr(probes.subprocess, "run", run)
    result = probes.docker_cli(["exec", "c1", "echo", "hello"])
    assert calls == [["/opt/bin/docker", "exec", "c1", "echo", "hello"]]
    assert capsys.readouterr().out == "$ docker exec c1 echo hello\nhello\n"
    assert result.ok and isinstance(result, probes.Shown)
    assert result._ipython_display_() is None  # its output is on screen already


def test_docker_cli_failure_raises_with_a_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(probes.shutil, "which", lambda name: "/opt/bin/docker")
    monkeypatch.setattr(probes.subprocess, "run", lambda argv, **kw: SimpleNamespace(
        returncode=1, stdout="", stderr="Error: No such container: zz\n"))
    with pytest.raises(LabkitError, match="exit 1"):
        probes.docker_cli(["exec", "zz", "true"], quiet=True)
    assert not probes.docker_cli(["exec", "zz", "true"], check=False, quiet=True).ok


@pytest.mark.parametrize(("out", "ok", "shown"), [
    ("PING 1.2.3.4: 56 data bytes\n64 bytes from 1.2.3.4: seq=0 ttl=64 time=0.081 ms\n\n"
     "--- 1.2.3.4 ping statistics ---\n1 packets transmitted, 1 packets received, "
     "0% packet loss\nround-trip min/avg/max = 0.081/0.081/0.081 ms\n", True,
     "1 packets transmitted, 1 packets received, 0% packet loss"),
    ("ping: bad address 'c2'\n", False, "ping: bad address 'c2'"),
])
def test_ping_prints_only_the_stable_summary(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str],
                                             out: str, ok: bool, shown: str) -> None:
    monkeypatch.setattr(probes, "get_container", lambda c: SimpleNamespace(name=c))
    monkeypatch.setattr(probes, "docker_cli", lambda argv, **kw: probes.Shown(
        tuple(argv), 0 if ok else 1, out, ""))
    assert probes.ping("c1", "c2") is ok
    assert capsys.readouterr().out == shown + "\n"


def test_wait_http_gives_up_with_a_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(probes, "http_get", lambda url: (502, ""))
    clock = FakeClock().install(monkeypatch)
    with pytest.raises(LabkitError) as err:
        probes.wait_http("http://127.0.0.1:1/", timeout=30)
    assert err.value.message == "http://127.0.0.1:1/ did not answer within 30 s (status 502)."
    assert "docker logs" in err.value.hint
    assert sum(clock.sleeps) == pytest.approx(30) and max(clock.sleeps) == pytest.approx(0.3)
