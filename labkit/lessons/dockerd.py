"""A Docker Engine of the lesson's own: dockerd and its containerd in a netns, in the lesson folder.

Taught in: 02-overlayfs-and-image-storage (section 3.6: the overlay2 graphdriver, live, where
the learner's engine keeps images in containerd's store) and 03-networking (the throwaway
engine, `labkit.networking.throwaway`, a `LessonEngine` with a `bip` of its own). The learner's
engine, its /etc/docker/daemon.json, /var/lib/docker, its socket and its containerd are never
touched: this engine has its own netns (only `lo` at first), its own containerd
(`labkit.lessons.containerd`), data root, exec root, pid file, socket and configuration file,
all under the lesson's work folder. Its network is the caller's choice: 02 passes
`QUIET_NETWORK` (no bridge, no firewall rule), 03 lets it make docker0 and its rules inside
its netns. `stop()` (or `lab.cleanup()`) removes every piece of it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import docker
import docker.errors

from labkit.base import daemon, procfs
from labkit.base.engine import client
from labkit.base.errors import LabkitError, friendly
from labkit.base.host import host
from labkit.base.http import LOOPBACK
from labkit.base.i18n import _
from labkit.base.refs import Ref
from labkit.base.show import docker as docker_cli
from labkit.base.show import sh, show_command
from labkit.lab.session import Lab
from labkit.lessons import containerd

# No bridge, no firewall rules, no forwarding: the lesson's engine runs containers with
# `--network none` only, and changes nothing of the host's network (not even in its netns).
QUIET_NETWORK = ("--bridge", "none", "--iptables=false", "--ip-forward=false")

E = TypeVar("E", bound="LessonEngine")


@dataclass
class LessonEngine:
    """A running dockerd of the lesson's own.

    Attributes:
        lab: the lesson (its ledger records the processes, the netns and the folder).
        netns: the netns it runs in.
        root: its folder (config, data root, exec root, socket, logs).
        config_file: its daemon.json.
        argv: the command that started dockerd (nsenter into the netns, then dockerd).
        pids: the PIDs of its dockerd and containerd.
        started: their start times, so a later process with the same PID is never stopped.
        show: print the commands it runs for the lesson (dockerd's, `docker save | docker load`).
    """

    what: ClassVar[str] = "The lesson's engine"  # opens its messages; a subclass names itself

    lab: Lab
    netns: str
    root: Path
    config_file: Path
    argv: list[str]
    pids: dict[str, int] = field(default_factory=dict)
    started: dict[str, str] = field(default_factory=dict)
    show: bool = True
    _client: docker.DockerClient | None = field(default=None, repr=False)

    @classmethod
    def launch(cls: type[E], lab: Lab, folder: str, netns_name: str, *,
               config: Mapping[str, Any] | None = None,
               first: Mapping[str, Any] | None = None, extra: Sequence[str] = (),
               sysctls: Mapping[str, str] | None = None, major: int | None = None,
               data_in_memory: bool = False, timeout: float = 60, show: bool = True) -> E:
        """Start a dockerd of the lesson's own (and its own containerd) in a new netns.

        Args:
            lab: the lesson; every process, the netns and the folder are recorded in its ledger.
            folder: the name of its work folder (`lab.workdir(folder)`).
            netns_name: the netns's name.
            config: daemon.json entries after the base ones (`daemon_config`).
            first: daemon.json entries before them (what the lesson is about: 03's `bip`).
            extra: more dockerd arguments (`--storage-driver overlay2`, `QUIET_NETWORK`, say).
            sysctls: settings for its netns (only there), each set and shown before dockerd
                starts (`net.ipv4.ip_forward`, which the nftables backend leaves to the host).
            major: the host dockerd's major version where the caller read it already.
            data_in_memory: mount a tmpfs on its data root first (the mount shown): images
                unpack in memory, faster than on disk, and on a filesystem overlay2 supports
                wherever the lesson folder is; it is unmounted when the engine stops.
            timeout: seconds to wait for the engine to answer.
            show: print the dockerd command as it is run (and later the images it loads).

        Raises:
            HostToolMissing: dockerd, containerd or ctr is not installed on the host.
            EngineUnavailable: it did not answer in time (the message holds its log's tail).
        """
        containerd.require_local_host(cls.what, ("dockerd",))
        root = lab.workdir(folder)
        ns = lab.netns(netns_name)
        ctrd = containerd.start(lab, root / "containerd", netns=ns, log=root / "containerd.log",
                                timeout=timeout)
        for key, value in (sysctls or {}).items():
            sh(["ip", "netns", "exec", ns, "sysctl", "-w", f"{key}={value}"])
        if data_in_memory:
            mount_tmpfs(lab, root / "data", show=show)
        conf_file = root / "daemon.json"
        conf = daemon_config(root, dockerd_major() if major is None else major,
                             Path("/etc/docker/key.json").exists(), config, first=first)
        conf_file.write_text(json.dumps(conf, indent=2) + "\n")
        argv = [*containerd.enter(ns), *dockerd_argv(root, conf_file, ctrd.socket, extra)]
        if show:
            show_command(argv)
        proc = lab.spawn(argv, log=root / "dockerd.log")
        pids = {"dockerd": proc.pid, "containerd": ctrd.pid}
        engine = cls(lab, ns, root, conf_file, argv, pids,
                     {n: procfs.start_time(p) for n, p in pids.items()}, show)
        daemon.wait_until_answers(lambda: pings(engine), timeout=timeout, proc=proc,
                                  log=root / "dockerd.log")
        return engine

    @property
    def socket(self) -> str:
        """The engine's API socket."""
        return str(self.root / "docker.sock")

    @property
    def data_root(self) -> Path:
        """Its data root: what /var/lib/docker is to the learner's engine."""
        return self.root / "data"

    @property
    def client(self) -> docker.DockerClient:
        """A Docker SDK client for this engine (not the learner's)."""
        if self._client is None:
            self._client = docker.DockerClient(base_url=f"unix://{self.socket}",
                                               version="auto", timeout=60)
        return self._client

    def cli(self, *args: str) -> list[str]:
        """The docker command for this engine: `docker --host unix://<its socket> ARGS`."""
        return ["docker", "--host", f"unix://{self.socket}", *args]

    def load(self, image: str) -> str:
        """Copy an image from the learner's engine into this one, as typed: `docker save -o
        FILE IMAGE`, then `docker --host unix://SOCKET load -i FILE` (`save`, `load_archive`).

        Returns:
            The name it has on this engine, e.g. "labkit/redis:7.0".

        Raises:
            LabkitError: the learner's engine has no such image, or the load failed.
        """
        ref, archive = self.save(image)
        self.load_archive(archive, ref)
        return ref

    def save(self, image: str) -> tuple[str, Path]:
        """`docker save -o FILE IMAGE` on the learner's engine, FILE in this engine's folder
        (02, 3.6), shown with its output where the engine shows its commands. The image is
        saved under the name asked for (an image may carry several names).

        Returns:
            The image's name (":latest" added where it had no tag) and the archive's path.

        Raises:
            LabkitError: the learner's engine has no such image.
        """
        ref = str(Ref.parse(image).or_latest())
        with friendly():
            client().images.get(ref)
        archive = self.root / "image.tar"
        try:
            docker_cli(["save", "-o", str(archive), ref], show=self.show)
        except BaseException:
            archive.unlink(missing_ok=True)
            raise
        return ref, archive

    def load_archive(self, archive: Path, ref: str) -> None:
        """`docker --host unix://SOCKET load -i ARCHIVE` (02, 3.6), shown with its output
        where the engine shows its commands; the archive is removed after.

        Raises:
            LabkitError: the load failed, or REF is not on this engine after it.
        """
        try:
            docker_cli(self.cli("load", "-i", str(archive))[1:], show=self.show)
        finally:
            archive.unlink(missing_ok=True)
        with friendly():
            self.client.images.get(ref)

    def run(self, image: str, command: list[str], **kwargs: Any) -> Any:
        """Start a container on this engine from an image loaded into it (03's throwaway).

        It never pulls (`create`, then `start`), and its resolver stays on loopback.

        Raises:
            LabkitError: the image is not on this engine (`load` it first).
        """
        kwargs.setdefault("dns", [LOOPBACK])
        try:
            self.client.images.get(image)
        except docker.errors.ImageNotFound:
            raise LabkitError(
                _("{what} has no image {image!r}.").format(what=self.what, image=image),
                _("load it first: engine.load({image!r})").format(image=image),
            ) from None
        with friendly():
            container = self.client.containers.create(image, command, **kwargs)
            container.start()
            container.reload()
        return container

    def stop(self) -> None:
        """Remove its containers, stop dockerd and containerd, delete its netns and folder."""
        if self._client is not None:
            try:
                for c in self._client.containers.list(all=True):
                    c.remove(force=True)
            except docker.errors.DockerException:
                pass  # the daemon is gone already; its processes are stopped below
            self._client.close()
            self._client = None
        for name in ("dockerd", "containerd"):
            pid = self.pids.get(name, 0)
            if pid and self.alive(name):
                daemon.terminate(pid, timeout=30)
            self.lab.forget("process", pid=pid)
        unmount_below(self.root)
        self.lab.release("netns", name=self.netns)
        shutil.rmtree(self.root, ignore_errors=True)

    def leftovers(self) -> dict[str, Any]:
        """What of the engine is still there: its processes, mounts, netns and folder."""
        return {
            "processes": sorted(n for n in self.pids if self.alive(n)),
            "mounts": mounts_below(self.root),
            "netns": Path("/var/run/netns", self.netns).exists(),
            "folder": self.root.exists(),
        }

    def stop_and_check(self) -> dict[str, Any]:
        """Stop the engine (`stop`), then return what is left of it, raising if anything is.

        Raises:
            LabkitError: a process, mount, the netns or the folder is still there.
        """
        self.stop()
        left = self.leftovers()
        if any(left.values()):
            raise LabkitError(
                _("{what} left {left}.").format(what=self.what, left=left),
                _("run `labkit clean --chapter {chapter}`").format(chapter=self.lab.chapter),
            )
        return left

    def alive(self, name: str) -> bool:
        """True while its process NAME ("dockerd", "containerd") is the one it started."""
        pid = self.pids.get(name, 0)
        started = self.started.get(name, "")
        return bool(pid) and daemon.pid_alive(pid) and procfs.start_time(pid) == started

    def __enter__(self) -> LessonEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def dockerd_major() -> int:
    """The major version of the host's dockerd (20 for 20.10.24), 0 when unknown."""
    out = host().run(["dockerd", "--version"], check=False).stdout
    try:
        return int(out.split("version", 1)[1].strip().split(".")[0])
    except (IndexError, ValueError):
        return 0


def daemon_config(root: Path, major: int, key_exists: bool,
                  config: Mapping[str, Any] | None = None, *,
                  first: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A lesson engine's daemon.json: FIRST, a quick shutdown, CONFIG, and its key kept inside.

    An old dockerd (before 23) creates /etc/docker/key.json when it is missing; then the key
    is kept in the lesson's folder instead, so nothing outside it is written.
    """
    conf: dict[str, Any] = {**(first or {}), "shutdown-timeout": 2, **(config or {})}
    if major and major < 23 and not key_exists:
        conf["deprecated-key-path"] = str(root / "key.json")
    return conf


def dockerd_argv(root: Path, config_file: Path, containerd_socket: Path,
                 extra: Sequence[str] = ()) -> list[str]:
    """dockerd's command line: every folder and socket of its own under ROOT."""
    return ["dockerd", "--config-file", str(config_file), "--data-root", str(root / "data"),
            "--exec-root", str(root / "exec"), "--pidfile", str(root / "docker.pid"),
            "-H", f"unix://{root / 'docker.sock'}", "--containerd", str(containerd_socket),
            *extra]


# 02's entry point: `dockerd.start(lab, folder, netns_name, ...)` is `LessonEngine.launch`.
start = LessonEngine.launch


def mount_tmpfs(lab: Lab, target: Path, *, show: bool = True) -> None:
    """`mount -t tmpfs -o mode=0711,size=2g labkit-lesson TARGET`, recorded in LAB's ledger
    (cleanup unmounts it). The size is a ceiling, not a reservation: memory is used as files
    are written."""
    target.mkdir(parents=True, exist_ok=True)
    argv = ["mount", "-t", "tmpfs", "-o", "mode=0711,size=2g", "labkit-lesson", str(target)]
    if show:
        show_command(argv)
    lab.mount(argv, target)


def mounts_below(root: Path, mountinfo: str | None = None) -> list[str]:
    """Mount points at or under ROOT in the host's mount table, deepest first.

    Args:
        root: the folder.
        mountinfo: the text of a mountinfo file (default: the host's, else this process's).
    """
    prefix = os.path.realpath(root)
    if mountinfo is not None:
        found = {m.mount_point for m in procfs.parse_mountinfo(mountinfo)}
    else:
        try:
            found = set(procfs.mount_points(1))
        except OSError:
            found = set(procfs.mount_points())
    inside = [m for m in found if m == prefix or m.startswith(prefix + "/")]
    return sorted(inside, key=len, reverse=True)


def unmount_below(root: Path) -> None:
    """Lazily unmount whatever an engine left mounted under ROOT (normally nothing)."""
    for target in mounts_below(root):
        host().run(["umount", "-l", target], check=False)


def pings(engine: LessonEngine) -> bool:
    """True once the engine answers on its socket."""
    if not Path(engine.socket).exists():
        return False
    try:
        return bool(engine.client.ping())
    except Exception:  # noqa: BLE001 - any failure while it starts means "not yet"
        engine._client = None
        return False
