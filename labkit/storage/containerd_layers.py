"""Section 3's lesson on the containerd image store: layers as snapshots, read from disk.

Taught in: 02-overlayfs-and-image-storage (section 3 and exercise 02.2, through
`labkit.storage.store`) and 02b-image-anatomy-and-the-wire (sections 5.5 and 6.2). Where the
engine keeps images in containerd, an image's layers are containerd snapshots: numbered
folders whose key in containerd's own database is the layer's chain ID. labkit reads which
number is which off a running container's overlay mount (`snapshotter.snapshot_stack`), and
containerd's root from the same place. Everything here only reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from docker.models.containers import Container

from labkit.base.engine import client
from labkit.base.errors import LabkitError, friendly
from labkit.base.fmt import human_size, short_digest
from labkit.base.i18n import _
from labkit.base.labels import COURSE, COURSE_VALUE
from labkit.storage.digests import hash_layer
from labkit.storage.graphdriver import PAGE_SIZE, of_container, overlay_mount
from labkit.storage.overlay2_layers import LayerDir, chain_ids, dir_usage
from labkit.storage.snapshotter import (
    blob_path,
    parse_snapshot_path,
    require_store,
    snapshot_stack,
)

# The kernel's overlayfs stacks at most this many lowerdirs (OVL_MAX_STACK in fs/overlayfs).
OVL_MAX_STACK = 500


def container_layers(container: Container) -> list[LayerDir]:
    """A running container's snapshots as layers, bottom first: the image's, init, its own.

    Each LayerDir's dir_id is the snapshot's number and its path the snapshot's fs/ folder;
    there are no l/ names and no lower file (containerd's short numbered paths need none).
    """
    stack = snapshot_stack(container)
    bottom_first = [*reversed([s for s in stack.snapshots if s.option == "lowerdir"]),
                    *[s for s in stack.snapshots if s.option == "upperdir"]]
    image = [s.diff_id for s in bottom_first if s.diff_id]
    chains = dict(zip(image, chain_ids(image), strict=True))
    layers = []
    for snap in bottom_first:
        size, entries = dir_usage(Path(snap.path))
        layers.append(LayerDir(snap.role, str(snap.number), "", (), size, entries,
                               Path(snap.path), snap.diff_id, chains.get(snap.diff_id, "")))
    return layers


def running_course_container(ref: str | None = None) -> Container:
    """A running container of the course (of image REF when given), to read snapshots through.

    Raises:
        LabkitError: not the containerd store, or no such container is running.
    """
    require_store()
    with friendly():
        image_id = client().images.get(ref).id if ref else None
        running = client().containers.list(filters={"label": f"{COURSE}={COURSE_VALUE}",
                                                    "status": "running"})
    for container in running:
        if image_id is None or container.attrs.get("Image") == image_id:
            return container
    if ref:
        message = _("No course container of {ref} is running, and on the containerd image "
                    "store labkit finds snapshots through one.").format(ref=ref)
    else:
        message = _("No course container runs, and on the containerd image store labkit "
                    "finds snapshots through one.")
    raise LabkitError(message, _("start one first, for example lab.run({image!r}, ...)").format(
        image=ref or "labkit/busybox"))


def image_layers(ref: str) -> list[LayerDir]:
    """An image's snapshots, bottom first, read below a running course container of it.

    containerd records which snapshot holds which layer in its own database, not in files
    labkit reads; a running container's overlay names them. The init snapshots of build
    containers, which the classic builder leaves in the chain, are no layers and are left out.

    Raises:
        LabkitError: not the containerd store, or no course container of REF is running.
    """
    return [x for x in container_layers(running_course_container(ref))
            if x.role not in ("init", "container", "build init")]


def layers_frame(layers: Sequence[LayerDir]) -> pd.DataFrame:
    """A table of snapshots as layers, top first: role, diff_id, snapshot number, size."""
    return pd.DataFrame([{
        "role": layer.role,
        "diff_id": short_digest(layer.diff_id) if layer.diff_id else "-",
        "snapshot": layer.dir_id,
        "folder": f"snapshots/{layer.dir_id}/{layer.path.name}",
        "size": human_size(layer.size),
        "entries": layer.files,
    } for layer in reversed(layers)])


def container_folders(container: Container) -> pd.DataFrame:
    """A running container's overlay folders, named as overlay2's GraphDriver data names them.

    `docker inspect` reports no folders on this store (a GraphDriver with no Data before API
    1.52, only `Storage` from Engine 29): they are read from the container's overlay mount
    (each a snapshot), and MergedDir is where Docker mounted it. Prints which field it used.
    """
    require_store()
    gd = of_container(container)
    print(f"{container.name}: {gd.read_from()}.")
    stack = snapshot_stack(container)
    rows = [(f"LowerDir {i} of {len(gd.lower_dirs)}", p)
            for i, p in enumerate(gd.lower_dirs, start=1)]
    rows += [("UpperDir", gd.upper_dir), ("WorkDir", gd.work_dir)]
    frame = [(name, path.removeprefix(stack.snapshots_dir + "/")) for name, path in rows]
    frame.append(("MergedDir", gd.merged_dir.replace(container.id, short_digest(container.id))))
    return pd.DataFrame(frame, columns=["field", "folder (under snapshots/)"])


def image_keys(ref: str, diff_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """What names an image's layers in containerd: one row per layer, bottom first.

    `docker image inspect` lists the diff_ids (RootFS.Layers). The chain ID, computed from them
    as overlay2 computes its layerdb keys, is the name containerd gives a layer's snapshot when
    it unpacks the layer from a tar (a pull, a load); a layer the classic builder committed
    here sits on its build container's init snapshot, under a name of its own.

    Args:
        ref: the image.
        diff_ids: its RootFS.Layers, bottom first, as `docker image inspect` printed them
            (read through the SDK when not given).
    """
    require_store()
    if diff_ids is None:
        with friendly():
            diff_ids = (client().images.get(ref).attrs.get("RootFS") or {}).get("Layers") or []
    return pd.DataFrame([(f"layer {n}", short_digest(d), short_digest(c))
                         for n, (d, c) in enumerate(zip(diff_ids, chain_ids(diff_ids),
                                                        strict=True), start=1)],
                        columns=["layer", "diff_id", "chain ID"])


def short_paths(container: Container) -> pd.DataFrame:
    """The container's lowerdir= entries, top first: each a snapshot's fs/, with its length.

    overlay2 needs l/ links to keep its entries short; containerd's numbered snapshot
    folders are short already, so the kernel gets the real paths.
    """
    stack = snapshot_stack(container)
    rows = [(s.path.removeprefix(stack.snapshots_dir + "/"), len(s.path), s.role)
            for s in stack.snapshots if s.option == "lowerdir"]
    return pd.DataFrame(rows, columns=["lowerdir entry (under snapshots/)", "bytes", "role"])


def option_budget(container: Container, page: int = PAGE_SIZE) -> pd.DataFrame:
    """How many snapshots fit in the one page (PAGE bytes, 4096 here) that all mount options
    share.

    Compares one lowerdir entry written in full with the same entry relative to the
    snapshots/ folder (what containerd's mount code falls back to, changing into that folder,
    when the options come near a page), and the kernel's own cap (OVL_MAX_STACK).
    """
    mnt = overlay_mount(container)
    room = mnt.room_in(page)
    lower = mnt.lowers[-1]
    parse_snapshot_path(lower)  # a snapshot folder, or a LabkitError that says so
    full, relative = len(lower), len(lower.split("/snapshots/", 1)[1])
    rows = [("full path: <containerd root>/.../snapshots/<N>/fs", full, room // (full + 1)),
            ("relative to snapshots/ (containerd's fallback)", relative, room // (relative + 1))]
    frame = pd.DataFrame(rows, columns=["one lowerdir entry", "bytes", "layers in a page"])
    frame["the kernel allows"] = [min(n, OVL_MAX_STACK) for n in frame["layers in a page"]]
    return frame


def containerd_root() -> str:
    """containerd's root folder, read off a running course container's overlay mount."""
    stack = snapshot_stack(running_course_container())
    return stack.root


def shared_layers(refs: Sequence[str],
                  layers_of: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """Which layers several images share: one row per layer, a column per image.

    A shared layer is one snapshot: the same chain ID (the same layer on the same layers)
    in each image.

    Args:
        refs: the images, one column each.
        layers_of: each image's diff_ids as `docker image inspect` printed them (read through
            the SDK for an image not in it).
    """
    require_store()
    layers: dict[str, dict[str, Any]] = {}
    for ref in refs:
        diff_ids = (layers_of or {}).get(ref)
        if diff_ids is None:
            with friendly():
                diff_ids = (client().images.get(ref).attrs.get("RootFS") or {}).get(
                    "Layers") or []
        for diff_id, chain in zip(diff_ids, chain_ids(diff_ids), strict=True):
            row = layers.setdefault(chain, {"diff_id": short_digest(diff_id),
                                            "chain ID": short_digest(chain)})
            row[ref] = "yes"
    rows = [{**row, **{ref: row.get(ref, "") for ref in refs}} for row in layers.values()]
    return pd.DataFrame(rows)


def local_chain_ids() -> set[str]:
    """The chain ID of every layer of every image the engine has: its unpacked snapshots."""
    found: set[str] = set()
    with friendly():
        for image in client().images.list():
            found.update(chain_ids((image.attrs.get("RootFS") or {}).get("Layers") or []))
    return found


def known_blobs(layers: Sequence[dict[str, Any]], root: str,
                present: set[str] | None = None) -> pd.DataFrame:
    """For each layer descriptor of a manifest: is its blob in containerd's content store,
    its diff_id (gunzip + sha256 of that blob), and is the layer unpacked (a snapshot)?

    A pull fetches only the blobs the content store lacks and unpacks only the layers whose
    chain ID has no snapshot yet.

    Args:
        layers: the manifest's layer descriptors, bottom first.
        root: containerd's root.
        present: the blob files `ls` listed (looked at here when not given).
    """
    unpacked = local_chain_ids()
    diff_ids: list[str] = []
    rows = []
    for n, desc in enumerate(layers, start=1):
        path = Path(blob_path(root, str(desc["digest"])))
        here = path.is_file() if present is None else str(path) in present
        diff_id = hash_layer(path)[0] if here else ""
        diff_ids.append(diff_id)
        chain = chain_ids(diff_ids)[-1] if all(diff_ids) else ""
        rows.append((n, short_digest(desc["digest"]), "yes" if here else "no",
                     short_digest(diff_id) if diff_id else "(no blob here)",
                     "yes" if chain and chain in unpacked else "no"))
    return pd.DataFrame(rows, columns=["layer", "digest", "blob in the content store",
                                       "diff_id of that blob", "layer on disk"])

