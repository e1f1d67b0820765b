"""Entering namespaces from the host (`nsenter -t PID -n`) and naming them (`ip netns`).

Taught in: 04-namespaces (sections 3 and 4). Every command is shown as it would be typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from labkit.base import containers, iproute, procfs
from labkit.base.engine import client
from labkit.base.host import host, require_root
from labkit.base.show import show_command
from labkit.base.wait import WaitTimeout, wait_for


def inspect_pid(container: Any) -> int:
    """Show `docker inspect -f '{{.State.Pid}}' NAME` and return the container's host PID.

    Taught in: 04-namespaces, section 3 (the notes' "method two").
    """
    argv = ["docker", "inspect", "-f", "{{.State.Pid}}", container.name]
    show_command(argv)
    if host().has_tool("docker"):
        pid = int(host().run(argv).stdout.strip())
    else:  # a host without the CLI: the same field through the API
        pid = containers.pid(container)
    print(f"host PID {pid}")
    return pid


def enter_argv(pid: int, argv: Sequence[str]) -> list[str]:
    """`nsenter -t PID -n ARGV...`: run a host program inside PID's network namespace."""
    return ["nsenter", "-t", str(pid), "-n", *argv]


def interfaces(pid: int | None = None) -> dict[str, list[str]]:
    """{interface: ["addr/prefix", ...]} (IPv4, then IPv6) from `ip -j addr`, here or in PID's
    net namespace."""
    return {link.ifname: [*link.addresses, *link.inet6] for link in iproute.links(pid=pid or None)}


def inspect_vs_nsenter(container: Any) -> pd.DataFrame:
    """The container's IPv4 address as `docker inspect` reports it and as its netns has it.

    Taught in: 04-namespaces, section 3: both views name the same address.
    """
    nets = containers.endpoints(containers.get(container))
    seen = interfaces(containers.pid(container))
    rows = []
    for name, net in nets.items():
        in_ns = [a for addrs in seen.values() for a in addrs if a.split("/")[0] == net.address]
        rows.append((name, net.cidr, ", ".join(in_ns) or "(not found)", bool(in_ns)))
    return pd.DataFrame(rows, columns=["network", "docker inspect", "nsenter ... ip addr",
                                       "same"])


def host_view(pid: int, tries: int = 5) -> pd.DataFrame:
    """Show `nsenter -t PID -n ip addr` for a host process and compare it with `ip addr` here.

    The host's interfaces differ between machines (and other lessons add and remove some), so
    the table shows what is stable: loopback's address and whether both lists match. Lists
    are read again, 0.2 s apart and up to `tries` times, when an interface came or went
    between the two reads.
    """
    require_root()
    show_command(enter_argv(pid, ["ip", "addr"]))
    there: dict[str, list[str]] = {}
    here: dict[str, list[str]] = {}

    def same_names() -> bool:
        nonlocal there, here
        there, here = interfaces(pid), interfaces()
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
    """Show `ip netns add NAME` and create it through the lab (recorded for cleanup).

    Returns the name given (made unique if the host already has one of that name).
    """
    final = lab.netns(name)
    show_command(["ip", "netns", "add", final])
    return final


def netns_list(names: Sequence[str]) -> None:
    """Show `ip netns list`, printing only the lesson's namespaces (others may exist).

    Taught in: 04-namespaces, section 4.
    """
    argv = ["ip", "netns", "list"]
    show_command(argv)
    for line in host().run(argv).stdout.splitlines():
        if line.split(" ", 1)[0] in set(names):
            print(line)
    print("(only this lesson's namespaces are shown)")


def run_in(container: Any, argv: Sequence[str]) -> tuple[int, str]:
    """`docker exec NAME ARGV...` without showing it: (exit code, output and errors)."""
    code, out = client().containers.get(container.id).exec_run(list(argv))
    return code, out.decode(errors="replace")


def docker_exec(container: Any, argv: Sequence[str]) -> None:
    """Show `docker exec NAME ARGV...` and print what it printed (output and errors)."""
    show_command(["docker", "exec", container.name, *argv])
    code, text = run_in(container, argv)
    if text.rstrip():
        print(text.rstrip())
    if code != 0:
        print(f"(exit code {code})")
