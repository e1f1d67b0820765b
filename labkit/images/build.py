"""Build an image with the Docker SDK, measuring what is sent to the daemon.

Taught in: 01-building-images (the build context, the build log). Course images use it too.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import docker.errors
from docker.api.build import process_dockerfile
from docker.utils import build as build_utils

from labkit.base.engine import client
from labkit.base.errors import LabkitError, friendly
from labkit.base.facts import facts
from labkit.base.fmt import Progress
from labkit.base.i18n import _
from labkit.base.refs import Ref


@dataclass(frozen=True)
class BuildResult:
    """One finished `docker build`.

    Attributes:
        image_id: the new image's ID (sha256:...).
        tags: the names it was given.
        log: the build's output, line by line, as `docker build` prints it.
        context_bytes: size of the build context tar sent to the daemon.
        seconds: wall time of the whole build, upload included.
    """

    image_id: str
    tags: tuple[str, ...]
    log: tuple[str, ...]
    context_bytes: int
    seconds: float

    def show_log(self) -> None:
        """Print the build log."""
        print("\n".join(self.log))


def read_dockerignore(context: str | Path) -> list[str]:
    """The patterns of a context's .dockerignore, as docker-py reads them ([] if none)."""
    path = Path(context, ".dockerignore")
    if not path.exists():
        return []
    lines = [line.strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def context_tar(context: str | Path, dockerfile: str | None = None) -> tuple[bytes, str | None]:
    """The build context exactly as the SDK sends it: a tar honouring .dockerignore.

    Args:
        context: the build context folder.
        dockerfile: path to the Dockerfile (relative to the context, or anywhere).

    Returns:
        The tar's bytes and the Dockerfile name to pass to the daemon.
    """
    context = os.path.abspath(context)
    name, contents = process_dockerfile(dockerfile, context)
    fileobj = build_utils.tar(
        context, exclude=read_dockerignore(context) or None,
        dockerfile=(name, contents) if contents is not None else None,
    )
    data = fileobj.read()
    fileobj.close()
    return data, name


def build_image(
    context: str | Path,
    tag: str | list[str],
    *,
    labels: Mapping[str, str] | None = None,
    dockerfile: str | None = None,
    buildargs: Mapping[str, str] | None = None,
    platform: str | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Run a `docker build` of a folder and collect its log.

    Args:
        context: the build context folder.
        tag: the image name, or several.
        labels: labels to set on the image.
        dockerfile: Dockerfile path, relative to the context or elsewhere (`-f`).
        buildargs: `--build-arg` values.
        platform: `--platform`, e.g. "linux/arm64".
        progress: called with each log line as it arrives.

    Raises:
        LabkitError: the build failed (the message carries the builder's error).
    """
    tags = [tag] if isinstance(tag, str) else list(tag)
    started = time.monotonic()
    before = untagged_image_ids()
    data, name = context_tar(context, dockerfile)
    log: list[str] = []
    image_id = ""
    with friendly():
        stream = client().api.build(
            fileobj=io.BytesIO(data), custom_context=True, tag=tags[0], dockerfile=name,
            labels=dict(labels or {}), buildargs=dict(buildargs or {}), platform=platform,
            rm=True, forcerm=True, decode=True, network_mode="none",
        )
        for chunk in stream:
            if "error" in chunk:
                raise LabkitError(_("The build failed: {error}").format(
                                      error=chunk['error'].strip()),
                                  _("fix the Dockerfile or the context, then build again"))
            text = chunk.get("stream", "")
            for line in text.splitlines():
                if line.strip():
                    log.append(line.rstrip())
                    if progress:
                        progress(line.rstrip())
            aux = chunk.get("aux") or {}
            image_id = aux.get("ID", image_id)
        if not image_id:
            raise LabkitError(_("The build finished without an image ID."), _("read the build log"))
        drop_intermediates(image_id, before)
        for extra in tags[1:]:
            parsed = Ref.parse(extra)
            client().images.get(image_id).tag(parsed.name, parsed.tag)
    return BuildResult(image_id, tuple(tags), tuple(log), len(data), time.monotonic() - started)


def untagged_image_ids() -> set[str]:
    """The IDs of the engine's untagged images, step images included: what `intermediates`
    needs as BEFORE (it stops at a tagged image). One cheap API call: the SDK's `images.list`
    inspects every image, and an unfiltered list takes a tenth of a second on a busy store."""
    with friendly():
        return {str(i) for i in client().api.images(all=True, quiet=True,
                                                    filters={"dangling": True})}


def intermediates(image_id: str, before: set[str]) -> list[str]:
    """The untagged images a classic build left below IMAGE_ID: its Parent chain, up to the
    first image that existed before the build (in BEFORE) or has a name."""
    found: list[str] = []
    with friendly():
        parent = client().images.get(image_id).attrs.get("Parent") or ""
        while parent and parent not in before:
            try:
                image = client().images.get(parent)
            except docker.errors.ImageNotFound:
                break
            if image.tags:
                break
            found.append(image.id)
            parent = image.attrs.get("Parent") or ""
    return found


def drop_intermediates(image_id: str, before: set[str]) -> None:
    """On the containerd image store, remove the step images a classic build left behind.

    The graphdriver store keeps them hidden as the new image's parents (they go with it); the
    containerd store lists them as untagged images that stay after the image is removed. Only
    images this build made (absent from BEFORE, in the new image's Parent chain) are removed.
    """
    if not facts().containerd_store:
        return
    with friendly():
        for step in intermediates(image_id, before):
            client().images.remove(step, noprune=True)
