"""`engine.system()` whose `docker` program acts on a FakeClient, for code that runs the docker
CLI line it prints (Lab.run, network, volume, tag; labkit.docker): `docker run -d` adds a
container the fake engine then finds by the ID it printed, `network create` a network."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from labkit.base import engine

from .client import FakeClient, FakeContainer

Answer = tuple[int, str, str]


class CliEngine:
    """The docker CLI against a fake engine. `calls` holds every argv (and env) it ran;
    `answers` maps an argv prefix to (code, stdout, stderr) for other commands."""

    def __init__(self, client: FakeClient) -> None:
        self.client = client
        self.calls: list[tuple[list[str], Mapping[str, str] | None]] = []
        self.answers: dict[tuple[str, ...], Answer | Callable[[list[str]], Answer]] = {}

    def run(self, argv: Sequence[str], env: Mapping[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
        argv = [str(a) for a in argv]
        self.calls.append((argv, env))
        code, out, err = self._answer(argv)
        return subprocess.CompletedProcess(argv, code, out, err)

    def _answer(self, argv: list[str]) -> Answer:
        best = max((k for k in self.answers if tuple(argv[: len(k)]) == k), key=len, default=None)
        if best is not None:
            answer = self.answers[best]
            return answer(argv) if callable(answer) else answer
        if argv[:2] == ["docker", "run"] and "-d" in argv:
            name = argv[argv.index("--name") + 1] if "--name" in argv else f"made{len(self.calls)}"
            box = FakeContainer(name, labels=_labels(argv))
            self.client.containers.found[name] = box
            return 0, box.id + "\n", ""
        if argv[:3] == ["docker", "network", "create"]:
            made = self.client.networks.create(argv[-1], labels=_labels(argv))
            return 0, made.id + "\n", ""
        if argv[:3] == ["docker", "volume", "create"]:
            self.client.volumes.create(argv[-1], labels=_labels(argv))
            return 0, argv[-1] + "\n", ""
        if argv[:2] == ["docker", "tag"]:
            return 0, "", ""
        return 127, "", f"fake docker: no answer for {argv}"

    def system(self) -> engine.System:
        """An engine.System whose `docker` is this fake and whose other doors fail loudly."""
        return engine.System(run=self.run, which=lambda name: f"/usr/bin/{name}",
                             docker=lambda: self.client)


def _labels(argv: list[str]) -> dict[str, Any]:
    pairs = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--label"]
    return dict(p.split("=", 1) for p in pairs)
