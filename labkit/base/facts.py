"""What this engine is: version, builder, storage, firewall and cgroup version, read once.

Taught in: 00-preflight (the doctor's rows come from here). Chapters ask `facts()` instead of
probing the engine themselves, so one engine's habits are never hard-coded in a lesson.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from labkit.base import daemonconfig, engine, settings
from labkit.base.errors import EngineUnavailable, friendly

# `docker info` names this snapshotter type when images live in containerd's store, not in a
# graphdriver (Engine 24+ with "containerd-snapshotter", the default of fresh Engine 29 installs).
CONTAINERD_STORE = "io.containerd.snapshotter.v1"


@dataclass(frozen=True)
class EngineFacts:
    """The facts about the engine that the course depends on (read once per client).

    Attributes:
        server_version, api_version: as `docker version` reports them; major, minor as ints.
        builder: "buildkit" or "classic", what `docker build` uses here.
        builder_version: the daemon's `Builder-Version` answer to `/_ping` ("" when it sends
            none, as Engine 20.10 does by default).
        buildx: whether this machine's docker CLI has the buildx plugin.
        storage: "containerd" (the containerd image store) or the graphdriver ("overlay2").
        storage_driver: the name `docker info` shows: the graphdriver, or the snapshotter
            ("overlayfs") in the containerd store.
        firewall: "iptables-nft", "iptables-legacy", "nftables", ... (engine and iptables).
        firewall_engine: the engine's own `FirewallBackend` ("" on engines before 28).
        iptables_variant: "nft", "legacy" or "" (unknown, or no iptables here).
        cgroup_version: "1" or "2".
        host_mode: "local" (the engine's host is this machine) or "helper" (it is not).
        os, architecture: the engine host's, as `docker info` reports them.
        daemon: the running dockerd's own settings (daemon.json, flags, DOCKER_* variables;
            `labkit.base.daemonconfig`), {} for its defaults, None when they cannot be read.
        raw: the whole `docker info` answer, for the curious.
    """

    server_version: str
    api_version: str
    major: int
    minor: int
    builder: str
    builder_version: str
    buildx: bool
    storage: str
    storage_driver: str
    firewall: str
    firewall_engine: str
    iptables_variant: str
    cgroup_version: str
    host_mode: str
    os: str
    architecture: str
    daemon: dict[str, str] | None = field(default=None, compare=False, hash=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @property
    def local(self) -> bool:
        """True when the engine runs on this machine (host commands run here)."""
        return self.host_mode == "local"

    @property
    def data_root(self) -> str:
        """The engine's data folder (`docker info`'s DockerRootDir)."""
        return str(self.raw.get("DockerRootDir") or "/var/lib/docker")

    @property
    def userland_proxy(self) -> bool:
        """Whether published ports get a docker-proxy (dockerd's `userland-proxy`, on by
        default); assumed on when the daemon's settings cannot be read."""
        return (self.daemon or {}).get("userland-proxy", "true") != "false"

    @property
    def containerd_store(self) -> bool:
        """True when images live in containerd's image store, not in a graphdriver."""
        return self.storage == "containerd"

    @property
    def line(self) -> str:
        """The engine in one line, as each chapter's first cell prints it (00-preflight):
        `Docker 29.7.2 (containerd image store, iptables-nft firewall, cgroup v1)`."""
        store = ("containerd image store" if self.containerd_store
                 else f"{self.storage} graphdriver")
        return (f"Docker {self.server_version} ({store}, {self.firewall} firewall, "
                f"cgroup v{self.cgroup_version})")


_cache: tuple[int, EngineFacts] | None = None


def choose_mode(engine_info: dict[str, Any] | None) -> str:
    """Pick "local" or "helper" for this engine (LABKIT_HOST_MODE overrides).

    Local needs an engine on this machine's own socket, its data root visible here, and root.
    """
    forced = settings.host_mode()
    if forced != "auto":
        return forced
    if engine_info is None:
        return "local"
    docker_host = os.environ.get("DOCKER_HOST", "")
    remote = docker_host and not docker_host.startswith("unix://")
    desktop = "docker desktop" in str(engine_info.get("OperatingSystem", "")).lower()
    root_dir = str(engine_info.get("DockerRootDir", "/var/lib/docker"))
    if remote or desktop or not os.path.isdir(root_dir):
        return "helper"
    return "local"


def facts() -> EngineFacts:
    """The current engine's facts, read once per client (`engine.reset_client()` forgets them).

    Taught in: 00-preflight.

    Raises:
        EngineUnavailable: no engine answers.
    """
    global _cache
    c = engine.client()
    if _cache is None or _cache[0] != engine.generation():
        _cache = (engine.generation(), read(c, engine.system()))
    return _cache[1]


def facts_or_none() -> EngineFacts | None:
    """The engine's facts, or None when no engine answers (00-preflight's doctor)."""
    try:
        return facts()
    except EngineUnavailable:
        return None


def reset() -> None:
    """Forget the cached facts (the engine was started, stopped or reconfigured)."""
    global _cache
    _cache = None


def read(c: Any, system: engine.System) -> EngineFacts:
    """Read the facts from a Docker SDK client and this machine (00-preflight).

    Args:
        c: a Docker SDK client that answers.
        system: this machine (its docker CLI and iptables are asked too).
    """
    with friendly():
        info = c.info()
        version = c.version()
    server = str(version.get("Version", "?"))
    major, minor = major_minor(server)
    builder_version = _builder_version(c)
    buildx = system.run(["docker", "buildx", "version"]).returncode == 0
    storage, driver = storage_of(info)
    mode = choose_mode(info)
    # The iptables binary that matters is the one beside dockerd; only known when that is here.
    variant = iptables_variant(system) if mode == "local" else ""
    fw_engine = str((info.get("FirewallBackend") or {}).get("Driver", ""))
    return EngineFacts(
        server_version=server, api_version=str(c.api.api_version), major=major, minor=minor,
        builder=builder_of(builder_version, buildx, os.environ.get("DOCKER_BUILDKIT")),
        builder_version=builder_version, buildx=buildx,
        storage=storage, storage_driver=driver,
        firewall=firewall_of(fw_engine, variant), firewall_engine=fw_engine,
        iptables_variant=variant,
        cgroup_version=str(info.get("CgroupVersion") or "1"), host_mode=mode,
        os=str(info.get("OperatingSystem", "?")), architecture=str(info.get("Architecture", "?")),
        daemon=daemonconfig.read(system) if mode == "local" else None,
        raw=info,
    )


def major_minor(version: str) -> tuple[int, int]:
    """(20, 10) from "20.10.24+dfsg1"; (0, 0) when it cannot be read."""
    parts = version.split(".")
    try:
        return int(parts[0]), int("".join(ch for ch in parts[1] if ch.isdigit()) or 0)
    except (ValueError, IndexError):
        return 0, 0


def builder_of(builder_version: str, buildx: bool, env: str | None = None) -> str:
    """Which builder a plain `docker build` uses: "buildkit" or "classic" (00-preflight).

    Every engine the course supports has BuildKit built in; what differs is the default.
    From Engine 23 the daemon names it (`Builder-Version: 2`) and the CLI runs it through its
    buildx plugin; without buildx, the CLI falls back to the classic builder. Engine 20.10
    sends no Builder-Version by default, and its CLI then builds classic unless
    DOCKER_BUILDKIT=1 (that CLI has a BuildKit client of its own, no buildx needed; labkit
    does not use it). DOCKER_BUILDKIT=0 asks any CLI for the classic builder.
    """
    if env is not None and env.strip().lower() in {"0", "false", "no", "off"}:
        return "classic"
    return "buildkit" if builder_version == "2" and buildx else "classic"


def storage_of(info: dict[str, Any]) -> tuple[str, str]:
    """("containerd" or the graphdriver, the driver name `docker info` shows) (00-preflight)."""
    driver = str(info.get("Driver") or "?")
    status = {str(row[0]): str(row[1]) for row in info.get("DriverStatus") or []
              if isinstance(row, list | tuple) and len(row) == 2}
    if status.get("driver-type") == CONTAINERD_STORE:
        return "containerd", driver
    return driver, driver


def iptables_variant(system: engine.System) -> str:
    """"nft" or "legacy": which kernel interface this machine's iptables drives ("" if none)."""
    path = system.which("iptables")
    if path is None:
        return ""
    out = system.run([path, "--version"]).stdout
    if "nf_tables" in out:
        return "nft"
    # iptables before 1.8 prints no variant: it only knew the legacy interface.
    return "legacy" if out.strip() else ""


def firewall_of(engine_backend: str, variant: str) -> str:
    """One word for the firewall: the engine's backend and the iptables variant (00-preflight).

    Engines from 28 report their backend ("iptables", "iptables+firewalld", "nftables");
    older ones always drive iptables.
    """
    if engine_backend == "nftables":
        return "nftables"
    name = f"iptables-{variant}" if variant else "iptables"
    return name + ("+firewalld" if "firewalld" in engine_backend else "")


def _builder_version(c: Any) -> str:
    # The SDK's ping() keeps only the body ("OK"); the builder is in a header of the same answer.
    try:
        response = c.api.get(f"{c.api.base_url}/_ping", timeout=10)
        return str(response.headers.get("Builder-Version", ""))
    except Exception:  # noqa: BLE001 - an engine that answers info() but not this: no BuildKit
        return ""
