"""labkit.storage.wire without an engine: push/pull streams, names, digests versus diff_ids."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from labkit.base.errors import LabkitError
from labkit.lessons.registry import LocalRegistry
from labkit.storage import wire

from .storage_fakes import FakeLab

PUSH = [
    {"status": "The push refers to repository [127.0.0.1:5000/app]"},
    {"status": "Preparing", "progressDetail": {}, "id": "22e7414b0036"},
    {"status": "Preparing", "progressDetail": {}, "id": "3648d236f376"},
    {"status": "Pushing", "progressDetail": {"current": 1}, "id": "22e7414b0036"},
    {"status": "Layer already exists", "progressDetail": {}, "id": "3648d236f376"},
    {"status": "Pushed", "progressDetail": {}, "id": "22e7414b0036"},
    {"status": "v1: digest: sha256:abc size: 1154"},
]
PULL = [
    {"status": "Pulling from app", "id": "v1"},
    {"status": "Already exists", "progressDetail": {}, "id": "8a57c3df4b9d"},
    {"status": "Pulling fs layer", "progressDetail": {}, "id": "c0ae219919f8"},
    {"status": "Downloading", "progressDetail": {"current": 5}, "id": "c0ae219919f8"},
    {"status": "Download complete", "progressDetail": {}, "id": "c0ae219919f8"},
    {"status": "Pull complete", "progressDetail": {}, "id": "c0ae219919f8"},
    {"status": "Status: Downloaded newer image for 127.0.0.1:5000/app:v1"},
]
REG = LocalRegistry("registry", "127.0.0.1:5000")


def test_outcomes_keep_the_last_real_status_per_layer() -> None:
    assert wire.outcomes(PUSH) == [("22e7414b0036", "Pushed"),
                                   ("3648d236f376", "Layer already exists")]
    assert wire.outcomes(PULL) == [("v1", "Pulling from app"), ("8a57c3df4b9d", "Already exists"),
                                   ("c0ae219919f8", "Pull complete")]


def test_an_error_in_the_stream_becomes_a_hint() -> None:
    with pytest.raises(LabkitError) as err:
        wire.outcomes([{"error": "connection refused"}])
    assert "registry" in err.value.hint


def test_registry_name() -> None:
    assert wire.registry_name(REG, "127.0.0.1:5000/lab:app-a") == "lab:app-a"
    assert wire.registry_name(REG, "127.0.0.1:5000/app") == "app"
    with pytest.raises(LabkitError):
        wire.registry_name(REG, "docker.io/library/redis:7")
    with pytest.raises(LabkitError):
        wire.registry_name(REG, "lab:app-a")  # no registry at all
    with pytest.raises(LabkitError):
        wire.registry_name(REG, "127.0.0.1:5001/lab:app-a")


class AskedRegistry:
    """A registry that records the API paths asked for."""

    address = REG.address

    def __init__(self) -> None:
        self.paths: list[str] = []

    def api(self, path: str, accept: str | None = None) -> dict:
        self.paths.append(path)
        return {"layers": []}


def test_manifest_asks_for_the_repository_and_tag_not_the_port() -> None:
    reg = AskedRegistry()
    wire.manifest(reg, "127.0.0.1:5000/lab:app-a")  # type: ignore[arg-type]
    wire.manifest(reg, "127.0.0.1:5000/app")  # type: ignore[arg-type]
    assert reg.paths == ["/v2/lab/manifests/app-a", "/v2/app/manifests/latest"]


def test_remove_local_refuses_what_the_lesson_did_not_make(tmp_path: Path, monkeypatch) -> None:
    def no_engine():
        raise AssertionError("nothing may be removed")

    monkeypatch.setattr(wire, "client", no_engine)
    lab = FakeLab(tmp_path, [{"kind": "image", "tags": ["app-a:v1"]},
                             {"kind": "tag", "ref": "127.0.0.1:5000/lab:app-a"}])
    with pytest.raises(LabkitError) as err:
        wire.remove_local(lab, ["app-a:v1", "redis:7.0"])
    assert "redis:7.0" in err.value.message


def test_build_app_writes_a_one_layer_dockerfile(tmp_path: Path, capsys) -> None:
    class Built:
        tags = ("app:v1",)

    class BuildingLab(FakeLab):
        def build(self, context, tag):
            self.context = context
            return Built()

    lab = BuildingLab(tmp_path)
    assert wire.build_app(lab, "app:v1", "hello") == "app:v1"
    assert (lab.context / "Dockerfile").read_text() == wire.app_dockerfile("labkit/redis:7.0")
    assert (lab.context / "greeting.txt").read_text() == "hello\n"
    assert "COPY greeting.txt" in capsys.readouterr().out


def fake_registry(monkeypatch, diff_id_ok: bool = True) -> None:
    layer = b"a tar, pretend" * 50
    blobs = {}
    gz = gzip.compress(layer, mtime=0)
    layer_digest = "sha256:" + hashlib.sha256(gz).hexdigest()
    diff_id = "sha256:" + hashlib.sha256(layer if diff_id_ok else b"other").hexdigest()
    cfg = json.dumps({"rootfs": {"diff_ids": [diff_id]}}).encode()
    cfg_digest = "sha256:" + hashlib.sha256(cfg).hexdigest()
    blobs[layer_digest], blobs[cfg_digest] = gz, cfg
    doc = {"config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                      "digest": cfg_digest, "size": len(cfg)},
           "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                       "digest": layer_digest, "size": len(gz)}]}
    monkeypatch.setattr(wire, "manifest", lambda registry, ref: doc)
    monkeypatch.setattr(wire, "blob", lambda registry, repo, digest: blobs[digest])


def test_digests_and_diff_ids_are_both_checked(monkeypatch) -> None:
    fake_registry(monkeypatch)
    row = wire.digests_vs_diff_ids(REG, "127.0.0.1:5000/lab:a").iloc[0]
    assert bool(row["sha256(blob) = digest"]) and bool(row["sha256(gunzip(blob)) = diff_id"])
    assert row["digest"] != row["diff_id"]
    assert len(row["digest"]) == 12 and (row["blob"], row["tar"]) == ("under 1 kB", "under 1 kB")


def test_blobs_are_asked_for_by_repository(monkeypatch) -> None:
    fake_registry(monkeypatch)
    fetched = wire.blob
    repos: list[str] = []
    monkeypatch.setattr(wire, "blob", lambda registry, repo, digest: (
        repos.append(repo), fetched(registry, repo, digest))[1])
    wire.digests_vs_diff_ids(REG, "127.0.0.1:5000/lab:a")
    assert set(repos) == {"lab"}


def test_a_wrong_diff_id_shows_as_false(monkeypatch) -> None:
    fake_registry(monkeypatch, diff_id_ok=False)
    row = wire.digests_vs_diff_ids(REG, "127.0.0.1:5000/lab:a").iloc[0]
    assert bool(row["sha256(blob) = digest"]) and not bool(row["sha256(gunzip(blob)) = diff_id"])


def test_manifest_frame_lists_config_then_layers(monkeypatch) -> None:
    fake_registry(monkeypatch)
    frame = wire.manifest_frame(REG, "127.0.0.1:5000/lab:a")
    assert list(frame["part"]) == ["config", "layer 1"]
    assert list(frame["mediaType (end)"]) == ["image", "diff.tar.gzip"]
    assert list(frame["bytes"]) == ["under 1 kB", "under 1 kB"]


def test_layer_diff_ids_read_layerdb(tmp_path: Path) -> None:
    for name, diff in [("a", "sha256:1"), ("b", "sha256:2")]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "diff").write_text(diff + "\n")
    (tmp_path / "half-removed").mkdir()
    assert wire.layer_diff_ids(tmp_path) == {"sha256:1", "sha256:2"}
    assert wire.layer_diff_ids(tmp_path / "missing") == set()
