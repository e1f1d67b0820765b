"""`docker save` on the real engine: the layout it writes, hashes equal diff_ids."""

from __future__ import annotations

import hashlib

import pytest

from labkit import checks_storage, images, imagesave
from labkit.engine import client
from labkit.lab import Lab

pytestmark = pytest.mark.engine


def test_save_busybox_and_hash_every_layer(lab: Lab, capsys) -> None:
    images.ensure(["labkit/busybox"], progress=lambda m: None)
    saved = imagesave.save(lab, "labkit/busybox")
    out = capsys.readouterr().out
    assert "docker save labkit/busybox -o" in out and "tar -xf" in out
    engine = client().images.get("labkit/busybox")
    assert saved.image_id == engine.id
    assert [x.diff_id for x in saved.layers] == engine.attrs["RootFS"]["Layers"]
    assert saved.all_match()
    api = tuple(int(x) for x in client().version()["ApiVersion"].split("."))
    assert saved.layout == (imagesave.OCI_LAYOUT if api >= (1, 44) else imagesave.DOCKER_LAYOUT)
    assert "labkit/busybox:latest" in saved.repo_tags


def test_check_diff_id_against_a_saved_image(lab: Lab) -> None:
    images.ensure(["labkit/busybox"], progress=lambda m: None)
    saved = imagesave.save(lab, "labkit/busybox")
    top = saved.folder / saved.layers[-1].path
    answer = "sha256:" + hashlib.sha256(top.read_bytes()).hexdigest()
    assert checks_storage.check_diff_id("labkit/busybox", answer, saved).passed
    wrong = checks_storage.check_diff_id("labkit/busybox", saved.layers[0].diff_id, saved)
    assert not wrong.passed and "last entry" in wrong.hint
