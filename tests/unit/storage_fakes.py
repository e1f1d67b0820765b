"""Fakes for chapter 02's unit tests: a lab that only makes folders, a Docker root on disk,
and a client that answers `images.get` from a dict."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker.errors

from labkit.storage.graphdriver import chain_ids

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def whiteout(path: Path) -> None:
    """A real whiteout (character device 0,0); needs root."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mknod(path, stat.S_IFCHR, os.makedev(0, 0))


class FakeLedger:
    def __init__(self, entries: list[dict[str, Any]] | None = None) -> None:
        self.entries = entries or []


class FakeLab:
    """Folders under tmp; mounts are recorded, not made."""

    def __init__(self, root: Path, entries: list[dict[str, Any]] | None = None) -> None:
        self.root = root
        self.mounts: list[list[str]] = []
        self.ledger = FakeLedger(entries)

    def workdir(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True)
        return path

    def mount(self, argv: list[str], target: Path) -> None:
        self.mounts.append(list(argv))

    def made(self, kind: str) -> list[dict[str, Any]]:
        return [dict(e) for e in self.ledger.entries if e.get("kind") == kind]


@dataclass
class FakeImage:
    id: str
    attrs: dict[str, Any]
    tags: list[str] = field(default_factory=list)


class FakeImages:
    def __init__(self, images: dict[str, FakeImage]) -> None:
        self.images = images

    def get(self, ref: str) -> FakeImage:
        if ref not in self.images:
            raise docker.errors.ImageNotFound(ref)
        return self.images[ref]

    def list(self, all: bool = False) -> list[FakeImage]:  # noqa: A002 - the SDK's name
        return list(self.images.values())


class FakeClient:
    def __init__(self, images: dict[str, FakeImage], driver: str = "overlay2",
                 root: str = "/var/lib/docker") -> None:
        self.images = FakeImages(images)
        self._info = {"Driver": driver, "DockerRootDir": root}

    def info(self) -> dict[str, Any]:
        return self._info


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
