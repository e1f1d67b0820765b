"""Entering namespaces from the host (`nsenter -t PID -n`) and naming them (`ip netns`).

Taught in: 04-namespaces (sections 3 and 4). Every command is shown as it would be typed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pandas as pd

from labkit.base.engine import client
from labkit.base.host import host, require_root
from labkit.base.show import show_command
from labkit.namespaces.procns import container_pid


def inspect_pid(container: Any) -> int:
    """Show `docker inspect -f '{{.State.Pid}}' NAME` and return the container's host PID.

    Taught in: 04-namespaces, section 3 (the notes' "method two").
    """
    argv = ["docker", "inspect", "-f", "{{.State.Pid}}", container.name]
    show_command(argv)
    if host().has_tool("docker"):
        pid = int(host().run(argv).stdout.strip())
    else:  # a host without the CLI: the same field through the API
        pid = container_pid(container)
    print(f"host PID {pid}")
    return pid


def enter_argv(pid: int, argv: Sequence[str]) -> list[str]:
    """`nsenter -t PID -n ARGV...`: run a host program inside PID's network namespace."""
    return ["nsenter", "-t", str(pid), "-n", *argv]


def interfaces(pid: int | None = None) -> dict[str, list[str]]:
    """{interface: ["addr/prefix", ...]} from `ip -j addr`, here or in PID's net namespace."""
    argv = ["ip", "-j", "addr"]
    data = host().json(enter_argv(pid, argv) if pid else argv)
    return {i["ifname"]: [f"{a['local']}/{a['prefixlen']}" for a in i.get("addr_info", [])]
            for i in data}


def inspect_vs_nsenter(container: Any) -> pd.DataFrame:
    """The container's IPv4 address as `docker inspect` reports it and as its netns has it.

    Taught in: 04-namespaces, section 3: both views name the same address.
    """
    container.reload()
    nets = container.attrs["NetworkSettings"]["Networks"]
    seen = interfaces(container_pid(container))
    rows = []
    for name, cfg in nets.items():
        in_ns = [a for addrs in seen.values() for a in addrs
                 if a.split("/")[0] == cfg.get("IPAddress")]
        rows.append((name, f"{cfg.get('IPAddress')}/{cfg.get('IPPrefixLen')}",
                     ", ".join(in_ns) or "(not found)", bool(in_ns)))
    return pd.DataFrame(rows, columns=["network", "docker inspect", "nsenter ... ip addr",
                                       "same"])


def host_view(pid: int, tries: int = 5) -> pd.DataFrame:
    """Show `nsenter -t PID -n ip addr` for a host process and compare it with `ip addr` here.

    The host's interfaces differ between machines (and other lessons add and remove some), so
    the table shows what is stable: loopback's address and whether both lists match. Lists
    are read again when an interface came or went between the two reads.
    """
    require_root()
    show_command(enter_argv(pid, ["ip", "addr"]))
    there: dict[str, list[str]] = {}
    here: dict[str, list[str]] = {}
    for _ in range(tries):
        there, here = interfaces(pid), interfaces()
        if set(there) == set(here):
            break
        time.sleep(0.2)
    rows = [
        ("lo", ", ".join(a for a in there.get("lo", []) if "." in a)),
        ("same interface names as `ip addr` here", set(there) == set(here)),
        ("same net namespace as this notebook", same_netns_as_here(pid)),
    ]
    return pd.DataFrame(rows, columns=["what", "answer"]).set_index("what")


def same_netns_as_here(pid: int) -> bool:
    """True when PID's network namespace is this process's own (equal /proc/*/ns/net links)."""
    links = host().run(["readlink", f"/proc/{pid}/ns/net", "/proc/self/ns/net"]).stdout.split()
    return len(links) == 2 and links[0] == links[1]


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
