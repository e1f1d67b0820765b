"""Layers on the wire: push to the lesson's registry, pull back, digests versus diff_ids.

Taught in: 02b-image-anatomy-and-the-wire (sections 5 and 6). The registry is the lesson's own
labkit/registry:2 on 127.0.0.1 (labkit.lessons.registry); nothing here talks to any other address.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker.errors as docker_errors
import pandas as pd

from labkit.base.engine import client
from labkit.base.errors import LabkitError, friendly
from labkit.base.facts import facts
from labkit.base.fmt import short_digest
from labkit.base.http import LOOPBACK, BadStatus, NoAnswer
from labkit.base.i18n import _
from labkit.base.refs import Ref
from labkit.base.show import Shown, docker
from labkit.lab.session import Lab
from labkit.lessons.registry import LocalRegistry
from labkit.storage import containerd_layers
from labkit.storage.overlay2_layers import docker_root
from labkit.storage.snapshotter import INDEX_TYPES

MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
# Statuses that only report progress; a layer's last other status is its outcome.
PROGRESS = {"Preparing", "Waiting", "Pushing", "Downloading", "Extracting", "Verifying Checksum",
            "Download complete", "Pulling fs layer"}


def app_dockerfile(base: str) -> str:
    """The Dockerfile of the lesson's small images: one file on top of a course image."""
    return f"FROM {base}\nCOPY greeting.txt /srv/greeting.txt\n"


def build_app(lab: Lab, tag: str, greeting: str, base: str = "labkit/redis:7.0") -> str:
    """Build a lesson image FROM a course image, adding one small layer; prints its Dockerfile.

    Returns:
        The image's name (made unique if a learner's image has it).
    """
    slug = tag.replace("/", "_").replace(":", "_")
    context = lab.workdir(f"ctx-{slug}")
    (context / "Dockerfile").write_text(app_dockerfile(base))
    (context / "greeting.txt").write_text(greeting + "\n")
    result = lab.build(context, tag)
    print(f"# {result.tag}\n{app_dockerfile(base)}", end="")
    return result.tag


# -- push and pull -------------------------------------------------------------------------------
LAYER_LINE = re.compile(r"^([0-9a-f]{12}): (.+)$")


def outcomes(text: str) -> list[tuple[str, str]]:
    """The final status of each layer in `docker push` or `docker pull` output, in first-seen
    order (the lines `ID: STATUS` the CLI prints when its output is not a terminal).

    Raises:
        LabkitError: the output reports an error.
    """
    order: list[str] = []
    last: dict[str, str] = {}
    for line in text.splitlines():
        found = LAYER_LINE.match(line.strip())
        if not found:
            continue
        layer, status = found.group(1), found.group(2).strip()
        if layer not in order:
            order.append(layer)
        word = status.split("  ")[0].strip()  # a progress bar may follow the status
        if word and word not in PROGRESS:
            last[layer] = word
    return [(layer, last[layer]) for layer in order if layer in last]


def _ran(shown: Shown, what: str) -> str:
    """The output of a push or pull, or an error that says what to check."""
    if not shown.ok:
        detail = (shown.stderr or shown.stdout).strip().splitlines()
        raise LabkitError(_("`docker {what}` failed: {detail}").format(
                              what=what, detail=detail[-1] if detail else shown.returncode),
                          _("check that the lesson's registry is still running"))
    return shown.stdout


def push(ref: str) -> pd.DataFrame:
    """`docker push REF`, run with the docker CLI; one row per layer, bottom first, with the
    last status the CLI printed for it (02b, section 6).

    Only the command line is shown: its progress lines interleave differently on every run, and
    the table lists the same outcomes. A graphdriver engine names each layer by the start of its
    diff_id (what it has on disk); the containerd image store by the start of its compressed
    blob's digest (what it sends). The column "named by" says which.
    """
    parsed = Ref.parse(ref).or_latest()
    if not (parsed.registry or "").startswith(f"{LOOPBACK}:"):
        raise LabkitError(_("{ref} is not in a registry on {loopback}: the lesson pushes only "
                            "to its own.").format(ref=ref, loopback=LOOPBACK),
                          _("tag the image with reg.ref(NAME) first"))
    with friendly():
        diff_ids = client().images.get(ref).attrs["RootFS"]["Layers"]
    done = dict(outcomes(_ran(docker(["push", ref], check=False, quiet=True), f"push {ref}")))
    sent = [d["digest"] for d in manifest(LocalRegistry("", parsed.registry), ref)["layers"]]
    rows = []
    for n, (diff_id, digest) in enumerate(zip(diff_ids, sent, strict=True), start=1):
        named = ("diff_id", diff_id) if short_digest(diff_id) in done else ("digest", digest)
        rows.append((n, short_digest(named[1]), named[0], done.get(short_digest(named[1]), "?")))
    return pd.DataFrame(rows, columns=["layer", "id shown", "named by", "status"])


def registry_name(registry: LocalRegistry, ref: str) -> str:
    """The name inside the registry: app:v1 for 127.0.0.1:5000/app:v1."""
    parsed = Ref.parse(ref)
    if not parsed.registry or parsed.registry != registry.address:
        raise LabkitError(_("{ref} is not in the lesson's registry {address}.").format(
                              ref=ref, address=registry.address),
                          _("tag the image with registry.ref(NAME) first"))
    return str(parsed.without_registry())


def pull(lab: Lab, registry: LocalRegistry, ref: str) -> pd.DataFrame:
    """`docker pull REF` from the lesson's registry, run with the docker CLI (recorded for
    cleanup); one row per layer, with the last status the CLI printed for it (02b, 6.2).

    Only the command line is shown (its progress lines vary from run to run; the table lists
    the same outcomes). The pull names each layer by the start of its digest.
    """
    digests = [d["digest"] for d in manifest(registry, ref)["layers"]]
    registry_name(registry, ref)  # only the lesson's registry
    done = dict(outcomes(_ran(docker(["pull", ref], check=False, quiet=True), f"pull {ref}")))
    lab.record_pulled(ref)
    print(_("pulled {ref}: image {image_id}").format(
              ref=ref, image_id=short_digest(client().images.get(ref).id)))
    # The containerd image store names only the layers it fetches; the others it already had.
    rows = [(n, short_digest(d), done.get(short_digest(d), "(not fetched: already here)"))
            for n, d in enumerate(digests, start=1)]
    return pd.DataFrame(rows, columns=["layer", "id shown (digest)", "status"])


def remove_local(lab: Lab, refs: Sequence[str]) -> None:
    """`docker rmi REFS...` for image names this lesson made (never anything else), run with
    the docker CLI; the image goes with its last name, its shared base layers stay for the
    images that still use them (02b, 6.2).

    Raises:
        LabkitError: a name is not one this lesson made.
    """
    ours = {tag for entry in lab.made("image") for tag in entry.get("tags", [])}
    ours |= {entry.get("ref", "") for entry in lab.made("tag")}
    for ref in refs:
        if ref not in ours and f"{ref}:latest" not in ours:
            raise LabkitError(_("{ref} is not an image this lesson made.").format(ref=ref),
                              _("this lesson removes only its own images (app-a, app-b)"))
    with friendly():
        image_id = client().images.get(refs[0]).id if refs else None
    docker(["rmi", *refs])
    if image_id is not None:
        try:
            client().images.get(image_id)
            print(_("image {image_id} still has other names").format(
                      image_id=short_digest(image_id)))
        except docker_errors.ImageNotFound:
            print(_("image {image_id} and its own top layer are gone").format(
                      image_id=short_digest(image_id)))


# -- the registry's side -------------------------------------------------------------------------
def manifest(registry: LocalRegistry, ref: str) -> dict[str, Any]:
    """The image manifest the registry serves for REF (e.g. 127.0.0.1:5000/app:v1)."""
    name = registry_name(registry, ref)
    try:
        return registry.manifest(name, f"{MANIFEST_V2}, {OCI_MANIFEST}")
    except (BadStatus, NoAnswer) as exc:
        raise LabkitError(_("The registry has no manifest for {name}: {error}").format(
                              name=name, error=exc.message),
                          _("push the image first")) from exc


def blob(registry: LocalRegistry, repo: str, digest: str) -> bytes:
    """Download one blob (a layer or a config) from the lesson's registry."""
    return registry.get(f"/v2/{repo}/blobs/{digest}", timeout=60).body


@dataclass(frozen=True)
class BlobHash:
    """One layer of a pushed image, hashed as the registry stores it and unpacked.

    Attributes:
        index: 1 for the bottom layer.
        digest: the manifest's name for the blob (sha256 of the compressed bytes).
        stored: sha256 of the bytes downloaded.
        blob_bytes: how many bytes were downloaded.
        compressed: whether they were gzip.
        diff_id: what the config's rootfs.diff_ids lists for this layer.
        unpacked: sha256 of the uncompressed tar.
        tar_bytes: the tar's size.
    """

    index: int
    digest: str
    stored: str
    blob_bytes: int
    compressed: bool
    diff_id: str
    unpacked: str
    tar_bytes: int

    @property
    def digest_ok(self) -> bool:
        """sha256(blob) is the manifest's digest."""
        return self.stored == self.digest

    @property
    def diff_id_ok(self) -> bool:
        """sha256(gunzip(blob)) is the config's diff_id."""
        return self.unpacked == self.diff_id


def layer_hashes(registry: LocalRegistry, ref: str) -> list[BlobHash]:
    """Download every layer blob of REF from the lesson's registry and hash it twice: as
    stored (its digest) and uncompressed (its diff_id, listed in the config)."""
    repo = Ref.parse(registry_name(registry, ref)).repository
    doc = manifest(registry, ref)
    config = json.loads(blob(registry, repo, doc["config"]["digest"]))
    found = []
    for n, (desc, diff_id) in enumerate(zip(doc["layers"], config["rootfs"]["diff_ids"],
                                            strict=True), start=1):
        data = blob(registry, repo, desc["digest"])
        compressed = data[:2] == b"\x1f\x8b"
        raw = gzip.decompress(data) if compressed else data
        found.append(BlobHash(n, desc["digest"], "sha256:" + hashlib.sha256(data).hexdigest(),
                              len(data), compressed, diff_id,
                              "sha256:" + hashlib.sha256(raw).hexdigest(), len(raw)))
    return found


# -- what an image ID names ----------------------------------------------------------------------
def _target(attrs: dict[str, Any]) -> tuple[str, str]:
    """("index" or "manifest", its digest): what an image's name points at on the containerd
    store (`docker image inspect`'s Descriptor, Engine 25 and later; the ID otherwise)."""
    desc = attrs.get("Descriptor") or {}
    kind = "index" if desc.get("mediaType") in INDEX_TYPES else "manifest"
    return kind, str(desc.get("digest") or attrs["Id"])


def what_names_the_image(registry: LocalRegistry, ref: str) -> None:
    """Say what this engine's image ID for REF is the digest of, and whether compression
    changes it (02b, 6.1); the registry's manifest gives the config's digest.

    Raises:
        LabkitError: the ID is not what this store names an image by.
    """
    with friendly():
        attrs = client().images.get(ref).attrs
    image_id, config = str(attrs["Id"]), str(manifest(registry, ref)["config"]["digest"])
    if not facts().containerd_store:
        if image_id != config:
            raise LabkitError(_("The image ID {image_id} is not the digest of its config "
                                "{config}.").format(
                                  image_id=short_digest(image_id), config=short_digest(config)),
                              _("run the section again"))
        print(_("This engine ({storage_driver} graphdriver): image ID {image_id} = the "
                "config's digest. The config lists diff_ids, so an image's identity does not "
                "depend on how its layers were compressed.").format(
                  storage_driver=facts().storage_driver, image_id=short_digest(image_id)))
        return
    kind, target = _target(attrs)
    if image_id != target or image_id == config:
        raise LabkitError(_("The image ID {image_id} is not the digest of the {kind} {target} "
                            "its name points at.").format(
                              image_id=short_digest(image_id), kind=kind,
                              target=short_digest(target)),
                          _("run the section again"))
    print(_("This engine (containerd image store): image ID {image_id} = the digest of the "
            "{kind} the name points at, not of the config {config}. That {kind} names the "
            "layers by their compressed digests: the same layers compressed another way make "
            "another image ID, while the config (its diff_ids) stays the same.").format(
              image_id=short_digest(image_id), kind=kind, config=short_digest(config)))


def same_id_after_pull(ref: str, id_before: str) -> None:
    """Say whether the image pulled back has the ID it had before it was removed, and why,
    for this engine's store (02b, 6.2).

    Raises:
        LabkitError: on a graphdriver engine, the ID changed although the config cannot.
    """
    with friendly():
        attrs = client().images.get(ref).attrs
    same = str(attrs["Id"]) == id_before
    print(_("same image ID as before the removal:"), same)
    if not facts().containerd_store:
        if not same:
            raise LabkitError(_("{ref} came back as {image_id}, not {id_before}.").format(
                                  ref=ref, image_id=short_digest(attrs["Id"]),
                                  id_before=short_digest(id_before)),
                              _("run the section again"))
        print(_("(the ID is the config's digest, and the config came back unchanged)"))
        return
    kind, _target_digest = _target(attrs)
    if same:
        print(_("(the ID is the digest of the {kind}; the registry kept the {kind} the engine "
                "pushed byte for byte, and the pull points the name at it again)").format(
                  kind=kind))
    else:
        print(_("(the ID is the digest of the {kind} the registry served, which is not the one "
                "the engine had: the config is the same, the blobs it names are not)").format(
                  kind=kind))


def known_digests(registry: LocalRegistry, ref: str) -> pd.DataFrame:
    """For each layer digest of REF: the diff_id the engine has recorded for it, if any.

    The engine keeps this map (image/overlay2/distribution/diffid-by-digest) from earlier
    pushes and pulls; a pull skips every layer whose digest maps to a layer it has. On the
    containerd image store the blobs themselves stay in containerd's content store:
    `containerd_layers.known_blobs` reads them there.
    """
    if facts().containerd_store:
        return containerd_layers.known_blobs(manifest(registry, ref)["layers"],
                                             containerd_layers.containerd_root())
    root = docker_root() / "image" / "overlay2"
    folder = root / "distribution" / "diffid-by-digest"
    on_disk = layer_diff_ids(root / "layerdb" / "sha256")
    rows = []
    for n, desc in enumerate(manifest(registry, ref)["layers"], start=1):
        algo, _, hexd = desc["digest"].partition(":")
        path = Path(folder, algo, hexd)
        diff_id = path.read_text().strip() if path.exists() else ""
        rows.append((n, short_digest(desc["digest"]),
                     short_digest(diff_id) if diff_id else "(unknown)",
                     "yes" if diff_id in on_disk else "no"))
    return pd.DataFrame(rows, columns=["layer", "digest", "engine maps it to diff_id",
                                       "layer on disk"])


def layer_diff_ids(layerdb: Path) -> set[str]:
    """The diff_id of every layer in the engine's layer database (layerdb/sha256/*/diff)."""
    found = set()
    for entry in layerdb.iterdir() if layerdb.is_dir() else []:
        try:
            found.add((entry / "diff").read_text().strip())
        except OSError:
            continue  # a layer being removed right now
    return found
