"""docker-proxy: the userland forwarder Docker starts for every published address.

Taught in: 03-networking (section 3). Listed with `pgrep -a -f` (the PID and the whole command
line of each process whose command line matches); engines started with
`--userland-proxy=false` have none.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from labkit.base.show import sh


@dataclass(frozen=True)
class Proxy:
    """A docker-proxy process: the userland forwarder behind one published port.

    Attributes:
        pid: its host PID.
        argv: its command line.
    """

    pid: int
    argv: tuple[str, ...]

    def arg(self, flag: str) -> str:
        """The value after a flag such as "-host-port" ('' when absent)."""
        args = list(self.argv)
        return args[args.index(flag) + 1] if flag in args[:-1] else ""


def pgrep_argv(host_port: int) -> list[str]:
    """`pgrep -a -f PATTERN`: the docker-proxy processes that listen on HOST_PORT (the PID and
    command line of each; other ports' proxies are not listed)."""
    return ["pgrep", "-a", "-f", f"docker-proxy .*-host-port {host_port}( |$)"]


def parse_pgrep(text: str) -> list[Proxy]:
    """The docker-proxy processes in `pgrep -a` output (`PID ARGV...` a line)."""
    found = []
    for line in text.splitlines():
        pid, _ignored, args = line.strip().partition(" ")
        argv = tuple(args.split())
        if pid.isdigit() and argv and os.path.basename(argv[0]) == "docker-proxy":
            found.append(Proxy(int(pid), argv))
    return sorted(found, key=lambda p: p.pid)


def show_proxies(host_port: int) -> list[Proxy]:
    """Run `pgrep -a -f 'docker-proxy .*-host-port PORT( |$)'`, printed with its output
    (03-networking), and return the proxies it listed (none where the userland proxy is off:
    pgrep then exits 1, which is no error here)."""
    return parse_pgrep(sh(pgrep_argv(host_port), check=False).stdout)

