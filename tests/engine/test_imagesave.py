"""`docker save` on the real engine: the layout it writes, hashes equal diff_ids."""

from __future__ import annotations

import gzip
import hashlib

import pytest

from labkit.base.engine import client
from labkit.base.facts import facts
from labkit.images import catalog as images
from labkit.lab.session import Lab
from labkit.storage import checks as checks_storage
from labkit.storage import imagesave

pytestmark = pytest.mark.engine


def test_save_busybox_and_hash_every_layer(lab: Lab, capsys) -> None:
    images.ensure(["labkit/busybox"], progress=lambda m: None)
    saved = imagesave.save(lab, "labkit/busybox")
    out = capsys.readouterr().out.replace(" \\\n    ", " ")  # long lines are folded
    assert "docker save labkit/busybox -o" in out and "tar -xf" in out
    engine = client().images.get("labkit/busybox")
    said = saved.what_the_id_hashes(engine.id)
    if facts().containerd_store:  # the ID names the manifest
        assert saved.image_id != engine.id and "image manifest" in said
    else:
        assert saved.image_id == engine.id and "config file" in said
    assert [x.diff_id for x in saved.layers] == engine.attrs["RootFS"]["Layers"]
    assert saved.all_match()
    api = tuple(int(x) for x in client().version()["ApiVersion"].split("."))
    assert saved.layout == (imagesave.OCI_LAYOUT if api >= (1, 44) else imagesave.DOCKER_LAYOUT)
    assert "labkit/busybox:latest" in saved.repo_tags


def test_check_diff_id_against_a_saved_image(lab: Lab) -> None:
    images.ensure(["labkit/busybox"], progress=lambda m: None)
    saved = imagesave.save(lab, "labkit/busybox")
    top = saved.folder / saved.layers[-1].path
    data = top.read_bytes()
    if saved.layers[-1].compressed:  # the containerd image store saves layers gzip-compressed
        blob = checks_storage.check_diff_id("labkit/busybox", "sha256:" + top.name, saved.folder)
        assert not blob.passed and "name of a file" in blob.message
        data = gzip.decompress(data)
    answer = "sha256:" + hashlib.sha256(data).hexdigest()
    assert checks_storage.check_diff_id("labkit/busybox", answer, saved.folder).passed
    wrong = checks_storage.check_diff_id("labkit/busybox", saved.layers[0].diff_id, saved.folder)
    assert not wrong.passed and "the last one manifest.json lists" in wrong.hint


def test_deletions_travel_as_wh_entries_and_land_as_whiteouts(lab: Lab) -> None:
    from labkit.storage import layertar

    images.ensure(["labkit/debian:bookworm"], progress=lambda m: None)
    deleter = layertar.build_deleter(lab, "t-ch02-deleter:v1")
    saved = imagesave.save(lab, deleter)
    chain = saved.chain_frame()
    assert chain.iloc[0]["file in the archive"] == (
        "index.json" if saved.layout == imagesave.OCI_LAYOUT else "manifest.json")
    entries = layertar.tar_entries(saved, limit=10_000)
    names = set(entries["entry in the layer tar"])
    assert "etc/.wh.motd" in names
    # the remade folder: one opaque marker, or a whiteout for each entry it lost
    assert "usr/share/doc/.wh..wh..opq" in names or any(
        n.startswith("usr/share/doc/.wh.") for n in names)
    box = lab.run(deleter, ["sleep", "600"], name="t-ch02-deleter")
    folder = layertar.deletion_layer(box)
    disk = layertar.on_disk(folder)
    assert disk.iloc[0]["in the layer's folder"] == "whiteout"
    assert disk.iloc[0]["what the kernel reads"] == "character device 0,0"
    assert disk.iloc[1]["in the layer's folder"] in {"opaque dir", "dir"}
