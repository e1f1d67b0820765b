"""`engine.system()` and `settings.is_root()` faked: this machine's apt, dpkg, which, systemctl
and dockerd, and the engine that answers once it is started."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from labkit.base import engine, settings
from labkit.cli import provision

from .client import FakeClient

DEBIAN = "PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nID=debian\n"


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
        root: whether we are root (`system().is_root()` and `settings.is_root()` both say so).
        files: path -> text that `read_text` gives (besides /etc/os-release).
        unit_state: what `systemctl is-enabled docker.service` prints.
        docker_says: argv prefix -> (exit code, output) of a `docker` command (with buildx
            and the docker program present; every other `docker` command prints nothing).
    """

    tools: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    installed: set[str] = field(default_factory=set)
    candidates: dict[str, str] = field(default_factory=dict)
    brings: dict[str, list[str]] = field(default_factory=dict)
    engine: FakeClient | None = None
    starts: FakeClient | None = None
    paths: set[str] = field(default_factory=set)
    buildx: bool = True
    iptables: str = "iptables v1.8.11 (nf_tables)\n"
    os_name: str = "Linux"
    os_release: str = DEBIAN
    calls: list[list[str]] = field(default_factory=list)
    spawned: list[list[str]] = field(default_factory=list)
    docker_says: dict[tuple[str, ...], tuple[int, str]] = field(default_factory=dict)
    unit_state: str = "enabled"

    @property
    def root(self) -> bool:
        return settings.is_root()

    @root.setter
    def root(self, value: bool) -> None:
        # The fixture's use_fakes puts the previous answer back after the test.
        settings.use_root(value)

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
            said = [k for k in self.docker_says if tuple(argv[: len(k)]) == k]
            if said and code == 0:
                code, out = self.docker_says[max(said, key=len)]
        elif name == "iptables":
            out = self.iptables
        elif name == "systemctl" and argv[1] == "is-enabled":
            out = self.unit_state + "\n"
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
            read_text=lambda p: self.os_release if p == "/etc/os-release"
            else self.files.get(p, ""),
            docker=self._docker, spawn=self._spawn, is_root=settings.is_root,
            system=lambda: self.os_name)
