"""OverlayFS by hand: lowerdir, upperdir, workdir and merged, mounted under a lesson folder.

Taught in: 02-overlayfs-and-image-storage (section 2 and exercises 02.1, 02.3). Every mount
goes through `lab.mount` and every folder through `lab.workdir`, so `lab.cleanup()` unmounts
and removes them.
"""

from __future__ import annotations

import os
import shlex
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from labkit.base import procfs
from labkit.base.errors import CommandFailed, LabkitError
from labkit.base.facts import EngineFacts, facts
from labkit.base.host import host, require_root
from labkit.base.i18n import _
from labkit.base.show import Shown, sh, show_command
from labkit.lab.session import Lab

OPAQUE_XATTR = "trusted.overlay.opaque"
METACOPY_XATTR = "trusted.overlay.metacopy"
METACOPY_PARAM = "/sys/module/overlay/parameters/metacopy"
BIG_FILE_BYTES = 1024 * 1024
SHOWN_TEXT = 40


@dataclass(frozen=True)
class OverlayDirs:
    """The folders of one overlay mount.

    Attributes:
        root: the lesson folder holding them all.
        lowers: the read-only layers, top first (the order of `lowerdir=`).
        upper: the writable layer (None for a read-only overlay, like an image).
        work: overlay's scratch folder on the same filesystem as upper.
        merged: the mount point: the union the learner (or a container) sees.
    """

    root: Path
    lowers: tuple[Path, ...]
    upper: Path | None
    work: Path | None
    merged: Path

    @property
    def lower(self) -> Path:
        """The top lowerdir (the only one in the lecture's demonstration)."""
        return self.lowers[0]

    def options(self) -> str:
        """The `-o` argument of the mount command."""
        opts = "lowerdir=" + ":".join(str(p) for p in self.lowers)
        if self.upper is not None and self.work is not None:
            opts += f",upperdir={self.upper},workdir={self.work}"
        return opts

    def mount_argv(self) -> list[str]:
        """`mount -t overlay overlay -o OPTIONS MERGED` as an argument list."""
        return ["mount", "-t", "overlay", "overlay", "-o", self.options(), str(self.merged)]

    def columns(self) -> dict[str, Path]:
        """The folders to compare, in the order tables show them (merged last)."""
        cols: dict[str, Path] = {}
        if len(self.lowers) == 1:
            cols["lowerdir"] = self.lowers[0]
        else:
            # lowerdir= lists the top first; number them bottom-up, as layers are counted.
            for n, path in enumerate(reversed(self.lowers), start=1):
                cols[f"lowerdir {n} ({path.name})"] = path
        if self.upper is not None:
            cols["upperdir"] = self.upper
        cols["merged"] = self.merged
        return cols


# -- making the folders ----------------------------------------------------------------------
DEMO_FILES: dict[str, str] = {
    "lower/in_lower.txt": "I'm from lower\n",
    "upper/in_upper.txt": "I'm from upper\n",
    "lower/in_both.txt": "I'm from lower\n",
    "upper/in_both.txt": "I'm from upper\n",
    "lower/conf/a.conf": "a=1\n",
    "lower/conf/b.conf": "b=2\n",
}


def _write(root: Path, files: Mapping[str, str | None]) -> None:
    """Create files (text) and whiteouts (None) under root."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            make_whiteout(path)
        else:
            path.write_text(text)


def make_whiteout(path: Path) -> None:
    """Create a whiteout by hand: a character device with device number 0,0 (needs root)."""
    os.mknod(path, stat.S_IFCHR | 0o000, os.makedev(0, 0))


def _single_overlay(root: Path, files: Mapping[str, str | None]) -> OverlayDirs:
    """lower/, upper/, work/ and merged/ under root, the files written, and lower/big.log."""
    for sub in ("lower", "upper", "work", "merged"):
        (root / sub).mkdir()
    _write(root, files)
    (root / "lower" / "big.log").write_bytes(b"x" * (BIG_FILE_BYTES - 1) + b"\n")
    return OverlayDirs(root, (root / "lower",), root / "upper", root / "work", root / "merged")


def make_demo(lab: Lab, name: str = "overlay") -> OverlayDirs:
    """The four folders of the lecture's demonstration, with its files, not yet mounted.

    lower/ gets in_lower.txt, in_both.txt, a conf/ folder and big.log (1 MiB, for copy-up);
    upper/ gets in_upper.txt and its own in_both.txt. Then `grep . FILES` and `wc -c big.log`
    run in the lesson folder (shown, with their output): what each file holds.
    """
    dirs = _single_overlay(lab.workdir(name), DEMO_FILES)
    listing = shlex.join(["grep", ".", *DEMO_FILES]) + " && wc -c lower/big.log"
    sh(["sh", "-c", f"cd {shlex.quote(str(dirs.root))} && {listing}"])
    return dirs


def make_layers(lab: Lab, layers: Mapping[str, Mapping[str, str | None]],
                name: str = "layers") -> OverlayDirs:
    """Several lower folders for a read-only overlay, like the layers of an image.

    Args:
        layers: {folder name: {file: text, or None for a whiteout}}, bottom layer first.
        name: the lesson folder.

    Returns:
        Folders with no upperdir: the merged view cannot be written.
    """
    root = lab.workdir(name)
    paths = []
    for layer, files in layers.items():
        (root / layer).mkdir()
        _write(root / layer, files)
        paths.append(root / layer)
    (root / "merged").mkdir()
    return OverlayDirs(root, tuple(reversed(paths)), None, None, root / "merged")


# -- mounting ----------------------------------------------------------------------------------
def overlay_supported() -> bool:
    """True when the kernel lists overlay in /proc/filesystems (it may also load on demand)."""
    try:
        return "overlay" in procfs.filesystems()
    except OSError:
        return False


def mount(lab: Lab, dirs: OverlayDirs) -> None:
    """Mount the overlay (shown as the command a shell would run), recorded for cleanup.

    Raises:
        LabkitError: the kernel refused the mount (with what to check).
    """
    require_root()
    if host().mode != "local":
        raise LabkitError(_("The overlay demonstration mounts folders on this machine."),
                          _("run the course on the Linux machine where the engine runs"))
    show_command(dirs.mount_argv())
    try:
        lab.mount(dirs.mount_argv(), dirs.merged)
    except CommandFailed as exc:
        hint = (_("load the module with `modprobe overlay`") if not overlay_supported() else
                _("the lesson folder must be on ext4 or xfs, not itself on an overlay "
                  "(set LABKIT_STATE_DIR to such a folder)"))
        raise LabkitError(_("The kernel refused the overlay mount: {error}").format(
                              error=exc.message), hint) from exc


def unmount(dirs: OverlayDirs) -> None:
    """`umount MERGED`: the union disappears, the folders below keep every change."""
    sh(["umount", str(dirs.merged)])


# -- reading the folders -----------------------------------------------------------------------
def is_opaque(path: Path) -> bool:
    """True for an opaque directory: xattr trusted.overlay.opaque is "y" (hides lower dirs)."""
    return path.is_dir() and not path.is_symlink() and xattrs(path).get(OPAQUE_XATTR) == "y"


def xattrs(path: Path) -> dict[str, str]:
    """A file's extended attributes as text ({} when it has none or the fs has none)."""
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return {}
    found = {}
    for name in sorted(names):
        try:
            found[name] = os.getxattr(path, name, follow_symlinks=False).decode(
                errors="replace").rstrip("\0")
        except OSError:
            continue
    return found


# Lists a file's extended attributes with the two system calls getfattr(1) uses; run with
# python3, which every machine that runs the course has (getfattr is in the `attr` package).
XATTR_SCRIPT = ("import os, sys; p = sys.argv[1]; "
                "[print(n, os.getxattr(p, n, follow_symlinks=False)) for n in os.listxattr(p)]")


def getxattrs(path: Path) -> Shown:
    """Run `python3 -c 'listxattr + getxattr' PATH` (shown, with its output): each extended
    attribute of PATH and its value, as `getfattr -d -m - PATH` would print them (02, 2.5).

    Only root can read `trusted.*` attributes: run the course as root.
    """
    return sh(["python3", "-c", XATTR_SCRIPT, str(path)])


def kind(path: Path) -> str:
    """What a path is, in the chapter's words: missing, file, dir, opaque dir, whiteout, ..."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "missing"
    if stat.S_ISCHR(st.st_mode):
        return "whiteout" if st.st_rdev == 0 else "char device"
    if stat.S_ISLNK(st.st_mode):
        return "symlink"
    if stat.S_ISDIR(st.st_mode):
        return "opaque dir" if is_opaque(path) else "dir"
    if stat.S_ISREG(st.st_mode):
        return "metadata-only copy" if METACOPY_XATTR in xattrs(path) else "file"
    return "other"


def describe(path: Path) -> str:
    """One table cell: a small file's text, a big file's size, a folder's entries, a whiteout."""
    what = kind(path)
    if what == "missing":
        return "-"
    if what == "whiteout":
        return "whiteout (c 0,0)"
    if what == "metadata-only copy":
        return f"metadata only ({oct(os.lstat(path).st_mode & 0o777)[2:]}), data below"
    if what in {"dir", "opaque dir"}:
        entries = ", ".join(sorted(p.name for p in path.iterdir()))
        return f"{what} [{entries}]"
    if what == "file":
        size = path.stat().st_size
        if size > SHOWN_TEXT:
            return f"file, {size:,} bytes"
        return repr(path.read_text(errors="replace").strip())
    return what


def names(dirs: OverlayDirs) -> list[str]:
    """Every top-level name in any of the folders, sorted."""
    found: set[str] = set()
    for folder in dirs.columns().values():
        if folder.is_dir():
            found.update(p.name for p in folder.iterdir())
    return sorted(found)


def views(dirs: OverlayDirs, only: Sequence[str] | None = None) -> pd.DataFrame:
    """The views side by side: one row per name, one column per folder, merged last.

    Args:
        dirs: the overlay's folders.
        only: show just these names (default: every name in any folder).
    """
    rows = only if only is not None else names(dirs)
    table = {col: [describe(folder / n) for n in rows] for col, folder in dirs.columns().items()}
    return pd.DataFrame(table, index=pd.Index(rows, name="name"))


# `ls -l` with the times left out (`--time-style=+`), so a listing is the same on every run.
LS = ("ls", "-l", "--time-style=+")


def ls(dirs: OverlayDirs, *names: str) -> Shown:
    """`cd ROOT && ls -l lower upper merged` (or NAME in each), as the lecture lists them (02, 2).

    Run in the lesson folder, so the listing names `lower/...`, `upper/...`, `merged/...` as the
    lecture's does. A name missing from a folder makes ls say so (and exit 1): that is part of
    the lesson.

    Returns:
        The command's result (its output is already printed).
    """
    folders = [str(p.relative_to(dirs.root)) for p in dirs.columns().values()]
    paths = [f"{folder}/{n}" for n in names for folder in folders] if names else folders
    listing = shlex.join([*LS, *paths])
    return sh(["sh", "-c", f"cd {shlex.quote(str(dirs.root))} && {listing}"], check=False)


def echo(path: Path, text: str, *, append: bool = False, check: bool = True) -> Shown:
    """`sh -c 'echo "TEXT" > PATH'` (`>>` to append): write a line as the lecture does (02, 2).

    Args:
        path: the file (a lesson folder's own path).
        text: one line of plain text (no quotes, `$`, backslash or backquote).
        append: `>>` instead of `>`.
        check: raise when the shell fails (False: show its error, e.g. a read-only union).
    """
    if any(c in text for c in '"$\\`\n'):
        raise ValueError(f"echo takes plain text, not {text!r}")
    return sh(["sh", "-c", f'echo "{text}" {">>" if append else ">"} {shlex.quote(str(path))}'],
              check=check)


def open_for_append(path: Path) -> Shown:
    """`sh -c ': >> PATH'`: open a file for appending and write nothing (02, section 2.4)."""
    return sh(["sh", "-c", f": >> {shlex.quote(str(path))}"])


# -- what triggers a copy-up ------------------------------------------------------------------
def metacopy_default() -> str:
    """The overlay module's `metacopy` parameter: "Y", "N", or "" when this kernel has none."""
    try:
        return host().read_text(METACOPY_PARAM).strip()
    except (OSError, LabkitError):
        return ""


def engine_metacopy(f: EngineFacts | None = None) -> str:
    """What `docker info` reports as "Using metacopy" ("" when the storage driver says nothing)."""
    status = (f or facts()).raw.get("DriverStatus") or []
    return next((str(v) for k, v in status if k == "Using metacopy"), "")


# -- the exercise's overlay ----------------------------------------------------------------------
EXERCISE_FILES: dict[str, str] = {
    "lower/notes.txt": "keep me\n",
    "lower/secret.txt": "password=hunter2\n",
}


def make_exercise(lab: Lab) -> OverlayDirs:
    """A fresh, mounted overlay for the exercises: notes.txt, secret.txt, big.log in lowerdir."""
    dirs = _single_overlay(lab.workdir("exercise"), EXERCISE_FILES)
    mount(lab, dirs)
    return dirs
