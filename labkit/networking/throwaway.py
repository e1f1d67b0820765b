"""A second, throwaway Docker Engine in its own netns, to change `bip` without touching yours.

Taught in: 03-networking (changing docker0's address). The learner's engine, its
/etc/docker/daemon.json and its docker0 are never touched: the throwaway engine has its own
netns (so its docker0 and iptables rules live there), its own containerd, data root, exec root,
pid file, socket and configuration file, all under the lesson's work folder. `stop()` (or
`lab.cleanup()`) removes every piece of it.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors

from labkit.base import daemon, iproute, procfs
from labkit.base.engine import client
from labkit.base.errors import LabkitError, friendly
from labkit.base.host import host
from labkit.base.http import LOOPBACK
from labkit.base.refs import Ref
from labkit.lab.session import Lab
from labkit.lessons import containerd
from labkit.networking import netinspect


@dataclass
class Throwaway:
    """A running throwaway engine.

    Attributes:
        netns: the netns it runs in (its docker0 is there).
        root: its folder (data root, exec root, socket, logs).
        config_file: its daemon.json.
        argv: the command that started dockerd (nsenter into the netns, then dockerd).
        pids: the PIDs of its dockerd and containerd.
    """

    lab: Lab
    netns: str
    root: Path
    config_file: Path
    argv: list[str]
    pids: dict[str, int] = field(default_factory=dict)
    started: dict[str, str] = field(default_factory=dict)
    _client: docker.DockerClient | None = field(default=None, repr=False)

    @property
    def socket(self) -> str:
        """The engine's API socket."""
        return str(self.root / "docker.sock")

    @property
    def client(self) -> docker.DockerClient:
        """A Docker SDK client for this engine (not the learner's)."""
        if self._client is None:
            self._client = docker.DockerClient(base_url=f"unix://{self.socket}",
                                               version="auto", timeout=60)
        return self._client

    def docker0(self) -> str:
        """docker0's address in the throwaway netns (`ip netns exec NS ip -j addr show docker0`)."""
        addrs = [a for link in iproute.links("docker0", netns=self.netns) for a in link.addresses]
        return addrs[0] if addrs else ""

    def load(self, image: str) -> str:
        """Copy an image from the learner's engine into this one (`docker save | docker load`).

        The image is exported under the name asked for (an image may carry several names).

        Returns:
            The name it has on the throwaway engine, e.g. "labkit/busybox:latest".
        """
        ref = str(Ref.parse(image).or_latest())
        with friendly():
            client().images.get(ref)
            data = b"".join(client().api.get_image(ref))
            self.client.images.load(data)
            self.client.images.get(ref)
        return ref

    def run(self, image: str, command: list[str], **kwargs: Any) -> Any:
        """Start a container on the throwaway engine from an image loaded into it.

        It never pulls (`create`, then `start`), and its resolver stays on loopback.
        """
        kwargs.setdefault("dns", [LOOPBACK])
        try:
            self.client.images.get(image)
        except docker.errors.ImageNotFound:
            raise LabkitError(f"The throwaway engine has no image {image!r}.",
                              f"load it first: engine.load({image!r})") from None
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
            if pid and self._alive(name):
                daemon.terminate(pid, timeout=30)
            self.lab.forget("process", pid=pid)
        unmount_below(self.root)
        self.lab.release("netns", name=self.netns)
        shutil.rmtree(self.root, ignore_errors=True)

    def leftovers(self) -> dict[str, Any]:
        """What of the engine is still there: its processes, mounts, netns and folder."""
        return {
            "processes": sorted(n for n in self.pids if self._alive(n)),
            "mounts": mounts_below(self.root),
            "netns": Path("/var/run/netns", self.netns).exists(),
            "folder": self.root.exists(),
        }

    def explain_bip(self, container: Any, bip: str, host_docker0: str) -> None:
        """Say that CONTAINER got an address from BIP and the learner's docker0 kept
        HOST_DOCKER0 (03-networking).

        Raises:
            LabkitError: either is not so.
        """
        ip = ipaddress.ip_address(container.attrs["NetworkSettings"]["IPAddress"])
        mine = netinspect.bridge("docker0").address
        if ip not in ipaddress.ip_network(bip, strict=False) or mine != host_docker0:
            raise LabkitError(f"The container got {ip} (bip {bip}); your docker0 is {mine}.",
                              "stop the throwaway engine (engine.stop()) and start it again")
        print(f"{ip} is in {bip}; your engine's docker0 is unchanged: {mine}")

    def stop_and_check(self) -> dict[str, Any]:
        """Stop the engine (`stop`), then return what is left of it, raising if anything is.

        Raises:
            LabkitError: a process, mount, the netns or the folder is still there.
        """
        self.stop()
        left = self.leftovers()
        if any(left.values()):
            raise LabkitError(f"The throwaway engine left {left}.",
                              "run `labkit clean --chapter 03`")
        return left

    def _alive(self, name: str) -> bool:
        pid = self.pids.get(name, 0)
        started = self.started.get(name, "")
        return bool(pid) and daemon.pid_alive(pid) and procfs.start_time(pid) == started

    def __enter__(self) -> Throwaway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def config(bip: str, dockerd_major: int, key_exists: bool, root: Path) -> dict[str, Any]:
    """The throwaway's daemon.json: `bip`, and a quick shutdown.

    An old dockerd (before 23) creates /etc/docker/key.json when it is missing; then the key
    is kept in the lesson's folder instead, so nothing outside it is written.
    """
    iface = ipaddress.ip_interface(bip)
    if iface.ip == iface.network.network_address:
        raise LabkitError(f"bip {bip} names the network, not an address in it.",
                          f"give the bridge's own address, e.g. {next(iface.network.hosts())}/"
                          f"{iface.network.prefixlen}")
    conf: dict[str, Any] = {"bip": bip, "shutdown-timeout": 2}
    if dockerd_major and dockerd_major < 23 and not key_exists:
        conf["deprecated-key-path"] = str(root / "key.json")
    return conf


def dockerd_major() -> int:
    """The major version of the host's dockerd (20 for 20.10.24), 0 when unknown."""
    out = host().run(["dockerd", "--version"], check=False).stdout
    try:
        return int(out.split("version", 1)[1].strip().split(".")[0])
    except (IndexError, ValueError):
        return 0


def start(lab: Lab, bip: str = "192.168.1.1/24", *, name: str = "bip-lab",
          timeout: float = 60) -> Throwaway:
    """Start a throwaway dockerd (and its own containerd) in a new netns with --config-file.

    Args:
        lab: the lesson; every process, the netns and the folder are recorded in its ledger.
        bip: docker0's address and prefix for this engine (the lecture's 192.168.1.1/24 by
            default; it lives in the throwaway's own netns, so it cannot clash with a real LAN).
        name: the netns's name.
        timeout: seconds to wait for the engine to answer.

    Raises:
        HostToolMissing: dockerd or containerd is not installed on the host.
        EngineUnavailable: it did not answer in time (the message holds its log's tail).
    """
    containerd.require_local_host("The throwaway engine", ("dockerd",))
    root = lab.workdir("throwaway")
    ns = lab.netns(name)
    ctrd = containerd.start(lab, root / "containerd", netns=ns, log=root / "containerd.log",
                            timeout=timeout)
    ctr_sock = ctrd.socket
    enter = containerd.enter(ns)
    conf_file = root / "daemon.json"
    conf = config(bip, dockerd_major(), Path("/etc/docker/key.json").exists(), root)
    conf_file.write_text(json.dumps(conf, indent=2) + "\n")
    argv = ["dockerd", "--config-file", str(conf_file), "--data-root", str(root / "data"),
            "--exec-root", str(root / "exec"), "--pidfile", str(root / "docker.pid"),
            "-H", f"unix://{root / 'docker.sock'}", "--containerd", str(ctr_sock),
            "--storage-driver", "vfs"]
    proc = lab.spawn([*enter, *argv], log=root / "dockerd.log")
    pids = {"dockerd": proc.pid, "containerd": ctrd.pid}
    engine = Throwaway(lab, ns, root, conf_file, [*enter, *argv], pids,
                       {n: procfs.start_time(p) for n, p in pids.items()})
    daemon.wait_until_answers(lambda: _pings(engine), timeout=timeout, proc=proc,
                              log=root / "dockerd.log")
    return engine


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


def _pings(engine: Throwaway) -> bool:
    if not Path(engine.socket).exists():
        return False
    try:
        return bool(engine.client.ping())
    except Exception:  # noqa: BLE001 - any failure while it starts means "not yet"
        engine._client = None
        return False

