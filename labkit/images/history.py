"""`docker history` as a table: which instruction made which layer, and how big it is.

Taught in: 00-preflight (how a course image was built), 01-building-images (from build to
layers), 02-overlayfs-and-image-storage (the layers on disk).
"""

from __future__ import annotations

import re
from typing import Any

import docker.errors
import pandas as pd

from labkit.base.engine import client
from labkit.base.errors import friendly
from labkit.base.fmt import human_size

NOP = re.compile(r"^/bin/sh -c #\(nop\)\s*")


def instruction(created_by: str) -> str:
    """The Dockerfile instruction behind a history entry, as you would write it.

    '/bin/sh -c #(nop)  CMD ["sh"]' -> 'CMD ["sh"]'; '/bin/sh -c apt-get ...' -> 'RUN apt-get ...'.
    """
    text = created_by.strip()
    if NOP.match(text):
        return NOP.sub("", text).strip()
    if text.startswith("/bin/sh -c "):
        return "RUN " + text[len("/bin/sh -c "):]
    if text.startswith("|"):  # build args: '|1 ARG=x /bin/sh -c ...'
        return "RUN " + text.split("/bin/sh -c ", 1)[-1]
    return text


def _layers_of(image_id: str) -> int | None:
    try:
        return len(client().images.get(image_id).attrs["RootFS"]["Layers"])
    except docker.errors.ImageNotFound:
        return None


def new_layers(entries: list[dict[str, Any]], base_layers: int) -> tuple[bool, ...]:
    """For each entry (newest first), whether its step added a layer.

    The legacy builder keeps each step's result as a local image (the entry's Id): a step
    added a layer when its image has more layers than the one before. A step whose image is
    gone (Id "<missing>") is judged by its size.
    """
    flags = []
    before = base_layers
    for entry in reversed(entries):
        count = _layers_of(entry.get("Id", "")) if entry.get("Id", "").startswith("sha256:") \
            else None
        if count is None:
            flags.append(int(entry.get("Size", 0)) > 0)
            before += flags[-1]
        else:
            flags.append(count > before)
            before = count
    return tuple(reversed(flags))


def table(image: str, *, width: int = 70) -> pd.DataFrame:
    """The image's history, oldest step first.

    Args:
        image: an image name or ID.
        width: instructions longer than this are cut, as `docker history` does.

    Returns:
        Columns: step, instruction, size, layer (True when the step added a filesystem layer).
    """
    with friendly():
        entries = client().api.history(image)
    flags = new_layers(entries, 0)
    rows = []
    for step, (entry, layer) in enumerate(zip(reversed(entries), reversed(flags), strict=True),
                                         start=1):
        text = instruction(entry.get("CreatedBy", ""))
        rows.append({
            "step": step,
            "instruction": text if len(text) <= width else text[: width - 1] + "…",
            "size": human_size(int(entry.get("Size", 0)), "docker"),  # as `docker history`
            "layer": layer,
        })
    return pd.DataFrame(rows)
