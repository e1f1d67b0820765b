"""The lesson's choke point: everything a notebook creates is made, labelled and recorded here.

Taught in: 00-preflight. Every chapter starts with `lab = labkit.start("NN")` and ends with
`lab.cleanup()`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import docker.errors
from docker.models.containers import Container
from docker.models.networks import Network
from docker.models.volumes import Volume

from labkit.base import labels, procfs
from labkit.base.engine import client
from labkit.base.errors import LabkitError, NameTaken, UnknownImage, friendly
from labkit.base.host import host, require_root
from labkit.base.http import LOOPBACK
from labkit.base.i18n import _
from labkit.base.refs import Ref
from labkit.base.show import Shown, show_command
from labkit.base.show import docker as docker_line
from labkit.lab import cleanup, commands, imagebuild, names
from labkit.lab.flags import run_flags
from labkit.lab.ledger import Ledger

if TYPE_CHECKING:
    from labkit.lab.imagebuild import CliBuild

NETNS_DIR = "/run/netns"  # where `ip netns` keeps its namespaces (/var/run/netns)

# The documentation networks a lesson's "outside world" uses (RFC 5737): never routed anywhere.
LESSON_NETS = ("203.0.113.0/24", "198.51.100.0/24")

class Lab:
    """One run of one chapter: its labels, its names and its ledger.

    Args:
        chapter: the chapter number, "00" to "04", or "02b".
        session: reuse a session token (tests); a new one by default.
    """

    def __init__(self, chapter: str, session: str | None = None) -> None:
        self.chapter = chapter
        self.session = session or names.new_session()
        self.ledger = Ledger(self.session, chapter)
        self.labels = labels.lesson_labels(chapter, self.session)
        # Where ports may be published besides 127.0.0.1: only a host address of a link the
        # lesson itself made to a namespace of its own (`allow_publishing_on`).
        self.publish_addresses: set[str] = set()

    def allow_publishing_on(self, address: str) -> None:
        """Let `run(flags=["-p", "ADDRESS:PORT:PORT"])` publish on ADDRESS, the host's end of a
        link to a lesson netns.

        Only documentation addresses (203.0.113.0/24, 198.51.100.0/24) qualify: such a port
        is reachable from the lesson's own namespace, never from the network (03-networking).
        """
        if not any(ipaddress.ip_address(address) in ipaddress.ip_network(net)
                   for net in LESSON_NETS):
            raise LabkitError(_("{address} is not a lesson link address.").format(address=address),
                              _("publish on 127.0.0.1, or on an outside world's host_address"))
        self.publish_addresses.add(address)

    # -- names ---------------------------------------------------------------------------
    def name(self, base: str, kind: str = "container") -> str:
        """The name to use for a new resource: `base`, or `base-<session>` if it is taken.

        A name held by this session's own earlier resource is freed and reused, so a cell
        can run twice. Nothing that is not ours is touched.
        """
        owner = self._owner(base, kind)
        if owner is None:
            return base
        if owner == "ours":
            self._release(base, kind)
            return base
        if kind == "link" or kind == "netns":
            return names.short_name(base, self.session)
        if kind == "image":
            return f"{base}-{self.session}" if Ref.parse(base).tag else (
                f"{base}:latest-{self.session}")
        fallback = f"{base}-{self.session}"
        # The fallback may hold this session's own earlier resource too (a cell run twice, or
        # a helper that starts the same container again while a learner owns the base name).
        if self._owner(fallback, kind) == "ours":
            self._release(fallback, kind)
        return fallback

    def _owner(self, name: str, kind: str) -> str | None:
        return names.owner(name, kind, self.session, self.ledger.entries)

    def _release(self, name: str, kind: str) -> None:
        if kind in {"netns", "link"}:
            self.release(kind, name=name)
        else:
            names.remove_docker_object(name, kind)

    # -- Docker objects ----------------------------------------------------------------------
    def run(self, image: str, command: str | Sequence[str] | None = None, *,
            name: str | None = None, flags: Sequence[str] = (), guard_dns: bool = True,
            show: bool = True) -> Container:
        """`docker run -d`: start a labelled container with the docker CLI, printing the line
        that runs (and the ID it prints).

        FLAGS go into the line exactly as typed, after `--name`; labkit's own options follow
        them: the lesson's `--label io.labkit.*` flags and `--dns 127.0.0.1`, so that a name
        Docker cannot answer itself never becomes a query to a real DNS server. There is no
        `--dns` of labkit's where FLAGS give one, or join another container's network
        namespace (`--network container:NAME`: that one's resolver; Docker refuses `--dns`
        there), or GUARD_DNS is False (03-networking shows Docker's own resolv.conf).

        A port is published on 127.0.0.1 only: `-p 127.0.0.1:8080:80`, `-p 127.0.0.1::80` (or
        on an address `allow_publishing_on` allows); `-P` only on a lesson network created with
        host_binding="127.0.0.1". A `-p 8080:80` is refused with what to write instead.

        Args:
            image: the image name, e.g. "labkit/nginx:1.22.1".
            command: the command to run instead of the image's CMD.
            name: the container's name (made unique if a learner's container has it).
            flags: `docker run` options as typed, one word per string:
                ["--network", net.name, "--init", "-e", "A=1", "-p", "127.0.0.1::80"].
            guard_dns: add `--dns 127.0.0.1` (see above).
            show: print the command line and what the CLI printed.

        Returns:
            The running container (its attrs current).

        Raises:
            LabkitError: flags the course does not run (`labkit.lab.flags.run_flags`).
        """
        argv = self._run_line(image, command, name, flags, guard_dns, detach=True)
        done = docker_line(argv[1:], show=show)
        return client().containers.get(done.stdout.strip().splitlines()[-1])

    def run_once(self, image: str, command: str | Sequence[str] | None = None, *,
                 flags: Sequence[str] = (), guard_dns: bool = True, show: bool = True,
                 quiet: bool = False) -> Shown:
        """`docker run --rm`: run a labelled container to its end; what it printed.

        Args:
            image, command, flags, guard_dns: as for `run`.
            show: print the command line (and its output unless QUIET).
            quiet: print the command line only.

        Returns:
            Its exit code and output (a container that exits non-zero does not raise).
        """
        argv = self._run_line(image, command, None, flags, guard_dns, detach=False)
        return docker_line(argv[1:], check=False, quiet=quiet, show=show)

    def _run_line(self, image: str, command: str | Sequence[str] | None, name: str | None,
                  flags: Sequence[str], guard_dns: bool, *, detach: bool) -> list[str]:
        """The `docker run` argv for a lesson container: the flags as typed and checked, our
        labels and DNS after them, the name made safe, the image made sure of."""
        typed = run_flags(flags, self.publish_addresses)
        networks = typed.values("--network", "--net")
        if typed.has("-P", "--publish-all") and not self._loopback_network(
                networks[-1] if networks else None):
            raise LabkitError(
                _("-P publishes on every interface of the machine."),
                _('add --network with a lesson network created with host_binding="127.0.0.1", '
                  "or publish one port: -p 127.0.0.1::PORT"),
            )
        for kind, joined in names.joined_by(networks, typed.values("--pid", "--ipc")):
            if names.learners_own(joined, kind):  # never join (or so touch) a learner's own
                kind = _("container") if kind == "container" else _("network")
                raise LabkitError(
                    _("{name} is a {kind} of yours, not the lesson's: a lesson container joins "
                      "only what the course made.").format(name=joined, kind=kind),
                    _("use the name in the lesson's printed `docker network create` or `docker "
                      "run` line: where you have a {kind} called {name}, the lesson's is "
                      "{name}-<session>").format(name=joined, kind=kind))
        # A name lookup must never leave the machine: unless the flags say otherwise, the
        # container's resolver (or the embedded DNS's upstream) is its own loopback.
        joins = bool(networks) and networks[-1].startswith("container:")
        dns = [LOOPBACK] if guard_dns and not joins and not typed.has("--dns") else []
        final = self.name(name) if name else None
        require_local_image(image)
        return commands.run_argv(image, command, name=final, flags=typed.words,
                                 labels=self.labels, dns=dns, detach=detach,
                                 remove=not detach)

    def _loopback_network(self, network: str | None) -> bool:
        if not network:
            return False
        with friendly():
            opts = client().networks.get(network).attrs.get("Options") or {}
        return opts.get("com.docker.network.bridge.host_binding_ipv4") == LOOPBACK

    def network(self, name: str, *, subnet: str | None = None, ip_range: str | None = None,
                gateway: str | None = None, host_binding: str | None = None,
                driver: str = "bridge", show: bool = True) -> Network:
        """`docker network create`: a labelled network, with the docker CLI line that runs.

        Args:
            name: the network's name (made unique if a learner's network has it).
            subnet: a CIDR, "auto" for a free subnet of the course pool, or None for Docker's.
            ip_range, gateway: `--ip-range`, `--gateway` (with a subnet).
            host_binding: default host address for published ports (LOOPBACK for `-P`).
            driver: `--driver` (bridge unless given).
            show: print the command line and the network's ID.
        """
        from labkit.lab.subnets import free_subnet

        if subnet == "auto":
            subnet = str(free_subnet())
        final = self.name(name, "network")
        argv = commands.network_argv(final, subnet=subnet, ip_range=ip_range, gateway=gateway,
                                     host_binding=host_binding, driver=driver,
                                     labels=self.labels)
        done = docker_line(argv[1:], show=show)
        return client().networks.get(done.stdout.strip().splitlines()[-1])

    def volume(self, name: str, *, show: bool = True) -> Volume:
        """`docker volume create`: a labelled volume, with the docker CLI line that runs."""
        final = self.name(name, "volume")
        docker_line(commands.volume_argv(final, self.labels)[1:], show=show)
        return client().volumes.get(final)

    def build(self, context: str | Path, tag: str, *, builder: str = "classic",
              show: bool = True, **options: Any) -> CliBuild:
        """`docker build -t TAG CONTEXT` through the docker CLI, the image recorded for cleanup.

        Args:
            context: the build context folder.
            tag: the image name (made unique if a learner's image has it).
            builder: "classic" (the default: it sends the whole context and logs each step's
                ID, which chapters 01 and 02 teach from) or "buildkit" (where `docker build`
                is BuildKit; the classic builder elsewhere).
            show: print the command line that runs.
            **options: dockerfile, platform, buildargs, no_cache (`labkit.lab.imagebuild`).
        """
        return imagebuild.build(self, context, tag, builder=builder, show=show, **options)

    def tag(self, image: str, ref: str, *, show: bool = True) -> str:
        """`docker tag IMAGE REF`, recorded so cleanup removes the new name.

        Returns:
            The name actually given (made unique if a learner's image has it).
        """
        final = self.name(ref, "image")
        with friendly():
            img = client().images.get(image)
        self.ledger.add("tag", ref=str(Ref.parse(final).or_latest()), image_id=img.id)
        docker_line(commands.tag_argv(image, final)[1:], show=show)
        return final

    def record_pulled(self, ref: str) -> None:
        """Note an image reference that a lesson pulled (from a local registry), for cleanup."""
        img = client().images.get(ref)
        self.ledger.add("tag", ref=ref, image_id=img.id)

    # -- host resources ------------------------------------------------------------------
    def workdir(self, name: str) -> Path:
        """A fresh folder for the lesson's files, removed by cleanup."""
        root = cleanup.work_root() / self.session
        self.ledger.add("dir", path=str(root))
        path = root / name
        if path.exists():
            cleanup._undo_dir({"path": str(path)})
        path.mkdir(parents=True)
        return path

    def netns(self, name: str, *, show: bool = False) -> str:
        """`ip netns add NAME`: a network namespace, removed by cleanup. Returns its name.

        Args:
            name: the namespace's name (made unique if one of that name is not ours).
            show: print the command line (where the cell is about the namespace itself).
        """
        require_root()
        final = self.name(name, "netns")
        if not procfs.mounted(NETNS_DIR):
            # The first `ip netns add` on a machine mounts /run/netns onto itself; cleanup
            # unmounts it again once no namespace is left there.
            self.ledger.add("mount", target=NETNS_DIR, only_if_empty=True)
        self.ledger.add("netns", name=final)
        if show:
            show_command(["ip", "netns", "add", final])
        host().run(["ip", "netns", "add", final])
        return final

    def veth(self, name: str, peer: str) -> tuple[str, str]:
        """`ip link add NAME type veth peer name PEER`; cleanup deletes the pair."""
        require_root()
        a, b = self.name(name, "link"), self.name(peer, "link")
        self.ledger.add("link", name=a)
        host().run(["ip", "link", "add", a, "type", "veth", "peer", "name", b])
        return a, b

    def bridge(self, name: str) -> str:
        """`ip link add NAME type bridge`; cleanup deletes it."""
        require_root()
        final = self.name(name, "link")
        self.ledger.add("link", name=final)
        host().run(["ip", "link", "add", final, "type", "bridge"])
        return final

    def mount(self, argv: Sequence[str], target: str | Path) -> None:
        """Run a `mount ...` command for TARGET and record it for unmounting."""
        require_root()
        self.ledger.add("mount", target=str(target))
        host().run(list(argv))

    def symlink(self, link: str | Path, points_to: str | Path) -> Path:
        """`ln -s POINTS_TO LINK` (e.g. into /var/run/netns); cleanup removes the link."""
        link = Path(link)
        if link.exists() or link.is_symlink():
            raise NameTaken(_("{link} already exists.").format(link=link), _("choose another name"))
        link.parent.mkdir(parents=True, exist_ok=True)
        self.ledger.add("symlink", path=str(link))
        link.symlink_to(points_to)
        return link

    def iptables(self, table: str, chain: str, rule: Sequence[str]) -> None:
        """`iptables -t TABLE -I CHAIN RULE`; cleanup deletes exactly this rule."""
        require_root()
        self.ledger.add("iptables", table=table, chain=chain, rule=list(rule))
        host().run(["iptables", "-t", table, "-I", chain, *rule])

    def spawn(self, argv: Sequence[str], *, netns: str | None = None,
              log: Path | None = None) -> subprocess.Popen[bytes]:
        """Start a background host process (optionally inside a netns); cleanup stops it."""
        full = ["ip", "netns", "exec", netns, *argv] if netns else list(argv)
        out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
        proc = subprocess.Popen(  # noqa: S603 - argument list
            full, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        self.ledger.add("process", pid=proc.pid, start=procfs.start_time(proc.pid))
        return proc

    def record(self, kind: str, **data: Any) -> None:
        """Record a host resource made some other way (kinds: see labkit.lab.cleanup.UNDO)."""
        if kind not in cleanup.UNDO:
            raise ValueError(f"unknown kind {kind!r}")
        self.ledger.add(kind, **data)

    # -- one resource before the end -------------------------------------------------------
    def made(self, kind: str) -> list[dict[str, Any]]:
        """What this session recorded of one kind (copies; e.g. `made("tag")`)."""
        return [dict(e) for e in self.ledger.entries if e.get("kind") == kind]

    def release(self, kind: str, **match: Any) -> int:
        """Undo now what this session recorded of KIND with these fields; returns how many.

        `lab.release("iptables", table="nat", chain="POSTROUTING", rule=[...])` deletes that
        rule and forgets it, as cleanup would at the end.
        """
        found = self._matching(kind, match)
        undo = cleanup.UNDO[kind]
        for entry in found:
            undo(entry)
            self.ledger.drop(entry)
        return len(found)

    def forget(self, kind: str, **match: Any) -> int:
        """Drop records of resources that are gone already (stopped or removed some other way)."""
        found = self._matching(kind, match)
        for entry in found:
            self.ledger.drop(entry)
        return len(found)

    def _matching(self, kind: str, match: Mapping[str, Any]) -> list[dict[str, Any]]:
        if kind not in cleanup.UNDO:
            raise ValueError(f"unknown kind {kind!r}")
        return [e for e in list(self.ledger.entries) if e.get("kind") == kind
                and all(e.get(k) == v for k, v in match.items())]

    # -- the end ---------------------------------------------------------------------------
    def cleanup(self) -> str:
        """Remove everything this session created; returns a one-line summary."""
        return cleanup.summarize(cleanup.clean_session(self.session))

    @contextlib.contextmanager
    def scope(self) -> Iterator[Lab]:
        """`with lab.scope():` cleans up when the block ends, even on error."""
        try:
            yield self
        finally:
            self.cleanup()


def require_local_image(image: str) -> None:
    """Make sure the engine has `image` without ever pulling from a registry.

    A course image (`labkit/nginx:1.22.1`, ...) that is missing is built here; anything else
    must already exist locally.

    Raises:
        UnknownImage: neither the engine nor the course knows the image.
    """
    from labkit.images import catalog as images

    course = images.ALIASES.get(image)
    if course is not None and image.startswith(images.NAMESPACE):
        images.ensure([course])  # only an image labkit built counts; raises for any other
        if image in (course, f"{course}:latest"):
            return
    else:
        try:
            client().images.get(image)
            return
        except docker.errors.ImageNotFound:
            pass
        course = images.recipe_for(image).name  # raises UnknownImage for unknown names
        images.ensure([course])
    # e.g. `redis` or `labkit/redis`: the course's image has a name and tag of its own
    raise UnknownImage(_("There is no image called {image!r} here.").format(image=image),
                       _("the course's image is {course!r}: use that name").format(course=course))

