"""twotier: the web image's build context, and requests that stay on loopback."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from labkit.base.errors import LabkitError
from labkit.networking import twotier, webtier

from .http_servers import QuietHandler, serving


def test_build_context_holds_the_dockerfile_and_the_app(tmp_path: Path) -> None:
    built: list[tuple[Path, str]] = []

    def build(context: Path, tag: str) -> SimpleNamespace:
        built.append((context, tag))
        return SimpleNamespace(tags=(tag,))

    lab = SimpleNamespace(workdir=lambda name: tmp_path, build=build)
    assert twotier.build_web_image(lab) == "twotier-web:v1"  # type: ignore[arg-type]
    assert built == [(tmp_path, "twotier-web:v1")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Dockerfile", "app.py"]
    assert (tmp_path / "app.py").read_text() == Path(webtier.__file__).read_text()
    dockerfile = (tmp_path / "Dockerfile").read_text()
    assert "FROM labkit/python:3.11-slim" in dockerfile and "COPY app.py /app/app.py" in dockerfile


@pytest.mark.parametrize("url", ["http://198.51.100.10:8080/", "http://web:8000/",
                                 "http://10.213.1.3:8000/"])
def test_requests_leave_nothing_but_loopback(url: str) -> None:
    with pytest.raises(LabkitError, match="not on 127.0.0.1") as info:
        twotier.request(url)
    assert info.value.hint == "lessons only talk to this machine"


class _Notes(QuietHandler):
    def _answer(self) -> None:
        sent = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        body = b"" if self.path == "/empty" else json.dumps(
            {"method": self.command, "sent": sent}).encode()
        self.reply(404 if self.path == "/empty" else 200, body)

    do_GET = do_PUT = _answer  # noqa: N815 - http.server's naming


def test_request_returns_the_status_and_the_json_body() -> None:
    with serving(_Notes) as port:
        url = f"http://127.0.0.1:{port}"
        assert twotier.request(f"{url}/notes/a", "PUT", "hi") == (
            200, {"method": "PUT", "sent": "hi"})
        assert twotier.request(f"{url}/notes/a") == (200, {"method": "GET", "sent": ""})
        assert twotier.request(f"{url}/empty") == (404, None)
