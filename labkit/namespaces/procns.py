"""Linux namespaces as the kernel shows them: /proc/PID/ns, lsns, and who shares what.

Taught in: 04-namespaces (the namespace types, a process's namespaces, the sharing matrix
and its heatmap, `lsns` with the lesson's containers picked out).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from labkit.base import containers, labels, procfs
from labkit.base.engine import client
from labkit.base.errors import LabkitError
from labkit.base.facts import facts
from labkit.base.host import host
from labkit.base.show import show_command

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
    """The namespace types this kernel offers (the entries of /proc/self/ns), explained.

    Taught in: 04-namespaces, section 1.
    """
    names = host().run(["ls", "/proc/self/ns"]).stdout.split()
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
    return (f"but not in the kernel's initial namespaces ({', '.join(types)} differ from the "
            "kernel's fixed numbers for them): this machine is itself a container or sandbox, "
            "and \"the host\" below means its namespaces")


def host_process() -> HostProcess:
    """PID 1 when its namespaces are readable; otherwise PID 2 (kthreadd). Says whether it is
    in the kernel's initial namespaces, read from the fixed inode numbers the kernel gives them.

    Some sandboxes run a PID 1 that hides /proc/1/ns even from root; some machines are
    themselves containers, whose PID 1 is not in the initial namespaces. Taught in:
    04-namespaces.
    """
    try:
        inodes = read_ns(1)
        pid, first = 1, "the first process"
    except LabkitError:
        pid, first = 2, "PID 1 hides /proc/1/ns here, so we read PID 2"
        try:
            inodes = read_ns(2)
        except LabkitError:
            return HostProcess(2, _comm(2), f"{first}, whose namespaces cannot be read either")
    differ = not_initial(inodes)
    return HostProcess(pid, _comm(pid), f"{first}, {_initial_clause(differ)}", differ)


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


@dataclass(frozen=True)
class CgroupSetup:
    """Which cgroup version this host runs, and the cgroup namespace a container got.

    Attributes:
        fstype: what is mounted on /sys/fs/cgroup ("cgroup2fs" on v2, "tmpfs" on v1).
        container: the container asked about.
        mode: its `HostConfig.CgroupnsMode`: "host" or "private".
    """

    fstype: str
    container: str
    mode: str

    @property
    def version(self) -> str:
        """ "2" when /sys/fs/cgroup is the unified cgroup2 file system, else "1"."""
        return "2" if self.fstype == "cgroup2fs" else "1"

    @property
    def label(self) -> str:
        """The heatmap's cgroup column label, e.g. "cgroup (v1: host's)"."""
        whose = "own" if self.mode == "private" else "host's"
        return f"cgroup\n(v{self.version}: {whose})"

    def __str__(self) -> str:
        default = "private" if self.version == "2" else "host"
        why = (WHY_PRIVATE_ON_V2 if self.version == "2" else WHY_HOST_ON_V1)
        where = ("has a cgroup namespace of its own" if self.mode == "private"
                 else "stays in the host's cgroup namespace")
        return (f"cgroup v{self.version} (/sys/fs/cgroup is {self.fstype}): Docker's default "
                f"here is --cgroupns {default} ({why}), and {self.container} runs with "
                f"{self.mode}, so it {where}.")


# Engine 20.10 added --cgroupns; moby's daemon/config/config_linux.go keeps "host" as the
# default on cgroup v1 (DefaultCgroupV1NamespaceMode) and makes "private" the one on v2.
WHY_HOST_ON_V1 = ("kept on cgroup v1 for compatibility: before Engine 20.10 every container "
                  "shared the host's cgroup namespace")
WHY_PRIVATE_ON_V2 = ("on cgroup v2 a container sees its own cgroup as the root of "
                     "/sys/fs/cgroup")


def cgroup_setup(container: Any) -> CgroupSetup:
    """Show `stat -f -c %T /sys/fs/cgroup` and the container's `--cgroupns` mode, read live.

    On cgroup v2 Docker gives each container a private cgroup namespace by default; on v1 it
    leaves it in the host's, for compatibility with engines before 20.10, which had no
    `--cgroupns`. Taught in: 04-namespaces, section 2.
    """
    argv = ["stat", "-f", "-c", "%T", "/sys/fs/cgroup"]
    show_command(argv)
    fstype = host().run(argv).stdout.strip()
    print(fstype)
    show_command(["docker", "inspect", "-f", "{{.HostConfig.CgroupnsMode}}", container.name])
    mode = str((containers.get(container).attrs.get("HostConfig") or {}).get("CgroupnsMode")
               or "")
    if mode not in {"host", "private"}:
        same = read_ns(container_pid(container), ["cgroup"]) == read_ns(host_process().pid,
                                                                          ["cgroup"])
        mode = "host" if same else "private"
    print(mode)
    return CgroupSetup(fstype, container.name, mode)


# Docker 29.5 gives every container a time namespace of its own (moby#52326, the "time"
# namespace in daemon/pkg/oci/defaults.go); the daemon's feature "time-namespaces" set to false
# takes it away again (moby#52577, daemon/daemon_unix.go getSysInfo).
OWN_TIME_SINCE = (29, 5)
TIME_FEATURE = "time-namespaces"


def time_feature_off(daemon: Mapping[str, str] | None) -> bool | None:
    """Whether dockerd runs with `--feature time-namespaces=false` (or that in daemon.json).

    Args:
        daemon: the daemon's own settings (`facts().daemon`), None when they cannot be read.

    Returns:
        True or False, or None when the settings cannot be read here.
    """
    if daemon is None:
        return None
    flags = [daemon.get(f"features.{TIME_FEATURE}", "")]
    for item in daemon.get("feature", "").split(","):
        name, _, value = item.partition("=")
        if name.strip() == TIME_FEATURE:
            flags.append(value.strip() or "true")
    return any(v.lower() == "false" for v in flags)


@dataclass(frozen=True)
class TimeSetup:
    """Whether a container got a time namespace of its own, read from /proc, and why.

    Attributes:
        version: the engine's version (`docker version`), major and minor as ints.
        container: the container asked about.
        private: whether its PID 1's /proc/PID/ns/time differs from the host's.
        feature_off: whether dockerd runs with the feature `time-namespaces` off (None: its
            settings cannot be read here).
    """

    version: str
    major: int
    minor: int
    container: str
    private: bool
    feature_off: bool | None = None

    @property
    def by_default(self) -> bool:
        """Whether this engine gives containers their own time namespace by default (29.5+)."""
        return (self.major, self.minor) >= OWN_TIME_SINCE

    @property
    def expected(self) -> bool | None:
        """Whether the container should have its own, from the engine's version and settings
        (None: Docker 29.5 or later whose settings cannot be read)."""
        if not self.by_default:
            return False
        return None if self.feature_off is None else not self.feature_off

    @property
    def label(self) -> str:
        """The heatmap's time column label, e.g. "time\n(29.7: own)"."""
        whose = "own" if self.private else "host's"
        return f"time\n({self.major}.{self.minor}: {whose})"

    def __str__(self) -> str:
        engine = f"Docker {self.version}"
        off = "`dockerd --feature time-namespaces=false` turns it off"
        if self.by_default and self.private:
            return (f"{engine} gives each container a time namespace of its own, as Docker 29.5 "
                    f"and later do ({off}): {self.container}'s /proc/PID/ns/time is not the "
                    f"host's.")
        if self.by_default:
            why = {True: "this dockerd runs with the feature switched off",
                   None: "this dockerd must run with the feature switched off",
                   False: "yet this dockerd does not switch the feature off"}
            return (f"{engine} would give each container a time namespace of its own, as Docker "
                    f"29.5 and later do, but {self.container} shares the host's: "
                    f"{why[self.feature_off]} (`--feature time-namespaces=false`, or \"features\": "
                    f"{{\"time-namespaces\": false}} in daemon.json).")
        if not self.private:
            return (f"{engine} leaves every container in the host's time namespace, as every "
                    f"engine before Docker 29.5 does ({self.container}'s /proc/PID/ns/time is "
                    f"the host's); from 29.5 each container gets its own, unless {off}.")
        return (f"{self.container} has a time namespace of its own, although {engine}, like "
                f"every engine before Docker 29.5, gives containers none: something else made it.")


def time_setup(container: Any) -> TimeSetup:
    """Show `readlink` of the container's /proc/PID/ns/time and the host's, and say why they
    are equal or not (04-namespaces, section 2).

    Docker 29.5 and later give each container a private time namespace (unless dockerd runs
    with `--feature time-namespaces=false`); older engines leave it in the host's.
    """
    f = facts()
    pid, host_pid = container_pid(container), host_process().pid
    argv = ["readlink", f"/proc/{pid}/ns/time", f"/proc/{host_pid}/ns/time"]
    show_command(argv)
    out = host().run(argv).stdout
    print(out.rstrip())
    mine, hosts = (out.split() + ["?", "?"])[:2]
    return TimeSetup(f.server_version, f.major, f.minor, container.name, mine != hosts,
                     time_feature_off(getattr(f, "daemon", None)))


def heatmap(matrix: NsMatrix, title: str = "Which namespace each process is in",
            cgroup: CgroupSetup | None = None, time: TimeSetup | None = None) -> Any:
    """The matrix as a picture: one colour per namespace owner, grey for the host's.

    With `cgroup`, the cgroup column's label says the host's cgroup version and whether
    containers get their own cgroup namespace there; with `time`, the time column's label says
    the engine's release and whether its containers get their own time namespace.
    Taught in: 04-namespaces, section 2. Returns the matplotlib Figure (a cell shows it).
    """
    import matplotlib.pyplot as plt
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap

    words = matrix.to_frame()
    owners = list(dict.fromkeys(words.to_numpy().ravel().tolist()))
    reference = str(words.index[0])
    palette = ["#e0e0e0"] + [colormaps["Set2"](i) for i in range(8)] * 4
    order = [reference] + [o for o in owners if o != reference]
    codes = words.map(lambda w: order.index(w)).to_numpy()
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(words) + 1.2))
    # Closed at once: the cell shows it once, as its value, and no figure stays open.
    plt.close(fig)
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
    ax.set_title(f"{title}\n(a cell names the first process in that namespace; "
                 f"grey = the {reference}'s)")
    fig.tight_layout()
    return fig


def _cells(words: pd.DataFrame) -> Iterable[tuple[tuple[int, int], str]]:
    for r, row in enumerate(words.itertuples(index=False)):
        for c, word in enumerate(row):
            yield (r, c), str(word)


def lsns(lab: Any | None = None) -> pd.DataFrame:
    """`lsns` as a table, with an `owner` column: "host" for the initial namespaces, the
    container's name for the namespaces of the lab's running containers, "" for the rest.

    Taught in: 04-namespaces, section 1.
    """
    show_command(["lsns", "-J"])
    raw = host().json(["lsns", "-J"]).get("namespaces", [])
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
