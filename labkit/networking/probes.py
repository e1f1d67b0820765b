"""Reach what a lesson runs: the docker CLI as learners type it, ping, HTTP on 127.0.0.1.

Taught in: 03-networking. Every target is a lesson container or a service on 127.0.0.1.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence

from docker.models.containers import Container

from labkit.base import containers, http
from labkit.base.errors import HostToolMissing, LabkitError
from labkit.base.host import Result
from labkit.base.show import show_command
from labkit.base.wait import WaitTimeout, wait_for


class Shown(Result):
    """A Result whose output was already printed: as a cell's last value it shows nothing."""

    def _ipython_display_(self) -> None:
        """Show nothing more (the command and its output are on screen already)."""


def docker_cli(argv: Sequence[str], *, check: bool = True, quiet: bool = False,
               timeout: float = 60) -> Result:
    """Run `docker ARGV...` with the docker CLI, printing the command and its output.

    Args:
        argv: the arguments after `docker`.
        check: raise when it fails.
        quiet: show only the command.
        timeout: seconds before it is stopped (a request that waits on the network).

    Raises:
        LabkitError: it failed (with check), or it did not finish in time.
    """
    exe = shutil.which("docker")
    if exe is None:
        raise HostToolMissing("The docker command is not installed.",
                              "install the docker CLI (Debian: docker.io)")
    argv = [str(a) for a in argv]
    show_command(["docker", *argv])
    try:
        proc = subprocess.run([exe, *argv], capture_output=True, text=True,  # noqa: S603
                              check=False, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise LabkitError(f"`docker {' '.join(argv)}` did not finish within {timeout:.0f} s.",
                          "something it waits for does not answer; check that the lesson's "
                          "containers run (`docker ps`) and run the cell again") from None
    result = Shown(("docker", *argv), proc.returncode, proc.stdout, proc.stderr)
    if not quiet:
        text = (result.stdout + result.stderr).rstrip()
        if text:
            print(text)
    if check and not result.ok:
        raise LabkitError(f"`docker {' '.join(argv)}` failed (exit {result.returncode}).",
                          "read its output above")
    return result


def ping(container: Container | str, target: str) -> bool:
    """`docker exec CONTAINER ping -c 1 -W 2 TARGET`, printing only the summary (no timings).

    Only ping an address, or a name Docker itself answers (a user-defined network or --link):
    a lesson's resolver is 127.0.0.1, so an unknown name fails here and never leaves the
    machine.
    """
    name = containers.get(container).name
    result = docker_cli(["exec", name, "ping", "-c", "1", "-W", "2", target],
                        check=False, quiet=True)
    lines = (result.stdout + result.stderr).strip().splitlines()
    summary = [x for x in lines if "packets transmitted" in x or "bad address" in x]
    print(summary[-1] if summary else (lines[-1] if lines else f"exit {result.returncode}"))
    return result.ok


def http_get(url: str) -> tuple[int, str]:
    """GET a lesson service on 127.0.0.1; returns (status, body text).

    Raises:
        LabkitError: the URL is not on this machine (NotLoopback), or nothing answers
            (NoAnswer).
    """
    answer = http.get(url)
    return answer.status, answer.text


def wait_http(url: str, accept: tuple[int, ...] = (200,), timeout: float = 30) -> None:
    """Wait until a lesson service on 127.0.0.1 answers URL with an accepted status.

    Raises:
        LabkitError: it did not answer in time.
    """
    last = "no answer"

    def accepted() -> bool:
        nonlocal last
        try:
            status, _ = http_get(url)
        except http.NoAnswer as exc:
            last = exc.reason
            return False
        last = f"status {status}"
        return status in accept

    try:
        wait_for(url, accepted, timeout=timeout, interval=0.3)
    except WaitTimeout:
        raise LabkitError(f"{url} did not answer within {timeout:.0f} s ({last}).",
                          "look at the container's log: docker logs NAME") from None
