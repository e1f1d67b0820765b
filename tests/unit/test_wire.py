"""labkit.storage.wire without an engine: push/pull streams, names, digests versus diff_ids."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from labkit.base.errors import LabkitError
from labkit.lessons.registry import LocalRegistry
from labkit.storage import views02b, wire

from .fakes.cli_engine import CliEngine
from .fakes.client import FakeClient, FakeImage, info
from .fakes.host import FakeHost
from .fakes.lab import FakeLab
from .fakes.machine import FakeMachine
from .http_servers import QuietHandler, serving

# What the docker CLI prints when its output is not a terminal.
PUSH = """The push refers to repository [127.0.0.1:5000/app]
22e7414b0036: Preparing
3648d236f376: Preparing
22e7414b0036: Pushing
3648d236f376: Layer already exists
22e7414b0036: Pushed
v1: digest: sha256:abc size: 1154
"""
PULL = """v1: Pulling from app
8a57c3df4b9d: Already exists
c0ae219919f8: Pulling fs layer
c0ae219919f8: Downloading  5B/10B
c0ae219919f8: Download complete
c0ae219919f8: Pull complete
Digest: sha256:abc
Status: Downloaded newer image for 127.0.0.1:5000/app:v1
"""
REG = LocalRegistry("registry", "127.0.0.1:5000")


def test_outcomes_keep_the_last_real_status_per_layer() -> None:
    assert wire.outcomes(PUSH) == [("22e7414b0036", "Pushed"),
                                   ("3648d236f376", "Layer already exists")]
    assert wire.outcomes(PULL) == [("8a57c3df4b9d", "Already exists"),
                                   ("c0ae219919f8", "Pull complete")]


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
    manifest = LocalRegistry.manifest  # the real path-building, over the fake `api` below

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


def test_remove_local_refuses_what_the_lesson_did_not_make(tmp_path: Path) -> None:
    # Nothing may be removed: the engine the autouse fixture gives fails at any use.
    lab = FakeLab(tmp_path, [{"kind": "image", "tags": ["app-a:v1"]},
                             {"kind": "tag", "ref": "127.0.0.1:5000/lab:app-a"}])
    with pytest.raises(LabkitError) as err:
        wire.remove_local(lab, ["app-a:v1", "redis:7.0"])
    assert "redis:7.0" in err.value.message


def test_build_app_writes_a_one_layer_dockerfile(tmp_path: Path, capsys) -> None:
    class Built:
        tag = "app:v1"

    class BuildingLab(FakeLab):
        def build(self, context, tag):
            self.context = context
            return Built()

    lab = BuildingLab(tmp_path)
    assert wire.build_app(lab, "app:v1", "hello") == "app:v1"
    assert (lab.context / "Dockerfile").read_text() == wire.app_dockerfile("labkit/redis:7.0")
    assert (lab.context / "greeting.txt").read_text() == "hello\n"
    assert "COPY greeting.txt" in capsys.readouterr().out


def registry_serving(diff_id_ok: bool = True) -> Iterator[tuple[LocalRegistry, list[str]]]:
    """A registry on 127.0.0.1 holding lab:a, one gzipped layer (its config's diff_id right or
    wrong); yields it and the paths it was asked for."""
    layer = b"a tar, pretend" * 50
    gz = gzip.compress(layer, mtime=0)
    layer_digest = "sha256:" + hashlib.sha256(gz).hexdigest()
    diff_id = "sha256:" + hashlib.sha256(layer if diff_id_ok else b"other").hexdigest()
    cfg = json.dumps({"rootfs": {"diff_ids": [diff_id]}}).encode()
    cfg_digest = "sha256:" + hashlib.sha256(cfg).hexdigest()
    doc = {"config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                      "digest": cfg_digest, "size": len(cfg)},
           "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                       "digest": layer_digest, "size": len(gz)}]}
    served = {"/v2/lab/manifests/a": json.dumps(doc).encode(),
              f"/v2/lab/blobs/{cfg_digest}": cfg, f"/v2/lab/blobs/{layer_digest}": gz}
    asked: list[str] = []

    class Registry(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            asked.append(self.path)
            body = served.get(self.path)
            self.reply(200 if body is not None else 404, body or b"")

    with serving(Registry) as port:
        yield LocalRegistry("registry", f"127.0.0.1:{port}"), asked


@pytest.fixture
def registry() -> Iterator[tuple[LocalRegistry, list[str]]]:
    yield from registry_serving()


def test_digests_and_diff_ids_are_both_checked(registry) -> None:
    reg, _ = registry
    row = views02b.hashes_frame(wire.layer_hashes(reg, reg.ref("lab:a"))).iloc[0]
    assert bool(row["sha256(blob) = digest"]) and bool(row["sha256(gunzip(blob)) = diff_id"])
    assert row["digest"] != row["diff_id"]
    assert len(row["digest"]) == 12 and (row["blob"], row["tar"]) == ("under 1 kB", "under 1 kB")


def test_blobs_are_asked_for_by_repository(registry) -> None:
    reg, asked = registry
    views02b.hashes_frame(wire.layer_hashes(reg, reg.ref("lab:a")))
    assert asked[0] == "/v2/lab/manifests/a" and len(asked) == 3
    assert all(path.startswith("/v2/lab/blobs/sha256:") for path in asked[1:])


def test_a_wrong_diff_id_shows_as_false() -> None:
    for reg, _ in registry_serving(diff_id_ok=False):
        row = views02b.hashes_frame(wire.layer_hashes(reg, reg.ref("lab:a"))).iloc[0]
        assert bool(row["sha256(blob) = digest"])
        assert not bool(row["sha256(gunzip(blob)) = diff_id"])


def test_a_missing_manifest_says_to_push_first(registry) -> None:
    reg, _ = registry
    with pytest.raises(LabkitError, match="no manifest for lab:b") as info:
        wire.manifest(reg, reg.ref("lab:b"))
    assert "push the image first" in info.value.hint


def test_layer_diff_ids_read_layerdb(tmp_path: Path) -> None:
    for name, diff in [("a", "sha256:1"), ("b", "sha256:2")]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "diff").write_text(diff + "\n")
    (tmp_path / "half-removed").mkdir()
    assert wire.layer_diff_ids(tmp_path) == {"sha256:1", "sha256:2"}
    assert wire.layer_diff_ids(tmp_path / "missing") == set()


def test_layer_hashes_keep_both_names_and_sizes(registry) -> None:
    reg, _ = registry
    (h,) = wire.layer_hashes(reg, reg.ref("lab:a"))
    assert h.index == 1 and h.compressed and h.digest_ok and h.diff_id_ok
    assert h.digest != h.diff_id and h.tar_bytes > h.blob_bytes
    frame = views02b.hashes_frame([h])
    assert frame.iloc[0]["digest"] == h.digest[7:19]


def _engine(fakes, image_attrs: dict, containerd_store: bool, ref: str = REG.ref("lab:a")) -> None:
    status = [["driver-type", "io.containerd.snapshotter.v1"]] if containerd_store else []
    engine = FakeClient(info(Driver="overlayfs" if containerd_store else "overlay2",
                             DriverStatus=status),
                        images={ref: FakeImage(image_attrs["Id"], image_attrs)})
    fakes(client=engine, system=FakeMachine().system())


def _config_digest(reg: LocalRegistry) -> str:
    return str(wire.manifest(reg, reg.ref("lab:a"))["config"]["digest"])


def test_the_image_id_names_the_config_on_a_graphdriver(registry, fakes, capsys) -> None:
    reg, _ = registry
    ref = reg.ref("lab:a")
    _engine(fakes, {"Id": _config_digest(reg)}, containerd_store=False, ref=ref)
    wire.what_names_the_image(reg, ref)
    assert "does not depend on how its layers were compressed" in capsys.readouterr().out
    _engine(fakes, {"Id": "sha256:" + "1" * 64}, containerd_store=False, ref=ref)
    with pytest.raises(LabkitError, match="not the digest of its config"):
        wire.what_names_the_image(reg, ref)


def test_the_image_id_names_the_index_on_the_containerd_store(registry, fakes, capsys) -> None:
    reg, _ = registry
    ref = reg.ref("lab:a")
    index = "sha256:" + "2" * 64
    _engine(fakes, {"Id": index, "Descriptor": {
        "mediaType": "application/vnd.oci.image.index.v1+json", "digest": index}},
        containerd_store=True, ref=ref)
    wire.what_names_the_image(reg, ref)
    out = capsys.readouterr().out
    assert "digest of the index the name points at" in out
    assert "another image ID" in out
    # an ID that is the config's digest is not this store's
    _engine(fakes, {"Id": _config_digest(reg)}, containerd_store=True, ref=ref)
    with pytest.raises(LabkitError, match="is not the digest of the manifest"):
        wire.what_names_the_image(reg, ref)


@pytest.mark.parametrize("containerd_store", [False, True])
def test_same_id_after_pull_says_why_per_store(fakes, capsys, containerd_store: bool) -> None:
    same = "sha256:" + "3" * 64
    _engine(fakes, {"Id": same}, containerd_store)
    wire.same_id_after_pull(REG.ref("lab:a"), same)
    out = capsys.readouterr().out
    assert out.startswith("same image ID as before the removal: True\n")
    assert ("the config's digest" in out) != containerd_store
    if containerd_store:
        wire.same_id_after_pull(REG.ref("lab:a"), "sha256:" + "4" * 64)
        assert "not the one the engine had" in capsys.readouterr().out
    else:
        with pytest.raises(LabkitError, match="came back as"):
            wire.same_id_after_pull(REG.ref("lab:a"), "sha256:" + "4" * 64)


def _cli_with(fakes, ref: str, layers: list[str]) -> CliEngine:
    engine = FakeClient(info(Driver="overlay2"), images={
        ref: FakeImage("sha256:" + "7" * 64, {"Id": "sha256:" + "7" * 64,
                                              "RootFS": {"Layers": layers}})})
    cli = CliEngine(engine)
    fakes(client=engine, system=cli.system())
    return cli


def test_push_runs_docker_push_and_tabulates_its_lines(registry, fakes, capsys) -> None:
    reg, _ = registry
    ref = reg.ref("lab:a")
    short = wire.manifest(reg, ref)["layers"][0]["digest"][7:19]
    cli = _cli_with(fakes, ref, ["sha256:" + "9" * 64])
    cli.answers[("docker", "push")] = (0, f"{short}: Preparing\n{short}: Pushed\n", "")
    frame = wire.push(ref)
    assert cli.calls[-1][0] == ["docker", "push", ref]
    assert capsys.readouterr().out == f"$ docker push {ref}\n", "the table follows, not the lines"
    assert frame.iloc[0].tolist() == [1, short, "digest", "Pushed"]
    for elsewhere in ("docker.io/library/app:a", "app:a", "10.0.0.1:5000/app:a"):
        with pytest.raises(LabkitError, match="not in a registry on 127.0.0.1"):
            wire.push(elsewhere)
    assert [c[0][:2] for c in cli.calls].count(["docker", "push"]) == 1, "nothing else pushed"
    cli.answers[("docker", "push")] = (1, "", "connection refused\n")
    with pytest.raises(LabkitError, match="connection refused") as err:
        wire.push(ref)
    assert "registry" in err.value.hint


def test_pull_runs_docker_pull_and_records_it(registry, fakes, tmp_path: Path, capsys) -> None:
    reg, _ = registry
    ref = reg.ref("lab:a")
    short = wire.manifest(reg, ref)["layers"][0]["digest"][7:19]
    cli = _cli_with(fakes, ref, [])
    cli.answers[("docker", "pull")] = (0, f"{short}: Pull complete\n", "")
    class PullingLab(FakeLab):
        pulled: list[str] = []

        def record_pulled(self, ref: str) -> None:
            self.pulled.append(ref)

    lab = PullingLab(tmp_path)
    frame = wire.pull(lab, reg, ref)
    assert cli.calls[-1][0] == ["docker", "pull", ref] and lab.pulled == [ref]
    assert capsys.readouterr().out.splitlines()[0] == f"$ docker pull {ref}"
    assert frame.iloc[0]["status"] == "Pull complete"
    with pytest.raises(LabkitError):
        wire.pull(lab, reg, "docker.io/library/redis:7")


def test_remove_local_runs_docker_rmi(tmp_path: Path, fakes, capsys) -> None:
    ref = REG.ref("lab:app-a")
    cli = _cli_with(fakes, "app-a:v1", [])
    cli.answers[("docker", "rmi")] = (0, "Untagged: app-a:v1\n", "")
    lab = FakeLab(tmp_path, [{"kind": "image", "tags": ["app-a:v1"]}, {"kind": "tag", "ref": ref}])
    wire.remove_local(lab, ["app-a:v1", ref])
    assert cli.calls[-1][0] == ["docker", "rmi", "app-a:v1", ref]
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == [f"$ docker rmi app-a:v1 {ref}", "Untagged: app-a:v1"]
    assert out[2] == "image 777777777777 still has other names", "the fake CLI removed nothing"


def test_manifest_frame_runs_busybox_wget(registry, fakes, capsys) -> None:
    reg, _ = registry

    def wget(argv: tuple[str, ...]) -> str:  # what busybox wget prints: the registry's answer
        return reg.get(argv[-1].removeprefix(f"http://{reg.address}")).body.decode()
    host = FakeHost({("busybox", "wget"): wget}, strict=True)
    fakes(host=host)
    frame = views02b.manifest_frame(reg, reg.ref("lab:a"))
    accept = f"Accept: {wire.MANIFEST_V2}, {wire.OCI_MANIFEST}"
    assert host.calls == [("busybox", "wget", "-qO-", "--header", accept,
                           f"http://{reg.address}/v2/lab/manifests/a")]
    assert capsys.readouterr().out.startswith("$ busybox wget -qO-")
    assert list(frame["part"]) == ["config", "layer 1"]
    assert list(frame["mediaType (end)"]) == ["image", "diff.tar.gzip"]
    assert list(frame["bytes"]) == ["under 1 kB", "under 1 kB"]
    oci = {"config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                      "digest": "sha256:" + "1" * 64, "size": 10},
           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                       "digest": "sha256:" + "2" * 64, "size": 20}]}
    host.answers[("busybox", "wget")] = json.dumps(oci)
    frame = views02b.manifest_frame(reg, reg.ref("lab:a"))
    assert list(frame["mediaType (end)"]) == ["config", "tar+gzip"]
    host.answers[("busybox", "wget")] = (1, "", "wget: server returned error: HTTP/1.1 404\n")
    with pytest.raises(LabkitError, match="no manifest"):
        views02b.manifest_frame(reg, reg.ref("lab:a"))
