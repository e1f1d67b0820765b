"""Every notebook: strict nbval twice in a row, on an engine that holds a learner's own
objects with the course's names; afterwards the host is exactly as it was."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import docker
import pytest

from . import course_names
from .hoststate import diff, snapshot

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
SANITIZE = ROOT / "tests" / "sanitize.cfg"
LEARNER = {"learner.owns": "yes"}


def nbval(notebook: Path) -> subprocess.CompletedProcess[str]:
    """Run one notebook under strict nbval (outputs compared after sanitizing)."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--nbval", str(notebook),
         "--nbval-current-env", "--nbval-sanitize-with", str(SANITIZE),
         "--nbval-cell-timeout", "900", "-q", "-o", "addopts=", "--rootdir", str(ROOT)],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )


class Learner:
    """A learner's own containers, networks, volumes and image names (the course's names)."""

    def __init__(self) -> None:
        self.client = docker.from_env(version="auto")
        self.made: list[tuple[str, str]] = []

    def plant(self) -> None:
        c = self.client
        for name in course_names.NETWORKS:
            if not c.networks.list(names=[name]):
                c.networks.create(name, labels=LEARNER)
                self.made.append(("network", name))
        for name in course_names.VOLUMES:
            if not c.volumes.list(filters={"name": name}):
                c.volumes.create(name, labels=LEARNER)
                self.made.append(("volume", name))
        for name in course_names.CONTAINERS:
            if not any(x.name == name for x in c.containers.list(all=True)):
                c.containers.run("busybox", ["sleep", "86400"], name=name, detach=True,
                                 labels=LEARNER)
                self.made.append(("container", name))
        for ref in course_names.IMAGES:
            try:
                c.images.get(ref)
            except docker.errors.ImageNotFound:
                repo, tag = ref.rsplit(":", 1)
                c.images.get("busybox").tag(repo, tag)
                self.made.append(("image", ref))

    def intact(self) -> list[str]:
        """What of the learner's objects went missing or changed."""
        c, lost = self.client, []
        for kind, name in self.made:
            try:
                if kind == "container":
                    x = c.containers.get(name)
                    if x.status != "running" or x.labels.get("learner.owns") != "yes":
                        lost.append(f"container {name} is {x.status}")
                elif kind == "network":
                    if c.networks.get(name).attrs["Labels"].get("learner.owns") != "yes":
                        lost.append(f"network {name} was replaced")
                elif kind == "volume":
                    c.volumes.get(name)
                else:
                    if c.images.get(ref := name).id != c.images.get("busybox").id:
                        lost.append(f"image {ref} now names another image")
            except docker.errors.NotFound:
                lost.append(f"{kind} {name} is gone")
        return lost

    def remove(self) -> None:
        c = self.client
        for kind, name in reversed(self.made):
            try:
                if kind == "container":
                    c.containers.get(name).remove(force=True)
                elif kind == "network":
                    c.networks.get(name).remove()
                elif kind == "volume":
                    c.volumes.get(name).remove()
                else:
                    c.images.remove(name, noprune=True)
            except docker.errors.NotFound:
                pass


@pytest.mark.notebooks
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_twice_strict_and_leaves_no_trace(notebook: Path) -> None:
    before = snapshot()
    learner = Learner()
    try:
        learner.plant()
        for attempt in ("first run", "second run"):
            proc = nbval(notebook)
            assert proc.returncode == 0, f"{notebook.name}, {attempt}:\n{proc.stdout[-12000:]}"
        assert learner.intact() == [], "a learner's own objects were touched"
    finally:
        learner.remove()
    changes = diff(before, snapshot())
    assert changes == "", f"{notebook.name} left traces:\n{changes}"
