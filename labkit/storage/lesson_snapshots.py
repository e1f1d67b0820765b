"""containerd snapshots on a graphdriver engine: a containerd of the lesson's own.

Taught in: 02-overlayfs-and-image-storage (section 4.1). An engine on the overlay2 graphdriver
has no containerd snapshots to read, and the course never switches the learner's store. So
the lesson starts a containerd of its own (`labkit.lessons.containerd`: its folder, socket and
netns), gives it the image through `docker save` and `ctr images import`, and prepares a
snapshot on top of the image's layers the way containerd prepares a container's root. It
mounts that snapshot, and reads it back from the kernel's mount table like a container's.
Nothing of the learner's is written: the image stays in their engine as it was.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from labkit.base import procfs
from labkit.base.engine import client
from labkit.base.errors import LabkitError, friendly
from labkit.base.host import host
from labkit.base.i18n import N_, _
from labkit.base.show import docker, sh, show_command
from labkit.lab.session import Lab
from labkit.lessons import containerd
from labkit.lessons.containerd import LessonContainerd
from labkit.storage.graphdriver import overlay_options
from labkit.storage.overlay2_layers import chain_ids
from labkit.storage.snapshotter import Snapshot, SnapshotStack, parse_snapshot_path

# mount(8) from util-linux 2.39 on passes options through the new mount API, whose fsconfig()
# takes at most 256 bytes per option (util-linux#2287): snapshot lowerdirs are longer. This
# makes it call mount(2), as containerd and Docker do (one page for all the options); older
# util-linux ignores it.
FORCE_MOUNT2 = ("env", "LIBMOUNT_FORCE_MOUNT2=always")
INDEX_OFF_WHY = N_("(`index=off`: containerd turns off overlay's inode index, which would let an "
                 "upperdir be mounted again only over the lowerdirs it was first mounted with, "
                 "and snapshots are shared and restacked by many mounts.)")


def mount_argv(ctr_output: str) -> list[str]:
    """The `mount ...` command `ctr snapshots mounts` prints, as an argument list.

    Raises:
        LabkitError: it printed no overlay mount (a snapshot with no parent is a bind mount).
    """
    for line in ctr_output.splitlines():
        argv = shlex.split(line)
        if argv[:4] == ["mount", "-t", "overlay", "overlay"]:
            return argv
    raise LabkitError(_("`ctr snapshots mounts` printed no overlay mount: {ctr_output!r}.").format(
                          ctr_output=ctr_output.strip()),
                      _("prepare the snapshot on an image of two layers or more"))


def stack_from_options(key: str, options: dict[str, str], diff_ids: list[str]) -> SnapshotStack:
    """A prepared snapshot's overlay options as a SnapshotStack, top first.

    Args:
        key: the active snapshot's name (`ctr snapshots prepare KEY ...`).
        options: the mount's lowerdir, upperdir (and workdir).
        diff_ids: the image's diff_ids, bottom first.

    Raises:
        LabkitError: the lowerdirs are not one snapshot per diff_id.
    """
    lowers = [p for p in options.get("lowerdir", "").split(":") if p]
    if len(lowers) != len(diff_ids):
        raise LabkitError(_("The snapshot {key} has {n_lowers} lowerdirs for an image of "
                            "{n_diff_ids} layers.").format(
                              key=key, n_lowers=len(lowers), n_diff_ids=len(diff_ids)),
                          _("run the section again from its first cell"))
    layers = [Snapshot(f"layer {n}", "lowerdir", parse_snapshot_path(path).number, path,
                       diff_ids[n - 1])
              for n, path in zip(range(len(lowers), 0, -1), lowers, strict=True)]
    upper = options.get("upperdir", "")
    where = parse_snapshot_path(upper)
    active = Snapshot("active (a container's)", "upperdir", where.number, upper)
    return SnapshotStack(key, where.root, where.plugin, (*layers, active))


def mounted_options(target: Path) -> dict[str, str]:
    """The overlay options the kernel keeps for TARGET, read from this process's mountinfo.

    Raises:
        LabkitError: nothing is mounted there.
    """
    real = os.path.realpath(target)
    for mnt in procfs.mounts(os.getpid()):
        if mnt.mount_point == real and mnt.fstype == "overlay":
            return overlay_options(mnt)
    raise LabkitError(_("No overlay is mounted on {real}.").format(real=real),
                      _("run the section again"))


def import_image(ctrd: LessonContainerd, ref: str, folder: Path) -> None:
    """`docker save` REF, then `ctr images import` it into the lesson's containerd (unpacked).

    The tar is deleted once imported; the learner's engine keeps the image unchanged.
    """
    tar = folder / "image.tar"
    docker(["save", "-o", str(tar), ref])
    try:
        sh(ctrd.ctr("images", "import", "--snapshotter", "overlayfs", str(tar)))
    finally:
        tar.unlink(missing_ok=True)
    kinds = snapshot_kinds(host().run(ctrd.ctr("snapshots", "ls")).stdout)
    print(_("imported {ref}: {count} layers unpacked, one committed snapshot each "
            "(`ctr snapshots ls`)").format(ref=ref, count=kinds.count("Committed")))


def snapshot_kinds(ctr_ls: str) -> list[str]:
    """The KIND column of `ctr snapshots ls` (Committed, Active, View), one per snapshot."""
    lines = ctr_ls.splitlines()[1:]  # below the KEY PARENT KIND header
    return [line.split()[-1] for line in lines if line.split()]


def snapshot_stack(lab: Lab, ref: str, key: str) -> SnapshotStack:
    """Start the lesson's containerd, import REF, prepare and mount snapshot KEY on it.

    Each command is shown as it runs. Cleanup unmounts the snapshot, stops containerd and
    removes its folder.

    Args:
        lab: the lesson.
        ref: an image of the learner's engine ("labkit/redis:7.0").
        key: a name for the active snapshot (a container's name, say).

    Raises:
        LabkitError: containerd or ctr is missing, did not start, or the image is not there.
    """
    with friendly():
        diff_ids = list((client().images.get(ref).attrs.get("RootFS") or {}).get("Layers")
                        or [])
    folder = lab.workdir("containerd")
    netns = lab.netns("ctrd")
    ctrd = containerd.start(lab, folder / "c", netns=netns)
    show_command([*containerd.enter(netns), *ctrd.argv])
    import_image(ctrd, ref, folder)
    sh(ctrd.ctr("snapshots", "prepare", key, chain_ids(diff_ids)[-1]))
    merged = folder / "merged"
    merged.mkdir()
    said = sh(ctrd.ctr("snapshots", "mounts", str(merged), key), quiet=True).stdout
    argv = [*FORCE_MOUNT2, *mount_argv(said)]  # the mount command ctr printed, run by hand
    if any("index=off" in a for a in argv):
        print(_(INDEX_OFF_WHY))
    show_command(argv)
    lab.mount(argv, merged)
    return stack_from_options(key, mounted_options(merged), diff_ids)
