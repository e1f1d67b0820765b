"""From build steps to layers: `docker history` of an image, its own steps apart from its base.

Taught in: 01-building-images (the bridge to 02-overlayfs-and-image-storage).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from labkit.base.engine import client
from labkit.base.errors import friendly
from labkit.base.facts import facts
from labkit.base.fmt import human_size
from labkit.base.i18n import _
from labkit.images.history import instruction as plain_instruction
from labkit.images.history import new_layers

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SOURCE_HASH = re.compile(r"\b(dir|file):([0-9a-f]{12})[0-9a-f]{52}\b")
BUILDKIT_MARK = " # buildkit"  # BuildKit ends each CreatedBy with it
COURSE_LABEL = re.compile(r"^LABEL io\.labkit\.")


def instruction(created_by: str) -> str:
    """The instruction behind a history entry (labkit.images.history's reading), its hash shortened.

    'COPY dir:ee8be5af465b1a6c…(64 digits) in /usr/local/web/' -> 'COPY dir:ee8be5af465b… in
    /usr/local/web/': the builder records the content hash of what a COPY took.
    """
    text = plain_instruction(created_by).removesuffix(BUILDKIT_MARK)
    return SOURCE_HASH.sub(r"\1:\2…", text)


def folded(entries: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """(instruction, bytes) per history entry, runs of the course's own `LABEL io.labkit.*`
    entries folded into one: they are labkit's bookkeeping on its images, not steps to read.
    """
    out: list[tuple[str, int]] = []
    run = 0
    for entry in [*entries, {}]:
        text = instruction(entry.get("CreatedBy", "")) if entry else ""
        if entry and COURSE_LABEL.match(text) and int(entry.get("Size", 0)) == 0:
            run += 1
            continue
        if run:
            out.append((f"LABEL io.labkit.* ({run} course label{'s' * (run > 1)}, folded)", 0))
            run = 0
        if entry:
            out.append((text, int(entry.get("Size", 0))))
    return out


@dataclass(frozen=True)
class History:
    """An image's history, newest step first, split into its own steps and its base's.

    Attributes:
        image: the image's name.
        base: the base image's name (its FROM).
        own: the history entries of the image's own steps (the SDK's dicts).
        inherited: the base image's entries.
        own_layers: how many filesystem layers the own steps added.
        base_layers: how many layers the base image has.
        new_layer: for each own entry, whether that step added a layer.
    """

    image: str
    base: str
    own: tuple[dict[str, Any], ...]
    inherited: tuple[dict[str, Any], ...]
    own_layers: int
    base_layers: int
    new_layer: tuple[bool, ...]
    containerd_store: bool = False

    def to_frame(self) -> pd.DataFrame:
        """The image's own steps, newest first as `docker history` lists them: instruction,
        layer size, and whether it made a layer (step 1 is the first after FROM)."""
        pairs = zip(self.own, self.new_layer, strict=True)
        rows = [{"step": len(self.own) - i, "instruction": instruction(e.get("CreatedBy", "")),
                 "size": human_size(int(e.get("Size", 0)), "docker"),
                 "bytes": int(e.get("Size", 0)), "new layer": new}
                for i, (e, new) in enumerate(pairs)]
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """One line: how the image's layers split between its base and its own steps."""
        return (f"{self.image}: {self.base_layers + self.own_layers} layers = "
                f"{self.base_layers} from {self.base} + {self.own_layers} from its own "
                f"{len(self.own)} steps (the other steps changed only the image's config)"
                + ("\nsizes: on the containerd image store `docker history` reports the disk each "
                   "layer's snapshot uses, in whole 4 kB blocks, not the bytes a step copied"
                   if self.containerd_store else ""))

    def plot(self) -> Figure:
        """Every history entry as a bar (log scale), newest at the top as in `docker history`;
        the base's grey (its course labels folded into one bar), the image's own blue."""
        from labkit.base.figure import shown, subplots

        own, base = folded(list(self.own)), folded(list(self.inherited))
        entries = [*own, *base]
        labels = [_short(text) for text, _size in entries]
        sizes = [max(size, 1) for _text, size in entries]
        colors = ["tab:blue"] * len(own) + ["0.6"] * len(base)
        fig, ax = subplots(figsize=(9, 0.22 * len(entries) + 1))  # closed: shown once
        ax.barh(range(len(entries)), sizes, color=colors)
        ax.set_yticks(range(len(entries)), labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlabel(_("bytes the step added (log scale; 1 = none)"))
        heading = _("docker history {image}, newest first: grey = {base}, blue = its own "
                    "steps").format(image=self.image, base=self.base)
        ax.set_title(heading)
        fig.tight_layout()
        steps = "; ".join(f"{_short(text)} ({human_size(size)})" for text, size in own)
        return shown(fig, _("{heading}. {own} step(s) of its own, newest first: {steps}; then "
                            "{base_steps} entries of {base}.").format(
            heading=heading, own=len(own), steps=steps or "-", base_steps=len(base),
            base=self.base))


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def layer_count(ref: str) -> int:
    """How many filesystem layers an image has (its RootFS.Layers)."""
    with friendly():
        return len(client().images.get(ref).attrs["RootFS"]["Layers"])


def history(image: str, base: str) -> History:
    """`docker history IMAGE`, with the entries that came from BASE set apart."""
    with friendly():
        own = client().images.get(image).history()
        inherited = client().images.get(base).history()
    mine = own[: len(own) - len(inherited)]
    base_layers = layer_count(base)
    return History(image, base, tuple(mine), tuple(inherited),
                   layer_count(image) - base_layers, base_layers, new_layers(mine, base_layers),
                   facts().containerd_store)
