"""Reach the Docker Engine; on Debian/Ubuntu as root, install and start one.

Taught in: 00-preflight (`labkit engine up`, `labkit engine down`).
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker

from . import daemon, settings
from .errors import ENGINE_HINT, EngineUnavailable, LabkitError, NotRoot

Progress = Callable[[str], None]

# Debian package -> the commands the course uses from it.
HOST_PACKAGES: dict[str, tuple[str, ...]] = {
    "docker.io": ("dockerd", "docker"),
    "iproute2": ("ip", "bridge"),
    "iptables": ("iptables", "iptables-save"),
    "bridge-utils": ("brctl",),
    "util-linux": ("nsenter", "unshare", "lsns", "mount"),
    "debootstrap": ("debootstrap",),
    "busybox-static": ("busybox",),
    "docker-registry": ("docker-registry",),
}

SOCKET = "/var/run/docker.sock"
PIDFILE = Path("/var/run/docker.pid")
MANAGED_CONTAINERD_PIDFILE = Path("/var/run/docker/containerd/containerd.pid")

_client: docker.DockerClient | None = None


def client() -> docker.DockerClient:
    """A Docker SDK client for the current engine; the API version is negotiated.

    Raises:
        EngineUnavailable: no engine answers.
    """
    global _client
    if _client is not None:
        return _client
    try:
        c = docker.from_env(version="auto", timeout=120)
        c.ping()
    except Exception as exc:  # noqa: BLE001 - every failure here means "no engine"
        raise EngineUnavailable("No Docker Engine answers.", ENGINE_HINT) from exc
    _client = c
    return c


def reset_client() -> None:
    """Forget the cached client (after the engine was started or stopped)."""
    global _client
    if _client is not None:
        try:
            _client.close()
        except Exception:  # noqa: BLE001, S110 - closing a dead client may fail
            pass
    _client = None


def reachable() -> bool:
    """True when an engine answers a ping."""
    try:
        client()
        return True
    except EngineUnavailable:
        return False


def engine_info_or_none() -> dict[str, Any] | None:
    """`docker info` as a dict, or None when no engine answers."""
    try:
        return client().info()
    except EngineUnavailable:
        return None


@dataclass(frozen=True)
class EngineSummary:
    """The facts about the engine that the course depends on."""

    server_version: str
    api_version: str
    storage_driver: str
    cgroup_version: str
    os: str
    architecture: str

    @property
    def major(self) -> int:
        """The engine's major version (20, 24, 25, ...)."""
        try:
            return int(self.server_version.split(".")[0])
        except ValueError:
            return 0


def summary() -> EngineSummary:
    """Read the engine's version, storage driver and cgroup version."""
    c = client()
    info = c.info()
    version = c.version()
    return EngineSummary(
        server_version=str(version.get("Version", "?")),
        api_version=str(c.api.api_version),
        storage_driver=str(info.get("Driver", "?")),
        cgroup_version=str(info.get("CgroupVersion", "1")),
        os=str(info.get("OperatingSystem", "?")),
        architecture=str(info.get("Architecture", "?")),
    )


def _record_path() -> Path:
    return settings.state_dir() / "dockerd.json"


def _debian_like() -> bool:
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return False
    return any(word in text for word in ("ID=debian", "ID=ubuntu", "ID_LIKE=debian",
                                         'ID_LIKE="debian', "ID_LIKE=ubuntu"))


def missing_packages() -> list[str]:
    """Debian packages of the course's host tools that are not installed."""
    missing = []
    for package in HOST_PACKAGES:
        proc = subprocess.run(  # noqa: S603
            ["dpkg-query", "-W", "-f=${Status}", package],
            capture_output=True, text=True, check=False,
        )
        if "install ok installed" not in proc.stdout:
            missing.append(package)
    return missing


def install_packages(packages: list[str], progress: Progress) -> None:
    """Install Debian packages with the machine's own apt configuration."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    progress(f"installing {' '.join(packages)} with apt-get (this machine's apt sources)")
    for argv in (["apt-get", "update", "-q"],
                 ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]):
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if proc.returncode != 0:
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
            raise LabkitError(f"`{' '.join(argv)}` failed:\n{tail}",
                              "check this machine's apt sources and network, then try again")
    if "docker-registry" in packages and Path("/run/systemd/system").is_dir():
        # The package enables a registry on every interface; the course runs its own on 127.0.0.1.
        subprocess.run(["systemctl", "disable", "--now", "docker-registry.service"],  # noqa: S603
                       capture_output=True, check=False)


def _check_can_install() -> None:
    if platform.system() != "Linux":
        raise EngineUnavailable(
            "No Docker Engine answers, and labkit starts one only on Linux.",
            "start Docker Desktop (it provides the engine), then run `labkit doctor`",
        )
    if not settings.is_root():
        raise NotRoot("No Docker Engine answers; installing and starting one needs root.",
                      "run `sudo labkit engine up`, or start your own engine")
    if not _debian_like() or shutil.which("apt-get") is None:
        raise EngineUnavailable(
            "No Docker Engine answers, and labkit installs one only on Debian or Ubuntu.",
            "install Docker Engine for your distribution, start it, then run `labkit doctor`",
        )


def _clear_killed_daemon(progress: Progress) -> None:
    """Remove what a killed dockerd leaves behind, so a new one starts."""
    if any(daemon.is_dockerd(int(p)) for p in os.listdir("/proc") if p.isdigit()):
        return
    daemon.remove_stale_pidfile(PIDFILE, progress)
    daemon.remove_stale_pidfile(MANAGED_CONTAINERD_PIDFILE, progress)


def up(progress: Progress = print, *, timeout: float = 90) -> str:
    """Make sure an engine answers: use a running one, or install and start dockerd.

    Returns:
        A sentence saying what was done.

    Raises:
        EngineUnavailable, NotRoot: it cannot be done on this machine.
    """
    if reachable():
        tools = missing_packages() if settings.is_root() and _debian_like() else []
        if tools:
            install_packages(tools, progress)
        return f"A Docker Engine already answers ({summary().server_version}); using it as it is."
    _check_can_install()
    missing = missing_packages()
    if missing:
        install_packages(missing, progress)
    reset_client()
    if Path("/run/systemd/system").is_dir():
        progress("starting docker.service with systemctl")
        subprocess.run(["systemctl", "start", "docker.service"], check=False)  # noqa: S603
        daemon.wait_until_answers(reachable, timeout=timeout)
        daemon.DaemonRecord(0, SOCKET, "systemd", "journalctl -u docker").save(_record_path())
        return "Started docker.service."
    _clear_killed_daemon(progress)
    log = settings.state_dir() / "dockerd.log"
    progress(f"starting dockerd (log: {log})")
    proc = daemon.spawn(["dockerd"], log)
    daemon.wait_until_answers(_answers_fresh, timeout=timeout, proc=proc, log=log)
    daemon.DaemonRecord(proc.pid, SOCKET, "labkit", str(log)).save(_record_path())
    return f"Started dockerd (pid {proc.pid}); `labkit engine down` stops it."


def _answers_fresh() -> bool:
    reset_client()
    return reachable()


def down(progress: Progress = print) -> str:
    """Stop the dockerd that `labkit engine up` started, and only that one.

    Returns:
        A sentence saying what was done.
    """
    record = daemon.DaemonRecord.load(_record_path())
    if record is None:
        return "labkit did not start the running engine (if any); leaving it alone."
    reset_client()
    if record.started_by == "systemd":
        subprocess.run(["systemctl", "stop", "docker.service", "docker.socket"],  # noqa: S603
                       check=False)
    elif daemon.is_dockerd(record.pid):
        progress(f"stopping dockerd (pid {record.pid})")
        daemon.terminate(record.pid, timeout=30)
    _record_path().unlink(missing_ok=True)
    return "Stopped the engine that labkit started."
