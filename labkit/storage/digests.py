"""The digests that name a layer: the sha256 of a file as stored (a blob, a config), and the
sha256 of a layer's uncompressed tar (its diff_id), gzip or not.

Taught in: 02b-image-anatomy-and-the-wire (section 5, exercise 02b.1: `docker save`'s layers
hashed against the config's diff_ids) and 02-overlayfs-and-image-storage (a layer's diff_id on
the containerd image store). Files are read in chunks, so a large layer never sits in memory.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 1024 * 1024


def hash_layer(path: Path) -> tuple[str, bool]:
    """The sha256 of a layer's uncompressed tar, and whether the file was gzip-compressed."""
    with open(path, "rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
    h = hashlib.sha256()
    opener = gzip.open if compressed else open
    with opener(path, "rb") as fh:  # type: ignore[operator]
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return "sha256:" + h.hexdigest(), compressed


def sha256_file(path: Path) -> str:
    """The sha256 of a file's bytes as stored ("sha256:...")."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return "sha256:" + h.hexdigest()
