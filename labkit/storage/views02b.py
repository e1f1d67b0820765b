"""Chapter 02b's commands: what a learner types to look into a `docker save` archive and at
layers on the wire, each shown and run (with its output), then labkit's table as a second view.

Taught in: 02b-image-anatomy-and-the-wire (sections 5 and 6). Every value a table takes from a
command is parsed from what that command printed. Commands on the lesson's registry go to
127.0.0.1 only (labkit.lessons.registry).
"""

from __future__ import annotations

import dataclasses
import json
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from labkit.base.errors import LabkitError
from labkit.base.facts import EngineFacts, facts
from labkit.base.fmt import human_size, short_digest
from labkit.base.i18n import _
from labkit.base.refs import Ref
from labkit.base.show import docker, sh
from labkit.lessons.registry import LocalRegistry
from labkit.storage import containerd_layers, wire
from labkit.storage.imagesave import (
    DOCKER_LAYOUT,
    OCI_LAYOUT,
    SavedImage,
    _descriptors,
    layer_sources_in_order,
)
from labkit.storage.overlay2_layers import docker_root
from labkit.storage.snapshotter import blob_path
from labkit.storage.wire import MANIFEST_V2, OCI_MANIFEST, BlobHash, registry_name


def _in(folder: Path, argv: list[str]) -> list[str]:
    """`sh -c 'cd FOLDER && ARGV'`: run in the archive's folder, so paths print short."""
    return ["sh", "-c", f"cd {shlex.quote(str(folder))} && {shlex.join(argv)}"]


def parse_sums(text: str) -> dict[str, str]:
    """{file: "sha256:HEX"} from `sha256sum FILE...` lines ("HEX  FILE"; "-" for stdin)."""
    found = {}
    for line in text.splitlines():
        digest, _, name = line.strip().partition(" ")
        if len(digest) == 64:
            found[name.strip().lstrip("*")] = "sha256:" + digest
    return found


# -- section 5: the archive ------------------------------------------------------------------
def files(saved: SavedImage) -> pd.DataFrame:
    """`ls -l` of the unpacked archive (shown, with its output), then what each entry is for."""
    sh(["ls", "-l", "--time-style=+", str(saved.folder)])
    return saved.files_frame()


def entry_point(saved: SavedImage) -> str:
    """`cat index.json` (OCI layout; manifest.json otherwise), shown with its output; returns
    the same JSON indented, parsed from what cat printed (LayerSources in layer order)."""
    name = "index.json" if saved.layout == OCI_LAYOUT else "manifest.json"
    text = sh(_in(saved.folder, ["cat", name])).stdout
    print()
    doc = json.loads(text)
    if name == "manifest.json":
        doc = layer_sources_in_order(doc)
    return json.dumps(doc, indent=1)


def chain(saved: SavedImage) -> pd.DataFrame:
    """`sha256sum` of every blob index.json leads to (shown, with its output), then the chain
    as a table whose last column says whether each file is named by the sha256 sum printed.

    A docker-archive (engines before 25) names its layer folders by made-up v1 IDs: there the
    table alone is shown.
    """
    frame = saved.chain_frame()
    if saved.layout != OCI_LAYOUT or saved.index is None:
        return frame
    paths = [str(Path("blobs", *d["digest"].split(":", 1))) for _, d in
             _descriptors(saved.folder, saved.index)]
    sums = parse_sums(sh(_in(saved.folder, ["sha256sum", *paths])).stdout)
    named = ["fixed name"] + [
        "sha256 of its bytes" if sums.get(p, "").removeprefix("sha256:") == Path(p).name
        else "NOT its sha256" for p in paths]
    frame["file named by"] = named[:len(frame)]
    return frame


def history(saved: SavedImage) -> pd.DataFrame:
    """`docker history` of the saved image (shown, with its output: the engine's view of the
    config's history, top first), then the config's own history as a table, bottom first."""
    if saved.repo_tags:
        docker(["history", "--format", "{{.Size}}\t{{.CreatedBy}}", saved.repo_tags[0]])
    return saved.history_frame()


def hash_layers(saved: SavedImage) -> pd.DataFrame:
    """Hash each layer tar of the archive with `sha256sum` (`gunzip -c BLOB | sha256sum` for a
    compressed one), each shown with its output; then the table, its sha256(tar) column parsed
    from what sha256sum printed."""
    rows = []
    for layer in saved.layers:
        argv = (["sh", "-c", f"cd {shlex.quote(str(saved.folder))} && gunzip -c "
                 f"{shlex.quote(layer.path)} | sha256sum"] if layer.compressed
                else _in(saved.folder, ["sha256sum", layer.path]))
        said = next(iter(parse_sums(sh(argv).stdout).values()), "")
        rows.append(dataclasses.replace(layer, sha256=said))
    return dataclasses.replace(saved, layers=tuple(rows)).layers_frame()


# -- section 6: the registry and the engine ------------------------------------------------------
def blob_url(registry: LocalRegistry, ref: str, digest: str) -> str:
    """The registry API's address of one blob of REF's repository (127.0.0.1 only)."""
    repo = Ref.parse(wire.registry_name(registry, ref)).repository
    return f"http://{registry.address}/v2/{repo}/blobs/{digest}"


def layer_hashes(registry: LocalRegistry, ref: str) -> list[wire.BlobHash]:
    """Each layer blob of REF downloaded from the lesson's registry with `busybox wget` and
    hashed twice with `sha256sum`: as sent, and gunzipped (each command shown, with its
    output); the hashes in what it returns are the ones those commands printed."""
    found = []
    for h in wire.layer_hashes(registry, ref):
        get = f"busybox wget -qO- {shlex.quote(blob_url(registry, ref, h.digest))}"
        stored = next(iter(parse_sums(sh(["sh", "-c", f"{get} | sha256sum"]).stdout).values()),
                      "")
        unpacked = stored
        if h.compressed:
            said = sh(["sh", "-c", f"{get} | gunzip | sha256sum"]).stdout
            unpacked = next(iter(parse_sums(said).values()), "")
        found.append(dataclasses.replace(h, stored=stored, unpacked=unpacked))
    return found


def image_id(registry: LocalRegistry, ref: str) -> None:
    """`docker image inspect -f '{{.Id}} {{json .Descriptor}}' REF` (shown, with its output),
    then what this store's image ID is the digest of (wire.what_names_the_image)."""
    template = "{{.Id}} {{json .Descriptor}}" if facts().containerd_store else "{{.Id}}"
    docker(["image", "inspect", "-f", template, ref])
    wire.what_names_the_image(registry, ref)


def same_id(ref: str, id_before: str) -> None:
    """`docker image inspect -f '{{.Id}}' REF` (shown, with its output), then whether it is the
    ID REF had before it was removed, parsed from that output, and why."""
    said = docker(["image", "inspect", "-f", "{{.Id}}", ref]).stdout.strip()
    if not said.startswith("sha256:"):
        raise LabkitError(_("`docker image inspect` printed no image ID for {ref}.").format(
                              ref=ref),
                          _("pull the image again (the cell above)"))
    wire.same_id_after_pull(ref, id_before)


def known_digests(registry: LocalRegistry, ref: str) -> pd.DataFrame:
    """Where the engine keeps what it knows of each layer digest, listed (shown, with its
    output), then the table: containerd's content store (`ls` of each blob: the table's "blob
    in the content store" is what ls listed), or overlay2's digest -> diff_id map (`cat` of each
    file of image/overlay2/distribution/diffid-by-digest). A file that is not there makes the
    command say so."""
    layers: list[dict[str, Any]] = wire.manifest(registry, ref)["layers"]
    if facts().containerd_store:
        root = containerd_layers.containerd_root()
        listed = sh(["ls", "--sort=none", *(blob_path(root, str(d["digest"])) for d in layers)],
                    check=False)  # in the manifest's order, not sorted by digest
        return containerd_layers.known_blobs(layers, root, set(listed.stdout.split()))
    folder = docker_root() / "image" / "overlay2" / "distribution" / "diffid-by-digest"
    sh(["cat", *(str(folder / Path(*str(d["digest"]).split(":", 1))) for d in layers)],
       check=False)
    print()
    return wire.known_digests(registry, ref)


# -- 02b section 5: the archive's layout -------------------------------------------------------


def layout_note(saved: SavedImage, found: EngineFacts | None = None) -> str:
    """Which layout this engine wrote, read from the archive, in a sentence."""
    f = found or facts()
    expected = OCI_LAYOUT if f.major >= 25 else DOCKER_LAYOUT
    note = f"This engine, Docker {f.major}, wrote the {saved.layout}."
    if saved.layout != expected:
        note += f" (Engines of its version usually write the {expected}.)"
    return note


# -- 02b section 6: layers on the wire ---------------------------------------------------------


def manifest_frame(registry: LocalRegistry, ref: str) -> pd.DataFrame:
    """`busybox wget` of the manifest from the registry's HTTP API, then a table of it: the
    config and each layer, with media type, size and digest (02b, 6.1).

    Only the command line is shown: the manifest is the table's facts, and its compressed
    sizes move by a few bytes from build to build.

    Raises:
        LabkitError: the registry gave no manifest.
    """
    parsed = Ref.parse(registry_name(registry, ref)).or_latest()
    url = (f"http://{registry.address}/v2/{parsed.repository}/manifests/"
           f"{parsed.digest or parsed.tag}")
    got = sh(["busybox", "wget", "-qO-", "--header", f"Accept: {MANIFEST_V2}, {OCI_MANIFEST}",
              url], check=False, quiet=True)
    if not got.ok:
        raise LabkitError(_("The registry has no manifest for {parsed}: {error}").format(
                              parsed=parsed, error=(got.stderr or got.stdout).strip()),
                          _("push the image first"))
    doc = json.loads(got.stdout)
    config = doc["config"]
    rows = [("config", config["mediaType"].rsplit(".", 2)[-2], short_digest(config["digest"]),
             config["size"])]
    # the end that differs: Docker's "...rootfs.diff.tar.gzip", OCI's "...layer.v1.tar+gzip"
    rows += [(f"layer {n}", d["mediaType"].split("rootfs.")[-1].split("layer.v1.")[-1],
              short_digest(d["digest"]),
              d["size"]) for n, d in enumerate(doc["layers"], start=1)]
    frame = pd.DataFrame(rows, columns=["part", "mediaType (end)", "digest", "bytes"])
    # Compressed sizes move by a few bytes from build to build: "coarse" hides them.
    frame["bytes"] = [human_size(int(b), "coarse") for b in frame["bytes"]]
    return frame


def hashes_frame(hashes: Sequence[BlobHash]) -> pd.DataFrame:
    """The two hashes of each layer side by side; both comparisons must say True."""
    rows = [(h.index, short_digest(h.digest), h.digest_ok, human_size(h.blob_bytes, "coarse"),
             short_digest(h.diff_id), h.diff_id_ok, human_size(h.tar_bytes, "coarse"))
            for h in hashes]
    return pd.DataFrame(rows, columns=[
        "layer", "digest", "sha256(blob) = digest", "blob", "diff_id",
        "sha256(gunzip(blob)) = diff_id", "tar"])
