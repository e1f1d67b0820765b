"""Cells that need an engine feature: `# needs: NAME` runs them only where the engine has it.

Taught in: 02-overlayfs-and-image-storage and 02b-image-anatomy-and-the-wire (the overlay2
sections), used by any chapter. A cell whose first lines hold `# needs: overlay2` runs only on
an engine that keeps its images in the overlay2 graphdriver; elsewhere `labkit.start` has
IPython run `not_shown("overlay2")` in its place, which says what the cell would read and what
this engine has instead. `# needs: containerd-store` is the other way round: cells about
containerd's image store (02, section 4), shown only where the engine uses it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from labkit.base.errors import LabkitError
from labkit.base.facts import EngineFacts, facts

MARKER = re.compile(r"^\s*#\s*needs:\s*([\w-]+)\s*$")


@dataclass(frozen=True)
class Need:
    """An engine feature some cells depend on.

    Attributes:
        name: what follows `# needs:`.
        met: whether an engine has it.
        instead: what an engine without it has, in a sentence for a learner.
    """

    name: str
    met: Callable[[EngineFacts], bool]
    instead: Callable[[EngineFacts], str]


def _store(f: EngineFacts) -> str:
    if f.containerd_store:
        return (f"this engine keeps images in the containerd image store (snapshotter "
                f"{f.storage_driver}), which has no overlay2 folders, no layer database and no "
                "GraphDriver data in `docker inspect`; `labkit doctor` shows how to switch "
                "the store off")
    return f"this engine stores images with the {f.storage_driver!r} storage driver"


def _multi(f: EngineFacts) -> str:
    return ("this engine keeps images in the containerd image store: there one name can hold an "
            "index of several platforms, `docker pull --platform` adds that platform to the same "
            "image, and the image ID is the index's digest")


def _graphdriver(f: EngineFacts) -> str:
    return (f"this engine keeps images in the {f.storage_driver!r} graphdriver: layers are "
            f"folders under {f.data_root}/{f.storage_driver}, found through its layer database, "
            "and the image ID is the digest of the config (section 3 shows them)")


NEEDS = {n.name: n for n in [
    Need("overlay2", lambda f: f.storage == "overlay2" and f.local, _store),
    Need("graphdriver", lambda f: not f.containerd_store, _multi),
    Need("containerd-store", lambda f: f.containerd_store, _graphdriver),
]}


def unmet(name: str, f: EngineFacts | None = None) -> bool:
    """True when the engine lacks what `# needs: NAME` asks for.

    Raises:
        LabkitError: no need of that name.
    """
    need = NEEDS.get(name)
    if need is None:
        raise LabkitError(f"`# needs: {name}` names nothing labkit knows.",
                          f"use one of: {', '.join(NEEDS)}")
    return not need.met(f or facts())


def not_shown(name: str) -> None:
    """Print why a `# needs: NAME` cell does not run on this engine."""
    print(f"Not shown on this engine: this cell needs {name}, and "
          f"{NEEDS[name].instead(facts())}.")


def needed(lines: list[str]) -> str | None:
    """The `# needs:` name among a cell's leading comment lines, if any."""
    for line in lines:
        if not line.strip():
            continue
        if not line.lstrip().startswith("#"):
            return None
        found = MARKER.match(line)
        if found:
            return found.group(1)
    return None


def transform(lines: list[str]) -> list[str]:
    """IPython input transformer: a cell whose need is unmet becomes `not_shown(NAME)`."""
    name = needed(lines)
    if name is None or not unmet(name):
        return lines
    return ["import labkit.lab.needs\n", f"labkit.lab.needs.not_shown({name!r})\n"]
