"""labkit.storage.imagesave on small synthetic archives of both layouts `docker save` writes."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from labkit.base.errors import LabkitError
from labkit.storage import digests, imagesave, layertar, overlay, views02b

from .fakes.client import FakeContainer
from .fakes.docker_root import IS_ROOT


def layer_tar(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


LAYERS = [layer_tar({"etc/os-release": "debian\n"}), layer_tar({"srv/hello": "hi\n"})]


def config(diff_ids: list[str]) -> bytes:
    return json.dumps({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [
            {"created_by": "/bin/sh -c #(nop) ADD file:" + "ab" * 32 + " in / "},
            {"created_by": "/bin/sh -c #(nop)  CMD [\"sh\"]", "empty_layer": True},
            {"created_by": "/bin/sh -c #(nop) COPY file:x in /srv/hello "},
        ]}).encode()


def docker_archive(folder: Path, diff_ids: list[str] | None = None) -> bytes:
    """The layout of engines before 25."""
    cfg = config(diff_ids or [sha(x) for x in LAYERS])
    cfg_name = hashlib.sha256(cfg).hexdigest() + ".json"
    (folder / cfg_name).write_bytes(cfg)
    paths = []
    for n, data in enumerate(LAYERS):
        v1 = hashlib.sha256(f"v1 {n}".encode()).hexdigest()
        (folder / v1).mkdir()
        (folder / v1 / "layer.tar").write_bytes(data)
        (folder / v1 / "json").write_text("{}")
        (folder / v1 / "VERSION").write_text("1.0")
        paths.append(f"{v1}/layer.tar")
    (folder / "manifest.json").write_text(json.dumps(
        [{"Config": cfg_name, "RepoTags": ["demo:1"], "Layers": paths}]))
    (folder / "repositories").write_text(json.dumps({"demo": {"1": paths[-1][:64]}}))
    return cfg


def blob(folder: Path, data: bytes) -> str:
    digest = sha(data)
    path = folder / "blobs" / "sha256" / digest.split(":")[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return digest


def oci_layout(folder: Path, *, gzip_top: bool = False, nested: bool = False,
               with_manifest_json: bool = True, layers: list[bytes] | None = None) -> bytes:
    """The layout of engines 25 and later (the top layer optionally gzip-compressed)."""
    layers = layers or LAYERS
    cfg = config([sha(x) for x in layers])
    stored = [layers[0], gzip.compress(layers[1], mtime=0) if gzip_top else layers[1]]
    layer_descs = [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "size": len(d),
                    "digest": blob(folder, d)} for d in stored]
    manifest = json.dumps({"schemaVersion": 2, "config": {
        "mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(folder, cfg),
        "size": len(cfg)}, "layers": layer_descs}).encode()
    desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": blob(folder, manifest), "size": len(manifest),
            "annotations": {"io.containerd.image.name": "docker.io/library/demo:1"}}
    if nested:
        inner = json.dumps({"schemaVersion": 2, "manifests": [desc]}).encode()
        desc = {"mediaType": "application/vnd.oci.image.index.v1+json",
                "digest": blob(folder, inner), "size": len(inner),
                "annotations": desc["annotations"]}
    (folder / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [desc]}))
    (folder / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    if with_manifest_json:
        (folder / "manifest.json").write_text(json.dumps([{
            "Config": f"blobs/sha256/{sha(cfg).split(':')[1]}", "RepoTags": ["demo:1"],
            "Layers": [f"blobs/sha256/{d['digest'].split(':')[1]}" for d in layer_descs]}]))
    return cfg


def test_docker_archive_is_read_and_every_layer_matches(tmp_path: Path) -> None:
    cfg = docker_archive(tmp_path)
    saved = imagesave.read(tmp_path)
    assert saved.layout == imagesave.DOCKER_LAYOUT
    assert saved.repo_tags == ("demo:1",)
    assert saved.image_id == sha(cfg)
    assert [x.index for x in saved.layers] == [1, 2]
    assert saved.all_match()
    assert not any(x.compressed for x in saved.layers)


def test_files_frame_orders_entries_by_role(tmp_path: Path) -> None:
    docker_archive(tmp_path)
    frame = imagesave.read(tmp_path).files_frame()
    entries = list(frame["entry"])
    assert entries[0].endswith(".json") and entries[1].endswith("/")
    assert entries[-2:] == ["manifest.json", "repositories"]
    assert frame.iloc[1]["size"] == "3 files"


def test_history_frame_links_steps_to_layers(tmp_path: Path) -> None:
    docker_archive(tmp_path)
    frame = imagesave.read(tmp_path).history_frame()
    made = list(frame["layer (diff_id)"])
    assert made[1] == "-" and made[0] == sha(LAYERS[0]).split(":")[1][:12]
    assert made[2] == sha(LAYERS[1]).split(":")[1][:12]
    assert frame.iloc[0]["created_by"] == "ADD file:" + "ab" * 6 + " in /"


def test_a_wrong_diff_id_is_reported(tmp_path: Path) -> None:
    docker_archive(tmp_path, diff_ids=[sha(LAYERS[0]), "sha256:" + "0" * 64])
    saved = imagesave.read(tmp_path)
    assert not saved.all_match()
    assert list(saved.layers_frame()["equal"]) == ["yes", "NO"]


def test_oci_layout_is_read(tmp_path: Path) -> None:
    cfg = oci_layout(tmp_path)
    saved = imagesave.read(tmp_path)
    assert saved.layout == imagesave.OCI_LAYOUT
    assert saved.image_id == sha(cfg)
    assert saved.all_match() and saved.repo_tags == ("demo:1",)
    assert saved.layers[0].path == "blobs/sha256/" + sha(LAYERS[0]).split(":")[1]
    assert [e.split("/")[0] for e in saved.files_frame()["entry"]][:3] == [
        "oci-layout", "index.json", "blobs"]


def test_oci_gzip_layer_is_hashed_uncompressed(tmp_path: Path) -> None:
    oci_layout(tmp_path, gzip_top=True)
    saved = imagesave.read(tmp_path)
    assert saved.layers[1].compressed and saved.layers[1].matches


def test_oci_nested_index_without_manifest_json(tmp_path: Path) -> None:
    oci_layout(tmp_path, nested=True, with_manifest_json=False)
    saved = imagesave.read(tmp_path)
    assert saved.all_match()
    assert saved.repo_tags == ("docker.io/library/demo:1",)


def test_an_unknown_folder_gets_a_hint(tmp_path: Path) -> None:
    with pytest.raises(LabkitError) as err:
        imagesave.read(tmp_path)
    assert "docker save" in err.value.hint


def test_layer_count_mismatch_is_an_error(tmp_path: Path) -> None:
    docker_archive(tmp_path, diff_ids=[sha(LAYERS[0])])
    with pytest.raises(LabkitError):
        imagesave.read(tmp_path)


def test_where_things_are_covers_both_layouts() -> None:
    table = imagesave.where_things_are(containerd_store=False)
    assert list(table.columns) == ["part", imagesave.DOCKER_LAYOUT, imagesave.OCI_LAYOUT]
    assert "layer.tar" in table.iloc[3][imagesave.DOCKER_LAYOUT]
    assert "<diff_id>" in table.iloc[3][imagesave.OCI_LAYOUT]
    assert table.iloc[4][imagesave.OCI_LAYOUT] == "the config blob"
    # the containerd image store keeps compressed blobs and names an image by its manifest
    table = imagesave.where_things_are(containerd_store=True)
    assert "compressed" in table.iloc[3][imagesave.OCI_LAYOUT]
    assert "manifest or index" in table.iloc[4][imagesave.OCI_LAYOUT]


def test_hash_layer_and_sha256_file(tmp_path: Path) -> None:
    (tmp_path / "t").write_bytes(LAYERS[0])
    (tmp_path / "g").write_bytes(gzip.compress(LAYERS[0]))
    assert digests.hash_layer(tmp_path / "t") == (sha(LAYERS[0]), False)
    assert digests.hash_layer(tmp_path / "g") == (sha(LAYERS[0]), True)
    assert digests.sha256_file(tmp_path / "g") != sha(LAYERS[0])


def test_layer_sources_follow_the_layer_order_not_the_digests() -> None:
    big, small = "sha256:" + "f" * 64, "sha256:" + "0" * 64
    manifest = [{"Config": "blobs/sha256/" + "c" * 64,
                 "Layers": ["blobs/sha256/" + "f" * 64, "blobs/sha256/" + "0" * 64],
                 "LayerSources": {small: {"size": 1536}, big: {"size": 121409536}}}]
    shown = imagesave.layer_sources_in_order(manifest)
    assert list(shown[0]["LayerSources"]) == [big, small]
    assert list(manifest[0]["LayerSources"]) == [small, big]  # the original is left as it was
    assert imagesave.layer_sources_in_order({"not": "a list"}) == {"not": "a list"}


# -- the archive followed from its entry point ---------------------------------------------------
def test_chain_frame_follows_index_json_to_the_layers(tmp_path: Path) -> None:
    oci_layout(tmp_path, nested=True)
    saved = imagesave.read(tmp_path)
    frame = saved.chain_frame()
    assert list(frame["part"]) == ["entry point", "image index", "image manifest", "config",
                                   "layer 1", "layer 2"]
    assert frame.iloc[3]["mediaType (end)"] == "image.config.v1+json"
    assert frame.iloc[4]["mediaType (end)"] == "image.layer.v1.tar"
    # 64-hex names are shown by their first 12 digits, as docker shows IDs
    assert frame.iloc[4]["file in the archive"] == "blobs/sha256/" + sha(LAYERS[0])[7:19]
    assert json.loads(saved.entry_text())["manifests"][0]["mediaType"].endswith("index.v1+json")


def test_chain_frame_of_the_docker_archive(tmp_path: Path) -> None:
    docker_archive(tmp_path)
    saved = imagesave.read(tmp_path)
    frame = saved.chain_frame()
    assert list(frame["part"]) == ["entry point", "config", "layer 1", "layer 2"]
    assert frame.iloc[0]["file in the archive"] == "manifest.json"
    assert frame.iloc[2]["file named by"] == "a v1 ID made up at save time"
    assert json.loads(saved.entry_text())[0]["RepoTags"] == ["demo:1"]


# -- deletions inside a layer tar (labkit.storage.layertar) ---------------------------------------
def deletion_tar(extra_whiteouts: int = 0) -> bytes:
    """A layer that deleted etc/motd and remade usr/share/doc, as overlay2's diff writes it."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name in ("etc", "usr", "usr/share", "usr/share/doc"):
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            tf.addfile(info)
        names = ["etc/.wh.motd", "usr/share/doc/.wh..wh..opq"]
        names += [f"usr/share/doc/.wh.pkg{n}" for n in range(extra_whiteouts)]
        for name in names:
            tf.addfile(tarfile.TarInfo(name), io.BytesIO(b""))
        readme = tarfile.TarInfo("usr/share/doc/README")
        readme.size = 11
        tf.addfile(readme, io.BytesIO(b"made again\n"))
    return buf.getvalue()


def saved_with_top(folder: Path, top: bytes, gzipped: bool = False) -> imagesave.SavedImage:
    oci_layout(folder, gzip_top=gzipped, layers=[LAYERS[0], top])
    return imagesave.read(folder)


def test_meaning_of_layer_tar_entries() -> None:
    assert layertar.meaning("etc/.wh.motd") == "/etc/motd was deleted"
    assert layertar.meaning(".wh.top") == "/top was deleted"
    assert layertar.meaning("usr/share/doc/.wh..wh..opq") == (
        "/usr/share/doc/ is opaque: hide what lower layers have in it")
    assert layertar.meaning("usr/") == "a folder of the layer"
    assert layertar.meaning("usr/share/doc/README") == "a file of the layer"


@pytest.mark.parametrize("gzipped", [False, True])
def test_tar_entries_list_the_deletions(tmp_path: Path, gzipped: bool) -> None:
    frame = layertar.tar_entries(saved_with_top(tmp_path, deletion_tar(), gzipped))
    rows = dict(zip(frame["entry in the layer tar"], frame["means"], strict=True))
    assert rows["etc/.wh.motd"] == "/etc/motd was deleted"
    assert rows["usr/share/doc/.wh..wh..opq"].startswith("/usr/share/doc/ is opaque")
    assert rows["usr/share/doc/"] == "a folder of the layer"
    assert list(frame["type"])[:4] == ["dir"] * 4


def test_tar_entries_sum_up_a_long_tail(tmp_path: Path) -> None:
    frame = layertar.tar_entries(saved_with_top(tmp_path, deletion_tar(40)), limit=10)
    assert len(frame) == 10
    last = frame.iloc[-1]
    assert last["entry in the layer tar"] == "... 38 more entries"
    assert last["means"] == "37 of them .wh. entries"


def test_a_layer_that_is_no_tar_gets_a_hint(tmp_path: Path) -> None:
    saved = saved_with_top(tmp_path, b"not a tar at all" * 100)
    with pytest.raises(LabkitError, match="not a readable tar"):
        layertar.tar_entries(saved)


def test_deleter_dockerfile_removes_a_file_and_remakes_a_folder() -> None:
    text = layertar.deleter_dockerfile()
    assert text.startswith("FROM labkit/debian:bookworm\nRUN rm /etc/motd && rm -rf ")
    assert "mkdir /usr/share/doc" in text


@pytest.mark.skipif(not IS_ROOT, reason="whiteouts and trusted xattrs need root")
def test_the_deletion_layer_is_found_and_read(tmp_path: Path, capsys) -> None:
    top, below = tmp_path / "top", tmp_path / "below"
    (top / "etc").mkdir(parents=True)
    (below / "etc").mkdir(parents=True)
    (below / "etc" / "motd").write_text("hello\n")
    (top / "usr/share/doc").mkdir(parents=True)
    overlay.make_whiteout(top / "etc" / "motd")
    os.setxattr(top / "usr/share/doc", overlay.OPAQUE_XATTR, b"y")
    link = tmp_path / "l"
    link.symlink_to(top)
    found = layertar.deletion_layer(FakeContainer("box"), lowers=[str(tmp_path / "x"), str(link),
                                                                   str(below)])
    assert found == top and str(top) in capsys.readouterr().out
    frame = layertar.on_disk(found)
    assert list(frame["in the layer's folder"]) == ["whiteout", "opaque dir"]
    assert list(frame["what the kernel reads"]) == [
        "character device 0,0", "xattr trusted.overlay.opaque=y"]
    with pytest.raises(LabkitError, match="No layer below box"):
        layertar.deletion_layer(FakeContainer("box"), lowers=[str(tmp_path / "x")])


def test_layout_note_names_the_engine_and_what_it_wrote(tmp_path: Path) -> None:
    from types import SimpleNamespace

    oci_layout(tmp_path)
    saved = imagesave.read(tmp_path)
    note = views02b.layout_note(saved, SimpleNamespace(major=28))  # type: ignore[arg-type]
    assert note == f"This engine, Docker 28, wrote the {imagesave.OCI_LAYOUT}."
    old = views02b.layout_note(saved, SimpleNamespace(major=20))  # type: ignore[arg-type]
    assert "usually write the docker-archive" in old


def test_a_tar_s_size_is_exact_and_a_compressed_blob_s_is_rounded() -> None:
    layers = [imagesave.SavedLayer(1, "a/layer.tar", 5_605_618, "sha256:" + "a" * 64, False,
                                   "sha256:" + "a" * 64),
              imagesave.SavedLayer(2, "blobs/sha256/b", 50_670_056, "sha256:" + "b" * 64, True,
                                   "sha256:" + "b" * 64)]
    saved = SimpleNamespace(layers=layers)
    frame = imagesave.SavedImage.layers_frame(saved)  # type: ignore[arg-type]
    assert list(frame["size"]) == ["5,605,618 B", "51 MB"]


def test_a_small_gzip_blob_is_under_1_kb_and_a_small_file_exact() -> None:
    assert imagesave._about(96, compressed=True) == imagesave._about(94, compressed=True)
    assert imagesave._about(354) == "354 bytes"
    assert imagesave._about(50_670_056, compressed=True) == "about 51 MB"
