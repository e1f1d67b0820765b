"""Container facts, read one way: the SDK's own properties, `.attrs` only where it has none.

Taught in: 03-networking and 04-namespaces (a container's PID, addresses, network mode,
published ports), 02-overlayfs-and-image-storage (whether it runs). A name is looked up; a
Container object is read as it is, except for its state and PID, which are always read fresh
(a process comes and goes, its configuration does not).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import docker.errors
from docker.models.containers import Container

from labkit.base.engine import client
from labkit.base.errors import LabkitError, friendly
from labkit.base.i18n import _


class NoSuchContainer(LabkitError):
    """The engine has no container of that name (or it was removed)."""


class NotRunning(LabkitError):
    """The container exists but has no process: it is stopped."""


def _missing(name: str) -> NoSuchContainer:
    return NoSuchContainer(_("There is no container called {name}.").format(name=name),
                           _("check the name (`docker ps -a` lists them); a lesson starts its "
                             "containers with lab.run(..., name=...)"))


def get(container: Container | str) -> Container:
    """A container by name, or the same container with its attrs reloaded.

    Taught in: 03-networking, 04-namespaces.

    Raises:
        NoSuchContainer: there is no such container (any more).
    """
    name = container if isinstance(container, str) else container.name
    with friendly():
        try:
            if isinstance(container, str):
                return client().containers.get(container)
            container.reload()
            return container
        except docker.errors.NotFound as exc:
            raise _missing(name) from exc


def find(name: str) -> Container | None:
    """The container called NAME, or None when there is none (exercise checks ask this)."""
    try:
        return get(name)
    except NoSuchContainer:
        return None


@dataclass(frozen=True)
class State:
    """Whether a container's process runs, read fresh from the engine.

    Attributes:
        status: `Container.status`: "running", "exited", "created", "paused", ...
        running: State.Running (true for a paused container too).
        pid: the host PID of its main process (0 when it has none).
        exit_code: the exit code of its last run.
    """

    status: str
    running: bool
    pid: int
    exit_code: int


def state(container: Container | str) -> State:
    """The container's state now (`docker inspect -f '{{json .State}}'`). Taught in: 04-namespaces.

    Raises:
        NoSuchContainer: there is no such container.
    """
    c = get(container)
    raw = c.attrs.get("State") or {}  # the SDK has properties for Status only
    return State(str(c.status), bool(raw.get("Running")), int(raw.get("Pid") or 0),
                 int(raw.get("ExitCode") or 0))


def pid(container: Container | str) -> int:
    """The host PID of a running container's main process (`docker inspect -f '{{.State.Pid}}'`).

    Taught in: 04-namespaces (section 3).

    Raises:
        NotRunning: the container is not running (a stopped container has no process).
        NoSuchContainer: there is no such container.
    """
    c = get(container)
    found = int((c.attrs.get("State") or {}).get("Pid") or 0)
    if found <= 0:
        raise NotRunning(
            _("Container {name} is not running, so it has no PID.").format(name=c.name),
            _("start it again (`docker start {name}`) or run a new one").format(name=c.name),
        )
    return found


def labels(obj: Any) -> dict[str, str]:
    """The labels of a container (`Container.labels`), or of a network or volume.

    Networks and volumes have no SDK property for them: their answer keeps them in `Labels`,
    as does a sparse container listing (which has no `Config` for `Container.labels`).
    """
    if isinstance(obj, Container) and "Config" in obj.attrs:
        return dict(obj.labels or {})
    return dict(obj.attrs.get("Labels") or {})


@dataclass(frozen=True)
class Endpoint:
    """A container's place on one Docker network (NetworkSettings.Networks.<network>).

    Attributes:
        network: the network's name.
        address: its IPv4 address ("" when it has none, as in host mode).
        prefixlen: the prefix length of that address.
        gateway: the network's gateway as the container sees it.
        mac: the MAC address of its interface on the network.
    """

    network: str
    address: str
    prefixlen: int
    gateway: str
    mac: str

    @property
    def cidr(self) -> str:
        """The address with its prefix, e.g. "172.17.0.2/16"."""
        return f"{self.address}/{self.prefixlen}"


def endpoints(container: Container | str) -> dict[str, Endpoint]:
    """{network: Endpoint} in the engine's order. Taught in: 03-networking, 04-namespaces."""
    c = get(container) if isinstance(container, str) else container
    # The SDK has no property for a container's networks: read them from its answer.
    nets = (c.attrs.get("NetworkSettings") or {}).get("Networks") or {}
    return {name: Endpoint(name, str(net.get("IPAddress") or ""),
                           int(net.get("IPPrefixLen") or 0), str(net.get("Gateway") or ""),
                           str(net.get("MacAddress") or ""))
            for name, net in nets.items()}


def network_mode(container: Container | str) -> str:
    """HostConfig.NetworkMode as Docker stores it: "bridge", "host", "none", "container:<ID>",
    or a network's name."""
    c = get(container) if isinstance(container, str) else container
    return str((c.attrs.get("HostConfig") or {}).get("NetworkMode", ""))


@dataclass(frozen=True)
class Binding:
    """One published port: a host address and port that lead to a container port.

    Attributes:
        container_port: e.g. "80/tcp".
        host_ip: the host address it listens on ("" or "0.0.0.0": every address).
        host_port: the host port.
    """

    container_port: str
    host_ip: str
    host_port: int


def published(container: Container | str, container_port: str | None = None) -> list[Binding]:
    """The ports Docker published for a container (`Container.ports`, i.e. `docker port`).

    Args:
        container: the container (an object is read as it is).
        container_port: only the bindings of this port, e.g. "80/tcp".

    Taught in: 01-building-images, 03-networking (publishing a port).
    """
    c = get(container) if isinstance(container, str) else container
    found = []
    for port, binds in (c.ports or {}).items():
        if container_port is not None and port != container_port:
            continue
        for b in binds or []:  # None: exposed, not published
            found.append(Binding(port, str(b.get("HostIp") or ""), int(b.get("HostPort") or 0)))
    return found
