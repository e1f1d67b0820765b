"""Layers on the wire, against the real engine and the lesson's registry on 127.0.0.1."""

from __future__ import annotations

import pytest

from labkit.base.engine import client
from labkit.base.errors import LabkitError
from labkit.base.facts import facts
from labkit.images import catalog as images
from labkit.lab.session import Lab
from labkit.lessons.registry import start_registry
from labkit.storage import views02b, wire

pytestmark = pytest.mark.engine


def test_push_remove_pull_back(lab: Lab, capsys) -> None:
    images.ensure(["labkit/busybox", "labkit/registry:2"], progress=lambda m: None)
    app = wire.build_app(lab, "t-ch02-app:v1", "hello", base="labkit/busybox")
    other = wire.build_app(lab, "t-ch02-other:v1", "other", base="labkit/busybox")
    reg = start_registry(lab, name="t-ch02-registry")
    ref = lab.tag(app, reg.ref("t-ch02:app"))
    first = wire.push(ref)
    assert set(first["status"]) == {"Pushed"}
    # graphdriver engines name a layer by its diff_id, the containerd store by its blob digest
    assert set(first["named by"]) == {"digest" if facts().containerd_store else "diff_id"}
    second = wire.push(lab.tag(other, reg.ref("t-ch02:other")))
    assert list(second["status"])[:-1] == ["Layer already exists"] * (len(second) - 1)
    assert list(second["status"])[-1] == "Pushed"

    assert f"$ docker push {ref}\n" in capsys.readouterr().out
    frame = views02b.manifest_frame(reg, ref)  # busybox wget on this machine, 127.0.0.1 only
    assert list(frame["part"]) == ["config"] + [f"layer {n}" for n in range(1, len(first) + 1)]
    table = views02b.hashes_frame(wire.layer_hashes(reg, ref))
    assert table["sha256(blob) = digest"].all() and table["sha256(gunzip(blob)) = diff_id"].all()
    doc = wire.manifest(reg, ref)
    if not facts().containerd_store:  # there the image ID is the manifest's digest
        assert doc["config"]["digest"] == client().images.get(ref).id
    wire.what_names_the_image(reg, ref)  # raises unless the ID is what this store names
    said = capsys.readouterr().out
    assert ("digest of the manifest" in said or "digest of the index" in said) == (
        facts().containerd_store)

    image_id = client().images.get(app).id
    wire.remove_local(lab, [app, ref])
    if not facts().containerd_store:  # the digest -> diff_id map lives in the graphdriver store
        known = wire.known_digests(reg, ref)
        assert list(known["layer on disk"]) == ["yes"] * (len(known) - 1) + ["no"]
    pulled = wire.pull(lab, reg, ref)
    had = "(not fetched: already here)" if facts().containerd_store else "Already exists"
    assert list(pulled["status"]) == [had] * (len(pulled) - 1) + ["Pull complete"]
    assert client().images.get(ref).id == image_id
    assert "image" in capsys.readouterr().out
    wire.same_id_after_pull(ref, image_id)
    assert capsys.readouterr().out.startswith("same image ID as before the removal: True\n")


def test_remove_local_never_touches_course_images(lab: Lab) -> None:
    with pytest.raises(LabkitError):
        wire.remove_local(lab, ["labkit/busybox"])
    assert client().images.get("labkit/busybox")
