"""Chapter 04's second views: tables and pictures that follow a command's own output.

Taught in: 04-namespaces. Each puts what a cell's commands just showed (or /proc) side by
side; the lesson's operations stay in their own modules (`procns`, `nsenter`, `pid1`, ...).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from labkit.base import iproute
from labkit.base.host import host, require_root
from labkit.base.i18n import _
from labkit.base.show import sh
from labkit.base.wait import WaitTimeout, wait_for
from labkit.namespaces.nsenter import enter_argv, same_netns_as_here
from labkit.namespaces.procns import NsMatrix

if TYPE_CHECKING:
    from labkit.namespaces.nsdefaults import CgroupSetup, TimeSetup


# -- section 1: the namespace types --------------------------------------------------------
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


def lesson_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of an `lsns()` table that belong to the lesson's containers, sorted
    (04-namespaces, section 1)."""
    mine = frame[~frame["owner"].isin(["", "host"])]
    cols = ["owner", "type", "ns", "nprocs", "command"]
    return mine[cols].sort_values(["owner", "type"]).reset_index(drop=True)


# -- section 2: the sharing matrix, as a picture ---------------------------------------------
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


# -- section 3: the host's netns, entered from the host ------------------------------------
def host_view(pid: int, tries: int = 5) -> pd.DataFrame:
    """Run `nsenter -t PID -n ip -j addr` for a host process and `ip -j addr` here (both
    lines shown; their long JSON is not), and compare them in a table.

    The host's interfaces differ between machines (and other lessons add and remove some), so
    the table shows what is stable: loopback's address and whether both lists match. When an
    interface came or went between the two reads, both commands run again (not shown again),
    0.2 s apart and up to `tries` times. Taught in: 04-namespaces, section 3.
    """
    require_root()
    argvs = (enter_argv(pid, ["ip", "-j", "addr"]), ["ip", "-j", "addr"])
    first = [sh(argv, quiet=True).stdout for argv in argvs]

    def read(argv: list[str]) -> dict[str, list[str]]:
        """{interface: ["addr/prefix", ...]} (IPv4, then IPv6) from `ip -j addr`'s JSON."""
        text = first.pop(0) if first else host().run(argv).stdout
        return {x.ifname: [*x.addresses, *x.inet6]
                for x in iproute.parse_links(json.loads(text) if text.strip() else [])}

    there: dict[str, list[str]] = {}
    here: dict[str, list[str]] = {}

    def same_names() -> bool:
        nonlocal there, here
        there, here = read(argvs[0]), read(argvs[1])
        return set(there) == set(here)

    try:
        wait_for("two reads that agree", same_names, timeout=0.2 * max(tries - 1, 0),
                 interval=0.2)
    except WaitTimeout:
        pass  # still moving: the table shows the last reads, and "same" says False
    rows = [
        ("lo", ", ".join(a for a in there.get("lo", []) if "." in a)),
        ("same interface names as `ip addr` here", set(there) == set(here)),
        ("same net namespace as this notebook", same_netns_as_here(pid)),
    ]
    return pd.DataFrame(rows, columns=["what", "answer"]).set_index("what")
