"""Linux namespaces as the kernel shows them: /proc/PID/ns, lsns, and who shares what.

Taught in: 04-namespaces (a process's namespaces, the sharing matrix, `lsns` with an owner
for each namespace); the tables and the heatmap that show them are in `views`. Which cgroup
and time namespaces Docker gives a container on this host and engine is `nsdefaults`'s
concern.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from labkit.base import containers, labels, procfs
from labkit.base.engine import client
from labkit.base.errors import LabkitError
from labkit.base.host import host
from labkit.base.i18n import _
from labkit.base.show import sh

# The eight kinds a process belongs to (what /proc/PID/ns lists, without *_for_children).
TYPES = ("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts")


def read_ns(pid: int, types: Sequence[str] = TYPES) -> dict[str, int]:
    """The namespaces of one process: {type: inode}, from the links in /proc/PID/ns.

    Two processes are in the same namespace exactly when the link targets (the nsfs inode
    numbers) are equal. Taught in: 04-namespaces, section 2.

    Raises:
        LabkitError: the process is gone or keeps its namespaces private.
    """
    return procfs.ns_inodes(pid, types)


# The kernel gives its initial namespaces fixed inode numbers (include/linux/proc_ns.h:
# PROC_IPC_INIT_INO = 0xEFFFFFFF down to PROC_TIME_INIT_INO = 0xEFFFFFFA); mnt and net have none.
INITIAL_INODES: dict[str, int] = {"ipc": 0xEFFFFFFF, "uts": 0xEFFFFFFE, "user": 0xEFFFFFFD,
                                  "pid": 0xEFFFFFFC, "cgroup": 0xEFFFFFFB, "time": 0xEFFFFFFA}


@dataclass(frozen=True)
class HostProcess:
    """The process that stands for "the host" in the lesson.

    Attributes:
        pid: PID 1 where its /proc/1/ns can be read, else PID 2 (kthreadd on a machine whose
            PID namespace is the initial one).
        command: its name (/proc/PID/comm).
        why: one sentence on the choice, and whether its namespaces are the kernel's
            initial ones.
        not_initial: the types (of those with a fixed initial inode) in which it is not in
            the kernel's initial namespace; empty when it is in all of them.
    """

    pid: int
    command: str
    why: str
    not_initial: tuple[str, ...] = ()

    @property
    def initial(self) -> bool:
        """True when its namespaces are the kernel's initial ones (checked by inode)."""
        return not self.not_initial

    def __str__(self) -> str:
        return f"the host is PID {self.pid} ({self.command}): {self.why}"


def not_initial(inodes: Mapping[str, int]) -> tuple[str, ...]:
    """The types in which INODES ({type: inode}) are not the kernel's initial namespaces.

    Only types with a fixed initial inode count (INITIAL_INODES). Taught in: 04-namespaces.
    """
    return tuple(t for t, ino in INITIAL_INODES.items() if t in inodes and inodes[t] != ino)


def _initial_clause(types: tuple[str, ...]) -> str:
    if not types:
        return ("in the kernel's initial namespaces (its pid namespace is "
                f"pid:[{INITIAL_INODES['pid']}], the number the kernel gives the initial one)")
    listed = " and ".join([", ".join(types[:-1]), types[-1]] if len(types) > 1 else types)
    names = listed + (" namespaces are" if len(types) > 1 else " namespace is")
    return (f"but not in the kernel's initial namespaces (its {names} not the kernel's own, "
            "whose inode numbers are fixed): this machine is itself a container or sandbox, "
            "and \"the host\" below means its namespaces")


def host_process(*, show: bool = False) -> HostProcess:
    """PID 1 when its namespaces are readable; otherwise PID 2 (kthreadd). Says whether it is
    in the kernel's initial namespaces, read from the fixed inode numbers the kernel gives them.

    Some sandboxes run a PID 1 that hides /proc/1/ns even from root; some machines are
    themselves containers, whose PID 1 is not in the initial namespaces. Taught in:
    04-namespaces, section 2.

    Args:
        show: run the `readlink /proc/PID/ns/...` it compares as a shown command, with its
            output (the types the kernel numbers in a fixed way); else read them quietly.
    """
    try:
        inodes = _initial_links(1, show)
        pid, first = 1, "the first process"
    except LabkitError:
        pid, first = 2, "PID 1 hides /proc/1/ns here, so we read PID 2"
        try:
            inodes = _initial_links(2, show)
        except LabkitError:
            return HostProcess(2, _comm(2), f"{first}, whose namespaces cannot be read either")
    differ = not_initial(inodes)
    return HostProcess(pid, _comm(pid), f"{first}, {_initial_clause(differ)}", differ)


def _initial_links(pid: int, show: bool) -> dict[str, int]:
    """{type: inode} of PID's namespaces of the types with a fixed initial inode."""
    if not show:
        return read_ns(pid, list(INITIAL_INODES))
    ran = sh(["readlink", *(f"/proc/{pid}/ns/{t}" for t in INITIAL_INODES)], check=False)
    found = procfs.parse_ns_links(ran.stdout)
    if "pid" not in found:
        raise LabkitError(_("Cannot read the namespaces of PID {pid}.").format(pid=pid))
    return found


def _comm(pid: int) -> str:
    try:
        return procfs.comm(pid)
    except (OSError, LabkitError):
        return "?"


# The name 04-namespaces calls (`procns.container_pid(box)`); the facts live in base.
container_pid = containers.pid


def child_pids(pid: int) -> list[int]:
    """The PIDs of a process's children (from /proc/PID/task/*/children)."""
    tasks = host().run(["ls", f"/proc/{pid}/task"], check=False).stdout.split()
    kids: list[int] = []
    for task in tasks:
        text = host().run(["cat", f"/proc/{pid}/task/{task}/children"], check=False).stdout
        kids += [int(x) for x in text.split() if x.isdigit()]
    return sorted(kids)


@dataclass(frozen=True, eq=False)
class NsMatrix:
    """Processes by namespace type: which namespace (inode) each process is in.

    Attributes:
        inodes: one row per process (labelled), one column per type, nsfs inode numbers.
        pids: the PID behind each row label.
    """

    inodes: pd.DataFrame
    pids: Mapping[str, int] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The matrix in words: each cell names the first row that is in that namespace.

        So "host" in a container's row means "shares the host's namespace of this type".
        """
        words = self.inodes.astype(object).copy()
        for col in self.inodes.columns:
            first: dict[int, str] = {}
            for row, inode in self.inodes[col].items():
                first.setdefault(int(inode), str(row))
                words.loc[row, col] = first[int(inode)]
        return words

    def shared(self, a: str, b: str) -> list[str]:
        """The namespace types rows a and b share."""
        return [t for t in self.inodes.columns if self.inodes.loc[a, t] == self.inodes.loc[b, t]]

    def sharing(self, reference: str) -> pd.DataFrame:
        """For each row, the types it shares with `reference` and the ones it has of its own."""
        rows = []
        for row in self.inodes.index:
            same = self.shared(reference, row)
            own = [t for t in self.inodes.columns if t not in same]
            rows.append((row, ", ".join(same) or "-", ", ".join(own) or "-"))
        return pd.DataFrame(rows, columns=["process", f"shares with {reference}", "its own"]
                            ).set_index("process")


def ns_matrix(processes: Mapping[str, int], types: Sequence[str] = TYPES) -> NsMatrix:
    """Read /proc/PID/ns for each {label: pid} and return the processes-by-types matrix.

    Taught in: 04-namespaces, section 2.
    """
    rows = {label: read_ns(pid, types) for label, pid in processes.items()}
    frame = pd.DataFrame.from_dict(rows, orient="index")[list(types)]
    frame.index.name = "process"
    return NsMatrix(frame, dict(processes))


def lsns(lab: Any | None = None) -> pd.DataFrame:
    """Run `lsns -J` (the line shown, its long JSON not) and give it as a table, with an
    `owner` column: "host" for the host's namespaces, the container's name for the
    namespaces of the lab's running containers, "" for the rest.

    Taught in: 04-namespaces, section 1.
    """
    # The whole list is long and other programs change it: the table below is its second view.
    listed = sh(["lsns", "-J"], quiet=True).stdout
    raw = (json.loads(listed) if listed.strip() else {}).get("namespaces", [])
    frame = pd.DataFrame(raw, columns=["ns", "type", "nprocs", "pid", "user", "command"])
    owners = {inode: "host" for inode in read_ns(host_process().pid).values()}
    if lab is not None:
        for container in lesson_containers(lab):
            for inode in read_ns(container_pid(container)).values():
                owners.setdefault(inode, container.name)
    frame["owner"] = frame["ns"].map(lambda n: owners.get(int(n), ""))
    return frame


def lesson_containers(lab: Any) -> list[Any]:
    """The lab's running containers (found by its session label), oldest first."""
    found = client().containers.list(filters={"label": f"{labels.SESSION}={lab.session}"})
    return sorted(found, key=lambda c: c.attrs.get("Created", ""))
