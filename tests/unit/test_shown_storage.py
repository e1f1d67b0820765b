"""Chapters 02 and 02b show the commands they read the system with, and their tables come from
what those commands printed (findmnt, du, getconf, docker image inspect, sha256sum)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from labkit.base.errors import LabkitError
from labkit.storage import graphdriver, imagesave, overlay, store, views02b
from labkit.storage.imagesave import SavedImage, SavedLayer

from .fakes.client import FakeContainer
from .fakes.host import FakeHost
from .fakes.seam import Fakes

LOWER = "/var/lib/docker/containerd/daemon/io.containerd.snapshotter.v1.overlayfs/snapshots"
FS_OPTIONS = (f"rw,lowerdir={LOWER}/12/fs:{LOWER}/3/fs,upperdir={LOWER}/13/fs,"
              f"workdir={LOWER}/13/work,index=off\n")


def test_fs_options_keep_the_three_folders_only() -> None:
    found = graphdriver.parse_fs_options(FS_OPTIONS)
    assert found == {"lowerdir": f"{LOWER}/12/fs:{LOWER}/3/fs", "upperdir": f"{LOWER}/13/fs",
                     "workdir": f"{LOWER}/13/work"}
    assert graphdriver.parse_fs_options("rw,relatime\n") == {}


def test_root_mount_runs_findmnt_in_the_containers_mount_table(
        fakes: Callable[..., Fakes], capsys) -> None:
    host = FakeHost({("findmnt",): FS_OPTIONS}, strict=True)
    fakes(host=host)
    mnt = graphdriver.root_mount(FakeContainer("redis7", pid=4321))
    assert host.calls == [("findmnt", "-N", "4321", "-n", "-o", "FS-OPTIONS", "/")]
    assert mnt.lowers == [f"{LOWER}/12/fs", f"{LOWER}/3/fs"]
    assert mnt.options["upperdir"] == f"{LOWER}/13/fs" and mnt.target == "/"
    assert capsys.readouterr().out.startswith("$ findmnt -N 4321 -n -o FS-OPTIONS /\n")


def test_root_mount_says_what_to_do_when_there_is_no_overlay(
        fakes: Callable[..., Fakes]) -> None:
    fakes(host=FakeHost({("findmnt",): "rw,relatime\n"}, strict=True))
    with pytest.raises(LabkitError) as err:
        graphdriver.root_mount(FakeContainer("plain"))
    assert "not an overlay" in err.value.message and "labkit doctor" in err.value.hint
    with pytest.raises(LabkitError) as err:
        graphdriver.root_mount(FakeContainer("stopped", running=False))
    assert "not running" in err.value.message


def test_a_page_of_another_size_changes_the_room_for_lowerdirs() -> None:
    mnt = graphdriver.OverlayMount("/", graphdriver.parse_fs_options(FS_OPTIONS), 0)
    assert mnt.room_in(8192) - mnt.room_in(4096) == 4096
    assert mnt.lowerdir_room == mnt.room_in(graphdriver.PAGE_SIZE)


def test_du_and_rootfs_lines_are_read_as_printed() -> None:
    assert store.parse_du("14M\t/a/86/fs\n127M\t/a/32/fs\n") == {"/a/86/fs": "14M",
                                                                  "/a/32/fs": "127M"}
    text = "[sha256:aa]\n[sha256:aa sha256:bb]\n"
    assert store.parse_rootfs_lines(["base", "app"], text) == {
        "base": ["sha256:aa"], "app": ["sha256:aa", "sha256:bb"]}
    assert store.parse_rootfs_lines(["one"], text) == {}  # not one line per image: unread


def test_sums_are_read_per_file_and_from_stdin() -> None:
    text = f"{'a' * 64}  blobs/sha256/{'a' * 64}\n{'b' * 64}  -\nsha256sum: x: No such file\n"
    assert views02b.parse_sums(text) == {f"blobs/sha256/{'a' * 64}": "sha256:" + "a" * 64,
                                         "-": "sha256:" + "b" * 64}


def _saved(tmp_path: Path, diff_id: str) -> SavedImage:
    layer = SavedLayer(1, "blobs/sha256/" + "c" * 64, 100, diff_id, True, diff_id)
    return SavedImage(tmp_path, imagesave.OCI_LAYOUT, ("demo:1",), "blobs/sha256/" + "d" * 64,
                      {}, (layer,))


def test_hash_layers_tables_what_sha256sum_printed(tmp_path: Path,
                                                   fakes: Callable[..., Fakes]) -> None:
    diff_id = "sha256:" + "e" * 64
    host = FakeHost({("sh", "-c"): f"{'e' * 64}  -\n"}, strict=True)
    fakes(host=host)
    assert list(views02b.hash_layers(_saved(tmp_path, diff_id))["equal"]) == ["yes"]
    assert "gunzip -c blobs/sha256/" in host.calls[0][2] and "| sha256sum" in host.calls[0][2]
    # What the table says comes from the command, not from labkit's own hash of the file.
    fakes(host=FakeHost({("sh", "-c"): f"{'0' * 64}  -\n"}, strict=True))
    assert list(views02b.hash_layers(_saved(tmp_path, diff_id))["equal"]) == ["NO"]


def test_getxattrs_runs_python3_with_the_path(fakes: Callable[..., Fakes], capsys) -> None:
    host = FakeHost({("python3", "-c"): "trusted.overlay.opaque b'y'\n"}, strict=True)
    fakes(host=host)
    overlay.getxattrs(Path("/lesson/upper/conf"))
    argv = host.calls[0]
    assert argv[0] == "python3" and argv[-1] == "/lesson/upper/conf"
    assert "os.listxattr" in argv[2] and "os.getxattr" in argv[2]
    assert "trusted.overlay.opaque b'y'" in capsys.readouterr().out


def test_known_blobs_take_what_ls_listed(tmp_path: Path, monkeypatch) -> None:
    from labkit.storage import containerd_layers
    monkeypatch.setattr(containerd_layers, "local_chain_ids", lambda: set())
    where = tmp_path / "io.containerd.content.v1.content" / "blobs" / "sha256"
    where.mkdir(parents=True)
    (where / ("a" * 64)).write_bytes(b"not gzip\n")
    layers = [{"digest": "sha256:" + "a" * 64}]
    listed = {str(where / ("a" * 64))}
    frame = containerd_layers.known_blobs(layers, str(tmp_path), listed)
    assert list(frame["blob in the content store"]) == ["yes"]
    frame = containerd_layers.known_blobs(layers, str(tmp_path), set())  # ls did not list it
    assert list(frame["blob in the content store"]) == ["no"]


def test_id_and_descriptor_are_read_as_docker_printed_them() -> None:
    digest = "sha256:" + "9" * 64
    said = (f'{digest} {{"digest":"{digest}","mediaType":'
            '"application/vnd.oci.image.manifest.v1+json","size":975}\n')
    found = store.parse_id_descriptor(said)
    assert found["Id"] == digest and found["Descriptor"]["size"] == 975
    assert store.parse_id_descriptor(f"{digest} null\n") == {"Id": digest}
    assert store.parse_id_descriptor("Error: No such image\n") == {}
