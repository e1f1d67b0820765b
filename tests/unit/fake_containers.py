"""Containers for unit tests: the SDK's own `Container` model over a made-up inspect answer.

Code under test reads them exactly as it reads a real one (`.name`, `.labels`, `.status`,
`.ports`, `.attrs`), so the SDK's properties are exercised too. `reload()` keeps the answer
(there is no engine) and counts the calls. `FakeEngine` is the `client()` that
`labkit.base.containers` asks for a container by name.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import docker.errors
import pytest
from docker.models.containers import Container

from labkit.base import containers


def inspect_answer(name: str, *, pid: int = 4242, running: bool = True, status: str = "",
                   exit_code: int = 0, networks: dict[str, dict[str, Any]] | None = None,
                   ports: dict[str, Any] | None = None, mode: str = "default",
                   labels: dict[str, str] | None = None, links: list[str] | None = None,
                   ) -> dict[str, Any]:
    """The parts of `docker inspect NAME` that labkit reads, shaped as the engine answers."""
    return {
        "Id": f"id-{name}", "Name": f"/{name}", "Created": "2024-01-01T00:00:00Z",
        "State": {"Status": status or ("running" if running else "exited"),
                  "Running": running, "Pid": pid if running else 0, "ExitCode": exit_code},
        "Config": {"Labels": dict(labels or {})},
        "HostConfig": {"NetworkMode": mode, "Links": links},
        "NetworkSettings": {"Networks": networks or {}, "Ports": ports or {}},
    }


class FakeContainer(Container):
    """A real SDK Container over `inspect_answer(name, **facts)`, with no engine behind it."""

    def __init__(self, name: str = "c1", **facts: Any) -> None:
        super().__init__(attrs=inspect_answer(name, **facts))
        self.reloads = 0

    def reload(self) -> None:
        self.reloads += 1


class FakeEngine:
    """Just enough of a Docker client for `containers.get(name)`: by name or ID."""

    def __init__(self, *found: Container) -> None:
        self.found = {c.name: c for c in found}
        self.containers = SimpleNamespace(get=self.get)

    def get(self, key: str) -> Container:
        for c in self.found.values():
            if key in (c.name, c.id):
                return c
        raise docker.errors.NotFound(f"No such container: {key}")


def use_engine(monkeypatch: pytest.MonkeyPatch, *found: Container) -> FakeEngine:
    """Make `labkit.base.containers` find these containers (and no others)."""
    engine = FakeEngine(*found)
    monkeypatch.setattr(containers, "client", lambda: engine)
    return engine
