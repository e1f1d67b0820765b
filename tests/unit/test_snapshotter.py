"""labkit.storage.snapshotter against a fake containerd store: snapshots, blobs, the two stores."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from labkit.base.errors import LabkitError
from labkit.storage import containerd_layers, snapshotter

from .fakes.client import FakeClient, FakeContainer, FakeImage, info
from .fakes.host import FakeHost
from .fakes.machine import FakeMachine

ROOT = "/var/lib/containerd"
SNAPS = f"{ROOT}/io.containerd.snapshotter.v1.overlayfs/snapshots"
CONTAINERD = info(Driver="overlayfs", DockerRootDir="/var/lib/docker",
                  DriverStatus=[["driver-type", "io.containerd.snapshotter.v1"]])
# A container's own /proc/PID/mountinfo on Docker 28.5 with the containerd image store.
MOUNTINFO = (
    "812 745 0:61 / / rw,relatime master:312 - overlay overlay rw,"
    f"lowerdir={SNAPS}/14/fs:{SNAPS}/12/fs:{SNAPS}/11/fs:{SNAPS}/10/fs,"
    f"upperdir={SNAPS}/15/fs,workdir={SNAPS}/15/work,uuid=on\n"
    "813 812 0:64 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
)
GRAPH_MOUNTINFO = (
    "48 42 0:39 / / rw,relatime master:2 - overlay overlay "
    "rw,lowerdir=/var/lib/docker/overlay2/l/AAA:/var/lib/docker/overlay2/l/BBB,"
    "upperdir=/var/lib/docker/overlay2/abc/diff,workdir=/var/lib/docker/overlay2/abc/work\n"
)
DIFF_IDS = ["sha256:" + c * 64 for c in "abc"]


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def blobs() -> tuple[dict[str, str], dict[str, str]]:
    """Index -> manifest -> config, as BuildKit writes them: {name: digest}, {path: text}."""
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": DIFF_IDS}})
    manifest = json.dumps({"schemaVersion": 2,
                           "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": digest(config), "size": len(config)}})
    index = json.dumps({"schemaVersion": 2,
                        "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": [
                            {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                             "digest": "sha256:" + "f" * 64, "size": 1,
                             "platform": {"architecture": "unknown", "os": "unknown"}},
                            {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                             "digest": digest(manifest), "size": len(manifest),
                             "platform": {"architecture": "amd64", "os": "linux"}}]})
    names = {"config": digest(config), "manifest": digest(manifest), "index": digest(index)}
    files = {f"{ROOT}/io.containerd.content.v1.content/blobs/sha256/{d.split(':')[1]}": t
             for d, t in zip(names.values(), (config, manifest, index), strict=True)}
    return names, files


@pytest.fixture
def store(machine: FakeMachine, fakes: Callable[..., Any]) -> tuple[FakeContainer, dict[str, str]]:
    """An engine on the containerd store, a running container of an image built there."""
    names, files = blobs()
    attrs = {"Id": names["index"], "Os": "linux", "Architecture": "amd64",
             "RootFS": {"Layers": DIFF_IDS},
             "Descriptor": {"mediaType": "application/vnd.oci.image.index.v1+json",
                            "digest": names["index"], "size": 1}}
    machine.with_tools("docker", "iptables")
    machine.engine = FakeClient(CONTAINERD, images={"img:1": FakeImage(names["index"], attrs)})
    fakes(host=FakeHost(files={**files, "/proc/4242/mountinfo": MOUNTINFO}))
    box = FakeContainer("redis7")
    box.attrs["Image"] = names["index"]
    box.attrs["GraphDriver"] = {"Name": "overlayfs", "Data": None}
    return box, names


def test_a_snapshot_path_is_taken_apart() -> None:
    found = snapshotter.parse_snapshot_path(f"{SNAPS}/14/fs")
    assert (found.root, found.plugin, found.number) == (
        ROOT, "io.containerd.snapshotter.v1.overlayfs", 14)
    docker_managed = snapshotter.parse_snapshot_path(
        "/var/lib/docker/containerd/daemon/io.containerd.snapshotter.v1.overlayfs/"
        "snapshots/3/work")
    assert docker_managed.root == "/var/lib/docker/containerd/daemon"
    assert docker_managed.number == 3
    with pytest.raises(LabkitError, match="not a containerd snapshot"):
        snapshotter.parse_snapshot_path("/var/lib/docker/overlay2/l/AAA")


def test_roles_put_the_image_layers_at_the_bottom() -> None:
    assert snapshotter.roles([False] * 3, 3) == ["init", "layer 3", "layer 2", "layer 1"]
    # a classic-builder image keeps its build containers' init snapshots in the chain
    assert snapshotter.roles([False, True, False, True, False], 3) == [
        "init", "layer 3", "build init", "layer 2", "build init", "layer 1"]
    assert snapshotter.roles([False] * 4, 3) == ["init", *["image snapshot"] * 4]


def test_each_lowerdir_is_a_snapshot_and_an_image_layer(store) -> None:
    box, _ = store
    stack = snapshotter.snapshot_stack(box)
    assert stack.root == ROOT and stack.snapshots_dir == SNAPS
    assert [(s.role, s.option, s.number) for s in stack.snapshots] == [
        ("init", "lowerdir", 14), ("layer 3", "lowerdir", 12), ("layer 2", "lowerdir", 11),
        ("layer 1", "lowerdir", 10), ("container", "upperdir", 15)]
    assert [s.diff_id for s in stack.snapshots] == ["", *reversed(DIFF_IDS), ""]
    frame = stack.to_frame()
    assert list(frame["under snapshots/"]) == ["14/fs", "12/fs", "11/fs", "10/fs", "15/fs"]
    assert frame.iloc[1]["diff_id"] == "c" * 12


def test_the_image_id_is_the_index_digest_not_the_config_digest(store) -> None:
    _, names = store
    found = snapshotter.image_digests("img:1", ROOT)
    assert found.image_id == found.target_digest == names["index"]
    assert found.manifest_digest == names["manifest"]  # the amd64 one, not the attestation
    assert found.config_digest == names["config"] != found.image_id
    frame = found.to_frame()
    assert list(frame["= image ID?"]) == ["yes", "yes", "no", "no"]
    assert "index" in frame.iloc[1]["digest of"]


def test_a_changed_or_missing_blob_is_a_labkit_error(store, fakes) -> None:
    _, names = store
    with pytest.raises(LabkitError, match="no blob"):
        snapshotter.read_blob("/elsewhere", names["config"])
    path = snapshotter.blob_path(ROOT, names["config"])
    fakes(host=FakeHost(files={path: "{}"}))
    with pytest.raises(LabkitError, match="hashes to"):
        snapshotter.read_blob(ROOT, names["config"])


def test_an_index_without_the_platform_is_a_labkit_error() -> None:
    with pytest.raises(LabkitError, match="linux/arm64"):
        snapshotter.pick_manifest({"manifests": []}, "linux", "arm64")


def test_the_table_marks_and_reads_the_containerd_store(store, capsys) -> None:
    box, names = store
    frame = snapshotter.stores_frame(box)
    mine = "containerd image store (this engine)"
    assert list(frame.columns) == ["overlay2 graphdriver", mine]
    assert frame.loc["a container's lowerdirs", mine] == "snapshots/14/fs"
    assert f"snapshotter: {SNAPS.removesuffix('/snapshots')}\n" in capsys.readouterr().out
    assert frame.loc["docker inspect's storage field", mine] == (
        "GraphDriver: Name overlayfs, no Data")
    assert max(len(str(v)) for v in frame.to_numpy().ravel()) <= 64, "no cell pandas cuts"
    # Engine 29 (API 1.52): no GraphDriver, the snapshotter named in Storage (moby#50857)
    del box.attrs["GraphDriver"]
    box.attrs["Storage"] = {"RootFS": {"Snapshot": {"Name": "overlayfs"}}}
    frame = snapshotter.stores_frame(box)
    assert frame.loc["docker inspect's storage field", mine] == (
        "no GraphDriver; Storage: RootFS.Snapshot.Name overlayfs")
    assert frame.loc["a container's lowerdirs", mine] == "snapshots/14/fs"
    assert names["index"][7:19] in frame.loc["the image ID is the digest of", mine]
    assert "driver-type io.containerd.snapshotter.v1" in frame.loc["docker info", mine]


def test_the_table_marks_and_reads_the_graphdriver(machine: FakeMachine, fakes) -> None:
    machine.with_tools("docker", "iptables")
    attrs = {"Id": "sha256:" + "9" * 64, "RootFS": {"Layers": DIFF_IDS}}
    machine.engine = FakeClient(info(DockerRootDir="/var/lib/docker"),
                                images={"img:1": FakeImage(attrs["Id"], attrs)})
    fakes(host=FakeHost(files={"/proc/4242/mountinfo": GRAPH_MOUNTINFO}))
    box = FakeContainer("redis7")
    box.attrs["Image"] = attrs["Id"]
    box.attrs["GraphDriver"] = {"Name": "overlay2", "Data": {
        "LowerDir": "/l", "UpperDir": "/u", "MergedDir": "/m", "WorkDir": "/w"}}
    frame = snapshotter.stores_frame(box)
    mine = "overlay2 graphdriver (this engine)"
    assert list(frame.columns) == [mine, "containerd image store"]
    assert frame.loc["a container's lowerdirs", mine] == "overlay2/l/AAA"
    assert frame.loc["where layers are kept", mine].startswith("overlay2/<cache-id>/diff")
    assert frame.loc["docker inspect's storage field", mine] == (
        "GraphDriver: Name overlay2, Data: Lower/Upper/Merged/WorkDir")
    assert "config " + "9" * 12 in frame.loc["the image ID is the digest of", mine]
    assert max(len(str(v)) for v in frame.to_numpy().ravel()) <= 64, "no cell pandas cuts"
    assert frame.loc["docker info", mine] == "Driver: overlay2; Backing Filesystem"
    with pytest.raises(LabkitError, match="not in containerd's image store"):
        snapshotter.snapshot_stack(box)


def test_the_container_stack_as_layers_bottom_first(store, machine: FakeMachine) -> None:
    box, _ = store
    stack = containerd_layers.container_layers(box)
    assert [(x.role, x.dir_id) for x in stack] == [
        ("layer 1", "10"), ("layer 2", "11"), ("layer 3", "12"), ("init", "14"),
        ("container", "15")]
    assert str(stack[0].path) == f"{SNAPS}/10/fs" and stack[0].diff_id == DIFF_IDS[0]
    assert stack[0].chain_id == DIFF_IDS[0] and stack[2].chain_id.startswith("sha256:")
    assert stack[3].diff_id == "" and stack[3].short_name == ""
    frame = containerd_layers.layers_frame(stack)
    assert list(frame["snapshot"]) == ["15", "14", "12", "11", "10"]
    assert frame.iloc[-1]["folder"] == "snapshots/10/fs"


def test_image_layers_are_read_below_a_running_course_container(store, machine) -> None:
    from labkit.base.labels import lesson_labels

    box, _ = store
    with pytest.raises(LabkitError, match="No course container of img:1 is running"):
        containerd_layers.image_layers("img:1")
    box.attrs["Config"]["Labels"] = lesson_labels("02", "s000000")
    machine.engine.containers.found[box.name] = box
    assert [x.role for x in containerd_layers.image_layers("img:1")] == ["layer 1", "layer 2",
                                                                   "layer 3"]


def test_image_keys_are_the_chain_ids_of_the_diff_ids(store) -> None:
    frame = containerd_layers.image_keys("img:1")
    assert list(frame["layer"]) == ["layer 1", "layer 2", "layer 3"]
    assert frame.iloc[0]["chain ID"] == frame.iloc[0]["diff_id"] == "a" * 12
    assert frame.iloc[1]["chain ID"] != "b" * 12


def test_snapshot_paths_need_no_short_names_and_fit_a_page(store) -> None:
    box, _ = store
    paths = containerd_layers.short_paths(box)
    assert list(paths["lowerdir entry (under snapshots/)"]) == ["14/fs", "12/fs", "11/fs",
                                                                "10/fs"]
    assert paths.iloc[0]["bytes"] == len(f"{SNAPS}/14/fs")
    budget = containerd_layers.option_budget(box)
    full, relative = budget["layers in a page"]
    assert relative > full > 0 and list(budget["bytes"])[1] == len("10/fs")
    assert list(budget["the kernel allows"]) == [min(full, 500), min(relative, 500)]


def test_shared_layers_are_one_chain_id(store, machine: FakeMachine) -> None:
    layers = [*DIFF_IDS[:2], "sha256:" + "d" * 64]
    attrs = {"Id": "sha256:" + "9" * 64, "RootFS": {"Layers": layers}}
    machine.engine.images.store["other:1"] = FakeImage(attrs["Id"], attrs)
    frame = containerd_layers.shared_layers(["img:1", "other:1"])
    assert len(frame) == 4
    assert list(frame["img:1"]) == ["yes", "yes", "yes", ""]
    assert list(frame["other:1"]) == ["yes", "yes", "", "yes"]


def test_known_blobs_hash_what_the_content_store_holds(store, tmp_path) -> None:
    import gzip

    tar = b"a layer's tar\n" * 10
    blob = gzip.compress(tar)
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    where = tmp_path / "io.containerd.content.v1.content" / "blobs" / "sha256"
    where.mkdir(parents=True)
    (where / digest.split(":")[1]).write_bytes(blob)
    missing = {"digest": "sha256:" + "e" * 64}
    frame = containerd_layers.known_blobs([{"digest": digest}, missing], str(tmp_path))
    assert list(frame["blob in the content store"]) == ["yes", "no"]
    assert frame.iloc[0]["diff_id of that blob"] == hashlib.sha256(tar).hexdigest()[:12]
    assert frame.iloc[1]["diff_id of that blob"] == "(no blob here)"
    assert list(frame["layer on disk"]) == ["no", "no"]  # no local image has that diff_id
