"""The `Lab` a lesson is handed, faked: the parts lessons call, with nothing behind them."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class FakeLedger:
    def __init__(self, entries: list[dict[str, Any]] | None = None) -> None:
        self.entries = entries or []


class FakeLab:
    """The parts of Lab that lessons call, with nothing behind them.

    Folders are made under ROOT; mounts, symlinks and veths are recorded (`mounts`,
    `recorded`), not made; names are never taken; the ledger holds ENTRIES.
    """

    def __init__(self, root: Path | None = None,
                 entries: list[dict[str, Any]] | None = None) -> None:
        self.root = root
        self.mounts: list[list[str]] = []
        self.recorded: list[tuple[str, Any]] = []
        self.ledger = FakeLedger(entries)

    def workdir(self, name: str) -> Path:
        assert self.root is not None, "FakeLab(root) makes folders"
        path = self.root / name
        path.mkdir(parents=True)
        return path

    def mount(self, argv: list[str], target: Path) -> None:
        self.mounts.append(list(argv))

    def made(self, kind: str) -> list[dict[str, Any]]:
        return [dict(e) for e in self.ledger.entries if e.get("kind") == kind]

    def name(self, base: str, kind: str = "container") -> str:
        return base

    def symlink(self, link: str, points_to: str) -> Path:
        self.recorded.append(("symlink", (link, points_to)))
        return Path(link)

    def veth(self, name: str, peer: str) -> tuple[str, str]:
        self.recorded.append(("link", name))
        return name, peer
