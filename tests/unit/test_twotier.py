"""twotier: the web image's build context, and requests that stay on loopback."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from labkit.base.errors import LabkitError
from labkit.networking import twotier, webtier


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


@pytest.mark.parametrize("url", ["http://198.51.100.10:8080/", "http://localhost:80/",
                                 "http://127.0.0.10:80/"])
def test_requests_leave_nothing_but_loopback(url: str) -> None:
    with pytest.raises(LabkitError, match="not on 127.0.0.1"):
        twotier.request(url)
