"""A containerd of the lesson's own: its root, state, socket and netns under the lesson folder.

Taught in: 02-overlayfs-and-image-storage (section 4.1, containerd's snapshots on an engine
whose images live in a graphdriver) and 03-networking (the throwaway engine runs on one).
The learner's containerd, its /var/lib/containerd and its socket are never touched. The
daemon runs in a netns of its own that holds only `lo`, with the CRI plugins off, so it has
no way to reach any host; nothing here pulls. Cleanup (`lab.cleanup()`) stops it, and the
lesson folder goes with its snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from labkit.base import daemon
from labkit.base.errors import HostToolMissing, LabkitError
from labkit.base.host import host, require_root
from labkit.base.i18n import _
from labkit.lab.session import Lab

SOCKET_MAX = 100  # AF_UNIX paths must stay under 108 bytes
NAMESPACE = "labkit"  # containerd's own namespaces keep its images apart (`ctr -n`)
# Every CRI plugin of containerd 1.6 to 2.x: a course containerd runs no Kubernetes pods,
# sets up no CNI network and serves no image pulls. Names a version lacks are ignored.
CRI_PLUGINS = ("io.containerd.grpc.v1.cri", "io.containerd.cri.v1.images",
               "io.containerd.cri.v1.runtime", "io.containerd.podsandbox.controller.v1.podsandbox")
CONFIG = """\
version = 2
root = "{folder}/root"
state = "{folder}/state"
disabled_plugins = [{disabled}]

[grpc]
  address = "{folder}/containerd.sock"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "{folder}/opt"
"""


@dataclass(frozen=True)
class LessonContainerd:
    """A running containerd of the lesson's own.

    Attributes:
        folder: everything of it: config.toml, root/, state/, the socket, its log.
        netns: the netns it runs in (only `lo` is there).
        argv: the command that started it.
        pid: its process ID (the lesson's ledger stops it).
    """

    folder: Path
    netns: str
    argv: tuple[str, ...]
    pid: int

    @property
    def socket(self) -> Path:
        """Its API socket (`ctr --address`, `dockerd --containerd`)."""
        return self.folder / "containerd.sock"

    @property
    def root(self) -> Path:
        """Its root: the content store and the snapshotters' folders are under it."""
        return self.folder / "root"

    def ctr(self, *args: str) -> list[str]:
        """The `ctr` command for this containerd, in the course's containerd namespace."""
        return ["ctr", "--address", str(self.socket), "--namespace", NAMESPACE, *args]


def config_text(folder: Path) -> str:
    """config.toml for a containerd that keeps everything under FOLDER and runs no CRI."""
    return CONFIG.format(folder=folder, disabled=", ".join(f'"{p}"' for p in CRI_PLUGINS))


def enter(netns: str) -> list[str]:
    """The prefix that runs a command in a lesson netns (`nsenter --net=...`)."""
    return ["nsenter", f"--net=/var/run/netns/{netns}", "--"]


def require_local_host(what: str, tools: tuple[str, ...]) -> None:
    """Raise unless this machine is the engine's host, as root, with TOOLS installed.

    Args:
        what: what needs them, for the message ("The throwaway engine").
        tools: commands it runs on the host.

    Raises:
        NotRoot, LabkitError (the engine's host is elsewhere), HostToolMissing.
    """
    require_root()
    if host().mode != "local":
        raise LabkitError(_("{what} needs the engine's host to be this machine.").format(what=what),
                          _("run this chapter on a Linux machine with its own Docker Engine"))
    for tool in tools:
        if not host().has_tool(tool):
            raise HostToolMissing(_("The host has no `{tool}` command.").format(tool=tool),
                                  _("install docker.io (it brings dockerd, containerd and ctr)"))


def start(lab: Lab, folder: Path, *, netns: str, log: Path | None = None,
          timeout: float = 60) -> LessonContainerd:
    """Start containerd with its config, root, state and socket in FOLDER, inside NETNS.

    Args:
        lab: the lesson; the process is recorded in its ledger (cleanup stops it).
        folder: an empty folder of the lesson's (`lab.workdir(...)` or below one).
        netns: a netns of the lesson's (`lab.netns(...)`); its `lo` is brought up.
        log: where its log goes (default: FOLDER/../containerd.log).
        timeout: seconds to wait for its socket.

    Raises:
        HostToolMissing: containerd, ctr or nsenter is not installed.
        LabkitError: the folder is too deep for a socket path.
        EngineUnavailable: it did not answer in time (the message holds its log's tail).
    """
    require_local_host("A lesson's own containerd", ("containerd", "ctr", "nsenter"))
    if len(str(folder / "containerd.sock.ttrpc")) > SOCKET_MAX:
        raise LabkitError(
            _("The lesson folder {folder} is too deep for a socket path.").format(folder=folder),
            _("set LABKIT_STATE_DIR to a shorter folder, e.g. /var/lib/labkit"),
        )
    folder.mkdir(parents=True, exist_ok=True)
    conf = folder / "config.toml"
    conf.write_text(config_text(folder))
    host().run(["ip", "netns", "exec", netns, "ip", "link", "set", "lo", "up"])
    argv = ("containerd", "--config", str(conf))
    log = log or folder.parent / "containerd.log"
    proc = lab.spawn([*enter(netns), *argv], log=log)
    ctrd = LessonContainerd(folder, netns, argv, proc.pid)
    daemon.wait_until_answers(ctrd.socket.exists, timeout=timeout, proc=proc, log=log)
    return ctrd

