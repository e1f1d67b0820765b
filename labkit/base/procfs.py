"""/proc read one way: mountinfo rows, a process's stat, cmdline, status and namespace links.

Taught in: 02-overlayfs-and-image-storage (a container's overlay in its mountinfo) and
04-namespaces (/proc/PID/ns, /proc/PID/status). Two kinds of reader, each where its callers
read today:

- this machine's own /proc, for what labkit itself started or mounted (its daemons, lesson
  mounts): `stat`, `start_time`, `cmdline`, `filesystems`, `mount_points`, `mounted`;
- the Docker host's /proc through `labkit.base.host.host()` (which may be a helper container),
  for a container's processes: `mounts`, `status`, `comm`, `ns_inodes`, `same_namespace`.

The parsers (`parse_*`) take text and need neither.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from labkit.base.errors import LabkitError
from labkit.base.host import host
from labkit.base.i18n import _

PROC = Path("/proc")


# -- mountinfo ---------------------------------------------------------------------------------
_ESCAPE = re.compile(r"\\([0-7]{3})")


def unescape(text: str) -> str:
    """Undo the kernel's octal escapes in mountinfo paths (`\\040` is a space)."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), text)


@dataclass(frozen=True)
class Mount:
    """One line of /proc/PID/mountinfo (see proc(5)).

    Attributes:
        mount_id: this mount's ID.
        parent_id: the ID of the mount it sits on.
        root: the folder of the filesystem that is mounted ("/" for all of it).
        mount_point: where it is mounted, relative to the process's root.
        options: the per-mount options ("rw,relatime").
        fstype: the filesystem type ("overlay", "ext4", "proc", ...).
        source: what was mounted ("overlay", "/dev/vda", ...).
        super_options: the filesystem's own options (overlay's lowerdir=..., upperdir=...).
    """

    mount_id: int
    parent_id: int
    root: str
    mount_point: str
    options: str
    fstype: str
    source: str
    super_options: str

    @property
    def super_opts(self) -> dict[str, str]:
        """The super options as {key: value} ("" for a flag such as "rw"), in their order."""
        pairs = (o.partition("=") for o in self.super_options.split(",") if o)
        return {k: unescape(v) for k, _ignored, v in pairs}


def parse_mountinfo_line(line: str) -> Mount | None:
    """One mountinfo line as a Mount, or None when it is not one."""
    left, sep, right = line.partition(" - ")
    fields, rest = left.split(), right.split()
    if not sep or len(fields) < 6 or len(rest) < 2:
        return None
    return Mount(int(fields[0]), int(fields[1]), unescape(fields[3]), unescape(fields[4]),
                 fields[5], rest[0], unescape(rest[1]), rest[2] if len(rest) > 2 else "")


def parse_mountinfo(text: str) -> list[Mount]:
    """Every mount of a /proc/PID/mountinfo text, in its order (lines that are not mounts are
    skipped)."""
    return [m for m in map(parse_mountinfo_line, text.splitlines()) if m is not None]


def mount_points(pid: int | str = "self") -> list[str]:
    """Every mount point in the mount namespace of PID on this machine (default: labkit's own,
    the host's when labkit runs locally).

    Raises:
        OSError: /proc/PID/mountinfo cannot be read (PID gone, or not ours to read).
    """
    return [m.mount_point for m in parse_mountinfo((PROC / str(pid) / "mountinfo").read_text())]


def mounted(target: str) -> bool:
    """True when something is mounted on this path (a folder or a file), on this machine."""
    return os.path.realpath(target) in mount_points()


def mounts(pid: int) -> list[Mount]:
    """The mount table of a process on the Docker host (its /proc/PID/mountinfo).

    Taught in: 02-overlayfs-and-image-storage (a container's root is an overlay mount).
    """
    return parse_mountinfo(host().read_text(f"/proc/{pid}/mountinfo"))


def filesystems() -> list[str]:
    """The filesystem types this machine's kernel has loaded (/proc/filesystems)."""
    return [line.split()[-1] for line in (PROC / "filesystems").read_text().splitlines()
            if line.split()]


# -- one process -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stat:
    """The fields of /proc/PID/stat that labkit reads (see proc(5)).

    Attributes:
        state: "R" running, "S" sleeping, "Z" zombie, ...
        start_time: when it started, in clock ticks since boot. With the PID it names one
            process, even after the PID is reused.
    """

    state: str
    start_time: str


def parse_stat(text: str) -> Stat:
    """Parse /proc/PID/stat. The command name (in parentheses) may hold spaces and ")", so the
    fields are counted from the last ")".

    Raises:
        ValueError: the text is not a stat line.
    """
    after = text.rsplit(")", 1)
    fields = after[1].split() if len(after) == 2 else []
    if len(fields) < 20:
        raise ValueError(f"not a /proc/PID/stat line: {text[:60]!r}")
    return Stat(fields[0], fields[19])


def stat(pid: int) -> Stat | None:
    """/proc/PID/stat of a process on this machine, or None when it cannot be read."""
    try:
        return parse_stat((PROC / str(pid) / "stat").read_text())
    except (OSError, ValueError):
        return None


def start_time(pid: int) -> str:
    """A process's start time in clock ticks since boot ('' when it is gone), on this machine.

    Together with the PID it identifies one process, even after the PID is reused.
    """
    found = stat(pid)
    return found.start_time if found else ""


def parse_cmdline(raw: bytes) -> list[str]:
    """The arguments of a /proc/PID/cmdline (NUL-separated)."""
    return [p.decode(errors="replace") for p in raw.split(b"\0") if p]


def cmdline(pid: int, proc: Path = PROC) -> list[str]:
    """The command line of a process on this machine, or [] when it is gone.

    Args:
        pid: the process.
        proc: where /proc is (a folder of fake processes in tests).
    """
    try:
        return parse_cmdline((proc / str(pid) / "cmdline").read_bytes())
    except OSError:
        return []


def parse_status(text: str) -> dict[str, str]:
    """The fields of a /proc/PID/status file, e.g. {"Name": "sleep", "NSpid": "4242\\t1"}."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def status(pid: int) -> dict[str, str]:
    """The fields of /proc/PID/status of a process on the Docker host. Taught in: 04-namespaces."""
    return parse_status(host().read_text(f"/proc/{pid}/status"))


def comm(pid: int) -> str:
    """The program name of a process on the Docker host (/proc/PID/comm)."""
    return host().read_text(f"/proc/{pid}/comm").strip()


# -- namespaces --------------------------------------------------------------------------------
_LINK = re.compile(r"^(\w+):\[(\d+)\]$")


def parse_ns_links(text: str) -> dict[str, int]:
    """Parse `readlink` output lines like 'net:[4026531840]' into {type: inode}."""
    found: dict[str, int] = {}
    for line in text.split():
        m = _LINK.match(line.strip())
        if m:
            found[m.group(1)] = int(m.group(2))
    return found


def ns_inodes(pid: int | str, types: Sequence[str]) -> dict[str, int]:
    """The namespaces of a process on the Docker host: {type: inode}, from /proc/PID/ns.

    Two processes are in the same namespace exactly when the inodes are equal. PID "self" is
    the `readlink` run on the host itself. Taught in: 04-namespaces, section 2.

    Raises:
        LabkitError: the process is gone or keeps its namespaces private.
    """
    paths = [f"/proc/{pid}/ns/{t}" for t in types]
    result = host().run(["readlink", *paths], check=False)
    found = parse_ns_links(result.stdout)
    if len(found) != len(types):
        reason = (result.stderr.strip().splitlines() or ["no such process"])[-1]
        raise LabkitError(
            _("Cannot read the namespaces of PID {pid}: {reason}").format(pid=pid, reason=reason),
            _("is the process still running? Reading another process's /proc/PID/ns needs root"),
        )
    return found


def same_namespace(a: int | str, b: int | str, kind: str) -> bool:
    """True when two processes on the Docker host share their namespace of this kind (one
    `readlink /proc/A/ns/KIND /proc/B/ns/KIND`)."""
    links = host().run(["readlink", f"/proc/{a}/ns/{kind}", f"/proc/{b}/ns/{kind}"]).stdout.split()
    return len(links) == 2 and links[0] == links[1]
