"""Entering namespaces from the host (`nsenter -t PID -n`) and naming them (`ip netns`).

Taught in: 04-namespaces (sections 3 and 4). Every command runs as it is shown; its output is
printed too, except where it is long and differs from machine to machine (other programs'
namespaces in `ip netns list`): there the lines after it say what matters. The tables that
put nsenter's view beside docker inspect's are in `views`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from labkit.base import procfs
from labkit.base.engine import client
from labkit.base.show import docker, sh


def inspect_pid(container: Any) -> int:
    """Run `docker inspect -f '{{.State.Pid}}' NAME` (shown, with its output): the container's
    host PID.

    Taught in: 04-namespaces, section 3 (the notes' "method two").
    """
    return int(docker(["inspect", "-f", "{{.State.Pid}}", container.name]).stdout.strip())


def enter_argv(pid: int, argv: Sequence[str]) -> list[str]:
    """`nsenter -t PID -n ARGV...`: run a host program inside PID's network namespace."""
    return ["nsenter", "-t", str(pid), "-n", *argv]


def same_netns_as_here(pid: int) -> bool:
    """True when PID's network namespace is this process's own (equal /proc/*/ns/net links)."""
    return procfs.same_namespace(pid, "self", "net")


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
