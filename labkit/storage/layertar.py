"""Deletions inside a layer: `.wh.` entries in the layer tar, whiteouts and opaque folders on disk.

Taught in: 02b-image-anatomy-and-the-wire (section 5.4, exercise 02b.2). A layer tar cannot hold
"nothing": a deleted file travels as an empty entry `.wh.<name>` beside where it was, and a
folder that was removed and made again as the marker `.wh..wh..opq` inside it (the OCI image
spec's names, taken from AUFS). When the engine unpacks the tar for overlayfs it turns them back
into what the kernel reads: a character device 0,0 and the xattr `trusted.overlay.opaque=y`.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from docker.models.containers import Container

from labkit.base.errors import LabkitError
from labkit.base.i18n import _
from labkit.lab.session import Lab
from labkit.storage.digests import GZIP_MAGIC
from labkit.storage.graphdriver import overlay_mount
from labkit.storage.imagesave import SavedImage
from labkit.storage.overlay import OPAQUE_XATTR, kind, xattrs

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
DELETED_FILE = "etc/motd"
REMADE_DIR = "usr/share/doc"
STEP = (f"rm /{DELETED_FILE} && rm -rf /{REMADE_DIR} && mkdir /{REMADE_DIR} "
        f"&& echo 'made again' > /{REMADE_DIR}/README")


def deleter_dockerfile(base: str = "labkit/debian:bookworm") -> str:
    """The lesson image's Dockerfile: one RUN step that deletes a file and remakes a folder."""
    return f"FROM {base}\nRUN {STEP}\n"


def build_deleter(lab: Lab, tag: str = "deleter:v1", base: str = "labkit/debian:bookworm") -> str:
    """Build the lesson image whose top layer deletes /etc/motd and remakes /usr/share/doc.

    Prints its Dockerfile after the `docker build` line. Returns the image's name (made unique
    if a learner's image has it).
    """
    return _build(lab, tag, deleter_dockerfile(base))


def _build(lab: Lab, tag: str, dockerfile: str) -> str:
    context = lab.workdir("ctx-" + tag.replace("/", "_").replace(":", "_"))
    (context / "Dockerfile").write_text(dockerfile)
    result = lab.build(context, tag)
    print(f"# {result.tag}\n{dockerfile}", end="")
    return result.tag


def build_step(lab: Lab, step: str | None, tag: str = "my-deleter:v1",
               base: str = "labkit/debian:bookworm") -> str | None:
    """Exercise 02b.2: build `FROM BASE` plus `RUN STEP`, the learner's own step (one line).

    Prints the `docker build` line and the Dockerfile. Returns the image's name, or None (with
    a note) while STEP is still the placeholder `...`.

    Raises:
        LabkitError: STEP is not one line of shell, or the build failed (say, `rm` of a name
            the base image does not have).
    """
    if step is None or step is Ellipsis or not str(step).strip() or str(step).strip() == "...":
        print(_("not answered yet: set my_step to a shell command that deletes something"))
        return None
    text = str(step).strip()
    if "\n" in text:
        raise LabkitError(_("my_step must be one line: it becomes one RUN instruction."),
                          _("join several commands with &&"))
    return _build(lab, tag, f"FROM {base}\nRUN {text}\n")


def whiteout_entries(saved: SavedImage, index: int = -1) -> list[str]:
    """The `.wh.` entries (deletions and opaque markers) of one layer tar, in tar order.

    Raises:
        LabkitError: the layer is not a tar.
    """
    return [name for name in _names(saved, index)
            if Path(name.rstrip("/")).name.startswith(WHITEOUT_PREFIX)]


def only_the_lessons(entries: set[str] | list[str]) -> bool:
    """Whether every entry is one that the lesson's deleter image makes (etc/.wh.motd, or
    anything under usr/share/doc/, where engines differ in how they mark the remade folder)."""
    lesson_file = f"{Path(DELETED_FILE).parent}/{WHITEOUT_PREFIX}{Path(DELETED_FILE).name}"
    return bool(entries) and all(e == lesson_file or e.startswith(REMADE_DIR + "/")
                                 for e in entries)


def meaning(name: str) -> str:
    """What one entry of a layer tar tells the engine unpacking it."""
    path = name.rstrip("/")
    folder, _, base = path.rpartition("/")
    if base == OPAQUE_MARKER:
        return f"/{folder}/ is opaque: hide what lower layers have in it"
    if base.startswith(WHITEOUT_PREFIX):
        gone = f"{folder}/{base[len(WHITEOUT_PREFIX):]}" if folder else base[len(WHITEOUT_PREFIX):]
        return f"/{gone} was deleted"
    return "a folder of the layer" if name.endswith("/") else "a file of the layer"


def _members(data: bytes) -> list[tarfile.TarInfo]:
    if data[:2] == GZIP_MAGIC:
        data = gzip.decompress(data)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tf:
        return tf.getmembers()


def _read_members(saved: SavedImage, index: int) -> list[tarfile.TarInfo]:
    layer = saved.layers[index]
    try:
        return _members((saved.folder / layer.path).read_bytes())
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise LabkitError(_("Layer {index} of the archive is not a readable tar: {exc}").format(
                              index=layer.index, exc=exc),
                          _("save the image again")) from exc


def _names(saved: SavedImage, index: int) -> list[str]:
    return [info.name.removeprefix("./") + ("/" if info.isdir() else "")
            for info in _read_members(saved, index)]


def tar_entries(saved: SavedImage, index: int = -1, limit: int = 16) -> pd.DataFrame:
    """The entries of one layer tar of a saved image (default: the top layer), in tar order.

    Columns: the entry's name as stored, its tar type and size, and what it means; `.wh.`
    entries are the deletions. Beyond LIMIT rows the rest is summed up in one last row (an
    engine may write a whiteout for every entry of a removed folder).

    Raises:
        LabkitError: the layer is not a tar.
    """
    members = _read_members(saved, index)
    rows = []
    for info in members:
        name = info.name + ("/" if info.isdir() else "")
        what = "dir" if info.isdir() else "file" if info.isfile() else "link" if (
            info.issym() or info.islnk()) else "other"
        rows.append((name, what, info.size, meaning(name)))
    if len(rows) > limit:
        rest = rows[limit - 1:]
        gone = sum(1 for row in rest if Path(row[0].rstrip("/")).name.startswith(WHITEOUT_PREFIX))
        rows = rows[:limit - 1] + [(f"... {len(rest)} more entries", "", sum(r[2] for r in rest),
                                    f"{gone} of them .wh. entries")]
    return pd.DataFrame(rows, columns=["entry in the layer tar", "type", "bytes", "means"])


def deletion_layer(container: Container, marker: str = DELETED_FILE,
                   lowers: Sequence[str] | None = None) -> Path:
    """The folder of the image layer that deleted MARKER, found in the container's overlay mount
    (and printed).

    Searches the mount's lowerdirs top first for the first that has MARKER at all (there it is
    a whiteout); works on both stores: overlay2's l/ links lead to a layer's diff/ folder, the
    containerd store's lowerdirs are its snapshots' fs/ folders.

    Args:
        container: a running container of the image.
        marker: a path the layer deleted, relative to /.
        lowers: the lowerdirs (read from the container's mountinfo when not given).

    Raises:
        LabkitError: no lowerdir holds MARKER.
    """
    if lowers is None:
        lowers = overlay_mount(container).lowers
    for lower in lowers:
        if kind(Path(lower) / marker) != "missing":
            folder = Path(os.path.realpath(lower))
            print(_("the layer that deleted /{marker}: {folder}").format(
                      marker=marker, folder=folder))
            return folder
    raise LabkitError(_("No layer below {container} has /{marker}.").format(
                          container=container.name, marker=marker),
                      _("run a container of the image that deleted it (deleter:v1)"))


def on_disk(folder: Path, paths: Sequence[str] = (DELETED_FILE, REMADE_DIR)) -> pd.DataFrame:
    """What the engine made of the tar's deletions in a layer's folder: kind, device, xattr."""
    rows = []
    for rel in paths:
        path = folder / rel
        what = kind(path)
        if what == "whiteout":
            rdev = os.lstat(path).st_rdev
            evidence = f"character device {os.major(rdev)},{os.minor(rdev)}"
        elif what == "opaque dir":
            evidence = f"xattr {OPAQUE_XATTR}={xattrs(path)[OPAQUE_XATTR]}"
        elif what == "dir":
            hidden = sum(1 for child in path.iterdir() if kind(child) == "whiteout")
            evidence = f"no opaque xattr; {hidden} whiteouts inside"
        else:
            evidence = "-"
        rows.append(("/" + rel, what, evidence))
    return pd.DataFrame(rows, columns=["path", "in the layer's folder", "what the kernel reads"])
