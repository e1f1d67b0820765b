"""A local image registry for a lesson: the course's labkit/registry:2 image, on 127.0.0.1 only.

Taught in: 01-building-images (multi-platform manifests), 02-overlayfs-and-image-storage
(layers on the wire). It starts with the lesson and goes with `lab.cleanup()`.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import Any

from labkit.base import http
from labkit.base.errors import LabkitError
from labkit.base.http import LOOPBACK
from labkit.base.i18n import _
from labkit.base.refs import Ref
from labkit.base.wait import wait_for
from labkit.lab.session import Lab

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

    def get(self, path: str, accept: str | None = None, timeout: float = 10) -> http.Response:
        """GET a registry API path (e.g. "/v2/_catalog"); only a 2xx answer comes back.

        Raises:
            BadStatus: the registry answered with another status ("HTTP Error 404: ...").
            NoAnswer: the registry does not answer.
        """
        headers = {"Accept": accept} if accept else None
        answer = http.get(f"http://{self.address}{path}", headers=headers, timeout=timeout)
        return answer.raise_for_status()

    def api(self, path: str, accept: str | None = None) -> Any:
        """GET a registry API path (e.g. "/v2/_catalog") and return its JSON."""
        return self.get(path, accept).json()

    def manifest(self, ref: str, accept: str) -> Any:
        """The manifest (or manifest list) REF names in this registry, as JSON (01, 02).

        Args:
            ref: the image, with or without this registry's address ("tinybox:multi").
            accept: the media types asked for (the Accept header).
        """
        parsed = Ref.parse(ref).or_latest()
        return self.api(f"/v2/{parsed.repository}/manifests/{parsed.digest or parsed.tag}", accept)

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
    raise LabkitError(
        _("No free port between {first} and {last} on 127.0.0.1.").format(first=first, last=last),
        _("stop something that listens there, then run the cell again"),
    )


def start_registry(lab: Lab, name: str = "registry") -> LocalRegistry:
    """Start the course's labkit/registry:2 image with its port published on 127.0.0.1.

    The engine trusts plain HTTP for registries on 127.0.0.0/8, so no daemon setting changes.

    Returns:
        The registry, once its API answers.
    """
    port = free_port()
    container = lab.run("labkit/registry:2", name=name, flags=["-p", f"{LOOPBACK}:{port}:5000"])
    registry = LocalRegistry(container.name, f"{LOOPBACK}:{port}")

    def answers() -> bool:
        registry.api("/v2/")
        return True

    wait_for("the local registry to answer", answers, timeout=30, interval=0.2,
             retry_on=(http.NoAnswer, http.BadStatus, json.JSONDecodeError),
             message="The local registry did not answer within 30 s.",
             hint=f"look at `docker logs {container.name}`")
    return registry
