"""Which cgroup and time namespaces a container gets: Docker's defaults on this host and engine.

Taught in: 04-namespaces, section 2 (the cgroup and time columns of the sharing matrix). The
cgroup namespace depends on the host's cgroup version, the time namespace on the engine's
release and settings; both are read live, each with the command that reads it shown first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from labkit.base.facts import facts
from labkit.base.show import docker, sh
from labkit.namespaces.procns import container_pid, host_process


@dataclass(frozen=True)
class CgroupSetup:
    """Which cgroup version this host runs, and the cgroup namespace a container got.

    Attributes:
        fstype: what is mounted on /sys/fs/cgroup ("cgroup2fs" on v2, "tmpfs" on v1).
        container: the container asked about.
        mode: its `HostConfig.CgroupnsMode`: "host" or "private".
    """

    fstype: str
    container: str
    mode: str

    @property
    def version(self) -> str:
        """ "2" when /sys/fs/cgroup is the unified cgroup2 file system, else "1"."""
        return "2" if self.fstype == "cgroup2fs" else "1"

    @property
    def label(self) -> str:
        """The heatmap's cgroup column label, e.g. "cgroup (v1: host's)"."""
        whose = "own" if self.mode == "private" else "host's"
        return f"cgroup\n(v{self.version}: {whose})"

    def __str__(self) -> str:
        default = "private" if self.version == "2" else "host"
        why = (WHY_PRIVATE_ON_V2 if self.version == "2" else WHY_HOST_ON_V1)
        where = ("has a cgroup namespace of its own" if self.mode == "private"
                 else "stays in the host's cgroup namespace")
        return (f"cgroup v{self.version} (/sys/fs/cgroup is {self.fstype}): Docker's default "
                f"here is --cgroupns {default} ({why}), and {self.container} runs with "
                f"{self.mode}, so it {where}.")


# Engine 20.10 added --cgroupns; moby's daemon/config/config_linux.go keeps "host" as the
# default on cgroup v1 (DefaultCgroupV1NamespaceMode) and makes "private" the one on v2.
WHY_HOST_ON_V1 = ("kept on cgroup v1 for compatibility: before Engine 20.10 every container "
                  "shared the host's cgroup namespace")
WHY_PRIVATE_ON_V2 = ("on cgroup v2 a container sees its own cgroup as the root of "
                     "/sys/fs/cgroup")


def cgroup_setup(container: Any) -> CgroupSetup:
    """Run `stat -f -c %T /sys/fs/cgroup` and `docker inspect -f '{{.HostConfig.CgroupnsMode}}'
    NAME`, each shown with its output, and say what they mean.

    On cgroup v2 Docker gives each container a private cgroup namespace by default; on v1 it
    leaves it in the host's, for compatibility with engines before 20.10, which had no
    `--cgroupns`. Taught in: 04-namespaces, section 2.
    """
    fstype = sh(["stat", "-f", "-c", "%T", "/sys/fs/cgroup"]).stdout.strip()
    mode = docker(["inspect", "-f", "{{.HostConfig.CgroupnsMode}}", container.name]
                  ).stdout.strip()
    if mode not in {"host", "private"}:
        # An engine that leaves the field empty: compare the two links instead (shown).
        links = sh(["readlink", f"/proc/{container_pid(container)}/ns/cgroup",
                    f"/proc/{host_process().pid}/ns/cgroup"]).stdout.split()
        mode = "host" if len(links) == 2 and links[0] == links[1] else "private"
    return CgroupSetup(fstype, container.name, mode)


# Docker 29.5 gives every container a time namespace of its own (moby#52326, the "time"
# namespace in daemon/pkg/oci/defaults.go); the daemon's feature "time-namespaces" set to false
# takes it away again (moby#52577, daemon/daemon_unix.go getSysInfo).
OWN_TIME_SINCE = (29, 5)
TIME_FEATURE = "time-namespaces"


def time_feature_off(daemon: Mapping[str, str] | None) -> bool | None:
    """Whether dockerd runs with `--feature time-namespaces=false` (or that in daemon.json).

    Args:
        daemon: the daemon's own settings (`facts().daemon`), None when they cannot be read.

    Returns:
        True or False, or None when the settings cannot be read here.
    """
    if daemon is None:
        return None
    flags = [daemon.get(f"features.{TIME_FEATURE}", "")]
    for item in daemon.get("feature", "").split(","):
        name, _ignored, value = item.partition("=")
        if name.strip() == TIME_FEATURE:
            flags.append(value.strip() or "true")
    return any(v.lower() == "false" for v in flags)


@dataclass(frozen=True)
class TimeSetup:
    """Whether a container got a time namespace of its own, read from /proc, and why.

    Attributes:
        version: the engine's version (`docker version`), major and minor as ints.
        container: the container asked about.
        private: whether its PID 1's /proc/PID/ns/time differs from the host's.
        feature_off: whether dockerd runs with the feature `time-namespaces` off (None: its
            settings cannot be read here).
    """

    version: str
    major: int
    minor: int
    container: str
    private: bool
    feature_off: bool | None = None

    @property
    def by_default(self) -> bool:
        """Whether this engine gives containers their own time namespace by default (29.5+)."""
        return (self.major, self.minor) >= OWN_TIME_SINCE

    @property
    def expected(self) -> bool | None:
        """Whether the container should have its own, from the engine's version and settings
        (None: Docker 29.5 or later whose settings cannot be read)."""
        if not self.by_default:
            return False
        return None if self.feature_off is None else not self.feature_off

    @property
    def label(self) -> str:
        """The heatmap's time column label, e.g. "time\n(29.7: own)"."""
        whose = "own" if self.private else "host's"
        return f"time\n({self.major}.{self.minor}: {whose})"

    def __str__(self) -> str:
        engine = f"Docker {self.version}"
        off = "`dockerd --feature time-namespaces=false` turns it off"
        if self.by_default and self.private:
            return (f"{engine} gives each container a time namespace of its own, as Docker 29.5 "
                    f"and later do ({off}): {self.container}'s /proc/PID/ns/time is not the "
                    f"host's.")
        if self.by_default:
            why = {True: "this dockerd runs with the feature switched off",
                   None: "this dockerd must run with the feature switched off",
                   False: "yet this dockerd does not switch the feature off"}
            return (f"{engine} would give each container a time namespace of its own, as Docker "
                    f"29.5 and later do, but {self.container} shares the host's: "
                    f"{why[self.feature_off]} (`--feature time-namespaces=false`, or \"features\": "
                    f"{{\"time-namespaces\": false}} in daemon.json).")
        if not self.private:
            return (f"{engine} leaves every container in the host's time namespace, as every "
                    f"engine before Docker 29.5 does ({self.container}'s /proc/PID/ns/time is "
                    f"the host's); from 29.5 each container gets its own, unless {off}.")
        return (f"{self.container} has a time namespace of its own, although {engine}, like "
                f"every engine before Docker 29.5, gives containers none: something else made it.")


def time_setup(container: Any) -> TimeSetup:
    """Run `readlink` of the container's /proc/PID/ns/time and the host's (shown, with its
    output), and say why they are equal or not (04-namespaces, section 2).

    Docker 29.5 and later give each container a private time namespace (unless dockerd runs
    with `--feature time-namespaces=false`); older engines leave it in the host's.
    """
    f = facts()
    pid, host_pid = container_pid(container), host_process().pid
    argv = ["readlink", f"/proc/{pid}/ns/time", f"/proc/{host_pid}/ns/time"]
    out = sh(argv).stdout
    mine, hosts = (out.split() + ["?", "?"])[:2]
    return TimeSetup(f.server_version, f.major, f.minor, container.name, mine != hosts,
                     time_feature_off(getattr(f, "daemon", None)))
