"""A second, throwaway Docker Engine in its own netns, to change `bip` without touching yours.

Taught in: 03-networking (changing docker0's address). The learner's engine, its
/etc/docker/daemon.json and its docker0 are never touched: the throwaway engine is a
`labkit.lessons.dockerd.LessonEngine` (its own netns, so its docker0 and firewall rules live
there; its own containerd, data root, exec root, pid file, socket and configuration file, all
under the lesson's work folder) with a `bip` of its own. `stop()` (or `lab.cleanup()`) removes
every piece of it.

It stores images with `--storage-driver vfs`: each layer is a plain copy of the one below, so
the engine needs no overlay mount. overlay2 would stack overlay mounts inside an engine that
the lesson itself runs, under the lesson's folder, which fails where that folder's filesystem
cannot be an overlay's upper layer (overlayfs itself, some tmpfs and FUSE setups); vfs works
on any filesystem. The copy costs nothing here: the throwaway runs only busybox, one small
layer.

What it shows runs as shown: its daemon.json (`cat`), its dockerd line (`show_argv`, folded
before its options), `docker save` and `docker --host ... load`, `docker --host ... run`, and
`ip netns exec NS ip ... addr show dev docker0`.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any, ClassVar

from labkit.base import containers, iproute
from labkit.base.errors import LabkitError
from labkit.base.http import LOOPBACK
from labkit.base.i18n import _
from labkit.base.refs import Ref
from labkit.base.show import docker, sh, show_command
from labkit.lab.session import Lab
from labkit.lessons import dockerd
from labkit.lessons.dockerd import LessonEngine
from labkit.networking import nftables


@dataclass
class Throwaway(LessonEngine):
    """A running throwaway engine: a lesson engine whose docker0 has the lesson's `bip`.

    Its netns holds its docker0 and its firewall rules; the rest is `LessonEngine`'s.
    """

    what: ClassVar[str] = "The throwaway engine"

    def docker0(self) -> str:
        """docker0's address in the throwaway netns (`ip netns exec NS ip -j addr show docker0`)."""
        addrs = [a for link in iproute.links("docker0", netns=self.netns) for a in link.addresses]
        return addrs[0] if addrs else ""

    def show_docker0(self) -> None:
        """`ip netns exec NS ip -4 -br addr show dev docker0`, run and printed (03-networking):
        the throwaway's docker0, in its own netns."""
        sh(["ip", "netns", "exec", self.netns, "ip", "-4", "-br", "addr", "show", "dev",
            "docker0"])

    def show_config(self) -> None:
        """`cat` its daemon.json, run and printed (03-networking)."""
        sh(["cat", str(self.config_file)])

    def show_argv(self) -> None:
        """Print the command that started its dockerd (03-networking), folded before its
        options with ` \\` continuations as every long command line is."""
        show_command(self.argv)

    def load(self, image: str) -> str:
        """Copy an image from the learner's engine into this one, as typed: `docker save -o
        FILE IMAGE`, then `docker --host unix://SOCKET load -i FILE` (printed with their
        output; the file, in the engine's folder, is removed after).

        Returns:
            The name it has on this engine, e.g. "labkit/busybox:latest".
        """
        ref = str(Ref.parse(image).or_latest())
        archive = self.root / "image.tar"
        try:
            docker(["save", "-o", str(archive), ref])
            docker(self.cli("load", "-i", str(archive))[1:])
        finally:
            archive.unlink(missing_ok=True)
        return ref

    def run(self, image: str, command: list[str], **kwargs: Any) -> Any:
        """`docker --host unix://SOCKET run -d --pull never --dns 127.0.0.1 IMAGE COMMAND...`,
        run and printed (03-networking): a container on this engine, from an image loaded into
        it (never pulled), its resolver on its own loopback.

        Returns:
            The container (this engine's SDK object).

        Raises:
            LabkitError: keywords other than none were given (the throwaway takes none).
        """
        if kwargs:
            raise LabkitError(
                _("The throwaway engine's run takes no options ({kwargs}).").format(
                    kwargs=sorted(kwargs)
                ),
                _("give only the image and the command"),
            )
        started = docker(self.cli("run", "-d", "--pull", "never", "--dns", LOOPBACK, image,
                                  *command)[1:])
        return self.client.containers.get(started.stdout.strip())

    def show_address(self, container: Any) -> None:
        """`docker --host unix://SOCKET inspect -f '{{range ...}}{{.IPAddress}}{{end}}' ID`,
        run and printed (03-networking): the container's address on this engine."""
        docker(self.cli("inspect", "-f",
                        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                        container.id[:12])[1:])

    def firewall(self, bridge: str = "docker0") -> None:
        """Show this engine's firewall rules for BRIDGE, read in its netns (03-networking):
        Docker's nftables table where it runs with the nftables backend, else one sentence."""
        if json.loads(self.config_file.read_text()).get("firewall-backend") != "nftables":
            print(
                _(
                    "This throwaway engine (dockerd {dockerd_major}) has no nftables backend: "
                    "Docker added it, experimental, in 29.0."
                ).format(dockerd_major=dockerd.dockerd_major())
            )
            return
        table = nftables.read(netns=self.netns)
        if not table.chains:
            raise LabkitError(
                _("No table {table} in netns {netns}.").format(
                    table=nftables.TABLE, netns=self.netns
                ),
                _("read `ip netns exec {netns} nft list ruleset`").format(netns=self.netns),
            )
        nftables.show(table, bridge)

    def explain_bip(self, container: Any, bip: str, host_docker0: str) -> None:
        """Say that CONTAINER got an address from BIP and the learner's docker0 kept
        HOST_DOCKER0 (03-networking), read with `ip -4 -br addr show dev docker0` (printed).

        Raises:
            LabkitError: either is not so.
        """
        ip = ipaddress.ip_address(address(container))
        # your docker0, read again as you would: `ip -4 -br addr show dev docker0`
        words = sh(["ip", "-4", "-br", "addr", "show", "dev", "docker0"]).stdout.split()
        mine = words[2] if len(words) > 2 else ""
        if ip not in ipaddress.ip_network(bip, strict=False) or mine != host_docker0:
            raise LabkitError(
                _("The container got {ip} (bip {bip}); your docker0 is {mine}.").format(
                    ip=ip, bip=bip, mine=mine
                ),
                _("stop the throwaway engine (engine.stop()) and start it again"),
            )
        print(
            _("{ip} is in {bip}; your engine's docker0 is unchanged: {mine}").format(
                ip=ip, bip=bip, mine=mine
            )
        )


def address(container: Any, network: str = "bridge") -> str:
    """CONTAINER's address on NETWORK, from `NetworkSettings.Networks.<network>` (03-networking).

    API 1.52 (Engine 29) dropped the top-level `NetworkSettings.IPAddress` that older engines
    kept for the default bridge; the per-network entry is in every engine's answer.
    """
    found = containers.endpoints(container).get(network)
    return found.address if found else ""


def check_bip(bip: str) -> str:
    """BIP itself when it names docker0's own address and prefix (192.168.1.1/24).

    Raises:
        LabkitError: it names the network (192.168.1.0/24), which dockerd would refuse.
    """
    iface = ipaddress.ip_interface(bip)
    if iface.ip == iface.network.network_address:
        raise LabkitError(
            _("bip {bip} names the network, not an address in it.").format(bip=bip),
            _("give the bridge's own address, e.g. {next}/{prefixlen}").format(
                next=next(iface.network.hosts()), prefixlen=iface.network.prefixlen
            ),
        )
    return bip


def backend_for(major: int) -> str:
    """The firewall backend 03's throwaway engine uses with `firewall_backend="auto"`:
    "nftables" for a dockerd of 29 or later (so the lesson shows Docker's nftables table on
    every engine that has the backend), else "" (the engine's default, iptables)."""
    return "nftables" if nftables.engine_has_backend(major, 0) else ""


def start(lab: Lab, bip: str = "192.168.1.1/24", *, name: str = "bip-lab",
          firewall_backend: str = "auto", timeout: float = 60) -> Throwaway:
    """Start a throwaway dockerd (and its own containerd) in a new netns with --config-file.

    Its daemon.json holds `bip` first, then `labkit.lessons.dockerd.daemon_config`'s entries
    and the firewall backend; it stores images with the vfs driver.

    Args:
        lab: the lesson; every process, the netns and the folder are recorded in its ledger.
        bip: docker0's address and prefix for this engine (the lecture's 192.168.1.1/24 by
            default; it lives in the throwaway's own netns, so it cannot clash with a real LAN).
        name: the netns's name.
        firewall_backend: "auto" (default: nftables where the host's dockerd is 29 or later,
            see `backend_for`), "" for the engine's default, or "nftables" to have it
            write Docker's `docker-bridges` table instead of iptables rules (Docker 29.0 and
            later). That backend leaves
            net.ipv4.ip_forward to the host, so it is switched on in the throwaway's netns
            (only there) first, and the command is printed.
        timeout: seconds to wait for the engine to answer.

    Raises:
        LabkitError: BIP names a network, not an address in it.
        HostToolMissing: dockerd or containerd is not installed on the host.
        EngineUnavailable: it did not answer in time (the message holds its log's tail).
    """
    check_bip(bip)
    major = dockerd.dockerd_major()
    if firewall_backend == "auto":
        firewall_backend = backend_for(major)
    nft = firewall_backend == "nftables"
    return Throwaway.launch(
        lab, "throwaway", name, first={"bip": bip},
        config={"firewall-backend": firewall_backend} if firewall_backend else None,
        extra=("--storage-driver", "vfs"),
        sysctls={"net.ipv4.ip_forward": "1"} if nft else None,
        major=major, timeout=timeout, show=False)
