"""Pictures of layers, drawn from the live system: an overlay by hand, a container, two hashes.

Taught in: 02-overlayfs-and-image-storage (sections 2 and 3) and 02b-image-anatomy-and-the-wire
(5.1, digest and diff_id). Each function returns a matplotlib Figure (closed, so a notebook
shows it once: as the cell's value), drawn at 2x with a text saying what it shows
(`labkit.base.figure`).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from labkit.base.figure import shown, subplots
from labkit.base.fmt import human_size, short_digest
from labkit.base.i18n import _
from labkit.base.procfs import mounted as is_mounted
from labkit.storage.overlay import OverlayDirs, kind, names
from labkit.storage.overlay2_layers import LayerDir
from labkit.storage.wire import BlobHash

LOWER_COLOURS = ["#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5"]
UPPER_COLOUR = "#fdae6b"
INIT_COLOUR = "#bcbddc"
WHITEOUT_COLOUR = "#de2d26"


def _cell(path: Path) -> str:
    """A box's label: a small file's first words, a big file's size, or the entry's kind."""
    what = kind(path)
    if what == "file":
        size = path.stat().st_size
        if size > 40:
            return _("file") + f"\n{human_size(size)}"
        text = path.read_text(errors="replace").strip().splitlines()
        return textwrap.fill(text[0] if text else _("(empty)"), 12)
    labels = {"opaque dir": "opaque\ndir", "whiteout": "whiteout\nc 0,0"}
    return labels.get(what, what)


def source_layer(dirs: OverlayDirs, name: str) -> str | None:
    """Which folder the merged view takes NAME from (None: hidden by a whiteout, or absent)."""
    top_down = [(col, path) for col, path in dirs.columns().items() if col != "merged"][::-1]
    for col, folder in top_down:
        what = kind(folder / name)
        if what == "whiteout":
            return None
        if what != "missing":
            return col
    return None


def overlay_stack(dirs: OverlayDirs, title: str = "") -> Figure:
    """The overlay as a stack: lower folders at the bottom, upperdir, merged on top.

    Each column is a name; each cell shows what that folder holds (whiteouts in red); in the
    merged row a cell takes the colour of the folder it comes from.
    """
    cols = dirs.columns()
    lowers = [c for c in cols if c.startswith("lowerdir")]  # bottom first
    colour = {c: LOWER_COLOURS[i % len(LOWER_COLOURS)] for i, c in enumerate(lowers)}
    colour["upperdir"] = UPPER_COLOUR
    order = lowers + (["upperdir"] if "upperdir" in cols else []) + ["merged"]
    items = names(dirs)
    fig, ax = subplots(figsize=(1.6 + 1.25 * max(len(items), 3), 0.75 * len(order) + 0.9))
    mounted = is_mounted(str(dirs.merged))
    for y, col in enumerate(order):
        ax.text(-0.1, y + 0.4, col, ha="right", va="center", fontsize=9, weight="bold")
        for x, name in enumerate(items):
            if col == "merged":
                src = source_layer(dirs, name) if mounted else None
                if src is None:
                    continue
                face, label = colour[src], _cell(dirs.merged / name)
            else:
                what = kind(cols[col] / name)
                if what == "missing":
                    continue
                face = WHITEOUT_COLOUR if what == "whiteout" else colour[col]
                label = _cell(cols[col] / name)
            ax.add_patch(Rectangle((x + 0.05, y + 0.05), 0.9, 0.7, facecolor=face,
                                   edgecolor="black", linewidth=0.6))
            ax.text(x + 0.5, y + 0.4, label, ha="center", va="center", fontsize=7)
    for x, name in enumerate(items):
        ax.text(x + 0.5, -0.15, name, ha="center", va="top", fontsize=7, rotation=20)
    ax.set_xlim(-1.6, max(len(items), 3))
    ax.set_ylim(-0.9, len(order))
    ax.axis("off")
    state = "" if mounted else _(" (not mounted: merged is empty)")
    ax.set_title(title or _("{name}: {lowers} lower folder(s), read from the top down{state}")
                 .format(name=dirs.root.name, lowers=len(dirs.lowers), state=state), fontsize=9)
    seen = []
    for name in items:
        src = source_layer(dirs, name) if mounted else None
        seen.append(_("{name} from {folder}").format(name=name, folder=src) if src
                    else _("{name} not shown").format(name=name))
    alt = _("Overlay {name}, bottom to top: {folders}. Names: {names}. merged shows: {seen}.")
    return shown(fig, (title + ". " if title else "") + alt.format(
        name=dirs.root.name, folders=", ".join(order), names=", ".join(items) or "-",
        seen="; ".join(seen) if mounted else _("nothing (not mounted)")))


def layer_stack(layers: Sequence[LayerDir], title: str = "") -> Figure:
    """A container's (or image's) layers, bottom first, each with its size (log scale).

    Image layers are blue (read-only, LowerDir), -init purple, the container's own layer
    orange (read-write, UpperDir).
    """
    fig, (left, right) = subplots(1, 2, figsize=(10, 0.55 * len(layers) + 1.2),
                                  gridspec_kw={"width_ratios": [3, 2]}, sharey=True)
    described = []
    for y, layer in enumerate(layers):
        face = {"init": INIT_COLOUR, "container": UPPER_COLOUR}.get(
            layer.role, LOWER_COLOURS[y % len(LOWER_COLOURS)])
        left.add_patch(Rectangle((0, y + 0.05), 1, 0.9, facecolor=face, edgecolor="black",
                                 linewidth=0.6))
        suffix = "-init" if layer.role == "init" else ""
        # containerd: no l/ names
        where = layer.short_name or _("snapshot {id}").format(id=layer.dir_id)
        ident = (f"diff_id {short_digest(layer.diff_id)}" if layer.diff_id
                 else _("folder {id}").format(id=short_digest(layer.dir_id) + suffix)
                 if layer.short_name else "")
        label = f"{layer.role}: {ident}  ({where})" if ident else f"{layer.role}: {where}"
        left.text(0.02, y + 0.5, label, va="center", fontsize=8)
        # Folder and snapshot IDs change from run to run: the text names roles and sizes.
        described.append(f"{layer.role} ({human_size(layer.size)})")
        right.barh(y + 0.5, math.log10(layer.size + 1), height=0.6, color=face,
                   edgecolor="black", linewidth=0.6)
        right.text(math.log10(layer.size + 1) + 0.1, y + 0.5, human_size(layer.size),
                   va="center", fontsize=8)
    left.set_xlim(0, 1)
    left.set_ylim(0, len(layers))
    left.axis("off")
    right.set_xlim(0, 10)
    right.set_xlabel(_("size of {folder}/ (log10 bytes)").format(
        folder=layers[0].path.name if layers else "diff"))
    right.set_yticks([])
    for side in ("top", "right", "left"):
        right.spines[side].set_visible(False)
    heading = title or _("layers from the bottom (first in the image) to the top")
    fig.suptitle(heading, fontsize=9)
    return shown(fig, _("{heading}. Bottom to top: {layers}.").format(
        heading=heading, layers="; ".join(described)))


def digest_flow(hashes: Sequence[BlobHash], title: str = "") -> Figure:
    """Each layer's two names, drawn from the real hashes: digest <- sha256 <- blob, and
    blob -> gunzip -> tar -> sha256 -> diff_id (digests shortened to 12 hex digits)."""
    fig, ax = subplots(figsize=(10, 0.8 * len(hashes) + 0.9))
    described = []
    xs = (0.0, 2.7, 5.4, 8.1)
    faces = (LOWER_COLOURS[2], LOWER_COLOURS[1], LOWER_COLOURS[0], UPPER_COLOUR)
    for row, h in enumerate(hashes):  # layer 1, the bottom layer, at the bottom
        y = row + 0.5
        blob = _("layer {index}: blob").format(index=h.index)
        texts = (f"digest\n{short_digest(h.digest)}",
                 f"{blob}\n{human_size(h.blob_bytes, 'coarse')}{', gzip' if h.compressed else ''}",
                 f"tar\n{human_size(h.tar_bytes)}", f"diff_id\n{short_digest(h.diff_id)}")
        described.append(_("layer {index}: blob {blob}, tar {tar}").format(
            index=h.index,
            blob=human_size(h.blob_bytes, "coarse") + (", gzip" if h.compressed else ""),
            tar=human_size(h.tar_bytes)))
        for x, face, text in zip(xs, faces, texts, strict=True):
            ax.add_patch(Rectangle((x, y - 0.3), 1.9, 0.6, facecolor=face, edgecolor="black",
                                   linewidth=0.6))
            ax.text(x + 0.95, y, text, ha="center", va="center", fontsize=7.5)
        arrows = ((xs[1], xs[0] + 1.9, "sha256"),
                  (xs[1] + 1.9, xs[2], "gunzip" if h.compressed else _("(as is)")),
                  (xs[2] + 1.9, xs[3], "sha256"))
        for start, end, label in arrows:
            ax.annotate("", xy=(end, y), xytext=(start, y),
                        arrowprops={"arrowstyle": "->", "linewidth": 0.8})
            ax.text((start + end) / 2, y + 0.1, label, ha="center", fontsize=7)
    ax.text(xs[0] + 0.95, len(hashes) + 0.05, _("what the registry stores and sends"),
            ha="center", fontsize=7.5, style="italic")
    ax.text(xs[3] + 0.95, len(hashes) + 0.05, _("what the config lists"),
            ha="center", fontsize=7.5, style="italic")
    ax.set_xlim(-0.1, 10.1)
    ax.set_ylim(0, len(hashes) + 0.45)
    ax.axis("off")
    heading = title or _("each layer has two names: two hashes of the same bytes")
    ax.set_title(heading, fontsize=9)
    return shown(fig, _("{heading}. The digest hashes the blob the registry sends; the diff_id "
                        "hashes the uncompressed tar the config lists. {layers}.").format(
        heading=heading, layers="; ".join(described)))
