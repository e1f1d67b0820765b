"""The front-end sample and the HTTP helpers, against a tiny server on 127.0.0.1 (no engine)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from labkit.base.errors import LabkitError
from labkit.building import frontapp, views

from .fakes.client import FakeContainer
from .fakes.lab import FakeLab
from .http_servers import QuietHandler, serving

INDEX = b"<html><head><title> Front App </title></head></html>"


def test_sample_is_the_lecture_project(tmp_path: Path) -> None:
    folder = frontapp.copy_sample(FakeLab(tmp_path))  # type: ignore[arg-type]
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert files == ["Dockerfile", "dist/assets/app.css", "dist/assets/app.js",
                     "dist/index.html", "nginx.conf"]
    dockerfile = (folder / "Dockerfile").read_text()
    assert "FROM labkit/nginx:1.22.1" in dockerfile and "COPY dist/ /usr/local/web/" in dockerfile
    conf = (folder / "nginx.conf").read_text()
    assert "try_files $uri $uri/ /index.html;" in conf and "root   /usr/local/web;" in conf
    assert "<title>Front App</title>" in (folder / "dist" / "index.html").read_text()


class _SPA(QuietHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.endswith(".css"):
            body, ctype, status = b"body{}", "text/css", 200
        elif self.path == "/gone":
            body, ctype, status = b"no", "text/plain", 404
        else:
            body, ctype, status = INDEX, "text/html", 200
        self.reply(status, body, (("Content-Type", ctype),))


@pytest.fixture
def port() -> Iterator[int]:
    with serving(_SPA) as port:
        yield port


def test_fetch_keeps_status_type_and_title(port: int) -> None:
    got = frontapp.fetch(port, "/orders/42")
    assert (got.status, got.content_type, got.title, got.bytes) == (
        200, "text/html", "Front App", len(INDEX))
    assert frontapp.fetch(port, "/gone").status == 404


def test_fetch_table_compares_bodies_with_index(port: int) -> None:
    frontapp.wait_until_serving(port, timeout=2)
    frame = views.fetch_table(port, ["/", "/a.css", "/orders/42"]).set_index("path")
    assert list(frame["same body as index.html"]) == [True, False, True]
    assert frame.loc["/a.css", "content_type"] == "text/css"
    assert "body" not in frame.columns


def test_wait_until_serving_gives_up_with_a_hint() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    with pytest.raises(LabkitError, match="Nothing answers"):
        frontapp.wait_until_serving(closed, timeout=0.3)


def test_wait_until_serving_stops_when_the_container_exited() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    box = SimpleNamespace(name="front", status="running")
    box.reload = lambda: setattr(box, "status", "exited")
    with pytest.raises(LabkitError, match="front exited instead of serving") as info:
        frontapp.wait_until_serving(closed, timeout=30, container=box)  # type: ignore[arg-type]
    assert info.value.hint == "read its log: `docker logs front`"


def test_fetch_refuses_nothing_listening_with_a_hint() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    with pytest.raises(LabkitError, match=f"Nothing answers HTTP on 127.0.0.1:{closed}"):
        frontapp.fetch(closed, "/")


def fake_container(ports: dict) -> FakeContainer:
    return FakeContainer("front", ports=ports)


def test_host_port_reads_the_loopback_binding() -> None:
    c = fake_container({"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "49153"}]})
    assert frontapp.host_port(c) == 49153  # type: ignore[arg-type]


def test_host_port_explains_an_unpublished_port() -> None:
    with pytest.raises(LabkitError, match="does not publish"):
        frontapp.host_port(fake_container({"80/tcp": None}))  # type: ignore[arg-type]
