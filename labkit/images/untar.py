"""Unpacking an archive the course made, safely, on every Python the course runs on.

Taught in: 00-preflight (`labkit images`: a base image's files are unpacked to diff the next
layer against). tarfile's extraction filters arrived in Python 3.11.4; Debian 12's Python is
3.11.2, so where they are missing labkit checks every member itself before unpacking.
"""

from __future__ import annotations

import posixpath
import tarfile
from pathlib import Path

from labkit.base.errors import LabkitError
from labkit.base.i18n import _


def has_tar_filters() -> bool:
    """Whether this Python's tarfile takes extraction filters (3.11.4 and later, 3.12+).

    Debian 12's Python is 3.11.2, which has none. Taught in: 00-preflight (`labkit images`).
    """
    return hasattr(tarfile, "data_filter")


def extract_all(tf: tarfile.TarFile, dest: Path | str, *, trust: str = "data",
                numeric_owner: bool = False) -> None:
    """Unpack a course-made archive into `dest`, on every Python the course runs on.

    Where tarfile has extraction filters, `trust` names the filter ("data", or "fully_trusted"
    for a root file system with absolute symlinks and device files). Without them (Python
    3.11.0 to 3.11.3), labkit checks every member itself first and then unpacks as those
    Pythons always did. Taught in: 00-preflight (`labkit images`).

    Raises:
        LabkitError: a member would land outside `dest` (an absolute name, a `..`, or a link
            that points out).
    """
    if has_tar_filters():
        tf.extractall(dest, numeric_owner=numeric_owner, filter=trust)  # noqa: S202
        return
    for member in tf.getmembers():
        _check_member(member, links_inside=trust != "fully_trusted")
    tf.extractall(dest, numeric_owner=numeric_owner)  # noqa: S202 - every member checked above


def _outside(name: str) -> bool:
    """True for a path that leaves the folder it is relative to (absolute, or up with `..`)."""
    norm = posixpath.normpath(name)
    return name.startswith("/") or norm == ".." or norm.startswith("../")


def _check_member(member: tarfile.TarInfo, *, links_inside: bool) -> None:
    """Refuse a member that would be written outside the folder it is unpacked into.

    With `links_inside` (the "data" filter's rules) a symlink must point inside too, and
    device files are refused; a root file system ("fully_trusted") keeps both.
    """
    bad = _outside(member.name) or (member.islnk() and _outside(member.linkname))
    if links_inside and member.issym():
        bad = bad or _outside(posixpath.join(posixpath.dirname(member.name), member.linkname))
    if links_inside and member.isdev():
        bad = True
    if bad:
        raise LabkitError(_("The archive's member {member!r} would land outside the folder it "
                            "is unpacked into, so labkit did not unpack it.").format(
                              member=member.name),
                          _("remove the file and run `labkit images` again, which makes it anew"))
