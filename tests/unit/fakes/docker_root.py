"""A Docker root on disk (chapter 02), faked in a temporary folder: layerdb and overlay2
folders of one image, real whiteouts, and the client whose engine keeps it."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labkit.storage.overlay2_layers import chain_ids

from .client import FakeClient, FakeImage

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0  # real root: whiteouts need mknod


def whiteout(path: Path) -> None:
    """A real whiteout (character device 0,0); needs root."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mknod(path, stat.S_IFCHR, os.makedev(0, 0))


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@dataclass
class FakeStore:
    """A /var/lib/docker with one image whose layers hold the given files."""

    root: Path
    diff_ids: list[str]
    cache_ids: list[str]
    links: list[str]

    def layer_diff(self, n: int) -> Path:
        return self.root / "overlay2" / self.cache_ids[n] / "diff"


def make_store(root: Path, layers: list[dict[str, str | None]]) -> FakeStore:
    """Write layerdb and overlay2 folders for layers (bottom first; None = whiteout)."""
    diff_ids = [digest(f"layer {n}") for n in range(len(layers))]
    cache_ids = [hashlib.sha256(f"cache {n}".encode()).hexdigest() for n in range(len(layers))]
    links = [f"LINK{n}".ljust(26, "X") for n in range(len(layers))]
    (root / "overlay2" / "l").mkdir(parents=True)
    for n, (files, chain) in enumerate(zip(layers, chain_ids(diff_ids), strict=True)):
        db = root / "image" / "overlay2" / "layerdb" / "sha256" / chain.split(":")[1]
        db.mkdir(parents=True)
        (db / "cache-id").write_text(cache_ids[n])
        (db / "size").write_text(str(sum(len(t or "") for t in files.values())))
        folder = root / "overlay2" / cache_ids[n]
        (folder / "diff").mkdir(parents=True)
        (folder / "link").write_text(links[n])
        if n:
            (folder / "lower").write_text(":".join(f"l/{x}" for x in reversed(links[:n])))
        os.symlink(f"../{cache_ids[n]}/diff", root / "overlay2" / "l" / links[n])
        for rel, text in files.items():
            path = folder / "diff" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if text is None:
                whiteout(path)
            else:
                path.write_text(text)
    return FakeStore(root, diff_ids, cache_ids, links)


def image_attrs(store: FakeStore, tags: list[str]) -> dict[str, Any]:
    """The inspect answer of the store's image (overlay2 folders, its layers' diff_ids)."""
    lower = ":".join(str(store.layer_diff(n)) for n in reversed(range(len(store.cache_ids) - 1)))
    top = store.root / "overlay2" / store.cache_ids[-1]
    return {
        "Id": digest("config"), "RepoTags": tags, "Size": 123456,
        "Config": {"Cmd": ["run"], "User": "", "WorkingDir": "", "ExposedPorts": {"1/tcp": {}}},
        "RootFS": {"Type": "layers", "Layers": list(store.diff_ids)},
        "GraphDriver": {"Name": "overlay2", "Data": {
            "LowerDir": lower, "UpperDir": str(top / "diff"), "MergedDir": str(top / "merged"),
            "WorkDir": str(top / "work")}},
    }


def store_client(images: Mapping[str, FakeImage], driver: str = "overlay2",
                 root: str = "/var/lib/docker") -> FakeClient:
    """A client whose engine keeps IMAGES in a Docker root at ROOT with DRIVER."""
    return FakeClient({"Driver": driver, "DockerRootDir": root}, images=images)
