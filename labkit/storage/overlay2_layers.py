"""overlay2 on disk: layerdb's chain IDs and cache-ids, each layer's folder (its diff/, `link`
and `lower` files), the l/ short names, and which images share a layer.

Taught in: 02-overlayfs-and-image-storage (sections 1 and 3, through labkit.storage.store on an
engine that keeps images in the overlay2 graphdriver) and 02b-image-anatomy-and-the-wire
(sections 5.5 and 6.2). What `docker inspect` and the kernel's mount say about the same folders
is labkit.storage.graphdriver's. Everything here only reads: Docker's folders under its root
(/var/lib/docker) are never changed.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from docker.models.containers import Container

from labkit.base.engine import client
from labkit.base.errors import LabkitError, friendly
from labkit.base.facts import facts
from labkit.base.fmt import human_size, short_digest
from labkit.base.host import host
from labkit.base.i18n import _
from labkit.storage.digests import sha256_file


def docker_root() -> Path:
    """The engine's data folder (DockerRootDir), checked to hold an overlay2 store here.

    Raises:
        LabkitError: the engine uses another storage driver or runs on another machine.
    """
    engine = facts()
    if engine.storage_driver != "overlay2":
        raise LabkitError(
            _("This engine stores images with {storage_driver!r}, not overlay2.").format(
                storage_driver=engine.storage_driver),
            _("run the chapter on an engine with the overlay2 storage driver"))
    root = Path(engine.data_root)
    if host().mode != "local" or not (root / "overlay2").is_dir():
        raise LabkitError(_("Docker's storage folder {root} is not readable from here.").format(
                              root=root),
                          _("run the chapter as root on the Linux machine where the engine runs"))
    return root


def folder_label(dir_id: str) -> str:
    """An overlay2 folder's name shortened to 12 hex digits, keeping an "-init" suffix."""
    return short_digest(dir_id) + ("-init" if dir_id.endswith("-init") else "")


def config_digest(ref: str) -> pd.DataFrame:
    """What the image ID is the digest of on overlay2: the config, hashed here from the copy
    Docker keeps in image/overlay2/imagedb/content/sha256/<hex>."""
    root = docker_root()
    with friendly():
        image_id = str(client().images.get(ref).id)
    path = root / "image" / "overlay2" / "imagedb" / "content" / "sha256" / short_digest(
        image_id, 64)
    try:
        actual = sha256_file(path)
    except OSError as err:
        raise LabkitError(
            _("Docker's copy of the config of {ref} is not at {path}.").format(ref=ref, path=path),
            _("run the chapter as root on the machine where the engine runs")) from err
    rows = [("image ID (docker image inspect .Id)", image_id),
            ("config: sha256 of imagedb/content/sha256/<hex>", actual)]
    return pd.DataFrame([(what, short_digest(d), "yes" if d == image_id else "no")
                         for what, d in rows], columns=["digest of", "digest", "= image ID?"])


def chain_ids(diff_ids: Sequence[str]) -> list[str]:
    """Chain IDs: a layer's identity including every layer below it.

    chain(1) = diff_id(1); chain(n) = sha256(chain(n-1) + " " + diff_id(n)).
    """
    chains: list[str] = []
    for diff_id in diff_ids:
        if not chains:
            chains.append(diff_id)
        else:
            h = hashlib.sha256(f"{chains[-1]} {diff_id}".encode()).hexdigest()
            chains.append(f"sha256:{h}")
    return chains


@dataclass(frozen=True)
class LayerDir:
    """One folder of overlay2 (a layer of an image, or a container's -init or upper layer).

    Attributes:
        role: "layer 1" (bottom) ... for image layers, "init" or "container".
        dir_id: the folder's name under overlay2/ (for image layers: the cache-id).
        short_name: the l/ name that points at its diff/ (the `link` file).
        lower: the `lower` file: the l/ names of every layer below, top first.
        size: bytes in its diff/ folder.
        files: entries in its diff/ folder.
        path: the folder that holds the layer's files (overlay2/<dir_id>/diff; on the
            containerd image store, the snapshot's fs/ folder).
        diff_id: for image layers, the digest of the layer's uncompressed tar.
        chain_id: for image layers, the key of its layerdb folder.
    """

    role: str
    dir_id: str
    short_name: str
    lower: tuple[str, ...]
    size: int
    files: int
    path: Path
    diff_id: str = ""
    chain_id: str = ""


def read_layer_dir(root: Path, dir_id: str, role: str, diff_id: str = "",
                   chain_id: str = "", size: int | None = None) -> LayerDir:
    """Read one overlay2 folder: its link and lower files, and (unless given) its size."""
    folder = root / "overlay2" / dir_id
    link = _read(folder / "link")
    lower = tuple(x for x in _read(folder / "lower").split(":") if x)
    counted, files = dir_usage(folder / "diff")
    return LayerDir(role, dir_id, f"l/{link}" if link else "", lower,
                    counted if size is None else size, files, folder / "diff", diff_id,
                    chain_id)


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return ""


def dir_usage(path: Path) -> tuple[int, int]:
    """Bytes of regular files and number of entries under a folder (symlinks not followed)."""
    total = count = 0
    for top, dirs, files in os.walk(path):
        for name in dirs + files:
            count += 1
            st = os.lstat(os.path.join(top, name))
            if name in files and not os.path.islink(os.path.join(top, name)):
                total += st.st_size
    return total, count


def image_layers(ref: str) -> list[LayerDir]:
    """An image's layers, bottom first: diff_id, chain_id, overlay2 folder, l/ name, size.

    The folder comes from layerdb: image/overlay2/layerdb/sha256/<chain_id>/cache-id.
    """
    root = docker_root()
    with friendly():
        diff_ids = (client().images.get(ref).attrs.get("RootFS") or {}).get("Layers") or []
    layers = []
    for n, (diff_id, chain) in enumerate(zip(diff_ids, chain_ids(diff_ids), strict=True), 1):
        db = root / "image" / "overlay2" / "layerdb" / "sha256" / short_digest(chain, 64)
        cache_id = _read(db / "cache-id")
        size = int(_read(db / "size") or 0)
        layers.append(read_layer_dir(root, cache_id, f"layer {n}", diff_id, chain, size))
    return layers


def container_layers(container: Container) -> list[LayerDir]:
    """A container's whole stack, bottom first: the image's layers, -init, its own layer."""
    root = docker_root()
    with friendly():
        container.reload()
    db = root / "image" / "overlay2" / "layerdb" / "mounts" / container.id
    mount_id, init_id = _read(db / "mount-id"), _read(db / "init-id")
    layers = image_layers(container.attrs["Image"])
    return [*layers, read_layer_dir(root, init_id, "init"),
            read_layer_dir(root, mount_id, "container")]


def layers_frame(layers: Sequence[LayerDir]) -> pd.DataFrame:
    """A table of layers, top first (the way lowerdir= and `docker history` list them).

    The `lower` file's l/ names are shown as the layers they point at.
    """
    role_of = {layer.short_name: layer.role for layer in layers}
    rows = [{
        "role": layer.role,
        "diff_id": short_digest(layer.diff_id) if layer.diff_id else "-",
        "overlay2 folder": folder_label(layer.dir_id),
        "l/ name": layer.short_name,
        "lower file names": ", ".join(role_of.get(n, n) for n in layer.lower) or "-",
        "size": human_size(layer.size),
        "entries": layer.files,
    } for layer in reversed(layers)]
    return pd.DataFrame(rows)


def walk(base: Path) -> list[Path]:
    """Every path under a folder, sorted, symlinks never followed."""
    found = []
    for top, dirs, files in os.walk(base):
        found.extend(Path(top, name) for name in dirs + files)
    return sorted(found)


def short_names(container: Container) -> pd.DataFrame:
    """The container layer's `lower` file, each l/ name resolved to the folder it points at."""
    root = docker_root()
    stack = container_layers(container)
    by_dir = {layer.dir_id: layer.role for layer in stack}
    rows = []
    for name in stack[-1].lower:
        target = os.readlink(root / "overlay2" / name)  # "../<dir_id>/diff"
        dir_id = Path(target).parent.name
        rows.append((name, target.replace(dir_id, folder_label(dir_id)),
                     by_dir.get(dir_id, "?")))
    return pd.DataFrame(rows, columns=["l/ name (in lower file)", "symlink target", "role"])


def shared_layers(refs: Sequence[str]) -> pd.DataFrame:
    """Which layers several images share: one row per layer (diff_id), a column per image.

    A shared layer is stored once: its overlay2 folder (column "stored in") is the same.
    """
    root = docker_root()
    layers: dict[str, dict[str, Any]] = {}  # by chain ID: the same layer on the same base
    for ref in refs:
        with friendly():
            diff_ids = (client().images.get(ref).attrs.get("RootFS") or {}).get("Layers") or []
        for diff_id, chain in zip(diff_ids, chain_ids(diff_ids), strict=True):
            db = root / "image" / "overlay2" / "layerdb" / "sha256" / short_digest(chain, 64)
            row = layers.setdefault(chain, {
                "diff_id": short_digest(diff_id), "stored in": short_digest(_read(db / "cache-id")),
                "size": human_size(int(_read(db / "size") or 0))})
            row[ref] = "yes"
    rows = [{**row, **{ref: row.get(ref, "") for ref in refs}} for row in layers.values()]
    return pd.DataFrame(rows)
