"""Reach what a lesson runs: ping and HTTP on 127.0.0.1, shown as the commands learners type.

Taught in: 03-networking. Every target is a lesson container or a service on 127.0.0.1.
"""

from __future__ import annotations

from docker.models.containers import Container

from labkit.base import containers, http
from labkit.base.errors import LabkitError
from labkit.base.i18n import _
from labkit.base.show import docker
from labkit.base.wait import WaitTimeout, wait_for


def ping(container: Container | str, target: str) -> bool:
    """`docker exec CONTAINER ping -c 1 -W 2 TARGET`, printing only the summary (no timings).

    Only ping an address, or a name Docker itself answers (a user-defined network or --link):
    a lesson's resolver is 127.0.0.1, so an unknown name fails here and never leaves the
    machine.
    """
    name = containers.get(container).name
    result = docker(["exec", name, "ping", "-c", "1", "-W", "2", target],
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
            status, _ignored = http_get(url)
        except http.NoAnswer as exc:
            last = exc.reason
            return False
        last = f"status {status}"
        return status in accept

    try:
        wait_for(url, accepted, timeout=timeout, interval=0.3)
    except WaitTimeout:
        raise LabkitError(
            _("{url} did not answer within {timeout:.0f} s ({last}).").format(
                url=url, timeout=timeout, last=last
            ),
            _("look at the container's log: docker logs NAME"),
        ) from None
