"""The anatomy of `docker save`: manifest.json, the config, and one tar per layer.

Taught in: 02b-image-anatomy-and-the-wire (section 5, exercise 02.3). Engines before 25 write
the docker-archive layout (<id>/layer.tar, <config>.json, manifest.json, repositories);
engines 25 and later write an OCI image layout (oci-layout, index.json, blobs/sha256/...,
plus manifest.json for older tools). `read()` understands both; the layers are hashed by
labkit.storage.digests.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from labkit.base.errors import LabkitError
from labkit.base.facts import facts
from labkit.base.fmt import human_size, short_digest
from labkit.base.i18n import _
from labkit.base.show import docker, sh
from labkit.lab.session import Lab
from labkit.storage.digests import hash_layer, sha256_file

DOCKER_LAYOUT = "docker-archive (engines before 25)"
OCI_LAYOUT = "OCI image layout (engines 25 and later)"
LONG_HEX = re.compile(r"\b([0-9a-f]{12})[0-9a-f]{52}\b")


@dataclass(frozen=True)
class SavedLayer:
    """One layer tar inside a saved image.

    Attributes:
        index: 1 for the bottom layer.
        path: where the tar is, relative to the archive's folder.
        size: its size in bytes, as stored.
        sha256: the digest of its uncompressed bytes ("sha256:...").
        compressed: whether it was stored gzip-compressed.
        diff_id: what the config's rootfs.diff_ids says it should be.
    """

    index: int
    path: str
    size: int
    sha256: str
    compressed: bool
    diff_id: str

    @property
    def matches(self) -> bool:
        """True when hashing the tar gives the config's diff_id."""
        return self.sha256 == self.diff_id


@dataclass(frozen=True)
class SavedImage:
    """A `docker save` archive, unpacked into a folder.

    Attributes:
        folder: where it was unpacked.
        layout: DOCKER_LAYOUT or OCI_LAYOUT.
        repo_tags: the names it was saved with.
        config_path: the config file, relative to the folder.
        config: the image config (rootfs.diff_ids, history, Cmd, ...).
        layers: the layer tars, bottom first.
        manifest: manifest.json as written ([] when absent).
        index: index.json (OCI layout only).
    """

    folder: Path
    layout: str
    repo_tags: tuple[str, ...]
    config_path: str
    config: dict[str, Any] = field(repr=False)
    layers: tuple[SavedLayer, ...]
    manifest: list[dict[str, Any]] = field(repr=False, default_factory=list)
    index: dict[str, Any] | None = field(repr=False, default=None)

    @property
    def image_id(self) -> str:
        """The image ID: the sha256 of the config file's bytes."""
        return "sha256:" + hashlib.sha256((self.folder / self.config_path).read_bytes()).hexdigest()

    def what_the_id_hashes(self, engine_id: str) -> str:
        """Which file of the archive hashes to the engine's image ID, in a sentence.

        A graphdriver engine names an image by its config (the sha256 of the config file);
        the containerd image store by its image manifest, the file that names the config and
        the layers.

        Raises:
            LabkitError: neither does (the archive is not of that image).
        """
        if self.image_id == engine_id:
            return f"image ID {engine_id} = sha256 of the config file {self.config_path}"
        for desc in (self.index or {}).get("manifests") or []:
            path = _blob(self.folder, desc["digest"])
            if desc["digest"] == engine_id and path.exists() and sha256_file(path) == engine_id:
                return (f"image ID {engine_id} = sha256 of the image manifest "
                        f"{path.relative_to(self.folder)} (the containerd image store names an "
                        f"image by its manifest; the config's sha256 is {self.image_id})")
        raise LabkitError(_("No file of the archive hashes to the image ID {engine_id}.").format(
                              engine_id=engine_id),
                          _("save the image again: the archive is not of that image"))

    def all_match(self) -> bool:
        """True when every layer tar hashes to its diff_id."""
        return bool(self.layers) and all(layer.matches for layer in self.layers)

    def files_frame(self) -> pd.DataFrame:
        """The archive's top level: each entry, its size and what it is for."""
        return pd.DataFrame(_entries(self), columns=["entry", "size", "what it is"])

    def manifest_text(self) -> str:
        """manifest.json, indented; LayerSources (engines from 25) in layer order, bottom first.

        Docker writes LayerSources sorted by digest, which changes with every rebuild; the
        layer order is what teaches.
        """
        return json.dumps(layer_sources_in_order(self.manifest), indent=1)

    def entry_text(self) -> str:
        """The archive's entry point, indented: index.json (OCI layout) or manifest.json."""
        if self.layout == OCI_LAYOUT and self.index is not None:
            return json.dumps(self.index, indent=1)
        return self.manifest_text()

    def chain_frame(self) -> pd.DataFrame:
        """The archive followed from its entry point to the layers, one row per file.

        OCI layout: index.json -> image manifest -> config and layers, each a blob named by
        the sha256 of its bytes. docker-archive: manifest.json -> config and layer.tar files.
        """
        rows: list[tuple[str, str, str, str, str]] = []
        if self.layout == OCI_LAYOUT and self.index is not None:
            rows.append(("entry point", "index.json", "-", _about(_size(self.folder, "index.json")),
                         "fixed name"))
            for role, desc in _descriptors(self.folder, self.index):
                path = str(_blob(self.folder, desc["digest"]).relative_to(self.folder))
                media = str(desc.get("mediaType", ""))
                rows.append((role, _shorten(path), _media(media),
                             _about(int(desc.get("size", 0)), compressed=media.endswith("gzip")),
                             "sha256 of its bytes"))
        else:
            rows.append(("entry point", "manifest.json", "-",
                         _about(_size(self.folder, "manifest.json")), "fixed name"))
            rows.append(("config", _shorten(self.config_path), "-",
                         _about(_size(self.folder, self.config_path)), "sha256 of its bytes"))
            rows += [(f"layer {layer.index}", _shorten(layer.path), "-", _about(layer.size),
                      "a v1 ID made up at save time") for layer in self.layers]
        return pd.DataFrame(rows, columns=["part", "file in the archive", "mediaType (end)",
                                           "size", "file named by"])

    def history_frame(self) -> pd.DataFrame:
        """The config's history: each build step, and the layer it made (if any)."""
        diff_ids = iter(self.config.get("rootfs", {}).get("diff_ids", []))
        rows = []
        for step in self.config.get("history", []):
            made = "" if step.get("empty_layer") else short_digest(next(diff_ids, ""))
            text = step.get("created_by", "").replace("/bin/sh -c #(nop) ", "").strip()
            text = LONG_HEX.sub(r"\1", text)  # file:<64 hex> -> its first 12, like docker
            rows.append((text[:70] + ("..." if len(text) > 70 else ""), made or "-"))
        return pd.DataFrame(rows, columns=["created_by", "layer (diff_id)"])

    def layers_frame(self) -> pd.DataFrame:
        """Each layer tar hashed: does sha256(tar) equal the config's diff_id?

        A gzip-compressed layer's size is rounded: the compressor's output moves by a few bytes
        from one build of the same layer to the next (the containerd image store keeps the
        compressed blobs); an uncompressed tar's size is exact."""
        rows = [(layer.index, layer.path,
                 human_size(layer.size, "coarse") if layer.compressed else f"{layer.size:,} B",
                 short_digest(layer.sha256), short_digest(layer.diff_id),
                 "yes" if layer.matches else "NO")
                for layer in self.layers]
        return pd.DataFrame(rows, columns=["layer", "tar in the archive", "size",
                                           "sha256(tar)", "diff_id in config", "equal"])


def layer_sources_in_order(manifest: Any) -> Any:
    """A copy of manifest.json whose LayerSources follow each entry's Layers order."""
    if not isinstance(manifest, list):
        return manifest
    ordered = []
    for entry in manifest:
        sources = entry.get("LayerSources") if isinstance(entry, dict) else None
        if isinstance(sources, dict):
            order = ["sha256:" + str(path).rsplit("/", 1)[-1] for path in entry.get("Layers", [])]
            rank = {digest: i for i, digest in enumerate(order)}
            entry = {**entry, "LayerSources": dict(sorted(
                sources.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))}
        ordered.append(entry)
    return ordered


def _entries(saved: SavedImage) -> list[tuple[str, str, str]]:
    """Top-level entries in a stable order: by role, layers bottom first."""
    folder = saved.folder
    order: list[tuple[str, str]] = []
    if saved.layout == OCI_LAYOUT:
        order += [("oci-layout", "marks the folder as an OCI image layout"),
                  ("index.json", "the entry point: descriptors of the image's manifests"),
                  ("blobs", "every manifest, config and layer, named by its sha256")]
    else:
        order.append((saved.config_path, "the image config; its sha256 is the image ID"))
        for layer in saved.layers:
            order.append((str(Path(layer.path).parent),
                          f"layer {layer.index}: layer.tar (its files), json, VERSION"))
    order += [("manifest.json", "Config, RepoTags and Layers of each saved image"),
              ("repositories", "the old name -> top layer map, for `docker load`")]
    rows = []
    for name, meaning in order:
        path = folder / name
        if path.is_dir():
            size = f"{sum(1 for _ in path.rglob('*') if _.is_file())} files"
        elif path.exists():
            size = _about(path.stat().st_size)
        else:
            continue
        rows.append((name + ("/" if path.is_dir() else ""), size, meaning))
    return rows


def _about(size: int, *, compressed: bool = False) -> str:
    """Small files exactly; larger ones to the kB (MB from 1 MB). A config's size moves by a
    few bytes from build to build: its timestamps drop trailing zeros of their nanoseconds.
    A gzip blob's size moves too, whatever its size (the same tar compresses to 94 bytes on
    one machine and 96 on the next), so a small one is "under 1 kB"."""
    if size < 1000:
        return human_size(size, "coarse") if compressed else f"{size:,} bytes"
    return f"about {human_size(size)}"


def where_things_are(containerd_store: bool | None = None) -> pd.DataFrame:
    """Where each part of an image lives in the two layouts `docker save` writes (02b, 5).

    What names a layer blob and what the image ID hashes depend on the store: a graphdriver
    engine writes each layer's tar as it is (named by its diff_id) and names an image by its
    config; the containerd image store writes the blobs it keeps (a compressed layer named by
    the digest of the compressed bytes) and names an image by the manifest or index its name
    points at. Without containerd_store, `docker info --format '{{.Driver}} {{json
    .DriverStatus}}'` runs first (shown, with its output), and the store it names is printed
    above the table.

    Args:
        containerd_store: which store to describe (default: this engine's, read from `docker
            info`'s driver-type).
    """
    if containerd_store is None:
        engine = facts()
        said = docker(["info", "--format", "{{.Driver}} {{json .DriverStatus}}"]).stdout
        containerd_store = "io.containerd.snapshotter" in said
        store = _("the containerd image store") if containerd_store else \
            _("the {driver} graphdriver").format(driver=engine.storage_driver)
        print(_("This engine (Docker {version}) keeps images in {store}; the rows marked * "
                "depend on that.").format(version=engine.server_version, store=store))
    if containerd_store:
        layer = "blobs/sha256/<digest of the compressed blob>"
        image_id = "the manifest or index index.json points at"
    else:
        layer = "blobs/sha256/<diff_id> (the tar as it is)"
        image_id = "the config blob"
    return pd.DataFrame([
        ("list of images", "manifest.json", "index.json (and manifest.json)"),
        ("image manifest", "(none: manifest.json plays the part)",
         "blobs/sha256/<digest of the manifest>"),
        ("image config", "<sha256 of config>.json", "blobs/sha256/<sha256 of config>"),
        ("layer *", "<v1 layer id>/layer.tar", layer),
        ("the image ID is the sha256 of *", "<sha256 of config>.json", image_id),
    ], columns=["part", DOCKER_LAYOUT, OCI_LAYOUT])


# -- reading an unpacked archive -----------------------------------------------------------------
def layout_of(folder: Path) -> str:
    """Which layout an unpacked `docker save` folder has.

    Raises:
        LabkitError: it is neither.
    """
    if (folder / "oci-layout").exists() and (folder / "index.json").exists():
        return OCI_LAYOUT
    if (folder / "manifest.json").exists():
        return DOCKER_LAYOUT
    raise LabkitError(_("{folder} holds no manifest.json and no index.json.").format(
                          folder=folder),
                      _("unpack the output of `docker save` there (tar -xf IMAGE.tar -C FOLDER)"))


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise LabkitError(_("Cannot read {path}: {exc}").format(path=path.name, exc=exc),
                          _("save the image again; the archive looks damaged")) from exc


def _blob(folder: Path, digest: str) -> Path:
    algo, _, hexd = digest.partition(":")
    return folder / "blobs" / algo / hexd


def read(folder: Path) -> SavedImage:
    """Read an unpacked `docker save` archive of one image (either layout) and hash its layers."""
    layout = layout_of(folder)
    manifest = _load(folder / "manifest.json") if (folder / "manifest.json").exists() else []
    index = None
    if layout == OCI_LAYOUT:
        index = _load(folder / "index.json")
        oci = _image_manifest(folder, index)
        config_path = str(_blob(folder, oci["config"]["digest"]).relative_to(folder))
        layer_paths = [str(_blob(folder, d["digest"]).relative_to(folder))
                       for d in oci.get("layers", [])]
        tags = tuple(manifest[0].get("RepoTags") or []) if manifest else _index_names(index)
    else:
        if not manifest:
            raise LabkitError(_("manifest.json lists no image."),
                              _("save an image that has a name"))
        config_path, layer_paths = manifest[0]["Config"], list(manifest[0]["Layers"])
        tags = tuple(manifest[0].get("RepoTags") or [])
    config = _load(folder / config_path)
    diff_ids = config.get("rootfs", {}).get("diff_ids", [])
    if len(diff_ids) != len(layer_paths):
        raise LabkitError(_("The config names {n_diff_ids} layers, the archive holds "
                            "{n_layers}.").format(
                              n_diff_ids=len(diff_ids), n_layers=len(layer_paths)),
                          _("save the image again"))
    layers = []
    for n, (rel, diff_id) in enumerate(zip(layer_paths, diff_ids, strict=True), start=1):
        digest, compressed = hash_layer(folder / rel)
        layers.append(SavedLayer(n, rel, (folder / rel).stat().st_size, digest, compressed,
                                 diff_id))
    return SavedImage(folder, layout, tags, config_path, config, tuple(layers), manifest, index)


def _size(folder: Path, rel: str) -> int:
    return (folder / rel).stat().st_size


def _shorten(path: str) -> str:
    """A path with each 64-hex name cut to its first 12 digits, as docker shows IDs."""
    return LONG_HEX.sub(r"\1", path)


def _media(media_type: str) -> str:
    """The telling end of a media type: "image.manifest.v1+json", "layer.v1.tar+gzip"."""
    for prefix in ("application/vnd.oci.", "application/vnd.docker."):
        if media_type.startswith(prefix):
            return media_type[len(prefix):]
    return media_type or "-"


def _descriptors(folder: Path, index: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The descriptors met from index.json down to the first image: index, manifest, config,
    layers (bottom first), each with the role it plays."""
    found: list[tuple[str, dict[str, Any]]] = []
    for _level in range(4):
        descriptors = index.get("manifests") or []
        if not descriptors:
            return found
        desc = descriptors[0]
        doc = _load(_blob(folder, desc["digest"]))
        if "layers" not in doc:
            found.append(("image index", desc))
            index = doc
            continue
        found.append(("image manifest", desc))
        found.append(("config", doc["config"]))
        found += [(f"layer {n}", d) for n, d in enumerate(doc["layers"], start=1)]
        return found
    return found


def _image_manifest(folder: Path, index: dict[str, Any]) -> dict[str, Any]:
    """Follow index.json (and any nested index) to the first image manifest."""
    for _level in range(4):
        descriptors = index.get("manifests") or []
        if not descriptors:
            raise LabkitError(_("index.json lists no manifest."), _("save the image again"))
        desc = descriptors[0]
        doc = _load(_blob(folder, desc["digest"]))
        if "layers" in doc:
            return doc
        index = doc  # an image index: one level further down
    raise LabkitError(_("index.json nests too deep."), _("save one platform of the image"))


def _index_names(index: dict[str, Any]) -> tuple[str, ...]:
    names = []
    for desc in index.get("manifests") or []:
        ann = desc.get("annotations") or {}
        name = ann.get("io.containerd.image.name") or ann.get("org.opencontainers.image.ref.name")
        if name:
            names.append(name)
    return tuple(names)


# -- saving --------------------------------------------------------------------------------------
def save(lab: Lab, ref: str) -> SavedImage:
    """`docker save REF -o FILE`, then `tar -xf FILE -C FOLDER` in a lesson folder; read it.

    Both commands are shown as a shell would run them.
    """
    slug = ref.replace("/", "_").replace(":", "_")
    folder = lab.workdir(f"save-{slug}")
    archive = folder / f"{slug}.tar"
    unpacked = folder / "unpacked"
    unpacked.mkdir()
    docker(["save", ref, "-o", str(archive)])
    sh(["tar", "-xf", str(archive), "-C", str(unpacked)])
    return read(unpacked)
