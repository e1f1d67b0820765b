"""One fake machine for engine, facts and doctor tests: commands, programs, paths, an engine.

`FakeMachine.system()` is the `labkit.base.engine.System` the code under test acts on; the
`machine` fixture installs it with `engine.use_system()` and puts the real one back after.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from labkit.base import engine, provision

DEBIAN = "PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nID=debian\n"


@dataclass
class FakeClient:
    """A Docker SDK client that answers from dicts."""

    info_answer: dict[str, Any]
    server_version: str = "28.5.2"
    api_version: str = "1.51"
    ping_headers: dict[str, str] = field(default_factory=lambda: {"Builder-Version": "2"})

    def __post_init__(self) -> None:
        self.api = SimpleNamespace(api_version=self.api_version, base_url="http+docker://localhost",
                                   get=self._get)

    def ping(self) -> bool:
        return True

    def info(self) -> dict[str, Any]:
        return self.info_answer

    def version(self) -> dict[str, Any]:
        return {"Version": self.server_version, "ApiVersion": self.api_version}

    def close(self) -> None:
        pass

    def _get(self, url: str, timeout: float = 0) -> SimpleNamespace:
        assert url.endswith("/_ping")
        return SimpleNamespace(headers=self.ping_headers)


def info(**extra: Any) -> dict[str, Any]:
    """A `docker info` answer of a local Debian engine with overlay2 and cgroup v2."""
    return {"Driver": "overlay2", "DriverStatus": [["Backing Filesystem", "extfs"]],
            "CgroupVersion": "2", "OperatingSystem": "Debian GNU/Linux 13 (trixie)",
            "Architecture": "x86_64", "DockerRootDir": "/", **extra}


@dataclass
class FakeMachine:
    """This machine, faked: which programs exist, what dpkg and apt know, which engine answers.

    Attributes:
        tools: program -> path for the programs present.
        installed: Debian packages dpkg reports as installed.
        candidates: package -> version apt could install (others: "(none)").
        brings: package -> programs that installing it makes present.
        engine: the client that answers, or None (no engine).
        starts: the client that answers once dockerd is started (systemctl or spawned).
        paths: paths that exist (e.g. "/run/systemd/system").
        buildx: whether `docker buildx version` succeeds.
        iptables: what `iptables --version` prints.
    """

    tools: dict[str, str] = field(default_factory=dict)
    installed: set[str] = field(default_factory=set)
    candidates: dict[str, str] = field(default_factory=dict)
    brings: dict[str, list[str]] = field(default_factory=dict)
    engine: FakeClient | None = None
    starts: FakeClient | None = None
    paths: set[str] = field(default_factory=set)
    buildx: bool = True
    iptables: str = "iptables v1.8.11 (nf_tables)\n"
    root: bool = True
    os_name: str = "Linux"
    os_release: str = DEBIAN
    calls: list[list[str]] = field(default_factory=list)
    spawned: list[list[str]] = field(default_factory=list)

    def with_tools(self, *names: str, missing: Sequence[str] = ()) -> FakeMachine:
        """Make these programs present (apt-get and all of labkit's TOOLS when none are named)."""
        for name in names or ["apt-get", *provision.TOOLS]:
            if name not in missing:
                self.tools[name] = f"/usr/bin/{name}"
        return self

    @property
    def apt_get(self) -> list[list[str]]:
        """Every apt-get command line run, in order."""
        return [c for c in self.calls if c[0] == "apt-get"]

    def run(self, argv: Sequence[str], env: Mapping[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
        argv = list(argv)
        self.calls.append(argv)
        name = Path(argv[0]).name
        out, code = "", 0
        if name == "dpkg-query":
            out = "".join(f"{p}\tinstall ok installed\n" for p in argv[3:] if p in self.installed)
            code = 0 if all(p in self.installed for p in argv[3:]) else 1
        elif name == "apt-cache":
            out = f"{argv[2]}:\n  Installed: (none)\n  Candidate: " \
                  f"{self.candidates.get(argv[2], '(none)')}\n"
        elif name == "apt-get" and argv[1] == "install":
            assert env is not None and env["DEBIAN_FRONTEND"] == "noninteractive"
            package = argv[-1]
            self.installed.add(package)
            for tool in self.brings.get(package, []):
                self.tools[tool] = f"/usr/bin/{tool}"
        elif name == "docker":
            code = 0 if self.buildx and "docker" in self.tools else 127
        elif name == "iptables":
            out = self.iptables
        elif name == "systemctl" and argv[1] == "start":
            code = 0 if self.starts is not None else 5  # 5: no such unit
            self.engine = self.engine or self.starts
        return subprocess.CompletedProcess(argv, code, out, "")

    def _docker(self) -> FakeClient:
        if self.engine is None:
            raise ConnectionRefusedError("no engine")
        return self.engine

    def _spawn(self, argv: list[str], log: Path) -> SimpleNamespace:
        self.spawned.append(argv)
        self.engine = self.engine or self.starts
        return SimpleNamespace(pid=4242, poll=lambda: None)

    def system(self) -> engine.System:
        """The labkit System that acts on this fake machine."""
        return engine.System(
            run=self.run, which=self.tools.get, exists=lambda p: p in self.paths,
            read_text=lambda p: self.os_release if p == "/etc/os-release" else "",
            docker=self._docker, spawn=self._spawn, is_root=lambda: self.root,
            system=lambda: self.os_name)


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeMachine]:
    """A fake machine with no engine and no tools; tests fill it in before acting."""
    monkeypatch.setenv("LABKIT_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("DOCKER_BUILDKIT", raising=False)
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("LABKIT_HOST_MODE", raising=False)
    fake = FakeMachine()
    previous = engine.use_system(fake.system())
    yield fake
    engine.use_system(previous)
