"""Entering namespaces from the host (`nsenter -t PID -n`) and naming them (`ip netns`).

Taught in: 04-namespaces (sections 3 and 4). Every command runs as it is shown; its output is
printed too, except where it is long and differs from machine to machine (`ip -j addr` of the
host, other programs' namespaces in `ip netns list`): there the table or lines after it say
what matters.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd

from labkit.base import containers, iproute, procfs
from labkit.base.engine import client
from labkit.base.host import host, require_root
from labkit.base.show import docker, sh
from labkit.base.wait import WaitTimeout, wait_for


def inspect_pid(container: Any) -> int:
    """Run `docker inspect -f '{{.State.Pid}}' NAME` (shown, with its output): the container's
    host PID.

    Taught in: 04-namespaces, section 3 (the notes' "method two").
    """
    return int(docker(["inspect", "-f", "{{.State.Pid}}", container.name]).stdout.strip())


def enter_argv(pid: int, argv: Sequence[str]) -> list[str]:
    """`nsenter -t PID -n ARGV...`: run a host program inside PID's network namespace."""
    return ["nsenter", "-t", str(pid), "-n", *argv]


# `docker inspect`'s template for a container's IPv4 addresses, one a line (one per network).
ADDRESSES = "{{range .NetworkSettings.Networks}}{{println .IPAddress}}{{end}}"


def parse_brief(text: str) -> dict[str, list[str]]:
    """{interface: ["addr/prefix", ...]} from `ip -br addr` ("eth0@if80 UP 172.17.0.2/16")."""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2:
            found[fields[0].split("@")[0]] = fields[2:]
    return found


def inspect_vs_nsenter(container: Any) -> pd.DataFrame:
    """Run `docker inspect` for the container's addresses and `nsenter -t PID -n ip -4 -br
    addr` in its netns, each shown with its output; then both side by side, as a table.

    Taught in: 04-namespaces, section 3: both views name the same address.
    """
    said = docker(["inspect", "-f", ADDRESSES, container.name]).stdout
    seen = parse_brief(sh(enter_argv(containers.pid(container),
                                     ["ip", "-4", "-br", "addr"])).stdout)
    rows = []
    for address in said.split():
        in_ns = [a for addrs in seen.values() for a in addrs if a.split("/")[0] == address]
        rows.append((address, ", ".join(in_ns) or "(not found)", bool(in_ns)))
    return pd.DataFrame(rows, columns=["docker inspect", "nsenter ... ip addr", "same"])


def host_view(pid: int, tries: int = 5) -> pd.DataFrame:
    """Run `nsenter -t PID -n ip -j addr` for a host process and `ip -j addr` here (both
    lines shown; their long JSON is not), and compare them in a table.

    The host's interfaces differ between machines (and other lessons add and remove some), so
    the table shows what is stable: loopback's address and whether both lists match. When an
    interface came or went between the two reads, both commands run again (not shown again),
    0.2 s apart and up to `tries` times.
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


def same_netns_as_here(pid: int) -> bool:
    """True when PID's network namespace is this process's own (equal /proc/*/ns/net links)."""
    return procfs.same_namespace(pid, "self", "net")


def netns_add(lab: Any, name: str) -> str:
    """`ip netns add NAME` through the lab (which records it for cleanup), the line shown.

    Returns the name given (made unique if the host already has one of that name).
    """
    return str(lab.netns(name, show=True))


def netns_list(names: Sequence[str]) -> None:
    """Run `ip netns list` (shown), printing only the lesson's namespaces (others may exist).

    Taught in: 04-namespaces, section 4.
    """
    listed = sh(["ip", "netns", "list"], quiet=True).stdout
    for line in listed.splitlines():
        if line.split(" ", 1)[0] in set(names):
            print(line)
    print("(only this lesson's namespaces are shown)")


def run_in(container: Any, argv: Sequence[str]) -> tuple[int, str]:
    """Run ARGV in the container without showing it (a check's probe): (exit code, output and
    errors). Shown commands use `labkit.docker(["exec", NAME, ...])`."""
    code, out = client().containers.get(container.id).exec_run(list(argv))
    return code, out.decode(errors="replace")
