"""Every notebook: nbval twice in a row, on an engine that holds a learner's own objects with
the course's names; afterwards the host is exactly as it was. Strict on the engine the outputs
were recorded on, lax (every cell runs, every assertion holds) elsewhere: see
labkit/recording/strictness.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

import docker
import pytest

from labkit.images import build
from labkit.recording.strictness import Mode, nbval_argv

from . import course_names
from .hoststate import settled_diff, snapshot

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*-*.ipynb"))
LEARNER = {"learner.owns": "yes"}


def nbval(notebook: Path) -> tuple[subprocess.CompletedProcess[str], Mode]:
    """Run one notebook under nbval, as strictly as this engine allows."""
    argv, how = nbval_argv(notebook)
    return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, check=False), how


LOOK_ALIKE_DOCKERFILE = """\
# A learner's own image under an official name: another layout than the course's images.
FROM labkit/busybox
COPY learner-image /learner-image
CMD ["sleep", "86400"]
"""


class Learner:
    """A learner's own containers, networks, volumes and images, with the course's names.

    The images include look-alikes of Docker Hub's official images under the names the course
    once used (`redis:7.0`, `busybox:latest`, ...): built from `labkit/busybox` with a file
    /learner-image and no /etc/redis, so a notebook that picks one of them up fails.
    """

    def __init__(self, workdir: Path) -> None:
        self.client = docker.from_env(version="auto")
        self.workdir = workdir
        self.made: list[tuple[str, str]] = []
        self.image_ids: dict[str, str] = {}  # every image name of the learner's, made or found
        self.image_id = ""

    def look_alike(self) -> str:
        """Build (no pull, no network) the learner's image; returns its ID."""
        # A missing FROM image would be pulled even with pull=False: make sure it is here.
        self.client.images.get("labkit/busybox")  # from `labkit images`
        context = self.workdir / "learner-image"
        context.mkdir(parents=True, exist_ok=True)
        (context / "Dockerfile").write_text(LOOK_ALIKE_DOCKERFILE)
        (context / "learner-image").write_text("this image belongs to the learner\n")
        before = build.untagged_image_ids()
        image, _ = self.client.images.build(path=str(context), labels=LEARNER, pull=False,
                                            rm=True, forcerm=True, network_mode="none")
        build.drop_intermediates(image.id, before)  # the containerd store keeps its steps
        return image.id

    def plant(self) -> None:
        c = self.client
        image_id = self.image_id = self.look_alike()
        for ref in course_names.IMAGES:
            try:
                self.image_ids[ref] = c.images.get(ref).id
            except docker.errors.ImageNotFound:
                repo, tag = ref.rsplit(":", 1)
                c.images.get(image_id).tag(repo, tag)
                self.image_ids[ref] = image_id
                self.made.append(("image", ref))
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
                c.containers.run(image_id, ["sleep", "86400"], name=name, detach=True,
                                 labels=LEARNER)
                self.made.append(("container", name))

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
            except docker.errors.NotFound:
                lost.append(f"{kind} {name} is gone")
        for ref, image_id in self.image_ids.items():
            try:
                if c.images.get(ref).id != image_id:
                    lost.append(f"image {ref} now names another image")
            except docker.errors.ImageNotFound:
                lost.append(f"image {ref} is gone")
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
                else:  # the last name takes the image and its build's own steps with it
                    c.images.remove(name)
            except docker.errors.NotFound:
                pass
        try:  # still here, without a name, when every name was taken already
            if self.image_id and not c.images.get(self.image_id).tags:
                c.images.remove(self.image_id)
        except docker.errors.NotFound:
            pass


@pytest.mark.notebooks
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_twice_strict_and_leaves_no_trace(notebook: Path, tmp_path: Path) -> None:
    before = snapshot()
    learner = Learner(tmp_path)
    try:
        learner.plant()
        for attempt in ("first run", "second run"):
            proc, how = nbval(notebook)
            assert proc.returncode == 0, (f"{notebook.name}, {attempt} ({how.word}: {how.reason})"
                                          f":\n{proc.stdout[-12000:]}")
        assert learner.intact() == [], "a learner's own objects were touched"
    finally:
        learner.remove()
    changes = settled_diff(before)
    assert changes == "", f"{notebook.name} left traces:\n{changes}"
