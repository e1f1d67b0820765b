"""Whose is a name: the lesson's own, a learner's, or free; and the names a lesson falls back to.

Taught in: 00-preflight (a learner's container called `preflight` is never touched: the
lesson's gets `preflight-<session>`). `Lab.name` asks these.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import docker.errors

from labkit.base import containers, labels
from labkit.base.engine import client

IFNAMSIZ = 15  # the longest network interface name Linux takes


def short_name(base: str, session: str) -> str:
    """`base-<session>` cut to an interface name's 15 characters, still unique per base.

    A long base is cut and given three hex digits of its hash, so two names that differ only
    at the end (a veth pair's two ends) never become the same name.
    """
    name = f"{base}-{session}"
    if len(name) <= IFNAMSIZ:
        return name
    digest = hashlib.sha256(base.encode()).hexdigest()[:3]
    return f"{base[: IFNAMSIZ - len(session) - 1 - len(digest)]}{digest}-{session}"


def new_session() -> str:
    """A fresh session token: 's' and six hex digits (the sanitize file knows the shape)."""
    return "s" + secrets.token_hex(3)


def _docker_object(name: str, kind: str) -> Any:
    c = client()
    if kind == "container":
        return next((x for x in c.containers.list(all=True, filters={"name": name},
                                                  ignore_removed=True) if x.name == name), None)
    if kind == "network":
        return next((x for x in c.networks.list(names=[name]) if x.name == name), None)
    if kind == "volume":
        return next((x for x in c.volumes.list(filters={"name": name}) if x.name == name), None)
    if kind == "image":
        try:
            return c.images.get(name)
        except docker.errors.ImageNotFound:
            return None
    raise ValueError(f"unknown kind {kind!r}")


BUILTIN_NETWORKS = frozenset({"bridge", "host", "none", "default"})


def joined_by(networks: Iterable[str], namespaces: Iterable[str]) -> list[tuple[str, str]]:
    """(kind, name) of what `docker run` flags join: each `--network NAME` (not a built-in
    one) or `--network container:NAME`, and each `--pid`/`--ipc container:NAME`."""
    found = []
    for value in networks:
        if value.startswith("container:"):
            found.append(("container", value.split(":", 1)[1]))
        elif value not in BUILTIN_NETWORKS:
            found.append(("network", value))
    found += [("container", value.split(":", 1)[1]) for value in namespaces
              if value.startswith("container:")]
    return found


def learners_own(name: str, kind: str) -> bool:
    """Whether the container or network NAME exists and is not the course's: a learner's own,
    which no lesson container may join."""
    found = _docker_object(name, kind)
    return found is not None and not labels.made_by_course(containers.labels(found))


def owner(name: str, kind: str, session: str,
          entries: Iterable[Mapping[str, Any]]) -> str | None:
    """Who holds NAME of KIND: "ours" (this session's), "other" (anyone else's), or None (free).

    Containers, networks and volumes are ours when they carry this session's label; images,
    network namespaces and links when this session's ledger ENTRIES recorded them (images
    carry no session label: a container would inherit it).
    """
    entries = list(entries)
    if kind in {"netns", "link"}:
        where = "/var/run/netns" if kind == "netns" else "/sys/class/net"
        if not Path(where, name).exists():
            return None
        mine = any(e.get("kind") == kind and e.get("name") == name for e in entries)
        return "ours" if mine else "other"
    found = _docker_object(name, kind)
    if found is None:
        return None
    if kind == "image":
        mine = any(e.get("kind") in {"image", "tag"} and
                   name in ([*e.get("tags", []), e.get("ref")]) for e in entries)
        return "ours" if mine else "other"
    return "ours" if containers.labels(found).get(labels.SESSION) == session else "other"


def remove_docker_object(name: str, kind: str) -> None:
    """Remove this session's container, network or volume NAME so its name can be used again
    (only called for a name `owner` said is ours)."""
    c = client()
    with contextlib.suppress(docker.errors.NotFound):
        if kind == "container":
            c.containers.get(name).remove(force=True, v=True)
        elif kind == "network":
            c.networks.get(name).remove()
        elif kind == "volume":
            c.volumes.get(name).remove(force=True)
