"""An image's and a container's layers on whichever image store the engine uses.

Taught in: 02-overlayfs-and-image-storage (section 3) and
02b-image-anatomy-and-the-wire (section 5.5). The same lesson reads the
overlay2 graphdriver's folders on an engine that keeps images there, and containerd's
snapshots on the containerd image store (`facts().containerd_store`): one call, the engine's
own answer. Everything here only reads, except `snapshot_stack` on a graphdriver engine,
which starts a containerd of the lesson's own (its folder, cleaned up with the lesson).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from docker.models.containers import Container

from labkit.base.facts import facts
from labkit.base.fmt import short_digest
from labkit.base.show import docker, sh
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


def parse_du(text: str) -> dict[str, str]:
    """{folder: size} from `du -sh FOLDER...` ("121M\t/var/lib/...")."""
    found = {}
    for line in text.splitlines():
        size, sep, path = line.partition("\t")
        if sep:
            found[path.strip()] = size.strip()
    return found


def layers_frame(layers: Sequence[LayerDir], *, du: bool = True) -> pd.DataFrame:
    """Run `du -sh` on the layers' folders, top first (shown, with its output), then a table
    of the layers, top first (the way lowerdir= and `docker history` list them), whose size
    column is what du printed.

    Taught in: 02-overlayfs-and-image-storage, sections 3 and 3.1.

    Args:
        layers: bottom first, as image_layers and container_layers give them.
        du: run du (False: the table alone, its sizes counted by labkit).
    """
    if facts().containerd_store:
        frame = containerd_layers.layers_frame(layers)
    else:
        frame = overlay2_layers.layers_frame(layers)
    if du and layers:
        sizes = parse_du(sh(["du", "-sh", *(str(x.path) for x in reversed(layers))]).stdout)
        frame["size"] = [sizes.get(str(x.path), "?") for x in reversed(layers)]
        frame = frame.rename(columns={"size": "du -sh"})
    return frame


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


def which_layer(ref: str, path: str) -> pd.DataFrame:
    """Run `ls -l` on PATH in each of the image's layer folders, top first (shown, with its
    output: a layer without it makes ls say so), then `find_in_layers` as a table.

    Taught in: 02-overlayfs-and-image-storage, section 3.5.
    """
    rel = path.lstrip("/")
    # --sort=none: top layer first, as given (ls sorts by name, and the folders' numbers vary)
    sh(["ls", "-l", "--sort=none", "--time-style=+",
        *(str(x.path / rel) for x in reversed(image_layers(ref)))], check=False)
    return find_in_layers(ref, path)


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
    """Where the engine keeps an image's layers, as it reports them: `docker image inspect`
    runs first (shown, with its output), then the table (02, section 3).

    overlay2: `docker image inspect`'s GraphDriver folders. containerd: the diff_ids and
    the chain IDs containerd keys the image's snapshots by (`docker image inspect` names no
    folders there: a GraphDriver with no Data before API 1.52, no GraphDriver from Engine 29).
    """
    if facts().containerd_store:
        shown = docker(["image", "inspect", "-f", ROOTFS_LAYERS, ref])
        return containerd_layers.image_keys(ref, shown.stdout.split())
    docker(["image", "inspect", "-f", "{{json .GraphDriver.Data}}", ref])
    return graphdriver.of_image(ref).to_frame()


# `docker image inspect`'s template for an image's diff_ids, one a line, bottom first.
ROOTFS_LAYERS = "{{range .RootFS.Layers}}{{println .}}{{end}}"


def short_names(container: Container) -> pd.DataFrame:
    """How the container's lowerdir= entries are kept short: overlay2's l/ names, resolved;
    on the containerd store, the snapshots' own short paths."""
    if facts().containerd_store:
        return containerd_layers.short_paths(container)
    return overlay2_layers.short_names(container)


def option_budget(container: Container) -> pd.DataFrame:
    """Run `getconf PAGESIZE` (shown, with its output): the page all mount options must fit
    in; then how many layers fit in it, and what the store allows (02, section 3.3)."""
    said = sh(["getconf", "PAGESIZE"]).stdout.strip()
    page = int(said) if said.isdigit() else graphdriver.PAGE_SIZE
    if facts().containerd_store:
        return containerd_layers.option_budget(container, page)
    return graphdriver.option_budget(container, page)


def parse_rootfs_lines(refs: Sequence[str], text: str) -> dict[str, list[str]]:
    """{ref: diff_ids} from `docker image inspect -f '{{.RootFS.Layers}}' REFS...`: one line
    per image, in the order asked, each `[sha256:... sha256:...]`."""
    lines = [line.strip().strip("[]").split() for line in text.splitlines() if line.strip()]
    if len(lines) != len(refs):
        return {}
    return dict(zip(refs, lines, strict=True))


def shared_layers(refs: Sequence[str]) -> pd.DataFrame:
    """Run `docker image inspect -f '{{.RootFS.Layers}}' REFS...` (shown, with its output),
    then which layers the images share, and that each is stored once (02b, section 5.5)."""
    shown = docker(["image", "inspect", "-f", "{{.RootFS.Layers}}", *refs])
    if facts().containerd_store:
        return containerd_layers.shared_layers(refs, parse_rootfs_lines(refs, shown.stdout))
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
              "root is an overlay of containerd's snapshots, as findmnt reads it from its "
              "mountinfo:")
        return snapshotter.snapshot_stack(container, mnt=graphdriver.root_mount(container))
    print(f"This engine keeps images in the {facts().storage_driver!r} graphdriver. The lesson "
          "starts a containerd of its own (root, socket and netns in the lesson folder), "
          "gives it the image, and prepares a container's snapshot on it:")
    return lesson_snapshots.snapshot_stack(lab, str(container.attrs["Config"]["Image"]),
                                           str(container.name))


def parse_id_descriptor(text: str) -> dict[str, Any]:
    """{"Id": ..., "Descriptor": {...}} from `docker image inspect -f '{{.Id}} {{json
    .Descriptor}}'` ({} for what it cannot read; a `null` Descriptor is left out)."""
    image_id, _, desc = text.strip().partition(" ")
    if not image_id.startswith("sha256:"):
        return {}
    try:
        parsed = json.loads(desc) if desc else None
    except ValueError:
        parsed = None
    return {"Id": image_id, **({"Descriptor": parsed} if isinstance(parsed, dict) else {})}


def image_digests(ref: str) -> pd.DataFrame:
    """What the image ID is the digest of on this store (02, section 4.2): the config with
    overlay2, the manifest or index on the containerd image store. `docker image inspect`
    (its Id and Descriptor) runs first, and on the containerd store `cat` of the manifest
    blob that names the config, each shown with its output; then the table."""
    if facts().containerd_store:
        said = docker(["image", "inspect", "-f", "{{.Id}} {{json .Descriptor}}", ref]).stdout
        root = containerd_layers.containerd_root()
        found = snapshotter.image_digests(ref, root, parse_id_descriptor(said))
        sh(["cat", snapshotter.blob_path(root, found.manifest_digest)])
        print()
        return found.to_frame()
    docker(["image", "inspect", "-f", "{{.Id}}", ref])
    return overlay2_layers.config_digest(ref)


def init_layer(container: Container) -> pd.DataFrame:
    """Run `ls -lAR` on the container's init layer (shown, with its output), then what it
    holds as a table: the files Docker mounts over (hosts, resolv.conf, ...) (02, 3.2)."""
    init = next(x for x in container_layers(container) if x.role == "init")
    sh(["ls", "-lAR", "--time-style=+", str(init.path)])
    return init_files(container)


def lowerdir_entries(container: Container) -> pd.DataFrame:
    """Show how the container's lowerdir= entries stay short (02, section 3.3), then the table.

    overlay2: `cat` of its layer's `lower` file (the l/ names); the containerd store: `ls -ld`
    of each lowerdir= entry (real, short, numbered folders: no l/ names needed).
    """
    stack = container_layers(container)
    if facts().containerd_store:
        lowers = [x for x in reversed(stack) if x.role != "container"]
        # --sort=none: in lowerdir= order (ls sorts by name; the snapshot numbers vary)
        sh(["ls", "-ld", "--sort=none", "--time-style=+", *(str(x.path) for x in lowers)])
    else:
        sh(["cat", str(stack[-1].path.parent / "lower")])
        print()
    return short_names(container)


def stores(container: Container) -> pd.DataFrame:
    """Run `docker info --format '{{.Driver}} {{.DockerRootDir}}'` (shown, with its output),
    then the overlay2 graphdriver and the containerd image store side by side (02, 4.3)."""
    docker(["info", "--format", "{{.Driver}} {{.DockerRootDir}}"])
    return snapshotter.stores_frame(container)
