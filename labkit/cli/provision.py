"""Install the host tools from apt, and start and stop the engine labkit manages.

Taught in: 00-preflight (`labkit engine up`, `labkit engine down`).

`labkit engine up` never installs an engine beside one that is already there (Docker CE,
moby-engine, Debian's docker.io, static binaries): it starts that one and installs only the
host tools that are missing, each found by its program, not by a package name.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from labkit.base import daemon, settings
from labkit.base.engine import find_tool, reachable, reset_client, system
from labkit.base.errors import EngineUnavailable, LabkitError, NotRoot
from labkit.base.facts import facts
from labkit.base.fmt import Progress
from labkit.base.i18n import _

_apt_updated_for: object | None = None  # `apt-get update` once per process (per System)


# Host tool -> the Debian packages that ship it, in the order to try. Where releases differ,
# every candidate is listed: the first one this machine's apt can install and that brings the
# tool wins (Debian 13 moved the docker CLI out of docker.io into docker-cli).
TOOLS: dict[str, tuple[str, ...]] = {
    "dockerd": ("docker.io",),
    "docker": ("docker-cli", "docker.io"),
    "kill": ("procps",),
    "ps": ("procps",),
    "ip": ("iproute2",),
    "bridge": ("iproute2",),
    "iptables": ("iptables",),
    "iptables-save": ("iptables",),
    "brctl": ("bridge-utils",),
    "nsenter": ("util-linux", "util-linux-extra"),
    "unshare": ("util-linux", "util-linux-extra"),
    "lsns": ("util-linux", "util-linux-extra"),
    "mount": ("mount",),
    "debootstrap": ("debootstrap",),
    "busybox": ("busybox-static",),
    "docker-registry": ("docker-registry",),
}


ENGINE_TOOLS = ("dockerd", "docker")


# Any of these installed means "an engine is here": installing docker.io beside them breaks it.
ENGINE_PACKAGES = ("docker-ce", "docker.io", "moby-engine", "containerd.io")


ENGINE_DIRS = ("/usr/local/bin", "/usr/bin", "/usr/sbin")


SOCKET = "/var/run/docker.sock"


PIDFILE = Path("/var/run/docker.pid")


MANAGED_CONTAINERD_PIDFILE = Path("/var/run/docker/containerd/containerd.pid")


def _record_path() -> Path:
    return settings.state_dir() / "dockerd.json"


def _debian_like() -> bool:
    text = system().read_text("/etc/os-release")
    return any(word in text for word in ("ID=debian", "ID=ubuntu", "ID_LIKE=debian",
                                         'ID_LIKE="debian', "ID_LIKE=ubuntu"))


def missing_tools(tools: Iterable[str] = TOOLS) -> list[str]:
    """The host tools whose programs are not on this machine, in TOOLS order."""
    return [tool for tool in tools if find_tool(tool) is None]


def installed_packages(packages: Iterable[str]) -> set[str]:
    """Which of these Debian packages dpkg says are installed."""
    names = list(packages)
    out = system().run(["dpkg-query", "-W", "-f=${Package}\t${Status}\n", *names]).stdout
    found = set()
    for line in out.splitlines():
        name, _ignored, status = line.partition("\t")
        if status.endswith("install ok installed"):
            found.add(name.split(":")[0])
    return found & set(names)


def apt_candidate(package: str) -> str | None:
    """The version apt would install (`apt-cache policy`), or None when this release has none."""
    for line in system().run(["apt-cache", "policy", package]).stdout.splitlines():
        key, _ignored, value = line.strip().partition(":")
        if key == "Candidate":
            value = value.strip()
            return None if value in {"", "(none)"} else value
    return None


@dataclass(frozen=True)
class InstalledEngine:
    """An engine installed on this machine, running or not (00-preflight, `labkit engine up`).

    Attributes:
        dockerd: the path of its dockerd, or None (e.g. only containerd.io is installed).
        packages: which of ENGINE_PACKAGES dpkg says are installed.
    """

    dockerd: str | None
    packages: tuple[str, ...]

    @property
    def family(self) -> str:
        """"docker-ce", "moby", "debian", "static" (binaries no package owns) or "elsewhere"
        (nothing installed here; the engine that answers runs on another machine)."""
        if {"docker-ce", "containerd.io"} & set(self.packages):
            return "docker-ce"
        if "moby-engine" in self.packages:
            return "moby"
        if "docker.io" in self.packages:
            return "debian"
        return "static" if self.dockerd else "elsewhere"


def installed_engine() -> InstalledEngine | None:
    """The engine already installed here, or None when there is none to start."""
    dockerd = find_tool("dockerd") or next(
        (f"{d}/dockerd" for d in ENGINE_DIRS if system().exists(f"{d}/dockerd")), None)
    packages = installed_packages(ENGINE_PACKAGES)
    if dockerd is None and not packages:
        return None
    return InstalledEngine(dockerd, tuple(p for p in ENGINE_PACKAGES if p in packages))


# What to tell a learner whose own engine lacks the docker CLI: never mix Debian's packages
# into Docker's (docker.io conflicts with containerd.io).
CLI_ADVICE = {
    "docker-ce": "install the CLI from Docker's repository: `sudo apt-get install docker-ce-cli`",
    "moby": "install the CLI beside moby-engine: `sudo apt-get install moby-cli`",
    "static": "copy the `docker` binary from the same static bundle as your dockerd into "
              "/usr/local/bin",
}


CLI_ELSE = ("install the docker CLI that matches your engine (Docker CE: docker-ce-cli; "
            "Debian 13 and later: docker-cli)")


class _Apt:
    """apt-get with this machine's own configuration; `apt-get update` once, before the first."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}

    def _run(self, argv: list[str]) -> None:
        proc = system().run(argv, env=self.env)
        if proc.returncode != 0:
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
            raise LabkitError(_("`{argv}` failed:\n{tail}").format(argv=' '.join(argv), tail=tail),
                              _("check this machine's apt sources and network, then try again"))

    def update(self) -> None:
        global _apt_updated_for
        if _apt_updated_for is not system():
            self.progress("apt-get update (this machine's apt sources)")
            self._run(["apt-get", "update", "-q"])
            _apt_updated_for = system()

    def install(self, package: str) -> None:
        self.progress(f"installing {package} with apt-get")
        self._run(["apt-get", "install", "-y", "-q", "--no-install-recommends", package])
        if package == "docker-registry" and system().exists("/run/systemd/system"):
            # The package enables a registry on every interface; the course runs its own.
            system().run(["systemctl", "disable", "--now", "docker-registry.service"])


def install_tools(tools: Iterable[str], progress: Progress = print,
                  engine: InstalledEngine | None = None) -> list[str]:
    """Install the packages of the missing tools, one by one (00-preflight, `labkit engine up`).

    Args:
        tools: host tools, names from TOOLS.
        progress: where to say what is done.
        engine: the engine installed here; with one, no engine package is ever installed.

    Returns:
        Advice for what labkit leaves to the learner (a CLI for their own engine).

    Raises:
        LabkitError: a tool's package is not in this release, or apt-get failed.
    """
    apt = _Apt(progress)
    advice = []
    for tool in tools:
        if find_tool(tool) is not None:
            continue  # present, or brought by a package installed for an earlier tool
        candidates = TOOLS[tool]
        if engine is not None:
            # An engine is here (or answers): never an engine package, whatever the tool.
            candidates = tuple(p for p in candidates if p not in ENGINE_PACKAGES)
        if tool == "docker" and engine is not None and engine.family != "debian":
            if engine.family not in CLI_ADVICE:
                apt.update()
            if engine.family in CLI_ADVICE or apt_candidate("docker-cli") is None:
                what = CLI_ADVICE.get(engine.family, CLI_ELSE)
                advice.append(f"The docker CLI is missing; {what}.")
                continue
        if candidates:
            _install_tool(tool, apt, candidates)
    return advice


def _install_tool(tool: str, apt: _Apt, candidates: tuple[str, ...]) -> None:
    apt.update()
    owners = sorted(installed_packages(candidates))  # installed, yet without the tool
    unavailable = []
    for package in candidates:
        if package in owners:
            continue  # maybe the next candidate brings it (a release moved the tool)
        if apt_candidate(package) is None:
            unavailable.append(package)
            continue
        apt.install(package)
        if find_tool(tool) is not None:
            return
        owners.append(package)
    if owners:
        raise LabkitError(
            _("`{tool}` is still missing although {owners} is installed.").format(
                tool=tool, owners=owners[0]
            ),
            _("reinstall it: `sudo apt-get install --reinstall {owners}`").format(owners=owners[0]),
        )
    raise LabkitError(
        _(
            "`{tool}` is missing, and this release's apt sources have no {unavailable} package."
        ).format(tool=tool, unavailable=" or ".join(unavailable)),
        _(
            "install `{tool}` another way (or add a Debian source that has {unavailable}), then "
            "run `sudo labkit engine up` again"
        ).format(tool=tool, unavailable=unavailable[0]),
    )


def install_buildx(progress: Progress = print) -> bool:
    """Install Debian's docker-buildx beside an engine labkit installs, when the release has it.

    A learner's `apt install docker.io` brings it as a recommendation (Debian 13 and later), and
    with it BuildKit becomes what `docker build` uses; Debian 12 has none, and keeps the classic
    builder. Never called for an engine the learner installed. Returns whether it was installed.
    """
    if system().run(["docker", "buildx", "version"]).returncode == 0:
        return False
    apt = _Apt(progress)
    apt.update()
    if apt_candidate("docker-buildx") is None:
        return False
    apt.install("docker-buildx")
    return True


def _can_use_apt() -> bool:
    return system().is_root() and _debian_like() and find_tool("apt-get") is not None


def _check_can_install() -> None:
    if system().system() != "Linux":
        raise EngineUnavailable(
            _("No Docker Engine answers, and labkit starts one only on Linux."),
            _("start Docker Desktop (it provides the engine), then run `labkit doctor`"),
        )
    if not system().is_root():
        raise NotRoot(_("No Docker Engine answers; installing and starting one needs root."),
                      _("run `sudo labkit engine up`, or start your own engine"))
    if not _debian_like() or find_tool("apt-get") is None:
        raise EngineUnavailable(
            _("No Docker Engine answers, and labkit installs one only on Debian or Ubuntu."),
            _("install Docker Engine for your distribution, start it, then run `labkit doctor`"),
        )


def _clear_killed_daemon(progress: Progress) -> None:
    """Remove what a killed dockerd leaves behind, so a new one starts."""
    if any(daemon.is_dockerd(int(p)) for p in os.listdir("/proc") if p.isdigit()):
        return
    daemon.remove_stale_pidfile(PIDFILE, progress)
    daemon.remove_stale_pidfile(MANAGED_CONTAINERD_PIDFILE, progress)


def _refuse_a_disabled_service() -> None:
    """Never start the rootful engine its owner switched off (for rootless Docker, say)."""
    state = system().run(["systemctl", "is-enabled", "docker.service"]).stdout.strip()
    if state in {"disabled", "masked"}:
        raise EngineUnavailable(
            _(
                "docker.service is {state} on this machine, so labkit does not start it: the "
                "rootful engine was switched off on purpose (rootless Docker is often why)."
            ).format(state=state),
            _(
                "chapters 02-04 read the engine's own kernel state, which rootless Docker keeps in "
                "RootlessKit's namespace: run the course on a machine or dev container where the "
                "rootful engine may run, or start it yourself (`sudo systemctl start docker`)"
            ),
        )


def _start(found: InstalledEngine, progress: Progress, timeout: float) -> str:
    if found.dockerd is None:
        raise EngineUnavailable(
            _("{packages} is installed, but no dockerd.").format(
                packages=", ".join(found.packages)
            ),
            _(
                "install the engine from the same repository (Docker CE: `sudo apt-get install "
                "docker-ce`), then run `sudo labkit engine up` again"
            ),
        )
    reset_client()
    if system().exists("/run/systemd/system"):
        _refuse_a_disabled_service()
        progress("starting docker.service with systemctl")
        # Static binaries often have no unit; then dockerd is started directly below.
        if system().run(["systemctl", "start", "docker.service"]).returncode == 0:
            daemon.wait_until_answers(reachable, timeout=timeout)
            daemon.DaemonRecord(0, SOCKET, "systemd", "journalctl -u docker").save(_record_path())
            return "Started docker.service."
    _clear_killed_daemon(progress)
    log = settings.state_dir() / "dockerd.log"
    progress(f"starting {found.dockerd} (log: {log})")
    proc = system().spawn([found.dockerd], log)
    daemon.wait_until_answers(_answers_fresh, timeout=timeout, proc=proc, log=log)
    daemon.DaemonRecord(proc.pid, SOCKET, "labkit", str(log)).save(_record_path())
    return f"Started dockerd (pid {proc.pid}); `labkit engine down` stops it."


def up(progress: Progress = print, *, timeout: float = 90) -> str:
    """Make sure an engine answers: use a running one, start an installed one, or install one.

    An engine is installed only when none answers and none is installed; the host tools that
    are missing are installed either way (as root on Debian/Ubuntu).

    Returns:
        A sentence saying what was done.

    Raises:
        EngineUnavailable, NotRoot: it cannot be done on this machine.
        LabkitError: a package is not available, or apt-get failed.
    """
    non_engine = [t for t in TOOLS if t not in ENGINE_TOOLS]
    if reachable():
        # The engine may run elsewhere (Docker Desktop, DOCKER_HOST): never install one here.
        found = installed_engine() or InstalledEngine(None, ())
        advice = install_tools(["docker", *non_engine], progress, found) if _can_use_apt() else []
        done = f"A Docker Engine already answers ({facts().server_version}); using it as it is."
        return " ".join([done, *advice])
    _check_can_install()
    found = installed_engine()
    if found is None:
        install_tools(ENGINE_TOOLS, progress)
        install_buildx(progress)
        found = installed_engine() or InstalledEngine(None, ())
    else:
        where = ", ".join(found.packages) or found.dockerd
        progress(f"found an installed engine ({where}); starting it, installing no engine")
    done = _start(found, progress, timeout)
    advice = install_tools(["docker", *non_engine], progress, found)
    return " ".join([done, *advice])


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
        system().run(["systemctl", "stop", "docker.service", "docker.socket"])
    elif daemon.is_dockerd(record.pid):
        progress(f"stopping dockerd (pid {record.pid})")
        daemon.terminate(record.pid, timeout=30)
    _record_path().unlink(missing_ok=True)
    return "Stopped the engine that labkit started."
