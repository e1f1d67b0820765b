"""overlay2 inside Docker: the GraphDriver data of images and containers, the container's live
overlay mount, and what its own layer changed.

Taught in: 02-overlayfs-and-image-storage (sections 1 and 3, exercise 02.2) and
02b-image-anatomy-and-the-wire (sections 5.5 and 6.2). Reading the layers' folders from disk
(layerdb, l/ names, shared layers) is labkit.storage.overlay2_layers'. Everything here only
reads: Docker's folders under its root (/var/lib/docker) are never changed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from docker.models.containers import Container

from labkit.base import containers, procfs
from labkit.base.engine import client
from labkit.base.errors import LabkitError, friendly
from labkit.base.facts import facts
from labkit.base.fmt import human_size, short_digest
from labkit.base.i18n import _
from labkit.base.show import Shown, docker, sh
from labkit.storage.overlay import kind
from labkit.storage.overlay2_layers import folder_label, walk

PAGE_SIZE = 4096
# moby's daemon/graphdriver/overlay2/overlay.go: `maxDepth = 128`; a layer whose lower file
# would list more refuses to be made ("max depth exceeded"), long before a page is full.
MAX_DEPTH = 128


# -- GraphDriver ---------------------------------------------------------------------------------
# Where `docker inspect` names the storage, by engine and store (moby 29.7.2):
# - a graphdriver engine: `GraphDriver` {Name, Data: LowerDir, UpperDir, MergedDir, WorkDir};
# - the containerd image store before API 1.52: `GraphDriver` {Name: "overlayfs", Data: null};
# - the containerd image store from API 1.52 (Engine 29): no `GraphDriver` at all
#   (api/types/container/container.go `omitempty`, moby#50893), and for a container
#   `Storage` {RootFS: {Snapshot: {Name: "overlayfs"}}} (daemon/inspect.go, moby#50857).
#   Images get neither (daemon/containerd/image_inspect.go keeps the snapshotter's name only
#   for API versions before 1.52).


@dataclass(frozen=True)
class GraphDriver:
    """A layer stack's folders as `docker inspect` names them (`GraphDriver` data).

    Attributes:
        name: the storage driver ("overlay2") or the snapshotter ("overlayfs").
        lower_dirs: LowerDir split at ":", top first (the kernel's lowerdir order).
        upper_dir: UpperDir; for an image, its top layer.
        merged_dir: MergedDir; mounted only while a container runs.
        work_dir: WorkDir.
        raw: the `GraphDriver` answer as Docker gave it ({} when there was none).
        source: where the folders were read: "GraphDriver.Data", "mountinfo", or "" (none).
        name_field: the inspect field that named the driver: "GraphDriver.Name",
            "Storage.RootFS.Snapshot.Name" (Engine 29's containerd store), or "".
    """

    name: str
    lower_dirs: tuple[str, ...]
    upper_dir: str
    merged_dir: str
    work_dir: str
    raw: dict[str, Any] = field(repr=False, default_factory=dict)
    source: str = ""
    name_field: str = ""

    @classmethod
    def from_attrs(cls, attrs: dict[str, Any]) -> GraphDriver:
        """Build from an image's or container's inspect answer, whichever field it has.

        `GraphDriver` where the engine gives it; else the snapshotter's name from `Storage`
        (a container on Engine 29's containerd store), with no folders.
        """
        gd = attrs.get("GraphDriver") or {}
        data = gd.get("Data") or {}
        lower = data.get("LowerDir") or ""
        name, name_field = str(gd.get("Name") or ""), "GraphDriver.Name" if gd else ""
        if not gd:
            snap = (((attrs.get("Storage") or {}).get("RootFS") or {}).get("Snapshot") or {})
            if snap.get("Name"):
                name, name_field = str(snap["Name"]), "Storage.RootFS.Snapshot.Name"
        return cls(name, tuple(p for p in lower.split(":") if p),
                   data.get("UpperDir", ""), data.get("MergedDir", ""), data.get("WorkDir", ""),
                   gd, "GraphDriver.Data" if data else "", name_field)

    def read_from(self) -> str:
        """Which inspect field gave the driver's name and which the folders, in a sentence."""
        named = (f"`{self.name_field}` = {self.name}" if self.name_field else
                 _("no storage field"))
        if self.source == "GraphDriver.Data":
            return _("folders from `GraphDriver.Data`, driver from {named}").format(named=named)
        if self.source == "mountinfo":
            return _("folders from the container's overlay mount (its mountinfo): "
                     "`docker inspect` gives {named} and no folders").format(named=named)
        return _("`docker inspect` gives {named} and no folders").format(named=named)

    def to_frame(self) -> pd.DataFrame:
        """One row per folder: the field, the overlay2 folder (ID shortened) and the sub-folder."""
        rows = [(f"LowerDir {i} of {len(self.lower_dirs)}", p)
                for i, p in enumerate(self.lower_dirs, start=1)]
        rows += [("UpperDir", self.upper_dir), ("MergedDir", self.merged_dir),
                 ("WorkDir", self.work_dir)]
        return pd.DataFrame([(name, folder_label(Path(path).parent.name), Path(path).name)
                             for name, path in rows],
                            columns=["field", "overlay2 folder", "sub-folder"])


def of_image(ref: str) -> GraphDriver:
    """The GraphDriver data of an image (`docker image inspect REF`)."""
    with friendly():
        return GraphDriver.from_attrs(client().images.get(ref).attrs)


def of_container(container: Container) -> GraphDriver:
    """A container's folders (`docker inspect NAME`), from whichever field the engine gives.

    overlay2: `GraphDriver.Data`. The containerd image store reports no folders (a
    `GraphDriver` with no Data before API 1.52, only `Storage` from Engine 29): for a running
    container they are then read from its overlay mount, and MergedDir is where Docker
    mounted it (<DockerRootDir>/rootfs/<snapshotter>/<container ID>), or its root as seen
    through /proc/<PID>/root where that mount is not in this mount namespace.
    """
    pid = containers.state(container).pid  # read fresh, with the attrs below
    gd = GraphDriver.from_attrs(container.attrs)
    if gd.upper_dir or not pid:
        return gd
    mnt = overlay_mount(container)
    rootfs = f"{facts().data_root}/rootfs/{gd.name or 'overlayfs'}/{container.id}"
    merged = rootfs if procfs.mounted(rootfs) else f"/proc/{pid}/root"
    return GraphDriver(gd.name, tuple(mnt.lowers), mnt.options.get("upperdir", ""),
                       merged, mnt.options.get("workdir", ""), gd.raw, "mountinfo",
                       gd.name_field)


def storage_field(kind: str, containerd_store: bool, api_version: str) -> str:
    """The inspect field that names KIND's storage on such an engine (02, section 3).

    `GraphDriver` everywhere, except a container on the containerd image store from API 1.52
    (Engine 29), which has `Storage` instead (moby#50857).
    """
    modern = tuple(int(x) for x in api_version.split(".")[:2] if x.isdigit()) >= (1, 52)
    return "Storage" if kind == "container" and containerd_store and modern else "GraphDriver"


def inspect_storage(kind: str, name: str, *, cli: Sequence[str] = ("docker",),
                    engine: str | None = None, graphdriver: bool | None = None) -> None:
    """`docker KIND inspect -f '{{json .FIELD}}' NAME`: the field that names its storage (02, 3).

    FIELD is `GraphDriver` (`Storage` for a container on Engine 29's containerd store): the
    command prints it as the engine gives it, and a sentence says what it names here. On a
    graphdriver engine `GraphDriver.Data` must hold the folders.

    Args:
        kind: "image" or "container".
        name: the image or container.
        cli: the docker command (another engine's: `docker --host unix://...`).
        engine: that engine in words (default: the learner's, from facts()).
        graphdriver: whether that engine is on a graphdriver (default: from facts()).

    Raises:
        LabkitError: the inspect failed, or a graphdriver engine gave no GraphDriver data.
    """
    if engine is None or graphdriver is None:
        f = facts()
        store = _("containerd image store") if f.containerd_store else f.storage_driver
        engine = engine or f"Docker {f.server_version} (API {f.api_version}, {store})"
        graphdriver = (not f.containerd_store) if graphdriver is None else graphdriver
        field = storage_field(kind, not graphdriver, f.api_version)
    else:
        field = "GraphDriver" if graphdriver else storage_field(kind, True, facts().api_version)
    if not cli or cli[0] != "docker":
        raise ValueError(f"cli must start with docker, not {list(cli)!r}")
    shown = docker([*cli[1:], kind, "inspect", "-f", f"{{{{json .{field}}}}}", name],
                   fold=",:")  # one long JSON line: folded to be read
    out = shown.stdout.strip()
    value = json.loads(out) if out and out not in {"null", "<no value>"} else None
    attrs = {field: value} if value else {}
    gd = GraphDriver.from_attrs(attrs)
    if attrs:
        said = f"`{field}`: {gd.read_from()}"
    else:
        said = _("no `{field}` (null): from API 1.52 (Engine 29) `GraphDriver` is left out on "
                 "the containerd image store (moby#50893), and nothing names the layers' "
                 "folders").format(field=field)
    print(_("{engine} gives {said}.").format(engine=engine[:1].upper() + engine[1:], said=said))
    if graphdriver and not gd.source:
        raise LabkitError(_("`docker {kind} inspect {name}` gave no GraphDriver data on a "
                            "graphdriver engine.").format(kind=kind, name=name),
                          _("run the cell again"))


def image_config(ref: str) -> pd.DataFrame:
    """`docker image inspect REF`, run with the docker CLI, as a table: its config, and how
    many layers (02, section 1). Only the command is shown: its JSON is long, and the table
    lists the fields the lesson reads.

    Raises:
        LabkitError: there is no such image.
    """
    shown = docker(["image", "inspect", ref], quiet=True, check=False)
    if not shown.ok:
        raise LabkitError(_("`docker image inspect {ref}` failed: {stderr}").format(
                              ref=ref, stderr=shown.stderr.strip()),
                          _("run the chapter's first cell: it makes the course images"))
    attrs = json.loads(shown.stdout)[0]
    cfg = attrs.get("Config") or {}
    layers = (attrs.get("RootFS") or {}).get("Layers") or []
    rows = [
        ("Id (digest of the config)", short_digest(attrs["Id"])),
        ("RepoTags", ", ".join(sorted(attrs.get("RepoTags") or []))),
        ("Cmd", " ".join(cfg.get("Cmd") or [])),
        ("User", cfg.get("User") or "root"),
        ("WorkingDir", cfg.get("WorkingDir") or "/"),
        ("ExposedPorts", ", ".join(sorted(cfg.get("ExposedPorts") or {}))),
        ("layers (RootFS.Layers)", str(len(layers))),
        ("Size", human_size(int(attrs.get("Size") or 0))),
    ]
    return pd.DataFrame(rows, columns=["field", "value"])


# -- the live mount ------------------------------------------------------------------------------
@dataclass(frozen=True)
class OverlayMount:
    """A running container's root filesystem as the kernel lists it in its mountinfo.

    Attributes:
        target: where it is mounted as the engine sees it (MergedDir), or "/" when the engine
            reports no MergedDir (the containerd image store).
        options: its superblock options: lowerdir, upperdir, workdir, ...
        data_bytes: length of the option string the kernel received (at most one page).
    """

    target: str
    options: dict[str, str]
    data_bytes: int

    @property
    def lowers(self) -> list[str]:
        """lowerdir split at ":", top first."""
        return self.options.get("lowerdir", "").split(":")

    @property
    def lowerdir_room(self) -> int:
        """Bytes the one page of mount options (PAGE_SIZE) leaves for lowerdir's entries."""
        return self.room_in(PAGE_SIZE)

    def room_in(self, page: int) -> int:
        """Bytes a page of PAGE bytes (`getconf PAGESIZE`) leaves for lowerdir's entries."""
        rest = len(f",upperdir={self.options['upperdir']},workdir={self.options['workdir']}")
        return page - 1 - len("lowerdir=") - rest


def overlay_options(mnt: procfs.Mount) -> dict[str, str]:
    """An overlay mount's lowerdir, upperdir and workdir, from its mountinfo super options."""
    return {k: v for k, v in mnt.super_opts.items() if k in {"lowerdir", "upperdir", "workdir"}}


def overlay_mount(container: Container, mountinfo: str | None = None) -> OverlayMount:
    """The kernel's record of a running container's overlay mount.

    It is read from the container's own mount table (`/proc/<its PID>/mountinfo`, where the
    overlay is "/"), not from the engine's: some engines mount it in a mount namespace of their
    own, where the host's table never shows it.

    Args:
        container: a running container.
        mountinfo: the text of its /proc/PID/mountinfo (read when not given).

    Raises:
        LabkitError: the container is not running, or its root is not an overlay.
    """
    pid = containers.state(container).pid  # read fresh, with the attrs below
    if mountinfo is None:
        if not pid:
            raise LabkitError(_("{container} is not running, so nothing is mounted for it.").format(
                                  container=container.name),
                              _("start the container: its overlay is mounted only while it runs"))
        table = procfs.mounts(pid)
    else:
        table = procfs.parse_mountinfo(mountinfo)
    merged = GraphDriver.from_attrs(container.attrs).merged_dir or "/"
    for mnt in table:
        if mnt.mount_point == "/" and mnt.fstype == "overlay":
            options = overlay_options(mnt)
            data = ",".join(f"{k}={v}" for k, v in options.items())
            return OverlayMount(merged, options, len(data))
    raise LabkitError(_("{container}'s root filesystem is not an overlay mount.").format(
                          container=container.name),
                      _("the course's storage lessons need the overlay2 driver or the "
                        "overlayfs snapshotter (`labkit doctor` shows which storage this "
                        "engine uses)"))


def findmnt_argv(pid: int) -> list[str]:
    """`findmnt -N PID -n -o FS-OPTIONS /`: the options of the root mount PID sees (its
    /proc/PID/mountinfo): for a container, overlay's lowerdir=, upperdir= and workdir=."""
    return ["findmnt", "-N", str(pid), "-n", "-o", "FS-OPTIONS", "/"]


def parse_fs_options(text: str) -> dict[str, str]:
    """lowerdir, upperdir and workdir from findmnt's FS-OPTIONS column ("rw,lowerdir=...")."""
    found: dict[str, str] = {}
    for item in text.strip().split(","):
        key, sep, value = item.partition("=")
        if sep and key in {"lowerdir", "upperdir", "workdir"}:
            found[key] = value
    return found


def root_mount(container: Container) -> OverlayMount:
    """Run `findmnt -N PID -n -o FS-OPTIONS /` (shown, with its output) for a running
    container, and read its overlay's lowerdir=, upperdir= and workdir= from what it printed.

    Taught in: 02-overlayfs-and-image-storage, sections 3.3 and 4.1.

    Raises:
        LabkitError: the container is not running, or its root is not an overlay.
    """
    pid = containers.state(container).pid
    if not pid:
        raise LabkitError(_("{container} is not running, so nothing is mounted for it.").format(
                              container=container.name),
                          _("start the container: its overlay is mounted only while it runs"))
    options = parse_fs_options(sh(findmnt_argv(pid), fold=",:").stdout)
    if "lowerdir" not in options:
        raise LabkitError(_("{container}'s root filesystem is not an overlay mount.").format(
                              container=container.name),
                          _("the course's storage lessons need the overlay2 driver or the "
                            "overlayfs snapshotter (`labkit doctor` shows which one this is)"))
    merged = GraphDriver.from_attrs(container.attrs).merged_dir or "/"
    data = ",".join(f"{k}={v}" for k, v in options.items())
    return OverlayMount(merged, options, len(data))


def option_budget(container: Container, page: int = PAGE_SIZE) -> pd.DataFrame:
    """Why l/ names exist: mount options must fit in one page (PAGE bytes, 4096 here).

    Compares one lowerdir entry written as the layer's full diff path with its l/ name, how
    many layers would fit in a page either way, and how many overlay2 allows: it refuses more
    than MAX_DEPTH (128) lower layers whatever their names.
    """
    mnt = overlay_mount(container)
    gd = of_container(container)
    room = mnt.room_in(page)
    full, link = len(gd.lower_dirs[-1]), len(mnt.lowers[-1])
    relative = len(str(Path(mnt.lowers[-1]).relative_to(Path(mnt.lowers[-1]).parents[1])))
    rows = [("full path: <root>/overlay2/<64 hex>/diff", full, room // (full + 1)),
            ("l/ name: <root>/overlay2/l/<26 chars>", link, room // (link + 1)),
            ("relative l/ name (Docker's fallback)", relative, room // (relative + 1))]
    frame = pd.DataFrame(rows, columns=["one lowerdir entry", "bytes", "layers in a page"])
    frame["overlay2 allows"] = [min(n, MAX_DEPTH) for n in frame["layers in a page"]]
    return frame


# -- changes in the container's layer --------------------------------------------------------
def upper_changes(container: Container) -> pd.DataFrame:
    """Files, whiteouts and opaque folders in the container's UpperDir, with the size the
    same path has in the layers below (what copy-up copied)."""
    gd = of_container(container)
    upper = Path(gd.upper_dir)
    rows = []
    for path in walk(upper):
        what = kind(path)
        if what == "dir":
            continue
        rel = str(path.relative_to(upper))
        below = lower_file(gd, rel)
        rows.append(("/" + rel, what, os.lstat(path).st_size if what == "file" else 0,
                     "-" if below is None else f"{os.lstat(below).st_size:,} bytes"))
    return pd.DataFrame(rows, columns=["path", "in UpperDir", "bytes", "same path below"])


def lower_file(gd: GraphDriver, rel: str) -> Path | None:
    """The copy of a path the container would see without its own layer (top layer first)."""
    for lower in gd.lower_dirs:
        candidate = Path(lower, rel)
        what = kind(candidate)
        if what == "whiteout":
            return None
        if what != "missing":
            return candidate
    return None


def exec_as_root(container: Container, argv: Sequence[str]) -> None:
    """`docker exec -u root NAME ARGV...`, run with the docker CLI; its output printed (02, 3.5).

    Raises:
        LabkitError: the command failed inside the container.
    """
    shown = docker(["exec", "-u", "root", str(container.name), *argv], check=False)
    if not shown.ok:
        raise LabkitError(_("`{command}` failed in {container} (exit status {returncode}).").format(
                              command=" ".join(argv), container=container.name,
                              returncode=shown.returncode),
                          _("check the path: the lesson's files are in labkit/redis:7.0"))


def docker_diff(container: Container) -> Shown:
    """`docker diff NAME`: A added, C changed, D deleted (read from the UpperDir) (02, 3.5).

    Its lines are printed sorted by path, under a note that says so: the containerd image
    store lists them in no fixed order from one run to the next.
    """
    shown = docker(["diff", str(container.name)], quiet=True)
    print(_("(its lines, sorted by path: the engine lists them in no fixed order)"))
    print("\n".join(sorted(shown.stdout.splitlines(), key=lambda line: line[2:])))
    return shown
