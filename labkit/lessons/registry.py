"""A local image registry for a lesson: the course's labkit/registry:2 image, on 127.0.0.1 only.

Taught in: 01-building-images (multi-platform manifests), 02-overlayfs-and-image-storage
(layers on the wire). It starts with the lesson and goes with `lab.cleanup()`.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from labkit.base.errors import LabkitError
from labkit.lab.session import LOOPBACK, Lab

FIRST_PORT = 5000


@dataclass(frozen=True)
class LocalRegistry:
    """A running registry container.

    Attributes:
        container: the container's name.
        address: host:port to put in front of image names, e.g. "127.0.0.1:5000".
    """

    container: str
    address: str

    def ref(self, name: str) -> str:
        """The full reference of an image in this registry, e.g. 127.0.0.1:5000/busybox:1."""
        return f"{self.address}/{name}"

    def api(self, path: str, accept: str | None = None) -> Any:
        """GET a registry API path (e.g. "/v2/_catalog") and return its JSON."""
        req = urllib.request.Request(f"http://{self.address}{path}")
        if accept:
            req.add_header("Accept", accept)
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback only
            return json.loads(resp.read())

    def catalog(self) -> list[str]:
        """The repositories the registry holds."""
        return list(self.api("/v2/_catalog").get("repositories", []))


def free_port(first: int = FIRST_PORT, last: int = FIRST_PORT + 99) -> int:
    """The first TCP port from `first` that nothing on 127.0.0.1 listens on."""
    for port in range(first, last + 1):
        with socket.socket() as s:
            try:
                s.bind((LOOPBACK, port))
            except OSError:
                continue
            return port
    raise LabkitError(f"No free port between {first} and {last} on 127.0.0.1.",
                      "stop something that listens there, then run the cell again")


def start_registry(lab: Lab, name: str = "registry") -> LocalRegistry:
    """Start the course's labkit/registry:2 image with its port published on 127.0.0.1.

    The engine trusts plain HTTP for registries on 127.0.0.0/8, so no daemon setting changes.

    Returns:
        The registry, once its API answers.
    """
    port = free_port()
    container = lab.run("labkit/registry:2", name=name, ports={"5000/tcp": (LOOPBACK, port)})
    registry = LocalRegistry(container.name, f"{LOOPBACK}:{port}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            registry.api("/v2/")
            return registry
        except (urllib.error.URLError, ConnectionError, json.JSONDecodeError):
            time.sleep(0.2)
    raise LabkitError("The local registry did not answer within 30 s.",
                      f"look at `docker logs {container.name}`")
