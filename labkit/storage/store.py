"""An image's and a container's layers on whichever image store the engine uses.

Taught in: 02-overlayfs-and-image-storage (section 3) and
02b-image-anatomy-and-the-wire (section 5.5). The same lesson reads the
overlay2 graphdriver's folders on an engine that keeps images there, and containerd's
snapshots on the containerd image store (`facts().containerd_store`): one call, the engine's
own answer. Everything here only reads, except `snapshot_stack` on a graphdriver engine,
which starts a containerd of the lesson's own (its folder, cleaned up with the lesson).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from docker.models.containers import Container

from labkit.base.facts import facts
from labkit.base.fmt import short_digest
from labkit.lab.session import Lab
from labkit.storage import (
    containerd_layers,
    graphdriver,
    lesson_snapshots,
    overlay2_layers,
    snapshotter,
)
from labkit.storage.overlay import kind
from labkit.storage.overlay2_layers import LayerDir, walk


def image_layers(ref: str) -> list[LayerDir]:
    """An image's layers, bottom first, each with the folder that holds its files.

    overlay2: found through the layer database. containerd: the snapshots below a running
    container of the image (containerd keeps which snapshot is which in its own database).

    Raises:
        LabkitError: the layers cannot be read here (see graphdriver and snapshotter).
    """
    if facts().containerd_store:
        return containerd_layers.image_layers(ref)
    return overlay2_layers.image_layers(ref)


def container_layers(container: Container) -> list[LayerDir]:
    """A container's whole stack, bottom first: the image's layers, init, its own layer."""
    if facts().containerd_store:
        return containerd_layers.container_layers(container)
    return overlay2_layers.container_layers(container)


def layers_frame(layers: Sequence[LayerDir]) -> pd.DataFrame:
    """A table of layers, top first (the way lowerdir= and `docker history` list them)."""
    if facts().containerd_store:
        return containerd_layers.layers_frame(layers)
    return overlay2_layers.layers_frame(layers)


def folder(layer: LayerDir) -> Path:
    """The layer's own folder: overlay2/<dir_id>, or the snapshot's snapshots/<N>."""
    return layer.path.parent


def init_files(container: Container) -> pd.DataFrame:
    """What the init layer holds: the files Docker mounts over (hosts, resolv.conf, ...)."""
    init = next(x for x in container_layers(container) if x.role == "init")
    base = init.path
    rows = []
    for path in walk(base):
        if kind(path) == "dir" and any(path.iterdir()):
            continue  # a folder that only holds the files listed
        target = f" -> {os.readlink(path)}" if path.is_symlink() else ""
        rows.append(("/" + str(path.relative_to(base)), kind(path) + target,
                     os.lstat(path).st_size if kind(path) == "file" else 0))
    return pd.DataFrame(rows, columns=["path", "kind", "bytes"])


def find_in_layers(ref: str, path: str) -> pd.DataFrame:
    """Which layers of an image hold a path: one row per layer, top first.

    The container sees the topmost row that is not "missing" (a whiteout means deleted).
    """
    rel = path.lstrip("/")
    rows = []
    for layer in reversed(image_layers(ref)):
        p = layer.path / rel
        what = kind(p)
        size = os.lstat(p).st_size if what == "file" else 0
        rows.append((layer.role, short_digest(layer.diff_id), what, size))
    frame = pd.DataFrame(rows, columns=["layer", "diff_id", path, "bytes"])
    seen = next((i for i, w in enumerate(frame[path]) if w != "missing"), None)
    frame["containers see"] = ["<- this one" if i == seen else "" for i in range(len(frame))]
    return frame


def image_storage(ref: str) -> pd.DataFrame:
    """Where the engine keeps an image's layers, as it reports them.

    overlay2: `docker image inspect`'s GraphDriver folders. containerd: the diff_ids and
    the chain IDs containerd keys the image's snapshots by (`docker image inspect` names no
    folders there: a GraphDriver with no Data before API 1.52, no GraphDriver from Engine 29).
    """
    if facts().containerd_store:
        return containerd_layers.image_keys(ref)
    return graphdriver.of_image(ref).to_frame()


def short_names(container: Container) -> pd.DataFrame:
    """How the container's lowerdir= entries are kept short: overlay2's l/ names, resolved;
    on the containerd store, the snapshots' own short paths."""
    if facts().containerd_store:
        return containerd_layers.short_paths(container)
    return overlay2_layers.short_names(container)


def option_budget(container: Container) -> pd.DataFrame:
    """How many layers fit in the one page of mount options, and what the store allows."""
    if facts().containerd_store:
        return containerd_layers.option_budget(container)
    return graphdriver.option_budget(container)


def shared_layers(refs: Sequence[str]) -> pd.DataFrame:
    """Which layers several images share, and that each is stored once (02b, section 5.5)."""
    if facts().containerd_store:
        return containerd_layers.shared_layers(refs)
    return overlay2_layers.shared_layers(refs)


def container_folders(container: Container) -> pd.DataFrame:
    """A running container's LowerDir, UpperDir, MergedDir and WorkDir folders (02, 3.1)."""
    if facts().containerd_store:
        return containerd_layers.container_folders(container)
    gd = graphdriver.of_container(container)
    print(f"{container.name}: {gd.read_from()}.")
    return gd.to_frame()


def snapshot_stack(lab: Lab, container: Container) -> snapshotter.SnapshotStack:
    """A container's image as containerd's snapshots (02, section 4.1).

    On the containerd image store: the container's own lowerdirs and upperdir, read from its
    mountinfo. On a graphdriver engine: the same image in a containerd of the lesson's own,
    with a snapshot prepared and mounted on it as containerd prepares a container's root.
    """
    if facts().containerd_store:
        print(f"This engine keeps images in containerd's image store: {container.name}'s "
              "root is an overlay of containerd's snapshots, read from its mountinfo.")
        return snapshotter.snapshot_stack(container)
    print(f"This engine keeps images in the {facts().storage_driver!r} graphdriver. The lesson "
          "starts a containerd of its own (root, socket and netns in the lesson folder), "
          "gives it the image, and prepares a container's snapshot on it:")
    return lesson_snapshots.snapshot_stack(lab, str(container.attrs["Config"]["Image"]),
                                           str(container.name))


def image_digests(ref: str) -> pd.DataFrame:
    """What the image ID is the digest of on this store (02, section 4.2): the config with
    overlay2, the manifest or index on the containerd image store."""
    if facts().containerd_store:
        root = containerd_layers.containerd_root()
        return snapshotter.image_digests(ref, root).to_frame()
    return overlay2_layers.config_digest(ref)
