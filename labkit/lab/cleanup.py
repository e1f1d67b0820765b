"""Undo what lessons created: Docker objects found by label, host resources by ledger.

Taught in: 00-preflight (`lab.cleanup()`, `labkit clean`). Nothing without a course label
or a ledger entry is ever touched.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import docker.errors
from docker.models.containers import Container

from labkit.base import containers, labels, procfs, settings
from labkit.base.daemon import pid_alive, terminate
from labkit.base.engine import client, reachable
from labkit.base.host import host
from labkit.base.i18n import _, language
from labkit.lab.ledger import Ledger, all_ledgers

IGNORED = (docker.errors.NotFound,)


def work_root() -> Path:
    """The folder under which lessons keep their files; only these are ever deleted."""
    return settings.state_dir() / "lessons"


def _undo_process(e: dict[str, Any]) -> None:
    pid = int(e["pid"])
    # The start time tells our process from a later one that was given the same PID.
    if not pid_alive(pid) or procfs.start_time(pid) != e.get("start", ""):
        return
    terminate(pid, timeout=5)


def _undo_mount(e: dict[str, Any]) -> None:
    if e.get("only_if_empty") and Path(e["target"]).is_dir() and any(Path(e["target"]).iterdir()):
        return  # someone else's namespaces live there now
    if procfs.mounted(e["target"]):
        if not host().run(["umount", e["target"]], check=False).ok:
            host().run(["umount", "-l", e["target"]], check=False)


def _undo_netns(e: dict[str, Any]) -> None:
    if Path("/var/run/netns", e["name"]).exists():
        host().run(["ip", "netns", "delete", e["name"]], check=False)


def _undo_link(e: dict[str, Any]) -> None:
    if Path("/sys/class/net", e["name"]).exists():
        host().run(["ip", "link", "delete", e["name"]], check=False)


def _undo_symlink(e: dict[str, Any]) -> None:
    path = Path(e["path"])
    if path.is_symlink():
        path.unlink()


def _undo_dir(e: dict[str, Any]) -> None:
    path = Path(e["path"])
    root = work_root()
    if path.is_dir() and (path == root or root in path.parents):
        inside = os.path.realpath(path) + "/"
        # Deepest first; files can be mount points too (a daemon's netns files).
        for point in sorted((m for m in procfs.mount_points() if m.startswith(inside)),
                            key=len, reverse=True):
            host().run(["umount", "-l", point], check=False)
        shutil.rmtree(path, ignore_errors=True)


def _undo_iptables(e: dict[str, Any]) -> None:
    argv = ["iptables", "-t", e["table"]]
    rule = [str(x) for x in e["rule"]]
    if host().run([*argv, "-C", e["chain"], *rule], check=False).ok:
        host().run([*argv, "-D", e["chain"], *rule], check=False)


def _undo_tag(e: dict[str, Any]) -> None:
    try:
        image = client().images.get(e["ref"])
    except IGNORED:
        return
    if image.id == e.get("image_id"):
        client().images.remove(e["ref"], noprune=False)


def _undo_image(e: dict[str, Any]) -> None:
    """Untag the names a lesson build gave; remove the image once no other name is left."""
    c = client()
    image_id = e.get("id")
    for tag in e.get("tags", []):
        try:
            current = c.images.get(tag)
        except IGNORED:
            continue
        if image_id is None or current.id == image_id:
            image_id = current.id
            c.images.remove(tag, noprune=False)
    if image_id is None:
        return
    try:
        image = c.images.get(image_id)
    except IGNORED:
        return
    if not image.tags:
        try:
            c.images.remove(image.id, noprune=False)
        except docker.errors.APIError:
            pass  # still used by a learner's container or image: leave it


def _undo_sysctl(e: dict[str, Any]) -> None:
    Path("/proc/sys", *e["key"].split(".")).write_text(str(e["old"]))


UNDO = {
    "process": _undo_process,
    "mount": _undo_mount,
    "netns": _undo_netns,
    "link": _undo_link,
    "symlink": _undo_symlink,
    "dir": _undo_dir,
    "iptables": _undo_iptables,
    "tag": _undo_tag,
    "image": _undo_image,
    "sysctl": _undo_sysctl,
}
DOCKER_KINDS = {"tag", "image"}


REMOVERS = 8  # containers removed at once


def _remove_container(container: Container) -> bool:
    """Remove one container and its anonymous volumes; False if it was gone already."""
    try:
        container.remove(force=True, v=True)
        return True
    except IGNORED:
        return False


def remove_docker_objects(session: str | None = None, chapter: str | None = None) -> Counter[str]:
    """Remove labelled containers, networks and volumes; returns counts by kind."""
    counts: Counter[str] = Counter()
    if not reachable():
        return counts
    c = client()
    flt = {"label": labels.course_filter(session, chapter)}
    boxes = c.containers.list(all=True, filters=flt, ignore_removed=True)
    # Side by side: a chapter leaves a few dozen containers, and each removal waits on the
    # engine (stopping, unmounting) far more than on this process.
    with ThreadPoolExecutor(max_workers=REMOVERS) as pool:
        counts["container"] += sum(pool.map(_remove_container, boxes))
    for network in c.networks.list(filters=flt):
        try:
            network.remove()
            counts["network"] += 1
        except IGNORED:
            pass
    for volume in c.volumes.list(filters=flt):
        try:
            volume.remove(force=True)
            counts["volume"] += 1
        except IGNORED:
            pass
    return counts


def undo_ledger(ledger: Ledger) -> Counter[str]:
    """Undo a ledger's entries, newest first; returns counts by kind."""
    counts: Counter[str] = Counter()
    engine_up = reachable()
    for entry in reversed(list(ledger.entries)):
        kind = entry.get("kind", "")
        if kind in DOCKER_KINDS and not engine_up:
            continue
        undo = UNDO.get(kind)
        if undo is None:
            continue
        try:
            undo(entry)
        except IGNORED:
            pass
        counts[kind] += 1
        ledger.drop(entry)
    if not ledger.entries:
        ledger.delete()
    return counts


def clean_session(session: str, chapter: str | None = None) -> Counter[str]:
    """Remove everything one session created."""
    counts = remove_docker_objects(session=session)
    for ledger in all_ledgers():
        if ledger.session == session:
            counts.update(undo_ledger(ledger))
    return counts


def clean(chapter: str | None = None, *, only_stale: bool = False) -> Counter[str]:
    """Remove what lessons created (all sessions, or one chapter's).

    Args:
        chapter: only this chapter's sessions.
        only_stale: only sessions whose notebook kernel is gone.
    """
    counts: Counter[str] = Counter()
    live = set()
    for ledger in all_ledgers():
        if chapter is not None and ledger.chapter != chapter:
            continue
        if only_stale and ledger.pid != os.getpid() and pid_alive(ledger.pid):
            live.add(ledger.session)
            continue
        if only_stale and ledger.pid == os.getpid():
            live.add(ledger.session)
            continue
        counts.update(clean_session(ledger.session))
    if not only_stale:
        counts.update(remove_docker_objects(chapter=chapter))
    else:
        counts.update(_remove_unledgered(chapter, live))
    return counts


def _remove_unledgered(chapter: str | None, live: set[str]) -> Counter[str]:
    """Docker objects of sessions that have no ledger left (and are not live)."""
    counts: Counter[str] = Counter()
    if not reachable():
        return counts
    c = client()
    flt = {"label": labels.course_filter(None, chapter)}
    sessions = set()
    found = [*c.containers.list(all=True, filters=flt, ignore_removed=True),
             *c.networks.list(filters=flt), *c.volumes.list(filters=flt)]
    for obj in found:
        sessions.add(containers.labels(obj).get(labels.SESSION, ""))
    for session in sessions - live - {""}:
        counts.update(remove_docker_objects(session=session))
    return counts


def summarize(counts: Counter[str]) -> str:
    """A stable one-line summary of a cleanup, e.g. 'removed 2 containers, 1 netns'."""
    if not counts:
        return _("nothing to remove")
    english = language() == "en"
    # The kinds are Docker's and the kernel's own words (container, netns): never translated,
    # and given an English plural only in English.
    parts = [_("{n} {kind}").format(
                 n=n, kind=kind + ("" if n == 1 or kind.endswith("s") or not english else "s"))
             for kind, n in sorted(counts.items())]
    return _("removed {items}").format(items=_(", ").join(parts))
