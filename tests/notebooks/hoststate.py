"""A snapshot of everything on the host that a lesson could leave behind."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import time
from pathlib import Path

import docker

COUNTERS = re.compile(r"\[\d+:\d+\]")
NFT_COUNTERS = re.compile(r"counter packets \d+ bytes \d+")


def _run(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout
    except FileNotFoundError:  # nft is not on every machine
        return ""


def _file_hash(path: str) -> str | None:
    p = Path(path)
    return hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None


def _other_pid_namespace(pid: str) -> bool:
    """Whether a process lives in a pid namespace other than ours: a machine of the engine
    matrix held open on this host runs its own dockerd and docker-proxy there, and no lesson
    starts a daemon in a pid namespace of its own. Unreadable counts as ours (it is checked)."""
    try:
        return os.readlink(f"/proc/{pid}/ns/pid") != os.readlink("/proc/self/ns/pid")
    except OSError:
        return False


def _procs(names: set[str]) -> frozenset[str]:
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
        except OSError:
            continue
        if _other_pid_namespace(pid):
            continue
        if os.path.basename(argv0) in names:
            found.add(f"{pid}:{argv0}")
    return frozenset(found)


# dockerd bind-mounts its own network namespace here the first time a container uses
# `--network host`, and keeps it while it runs: the engine's state, not a lesson's trace.
ENGINE_OWN_MOUNTS = frozenset({"/run/docker/netns/default"})


def snapshot() -> dict[str, frozenset[str]]:
    """Docker objects, netns, links, mounts, iptables rules, daemons and labkit's own state."""
    c = docker.from_env(version="auto")
    links = json.loads(_run(["ip", "-j", "link", "show"]) or "[]")
    mounts = Path("/proc/1/mountinfo").read_text().splitlines()
    rules = {COUNTERS.sub("", line) for line in _run(["iptables-save"]).splitlines()
             if line and not line.startswith("#")}
    state = Path(os.environ.get("LABKIT_STATE_DIR", "/var/lib/labkit"))
    return {
        "containers": frozenset(f"{x.id[:12]} {x.name} {x.status}"
                                for x in c.containers.list(all=True)),
        "networks": frozenset(f"{n.id[:12]} {n.name}" for n in c.networks.list()),
        "volumes": frozenset(v.name for v in c.volumes.list()),
        "images": frozenset(f"{i.id} {sorted(i.tags)}" for i in c.images.list(all=True)),
        "netns": frozenset(os.listdir("/var/run/netns")) if os.path.isdir("/var/run/netns")
        else frozenset(),
        "links": frozenset(link["ifname"] for link in links),
        "mounts": frozenset(line.split()[4] for line in mounts) - ENGINE_OWN_MOUNTS,
        "iptables": frozenset(rules),
        # the nftables firewall backend's tables (Docker 29), and any a lesson adds
        "nftables": frozenset(NFT_COUNTERS.sub("counter", line.strip()) for line in
                              _run(["nft", "list", "ruleset"]).splitlines() if line.strip()),
        "daemons": _procs({"dockerd", "docker-registry", "containerd", "docker-proxy"}),
        "config": frozenset(f"{p}={_file_hash(p)}" for p in
                            ["/etc/docker/daemon.json", "/etc/resolv.conf", "/etc/hosts"]),
        "ip_forward": frozenset([Path("/proc/sys/net/ipv4/ip_forward").read_text().strip()]),
        "labkit-ledgers": frozenset(p.name for p in (state / "sessions").glob("*.json")),
        "labkit-lessons": frozenset(p.name for p in (state / "lessons").glob("*")),
    }


def diff(before: dict[str, frozenset[str]], after: dict[str, frozenset[str]]) -> str:
    """A readable description of what changed ('' when nothing did)."""
    lines = []
    for key in before:
        added, removed = after[key] - before[key], before[key] - after[key]
        for item in sorted(added):
            lines.append(f"{key}: left behind: {item}")
        for item in sorted(removed):
            lines.append(f"{key}: gone: {item}")
    return "\n".join(lines)


def settled_diff(before: dict[str, frozenset[str]], wait: float = 30.0) -> str:
    """`diff(before, snapshot())`, waiting up to WAIT seconds while the only changes are
    daemons leaving: a removed container's docker-proxy processes and the containerd of
    chapter 03's throwaway engine end on their own time (seen on 20.10 under load: gone some
    seconds later). Anything else is returned at once; daemons still there after WAIT too."""
    changes = diff(before, snapshot())
    settle = time.monotonic() + wait
    while changes and time.monotonic() < settle and all(
            "left behind" in line and ("docker-proxy" in line or "containerd" in line)
            for line in changes.splitlines() if line.strip()):
        time.sleep(0.5)
        changes = diff(before, snapshot())
    return changes
