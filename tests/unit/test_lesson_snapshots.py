"""lesson_snapshots: reading a prepared snapshot's overlay as containerd's snapshot stack."""

from __future__ import annotations

import pytest

from labkit.base.errors import LabkitError
from labkit.storage import lesson_snapshots

ROOT = "/lab/s1/containerd/c/root/io.containerd.snapshotter.v1.overlayfs/snapshots"
MOUNTS = (f"mount -t overlay overlay /lab/s1/containerd/merged -o index=off,"
          f"workdir={ROOT}/4/work,upperdir={ROOT}/4/fs,"
          f"lowerdir={ROOT}/3/fs:{ROOT}/2/fs:{ROOT}/1/fs\n")
DIFF_IDS = ["sha256:" + c * 64 for c in "abc"]  # bottom first


def test_mount_argv_is_what_ctr_printed() -> None:
    argv = lesson_snapshots.mount_argv(MOUNTS)
    assert argv[:6] == ["mount", "-t", "overlay", "overlay", "/lab/s1/containerd/merged", "-o"]
    assert argv[6].startswith("index=off,workdir=") and len(argv) == 7


def test_a_bind_mount_is_no_overlay() -> None:
    with pytest.raises(LabkitError) as err:
        lesson_snapshots.mount_argv("mount -t bind /x/1/fs /m -o rbind,ro\n")
    assert "two layers" in err.value.hint


def test_the_stack_is_the_image_layers_top_first_then_the_active_snapshot() -> None:
    options = {"lowerdir": f"{ROOT}/3/fs:{ROOT}/2/fs:{ROOT}/1/fs", "upperdir": f"{ROOT}/4/fs",
               "workdir": f"{ROOT}/4/work"}
    stack = lesson_snapshots.stack_from_options("redis7", options, DIFF_IDS)
    assert stack.snapshots_dir == ROOT and stack.container == "redis7"
    assert [(s.role, s.number, s.diff_id) for s in stack.snapshots] == [
        ("layer 3", 3, DIFF_IDS[2]), ("layer 2", 2, DIFF_IDS[1]), ("layer 1", 1, DIFF_IDS[0]),
        ("active (a container's)", 4, "")]
    frame = stack.to_frame()
    assert list(frame["under snapshots/"]) == ["3/fs", "2/fs", "1/fs", "4/fs"]
    assert list(frame["option"]) == ["lowerdir"] * 3 + ["upperdir"]


def test_a_stack_that_is_not_one_snapshot_per_layer_is_refused() -> None:
    options = {"lowerdir": f"{ROOT}/2/fs:{ROOT}/1/fs", "upperdir": f"{ROOT}/4/fs"}
    with pytest.raises(LabkitError) as err:
        lesson_snapshots.stack_from_options("redis7", options, DIFF_IDS)
    assert "2 lowerdirs for an image of 3 layers" in str(err.value)


def test_snapshot_kinds_reads_the_last_column() -> None:
    out = ("KEY        PARENT     KIND\n"
           "redis7     sha256:c   Active\n"
           "sha256:a              Committed\n"
           "sha256:c   sha256:a   Committed\n")
    assert lesson_snapshots.snapshot_kinds(out) == ["Active", "Committed", "Committed"]
    assert lesson_snapshots.snapshot_kinds("KEY PARENT KIND\n") == []
