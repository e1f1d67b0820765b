"""The containerd image store as Docker uses it: the snapshotter, its snapshots, the content store.

Taught in: 02-overlayfs-and-image-storage (section 4). Where the engine keeps images in
containerd (`docker info`'s driver-type `io.containerd.snapshotter.v1`), layers are containerd
*snapshots*, and an image's blobs (index, manifest, config, layer tars) sit in containerd's
*content store*. Everything here only reads.

What is assumed, and why: nothing in `docker info` names containerd's root, so it is read off
a running container's overlay mount, whose lowerdirs are
`<containerd root>/io.containerd.snapshotter.v1.<snapshotter>/snapshots/<N>/fs`. The content
store is taken to be containerd's default content plugin folder beside it,
`<containerd root>/io.containerd.content.v1.content/blobs/sha256/<hex>`; a containerd
configured otherwise makes `read_blob` fail with a LabkitError.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from docker.models.containers import Container

from labkit.base.engine import client
from labkit.base.errors import LabkitError, friendly
from labkit.base.facts import CONTAINERD_STORE, facts
from labkit.base.fmt import short_digest
from labkit.base.host import host
from labkit.base.i18n import _
from labkit.storage.graphdriver import GraphDriver, OverlayMount, overlay_mount

CONTENT_PLUGIN = "io.containerd.content.v1.content"
SNAPSHOT_PATH = re.compile(
    r"^(?P<root>/.*)/(?P<plugin>io\.containerd\.snapshotter\.v1\.[\w.-]+)/snapshots/"
    r"(?P<number>\d+)/(?:fs|work)$")
INDEX_TYPES = {"application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json"}


# -- docker info -------------------------------------------------------------------------------
def driver_status() -> dict[str, str]:
    """`docker info`'s DriverStatus as {name: value} (driver-type, for one)."""
    rows = facts().raw.get("DriverStatus") or []
    return {str(r[0]): str(r[1]) for r in rows if isinstance(r, list | tuple) and len(r) == 2}


def require_store() -> None:
    """Raises LabkitError unless the engine keeps images in the containerd image store."""
    if not facts().containerd_store:
        raise LabkitError(
            _("This engine keeps images in the {storage_driver!r} graphdriver, not in "
              "containerd's image store.").format(storage_driver=facts().storage_driver),
            _("run this cell on an engine with the containerd image store (`labkit doctor` "
              "says which store this engine uses)"))


# -- snapshots -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SnapshotPath:
    """One snapshot folder of an overlay mount option, taken apart.

    Attributes:
        root: containerd's root ("/var/lib/containerd").
        plugin: the snapshotter's folder ("io.containerd.snapshotter.v1.overlayfs").
        number: the snapshot's number (containerd's own ID, counted up as snapshots are made).
    """

    root: str
    plugin: str
    number: int


def parse_snapshot_path(path: str) -> SnapshotPath:
    """Take `<root>/io.containerd.snapshotter.v1.overlayfs/snapshots/12/fs` apart.

    Raises:
        LabkitError: the path is no containerd snapshot (a graphdriver folder, say).
    """
    found = SNAPSHOT_PATH.match(path)
    if found is None:
        raise LabkitError(_("{path} is not a containerd snapshot folder.").format(path=path),
                          _("this reads a container on the containerd image store"))
    return SnapshotPath(found["root"], found["plugin"], int(found["number"]))


@dataclass(frozen=True)
class Snapshot:
    """One layer of a container's overlay as containerd stores it.

    Attributes:
        role: "layer 1" (bottom) ... for the image's layers, "init", or "container".
        option: the overlay option that names it ("lowerdir", "upperdir").
        number: the snapshot's number under snapshots/.
        path: the folder the kernel was given.
        diff_id: for image layers, the digest of the layer's uncompressed tar.
    """

    role: str
    option: str
    number: int
    path: str
    diff_id: str = ""


@dataclass(frozen=True)
class SnapshotStack:
    """A running container's overlay, read from its mountinfo, as containerd snapshots.

    Attributes:
        container: the container's name.
        root: containerd's root, read off the snapshot paths.
        plugin: the snapshotter's folder under it.
        snapshots: top first, as lowerdir= lists them; the upperdir last.
    """

    container: str
    root: str
    plugin: str
    snapshots: tuple[Snapshot, ...]

    @property
    def snapshots_dir(self) -> str:
        """Where the snapshotter keeps its snapshots."""
        return f"{self.root}/{self.plugin}/snapshots"

    def to_frame(self) -> pd.DataFrame:
        """One row per snapshot, top first: role, mount option, number, folder, diff_id."""
        return pd.DataFrame([(s.role, s.option, s.number,
                              s.path.removeprefix(self.snapshots_dir + "/"),
                              short_digest(s.diff_id) if s.diff_id else "-")
                             for s in self.snapshots],
                            columns=["role", "option", "snapshot", "under snapshots/",
                                     "diff_id"])


def roles(build_inits: list[bool], layers: int) -> list[str]:
    """Names for lowerdirs, top first: the container's "init" snapshot on top, then the image's.

    Args:
        build_inits: for each lowerdir below the container's init (top first), whether it is
            an init snapshot itself (it holds `/.dockerenv`, which no image layer has).
        layers: how many layers (diff_ids) the image has.

    An image committed by the classic builder on this store keeps its build containers' init
    snapshots in its chain: those are "build init", and the others are the image's layers.
    Where the counts still disagree, each is only an "image snapshot".
    """
    if sum(not i for i in build_inits) == layers:
        names, n = ["init"], layers
        for is_init in build_inits:
            names.append("build init" if is_init else f"layer {n}")
            n -= 0 if is_init else 1
        return names
    return ["init", *["image snapshot"] * len(build_inits)]


def snapshot_stack(container: Container, mountinfo: str | None = None,
                   mnt: OverlayMount | None = None) -> SnapshotStack:
    """A running container's lowerdirs and upperdir, each mapped to its snapshot number.

    Args:
        container: a running container on the containerd image store.
        mountinfo: the text of its /proc/PID/mountinfo (read when not given).
        mnt: its overlay mount as `graphdriver.root_mount` read it from findmnt's output
            (then the mountinfo is not read).

    Raises:
        LabkitError: not the containerd store, the container is not running, or its root
            is not an overlay of snapshots.
    """
    require_store()
    mnt = mnt or overlay_mount(container, mountinfo)
    with friendly():
        image = client().images.get(container.attrs["Image"])
    diff_ids = list((image.attrs.get("RootFS") or {}).get("Layers") or [])
    lowers = [p for p in mnt.lowers if p]
    names = roles([os.path.lexists(os.path.join(p, ".dockerenv")) for p in lowers[1:]],
                  len(diff_ids))
    by_role = {f"layer {n}": d for n, d in enumerate(diff_ids, start=1)}
    found = [Snapshot(role, "lowerdir", parse_snapshot_path(path).number, path,
                      by_role.get(role, ""))
             for role, path in zip(names, lowers, strict=True)]
    upper = mnt.options.get("upperdir", "")
    where = parse_snapshot_path(upper or lowers[0])
    if upper:
        found.append(Snapshot("container", "upperdir", where.number, upper))
    return SnapshotStack(container.name, where.root, where.plugin, tuple(found))


# -- the content store -----------------------------------------------------------------------
def blob_path(root: str, digest: str) -> str:
    """Where containerd keeps a blob: <root>/io.containerd.content.v1.content/blobs/sha256/<hex>."""
    algorithm, _, hexdigest = digest.partition(":")
    return f"{root}/{CONTENT_PLUGIN}/blobs/{algorithm}/{hexdigest}"


def read_blob(root: str, digest: str) -> str:
    """A JSON blob of the content store (an index, a manifest or a config), as text.

    Raises:
        LabkitError: no such blob there, or its bytes do not hash to the digest.
    """
    path = blob_path(root, digest)
    try:
        text = host().read_text(path)
    except OSError as err:
        raise LabkitError(_("containerd's content store has no blob {digest} at {path}.").format(
                              digest=short_digest(digest), path=path),
                          _("is containerd's root the one the snapshots are under? Reading it "
                            "needs root on the Docker host")) from err
    actual = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    if actual != digest:
        raise LabkitError(_("The blob at {path} hashes to {actual}, not {digest}.").format(
                              path=path, actual=short_digest(actual),
                              digest=short_digest(digest)),
                          _("the content store changed; run again"))
    return text


def pick_manifest(index: dict[str, Any], os_name: str, architecture: str) -> dict[str, Any]:
    """The descriptor of an index's manifest for one platform (attestations skipped).

    Raises:
        LabkitError: the index has no manifest for that platform.
    """
    for desc in index.get("manifests") or []:
        plat = desc.get("platform") or {}
        if plat.get("os") == os_name and plat.get("architecture") == architecture:
            return dict(desc)
    raise LabkitError(_("The index lists no manifest for {os_name}/{architecture}.").format(
                          os_name=os_name, architecture=architecture),
                      _("pick a platform the image was built for"))


@dataclass(frozen=True)
class ImageDigests:
    """What an image ID is the digest of, on the containerd image store.

    Attributes:
        ref: the image asked about.
        image_id: `docker image inspect`'s Id.
        target_type: the media type of what the name points at (an index or a manifest).
        target_digest: its digest (`.Descriptor.digest`, the image's target in containerd).
        manifest_digest: the platform's manifest (the target itself when that is a manifest).
        config_digest: the digest of the image's config blob (the manifest's `config`).
        raw: the blobs read, by digest.
    """

    ref: str
    image_id: str
    target_type: str
    target_digest: str
    manifest_digest: str
    config_digest: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per digest: what it names, the digest, and whether it is the image ID."""
        kind = "index" if self.target_type in INDEX_TYPES else "manifest"
        rows = [("image ID (docker image inspect .Id)", self.image_id),
                (f"target: the {kind} (.Descriptor, {self.target_type})", self.target_digest)]
        if self.manifest_digest != self.target_digest:
            rows.append(("the platform's manifest (in the index)", self.manifest_digest))
        rows.append(("config blob (the manifest's config)", self.config_digest))
        return pd.DataFrame([(what, short_digest(d), "yes" if d == self.image_id else "no")
                             for what, d in rows],
                            columns=["digest of", "digest", "= image ID?"])


def image_digests(ref: str, root: str,
                  inspected: dict[str, Any] | None = None) -> ImageDigests:
    """An image's ID next to the digests of its index, manifest and config blobs.

    Args:
        ref: an image on the containerd image store.
        root: containerd's root (`snapshot_stack(...).root`).
        inspected: `Id` and `Descriptor` as `docker image inspect` printed them (they take
            the place of the SDK's).

    Raises:
        LabkitError: not the containerd store, or a blob cannot be read.
    """
    require_store()
    with friendly():
        attrs = {**client().images.get(ref).attrs, **(inspected or {})}
    desc = attrs.get("Descriptor") or {}
    target = str(desc.get("digest") or attrs["Id"])
    media = str(desc.get("mediaType") or "")
    blobs: dict[str, Any] = {target: json.loads(read_blob(root, target))}
    media = media or str(blobs[target].get("mediaType", ""))
    manifest = target
    if media in INDEX_TYPES:
        manifest = str(pick_manifest(blobs[target], str(attrs.get("Os") or "linux"),
                                     str(attrs.get("Architecture") or ""))["digest"])
        blobs[manifest] = json.loads(read_blob(root, manifest))
    config = str(blobs[manifest]["config"]["digest"])
    return ImageDigests(ref, str(attrs["Id"]), media, target, manifest, config, blobs)


# -- the two stores side by side ---------------------------------------------------------------
GRAPHDRIVER = "overlay2 graphdriver"
CONTAINERD = "containerd image store"
ROWS = ["where layers are kept", "docker inspect's storage field", "a container's lowerdirs",
        "the image ID is the digest of", "docker info"]
# Paths are relative to each store's root, which stores_frame prints above the table.
CONTRAST = {
    GRAPHDRIVER: ["overlay2/<cache-id>/diff (found via image/overlay2/layerdb)",
                  "GraphDriver: Name overlay2, Data: Lower/Upper/Merged/WorkDir",
                  "overlay2/l/<26 chars> (short names of the diff/ folders)",
                  "the config (kept in image/overlay2/imagedb)",
                  "Driver: overlay2; Backing Filesystem, Supports d_type, ..."],
    CONTAINERD: ["snapshots/<N>/fs; blobs in the content store",
                 "no GraphDriver; Storage: RootFS.Snapshot.Name (API 1.52+)",
                 "snapshots/<N>/fs",
                 "the manifest or index the name points at",
                 f"Driver: overlayfs; driver-type {CONTAINERD_STORE}"],
}


def inspect_field(gd: GraphDriver) -> str:
    """What `docker inspect` gave a container for its storage, in the table's words (02, 4.3)."""
    if gd.name_field.startswith("Storage"):
        return f"no GraphDriver; Storage: RootFS.Snapshot.Name {gd.name}"
    if not gd.name_field:
        return "no GraphDriver, no Storage"
    data = [k for k in ("LowerDir", "UpperDir", "MergedDir", "WorkDir")
            if (gd.raw.get("Data") or {}).get(k)]
    shown = ("Data: " + "/".join(k.removesuffix("Dir") for k in data) + "Dir") if data else \
        "no Data"
    return f"GraphDriver: Name {gd.name}, {shown}"


def _relative(path: str, root: str) -> str:
    """PATH below ROOT without ROOT ("overlay2/l/ABC"), or PATH as it is."""
    return path[len(root):].lstrip("/") if path.startswith(root.rstrip("/") + "/") else path


def stores_frame(container: Container) -> pd.DataFrame:
    """The overlay2 graphdriver and the containerd image store side by side (02, 4.3).

    This engine's column (its name says so) is read live from the engine and from a running
    container; the other column is what the other store would show. Paths in the table are
    relative to each store's root, printed above it.

    Args:
        container: a running container of this engine.
    """
    f = facts()
    mine = CONTAINERD if f.containerd_store else GRAPHDRIVER
    gd = GraphDriver.from_attrs(container.attrs)
    lower = overlay_mount(container).lowers[0]
    status = list(driver_status().items())
    with friendly():
        image_id = str(client().images.get(container.attrs["Image"]).attrs["Id"])
    said = [f"{k} {v}" if k == "driver-type" else k for k, v in status[:2]]
    info = f"Driver: {f.storage_driver}; " + ", ".join(said) + (", ..." if status[2:] else "")
    if f.containerd_store:
        where = parse_snapshot_path(lower)
        root = f"{where.root}/{where.plugin}"
        print(_("Paths below are relative to each store's root:\n  overlay2: <DockerRootDir>\n"
                "  this engine, its overlayfs snapshotter: {root}\n  (its content store: "
                "{root2}/{content_plugin})").format(
                  root=root, root2=where.root, content_plugin=CONTENT_PLUGIN))
        kept = "snapshots/<N>/fs; blobs in the content store"
        what_id = f"the manifest or index {short_digest(image_id)} the name points at"
    else:
        root = f.data_root
        print(_("Paths below are relative to each store's root:\n  this engine, its "
                "DockerRootDir: {root}\n  containerd: <containerd "
                "root>/io.containerd.snapshotter.v1.overlayfs").format(root=root))
        kept = f"{f.storage_driver}/<cache-id>/diff (found via image/{f.storage_driver}/layerdb)"
        what_id = f"the config {short_digest(image_id)} (image/{f.storage_driver}/imagedb)"
    live = [kept, inspect_field(gd), _relative(lower, root), what_id, info]
    other = GRAPHDRIVER if mine == CONTAINERD else CONTAINERD
    columns = {f"{mine} (this engine)": live, other: CONTRAST[other]}
    if mine == CONTAINERD:
        columns = {other: CONTRAST[other], f"{mine} (this engine)": live}
    return pd.DataFrame(columns, index=pd.Index(ROWS, name=""))
