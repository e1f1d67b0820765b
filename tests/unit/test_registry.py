"""lessons.registry without an engine: its API over the loopback client, and waiting for it."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from types import SimpleNamespace
from typing import Any

import pytest

from labkit.base import http
from labkit.base.errors import LabkitError
from labkit.base.wait import WaitTimeout
from labkit.lessons import registry
from labkit.lessons.registry import LocalRegistry

from .fake_clock import FakeClock
from .http_servers import serving


class _Registry(BaseHTTPRequestHandler):
    accept = ""  # the Accept header of the last request

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path == "/v2/_catalog":
            status, body = 200, json.dumps({"repositories": ["lab"]}).encode()
        elif self.path.startswith("/v2/lab/blobs/"):
            status, body = 200, b"\x1f\x8b layer bytes"
        else:
            status, body = 404, b'{"errors": [{"code": "MANIFEST_UNKNOWN"}]}'
        type(self).accept = self.headers.get("Accept", "")
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_api_reads_json_and_refuses_an_error_status() -> None:
    with serving(_Registry) as port:
        reg = LocalRegistry("registry", f"127.0.0.1:{port}")
        assert reg.catalog() == ["lab"]
        assert reg.get("/v2/lab/blobs/sha256:ab").body == b"\x1f\x8b layer bytes"
        with pytest.raises(http.BadStatus) as info:
            reg.api("/v2/lab/manifests/v1", accept="application/vnd.oci.image.manifest.v1+json")
        assert _Registry.accept == "application/vnd.oci.image.manifest.v1+json"
    assert info.value.message == "HTTP Error 404: Not Found" and info.value.status == 404


def test_a_registry_elsewhere_is_never_asked() -> None:
    with pytest.raises(http.NotLoopback):
        LocalRegistry("hub", "198.51.100.10:5000").catalog()


def _lab() -> Any:
    return SimpleNamespace(run=lambda image, **kw: SimpleNamespace(name="registry"))


def test_start_registry_waits_until_the_api_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock().install(monkeypatch)
    monkeypatch.setattr(registry, "free_port", lambda: 5999)
    answers: list[Any] = [http.NoAnswer("refused", reason="Connection refused"),
                          http.BadStatus("HTTP Error 503: Service Unavailable", status=503),
                          json.JSONDecodeError("x", "", 0), {}]

    def api(self: LocalRegistry, path: str, accept: str | None = None) -> Any:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(LocalRegistry, "api", api)
    reg = registry.start_registry(_lab())
    assert reg == LocalRegistry("registry", "127.0.0.1:5999")
    assert answers == [] and clock.sleeps == [0.2, 0.2, 0.2]


def test_start_registry_gives_up_with_the_old_words(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeClock().install(monkeypatch)
    monkeypatch.setattr(registry, "free_port", lambda: 5999)

    def api(self: LocalRegistry, path: str, accept: str | None = None) -> Any:
        raise http.NoAnswer("refused", reason="Connection refused")

    monkeypatch.setattr(LocalRegistry, "api", api)
    with pytest.raises(WaitTimeout) as info:
        registry.start_registry(_lab())
    assert isinstance(info.value, LabkitError)
    assert str(info.value) == ("The local registry did not answer within 30 s.\n"
                               "  -> look at `docker logs registry`")
