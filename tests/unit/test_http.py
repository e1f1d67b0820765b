"""The loopback HTTP client: what it refuses, and real requests to a tiny server on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from labkit.base import http
from labkit.base.errors import LabkitError

from .http_servers import QuietHandler, serving


class _Handler(QuietHandler):
    seen: list[tuple[str, str, dict[str, str], bytes]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        type(self).seen.append((self.command, self.path, dict(self.headers), body))
        if self.path == "/gone":
            status, payload = 404, b'{"errors": ["no such thing"]}'
        elif self.path == "/moved":
            status, payload = 302, b""
        else:
            status, payload = 200, b'{"ok": true, "caf\\u00e9": "\xc3\xa9t\xc3\xa9"}'
        moved = (("Location", "http://198.51.100.10/elsewhere"),) if status == 302 else ()
        self.reply(status, payload, (*moved, ("Content-Type", "application/json"),
                                     ("X-Twice", "a"), ("X-Twice", "b")))

    do_GET = do_PUT = _answer  # noqa: N815 - http.server's naming


@pytest.fixture
def base() -> Iterator[str]:
    _Handler.seen = []
    with serving(_Handler) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("url", [
    "http://198.51.100.10:8080/", "http://10.0.0.1/", "http://example.com/",
    "http://127.0.0.1.example.com/", "http://127.1/", "http://[2001:db8::1]:80/",
    "http://127.0.0.1:80@198.51.100.10/",
])
def test_refuses_every_host_but_this_machine(url: str) -> None:
    with pytest.raises(http.NotLoopback, match="is not on 127.0.0.1") as info:
        http.get(url)
    assert "only talk to this machine" in info.value.hint
    assert isinstance(info.value, LabkitError)


def test_refuses_other_schemes_and_bad_ports() -> None:
    with pytest.raises(http.NotLoopback, match="not an http:// URL"):
        http.get("https://127.0.0.1/")
    with pytest.raises(http.NotLoopback, match="no valid port"):
        http.get("http://127.0.0.1:99999/")


@pytest.mark.parametrize(("host", "ok"), [
    ("127.0.0.1", True), ("127.0.0.10", True), ("127.255.0.1", True), ("::1", True),
    ("localhost", True), ("LOCALHOST", True), ("128.0.0.1", False), ("0.0.0.0", False),
    ("localhost.", False), ("", False),
])
def test_is_loopback(host: str, ok: bool) -> None:
    assert http.is_loopback(host) is ok


def test_get_reads_status_headers_and_body(base: str) -> None:
    answer = http.get(f"{base}/v2/?n=1", headers={"Accept": "application/json"})
    assert (answer.status, answer.reason) == (200, "OK")
    assert answer.json() == {"ok": True, "café": "été"}
    assert "été" in answer.text
    assert answer.header("content-type") == "application/json"
    assert answer.header("X-Twice") == "a, b" and answer.header("X-None", "-") == "-"
    assert answer.raise_for_status() is answer
    method, path, headers, _ = _Handler.seen[-1]
    assert (method, path) == ("GET", "/v2/?n=1")
    assert headers["Accept"] == "application/json" and headers["User-Agent"] == "labkit"
    assert headers["Host"] == base.removeprefix("http://")


def test_localhost_is_reached_as_127_0_0_1_without_a_lookup(
        base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[object] = []
    real = socket.getaddrinfo

    def recording(host: object, *args: object, **kwargs: object) -> object:
        asked.append(host)
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", recording)
    port = base.rsplit(":", 1)[1]
    answer = http.get(f"http://localhost:{port}/")
    assert answer.status == 200 and _Handler.seen[-1][2]["Host"] == f"localhost:{port}"
    assert asked == ["127.0.0.1"]


def test_put_sends_its_body(base: str) -> None:
    answer = http.request(f"{base}/notes/a", "PUT", body="hello é")
    assert answer.status == 200
    method, path, headers, body = _Handler.seen[-1]
    assert (method, path, body) == ("PUT", "/notes/a", "hello é".encode())
    assert headers["Content-Length"] == str(len(body))


def test_an_error_status_is_an_answer_until_success_is_required(base: str) -> None:
    answer = http.get(f"{base}/gone")
    assert answer.status == 404 and answer.json() == {"errors": ["no such thing"]}
    with pytest.raises(http.BadStatus) as info:
        answer.raise_for_status()
    assert info.value.message == "HTTP Error 404: Not Found" and info.value.status == 404


def test_a_redirect_is_not_followed(base: str) -> None:
    answer = http.get(f"{base}/moved")
    assert answer.status == 302 and len(_Handler.seen) == 1
    assert answer.header("Location") == "http://198.51.100.10/elsewhere"


def test_nothing_listening_is_no_answer_with_a_reason() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(http.NoAnswer) as info:
        http.get(f"http://127.0.0.1:{port}/", timeout=2)
    assert info.value.reason == "Connection refused"
    assert info.value.message == f"Nothing answers HTTP on 127.0.0.1:{port} (Connection refused)."
    assert "docker logs" in info.value.hint


def test_a_server_that_hangs_up_is_no_answer() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def hang_up() -> None:
        conn, _ = listener.accept()
        conn.recv(1024)
        conn.close()

    threading.Thread(target=hang_up, daemon=True).start()
    try:
        with pytest.raises(http.NoAnswer) as info:
            http.get(f"http://127.0.0.1:{listener.getsockname()[1]}/", timeout=5)
    finally:
        listener.close()
    assert "closed connection" in info.value.reason
