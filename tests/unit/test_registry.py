"""lessons.registry without an engine: its API over the loopback client, and waiting for it."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from labkit.base import http
from labkit.base.errors import LabkitError
from labkit.base.wait import WaitTimeout
from labkit.lessons import registry
from labkit.lessons.registry import LocalRegistry

from .fakes.clock import FakeClock
from .http_servers import QuietHandler, serving


class _Registry(QuietHandler):
    accept = ""  # the Accept header of the last request

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path == "/v2/_catalog":
            status, body = 200, json.dumps({"repositories": ["lab"]}).encode()
        elif self.path.startswith("/v2/lab/blobs/"):
            status, body = 200, b"\x1f\x8b layer bytes"
        else:
            status, body = 404, b'{"errors": [{"code": "MANIFEST_UNKNOWN"}]}'
        type(self).accept = self.headers.get("Accept", "")
        self.reply(status, body)


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


class _Lab:
    """Records what lab.run was asked to start; the container is called registry."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, dict[str, Any]]] = []

    def run(self, image: str, **kwargs: Any) -> SimpleNamespace:
        self.runs.append((image, kwargs))
        return SimpleNamespace(name="registry")


# The registry container's answers over time are the API's: LocalRegistry.api is replaced
# (its HTTP is test_api_reads_json_and_refuses_an_error_status's).
def test_start_registry_waits_until_the_api_answers(monkeypatch: pytest.MonkeyPatch,
                                                    clock: FakeClock) -> None:
    answers: list[Any] = [http.NoAnswer("refused", reason="Connection refused"),
                          http.BadStatus("HTTP Error 503: Service Unavailable", status=503),
                          json.JSONDecodeError("x", "", 0), {}]

    def api(self: LocalRegistry, path: str, accept: str | None = None) -> Any:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(LocalRegistry, "api", api)
    lab = _Lab()
    reg = registry.start_registry(lab)
    [(image, kwargs)] = lab.runs
    flag, published = kwargs["flags"]
    address, port_text, inside = published.split(":")  # a free port of 127.0.0.1, from 5000 on
    port = int(port_text)
    assert image == "labkit/registry:2" and (flag, address, inside) == ("-p", "127.0.0.1", "5000")
    assert reg == LocalRegistry("registry", f"127.0.0.1:{port}") and port >= registry.FIRST_PORT
    assert answers == [] and clock.sleeps == [0.2, 0.2, 0.2]


def test_start_registry_gives_up_with_the_old_words(monkeypatch: pytest.MonkeyPatch,
                                                    clock: FakeClock) -> None:

    def api(self: LocalRegistry, path: str, accept: str | None = None) -> Any:
        raise http.NoAnswer("refused", reason="Connection refused")

    monkeypatch.setattr(LocalRegistry, "api", api)
    with pytest.raises(WaitTimeout) as info:
        registry.start_registry(_Lab())
    assert isinstance(info.value, LabkitError)
    assert str(info.value) == ("The local registry did not answer within 30 s.\n"
                               "  -> look at `docker logs registry`")
