"""How labkit writes for a learner: sizes, short digests, and where progress lines go.

Taught in: 00-preflight (`docker history` sizes), 01-building-images (digests in a manifest
list), 02-overlayfs-and-image-storage (layer sizes, IDs and digests everywhere).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

# Receives one line of progress at a time (`print` by default where it is a parameter).
Progress = Callable[[str], None]

SizeStyle = Literal["whole", "coarse", "docker"]


def human_size(size: int, style: SizeStyle = "whole") -> str:
    """A size in bytes as text, in powers of 1000 (kB, MB), as Docker counts.

    Taught in: 00-preflight and 01-building-images ("docker"), 02-overlayfs-and-image-storage
    ("whole", "coarse").

    Args:
        size: bytes.
        style: "whole" (0 B, 999 B, 4 kB, 117 MB): whole units, so a stored notebook output stays
            the same from run to run; "coarse": the same, but "under 1 kB" below 1000 bytes,
            for compressed sizes whose last bytes move from build to build; "docker" (0B,
            4.33kB, 17.1MB): three significant digits, as `docker history` prints them.

    Returns:
        The size as text.
    """
    if style == "docker":
        return _docker_size(size)
    if size < 1000:
        return "under 1 kB" if style == "coarse" else f"{size} B"
    if size < 1000 * 1000:
        return f"{round(size / 1000)} kB"
    return f"{round(size / 1000 / 1000)} MB"


def _docker_size(size: float) -> str:
    if size < 1000:
        return f"{size}B"
    for unit in ("kB", "MB", "GB"):
        size /= 1000
        if size < 1000 or unit == "GB":
            return f"{size:.3g}{unit}"
    return f"{size}B"


def short_digest(digest: str, n: int = 12, *, algorithm: bool = False) -> str:
    """The first N hex digits of an ID or digest, as `docker images` shows IDs.

    Taught in: 01-building-images (a manifest list's entries), 02-overlayfs-and-image-storage
    (layer diff_ids and digests, image IDs).

    Args:
        digest: e.g. "sha256:0debcefed638..."; a bare hex ID works too.
        n: how many hex digits to keep (64 gives the whole hex part).
        algorithm: keep the "sha256:" in front and mark the cut with "…"
            ("sha256:0debcefed638…"); by default both are dropped ("0debcefed638").

    Returns:
        The shortened digest ("" for "").
    """
    algo, sep, hexpart = digest.partition(":")
    if not sep:
        algo, hexpart = "", digest
    if algorithm and algo:
        return f"{algo}:{hexpart[:n]}…"
    return hexpart[:n]
