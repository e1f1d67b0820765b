"""Exercise checks for 03-networking: reach by name, publish a port, find a host veth.

Taught in: 03-networking (exercises). Each check returns a CheckResult; a wrong answer gets
a hint. A check only ever talks to the learner's containers and to 127.0.0.1, and asks a
container to look a name up only when Docker itself can answer it (so no query leaves the
machine).
"""

from __future__ import annotations

import re

from docker.models.containers import Container

from labkit.base import containers, http
from labkit.base.errors import LabkitError
from labkit.base.http import LOOPBACK
from labkit.base.wait import WaitTimeout, wait_for
from labkit.lab.exercises import CheckResult, failed, passed
from labkit.networking import netinspect

DEFAULT_NETWORKS = {"bridge", "host", "none"}


def _user_networks(c: Container) -> set[str]:
    return {n for n in containers.endpoints(c) if n not in DEFAULT_NETWORKS}


def _linked(c: Container, target: Container) -> bool:
    """True when C was started with --link to TARGET (its /etc/hosts names it)."""
    for link in c.attrs["HostConfig"].get("Links") or []:
        if link.split(":", 1)[0].lstrip("/") == target.name:
            return True
    return False


def _ping(c: Container, name: str) -> bool:
    code, _ = c.exec_run(["ping", "-c", "1", "-W", "2", name])
    return code == 0


def check_reach_by_name(first: str, second: str) -> CheckResult:
    """Exercise 03.1: FIRST and SECOND reach each other by container name, both ways."""
    ex = "03.1 reach by name"
    a, b = containers.find(first), containers.find(second)
    missing = [n for n, c in ((first, a), (second, b)) if c is None]
    if missing or a is None or b is None:
        return failed(ex, f"there is no container called {missing[0]}.",
                      "start two labkit/busybox containers with lab.run(..., name=...)")
    not_running = [c.name for c in (a, b) if c.status != "running"]
    if not_running:
        return failed(ex, f"{not_running[0]} is not running.",
                      'give it a command that keeps running, e.g. ["sleep", "3600"]')
    shared = _user_networks(a) & _user_networks(b)
    for src, dst in ((a, b), (b, a)):
        if not shared and not _linked(src, dst):
            return failed(ex, f"{src.name} has no way to resolve the name {dst.name}: they share "
                          "no user-defined network, and the default bridge has no DNS.",
                          "create a network with lab.network(...) and start both on it "
                          "(network=...)")
        if not _ping(src, dst.name):
            return failed(ex, f"{src.name} cannot reach {dst.name} by name.",
                          "use labkit/busybox containers (they have ping), both running on one "
                          "user-defined network")
    via = f"network {sorted(shared)[0]}" if shared else "--link"
    return passed(ex, f"{a.name} and {b.name} reach each other by name (via {via}).")


def _get_status(port: int, wait: float) -> tuple[int | None, str]:
    """GET / on 127.0.0.1:PORT, trying again for WAIT seconds (a new server needs a moment)."""
    url = f"http://{LOOPBACK}:{port}/"
    try:
        return wait_for(url, lambda: http.get(url).status, timeout=wait, interval=0.2,
                        retry_on=(http.NoAnswer,)), ""
    except WaitTimeout as exc:
        return None, exc.last.reason if isinstance(exc.last, http.NoAnswer) else "no answer"


def check_published_port(container: str, host_port: int, wait: float = 5) -> CheckResult:
    """Exercise 03.2: a request to 127.0.0.1:HOST_PORT reaches CONTAINER.

    Args:
        container: the container's name.
        host_port: the port on 127.0.0.1.
        wait: seconds to keep trying while the server starts.
    """
    ex = "03.2 publish a port"
    c = containers.find(container)
    if c is None:
        return failed(ex, f"there is no container called {container}.",
                      'start labkit/nginx:1.22.1 with lab.run(..., ports={"80/tcp": PORT})')
    bindings = containers.published(c)
    mapped = {b.container_port: b for b in bindings if str(b.host_port) == str(host_port)}
    if not mapped:
        published = sorted({str(b.host_port) for b in bindings})
        where = f"it publishes {', '.join(published)}" if published else "it publishes no port"
        return failed(ex, f"{c.name} does not publish host port {host_port}; {where}.",
                      'publish when you start it: ports={"80/tcp": PORT} (-p 127.0.0.1:PORT:80)')
    cport, bind = next(iter(mapped.items()))
    if bind.host_ip != "127.0.0.1":
        return failed(ex, f"port {host_port} is published on {bind.host_ip!r}.",
                      "the course publishes on 127.0.0.1 only")
    status, error = _get_status(host_port, wait)
    if status is None:
        return failed(ex, f"127.0.0.1:{host_port} maps to {cport} in {c.name}, but the request "
                      f"got no answer ({error}).",
                      f"is anything listening on {cport} inside the container? nginx listens "
                      "on 80/tcp")
    return passed(ex, f"a request to 127.0.0.1:{host_port} reached {c.name} on {cport} "
                  f"(HTTP {status}).")


VETH = re.compile(r"^veth[0-9a-f]{7}$")


def check_host_veth(container: str, answer: str) -> CheckResult:
    """Exercise 03.3: ANSWER names the host's end of CONTAINER's veth pair."""
    ex = "03.3 which veth"
    c = containers.find(container)
    if c is None:
        return failed(ex, f"there is no container called {container}.", "check the name")
    try:
        right = netinspect.host_veth(c)
    except netinspect.NoVethPair:
        return failed(ex, f"{c.name} has no veth pair (host, none or container: mode).",
                      "pick a container on a bridge network")
    except LabkitError as exc:
        return failed(ex, exc.message, exc.hint)
    answer = answer.strip()
    if answer.split("@")[0] == right:
        return passed(ex, f"{answer} is the host end of {c.name}'s eth0.")
    if answer.startswith("eth0"):
        return failed(ex, "eth0 is the container's end of the pair.",
                      "the N in eth0@ifN is an ifindex on the host: look it up in `ip -j link`")
    if not VETH.match(answer.split("@")[0]):
        return failed(ex, f"{answer!r} is not a veth name like veth1a2b3c4.",
                      "host ends are named veth + 7 hex digits; see `ip -br link show type veth`")
    return failed(ex, f"{answer} is a different veth (another container's, or none).",
                  "read /sys/class/net/eth0/iflink inside the container: it is the ifindex of "
                  "the host end")
