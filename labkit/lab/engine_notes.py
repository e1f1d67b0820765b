"""What a chapter cannot show on the learner's kind of engine, said once at `labkit.start`.

Taught in: 00-preflight (the first cell of every chapter prints these after the engine line).

Chapters 02-04 read the kernel state of the engine's own machine: its /var/lib/docker, its
mounts, docker0, its iptables or nft rules, its processes' namespaces. That is this machine
only for a rootful engine running here.
"""

from __future__ import annotations

from labkit.base.facts import EngineFacts
from labkit.base.i18n import _

ROOTLESS = "name=rootless"


def rootless(f: EngineFacts) -> bool:
    """True for rootless Docker (`docker info` lists `name=rootless` in its security options)."""
    return any(ROOTLESS in str(o) for o in (f.raw.get("SecurityOptions") or []))


def desktop(f: EngineFacts) -> bool:
    """True for Docker Desktop, whose engine runs in a virtual machine of its own."""
    return "docker desktop" in f.os.lower()


def notes(f: EngineFacts) -> list[str]:
    """One sentence per limit this engine puts on the chapters (none for a local rootful one)."""
    said = []
    if rootless(f):
        said.append(
            _("This is rootless Docker: docker0, its firewall rules and every container's network "
            "namespace live inside RootlessKit's own namespaces, not this machine's, so chapters "
            "03 and 04 will not find them from here. Run the course where a rootful engine may "
            "run (a VM or the course's dev container)."))
    if desktop(f):
        said.append(
            _("Docker Desktop runs the engine in a virtual machine: chapters 02-04 read that VM's "
            "kernel (through a helper container labkit starts), not this computer's, so paths "
            "and addresses they show exist only inside the VM."))
    elif f.host_mode == "helper":
        said.append(
            _("The engine runs on another machine: chapters 02-04 read that machine's kernel "
            "through a helper container labkit starts there, not this computer's."))
    return said
