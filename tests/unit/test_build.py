"""labkit.images.build without an engine: the extra names a build gives its image."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from labkit.images import build


def test_extra_tags_are_split_after_the_registry_port(monkeypatch: pytest.MonkeyPatch) -> None:
    tagged: list[tuple[str, str | None]] = []
    image = SimpleNamespace(tag=lambda repo, tag=None: tagged.append((repo, tag)))
    engine = SimpleNamespace(
        images=SimpleNamespace(list=lambda all=False: [], get=lambda ref: image),
        api=SimpleNamespace(build=lambda **kw: iter([{"stream": "Step 1/1 : FROM scratch\n"},
                                                     {"aux": {"ID": "sha256:1"}}])))
    monkeypatch.setattr(build, "client", lambda: engine)
    monkeypatch.setattr(build, "context_tar", lambda context, dockerfile: (b"tar", "Dockerfile"))
    monkeypatch.setattr(build, "drop_intermediates", lambda image_id, before: None)
    result = build.build_image("/ctx", ["app:v1", "127.0.0.1:5000/app:v1", "127.0.0.1:5000/app"])
    assert result.image_id == "sha256:1" and result.tags[0] == "app:v1"
    assert tagged == [("127.0.0.1:5000/app", "v1"), ("127.0.0.1:5000/app", None)]
