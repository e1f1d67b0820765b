"""Linux namespaces as the kernel shows them: /proc/PID/ns, lsns, and who shares what.

Taught in: 04-namespaces (the namespace types, a process's namespaces, the sharing matrix
and its heatmap, `lsns` with the lesson's containers picked out). Which cgroup and time
namespaces Docker gives a container on this host and engine is `nsdefaults`'s concern.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from labkit.base import containers, labels, procfs
from labkit.base.engine import client
from labkit.base.errors import LabkitError
from labkit.base.host import host
from labkit.base.i18n import _
from labkit.base.show import sh

if TYPE_CHECKING:
    from labkit.namespaces.nsdefaults import CgroupSetup, TimeSetup

# The eight kinds a process belongs to (what /proc/PID/ns lists, without *_for_children).
TYPES = ("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts")

# type -> (what it gives a process its own copy of, the clone/unshare flag, first kernel)
ABOUT: dict[str, tuple[str, str, str]] = {
    "cgroup": ("its own root of the cgroup tree (/proc/self/cgroup)", "CLONE_NEWCGROUP", "4.6"),
    "ipc": ("System V IPC objects and POSIX message queues", "CLONE_NEWIPC", "2.6.19"),
    "mnt": ("the mount table: which file systems are mounted where", "CLONE_NEWNS", "2.4.19"),
    "net": ("interfaces, addresses, routes, iptables rules, sockets, ports",
            "CLONE_NEWNET", "2.6.29"),
    "pid": ("process IDs: the first process in it is PID 1", "CLONE_NEWPID", "2.6.24"),
    "pid_for_children": ("the pid namespace this process's future children get",
                         "(set by unshare/setns)", "4.12"),
    "time": ("the boot-time and monotonic clocks' offsets", "CLONE_NEWTIME", "5.6"),
    "time_for_children": ("the time namespace this process's future children get",
                          "(set by unshare/setns)", "5.6"),
    "user": ("user and group IDs, and so what root may do", "CLONE_NEWUSER", "3.8"),
    "uts": ("the host name and NIS domain name", "CLONE_NEWUTS", "2.6.19"),
}

def ns_types() -> pd.DataFrame:
    """Run `ls -C /proc/self/ns` (shown, with its output): the namespace types this kernel
    offers; then the same names explained, as a table.

    `-C` lays the names out in columns, as `ls` does in a terminal. Taught in: 04-namespaces,
    section 1.
    """
    names = sh(["ls", "-C", "/proc/self/ns"]).stdout.split()
    rows = [(n, *ABOUT.get(n, ("(not described by labkit)", "", ""))) for n in sorted(names)]
    return pd.DataFrame(rows, columns=["type", "isolates", "flag", "since Linux"])


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


def heatmap(matrix: NsMatrix, title: str = "",
            cgroup: CgroupSetup | None = None, time: TimeSetup | None = None) -> Any:
    """The matrix as a picture: one colour per namespace owner, grey for the host's.

    With `cgroup`, the cgroup column's label says the host's cgroup version and whether
    containers get their own cgroup namespace there; with `time`, the time column's label says
    the engine's release and whether its containers get their own time namespace.
    Taught in: 04-namespaces, section 2. Returns the matplotlib Figure (a cell shows it, at
    2x, with a text saying which namespaces each process shares: `labkit.base.figure`). The
    default title is "Which namespace each process is in".
    """
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap

    words = matrix.to_frame()
    owners = list(dict.fromkeys(words.to_numpy().ravel().tolist()))
    reference = str(words.index[0])
    palette = ["#e0e0e0"] + [colormaps["Set2"](i) for i in range(8)] * 4
    order = [reference] + [o for o in owners if o != reference]
    codes = words.map(lambda w: order.index(w)).to_numpy()
    from labkit.base.figure import shown, subplots

    title = title or _("Which namespace each process is in")
    # Closed at once: the cell shows it once, as its value, and no figure stays open.
    fig, ax = subplots(figsize=(8, 0.5 * len(words) + 1.2))
    ax.imshow(codes, cmap=ListedColormap(palette[: len(order)]), vmin=0, vmax=len(order) - 1,
              aspect="auto")
    for (r, c), word in _cells(words):
        ax.text(c, r, word, ha="center", va="center", fontsize=8)
    ax.set_xticks([x - 0.5 for x in range(1, len(words.columns))], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, len(words.index))], minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.tick_params(which="minor", length=0)
    labels_for = {"cgroup": cgroup.label if cgroup else "cgroup",
                  "time": time.label if time else "time"}
    names = [labels_for.get(str(c), str(c)) for c in words.columns]
    ax.set_xticks(range(len(words.columns)), names)
    ax.set_yticks(range(len(words.index)), [str(i) for i in words.index])
    ax.set_title(title + "\n" + _("(a cell names the first process in that namespace; "
                                  "grey = the {reference}'s)").format(reference=reference))
    fig.tight_layout()
    rows = "; ".join(
        f"{index}: " + ", ".join(f"{name} {word}" for name, word in zip(names, row, strict=True))
        for index, row in zip(words.index, words.itertuples(index=False), strict=True))
    return shown(fig, _("{title}: one row per process, one column per namespace type; each "
                        "cell names the first process in that namespace. {rows}.").format(
        title=title, rows=rows))


def _cells(words: pd.DataFrame) -> Iterable[tuple[tuple[int, int], str]]:
    for r, row in enumerate(words.itertuples(index=False)):
        for c, word in enumerate(row):
            yield (r, c), str(word)


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


def lesson_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of an `lsns()` table that belong to the lesson's containers, sorted."""
    mine = frame[~frame["owner"].isin(["", "host"])]
    cols = ["owner", "type", "ns", "nprocs", "command"]
    return mine[cols].sort_values(["owner", "type"]).reset_index(drop=True)


def lesson_containers(lab: Any) -> list[Any]:
    """The lab's running containers (found by its session label), oldest first."""
    found = client().containers.list(filters={"label": f"{labels.SESSION}={lab.session}"})
    return sorted(found, key=lambda c: c.attrs.get("Created", ""))
