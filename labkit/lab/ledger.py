"""A session's record of host resources (netns, links, mounts, rules, processes, tags).

Docker objects carry labels; everything else a lesson makes is written here first, on disk,
so `labkit clean` can undo it after a crashed kernel. Taught in: 00-preflight.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labkit.base import settings


def sessions_dir() -> Path:
    """The folder that holds one JSON ledger per session."""
    return settings.state_dir() / "sessions"


@dataclass
class Ledger:
    """The resources one session created, oldest first."""

    session: str
    chapter: str
    pid: int = field(default_factory=os.getpid)
    started: float = field(default_factory=time.time)
    entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def path(self) -> Path:
        """Where this ledger lives on disk."""
        return sessions_dir() / f"{self.session}.json"

    def add(self, kind: str, **data: Any) -> dict[str, Any]:
        """Record a resource (before or right after creating it) and save at once."""
        entry = {"kind": kind, **data}
        if entry not in self.entries:
            self.entries.append(entry)
            self.save()
        return entry

    def drop(self, entry: dict[str, Any]) -> None:
        """Forget a resource that is gone."""
        if entry in self.entries:
            self.entries.remove(entry)
            self.save()

    def save(self) -> None:
        """Write the ledger atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({
            "session": self.session, "chapter": self.chapter, "pid": self.pid,
            "started": self.started, "entries": self.entries,
        }, indent=1))
        os.replace(tmp, self.path)

    def delete(self) -> None:
        """Remove the ledger file (when the session has been cleaned)."""
        self.path.unlink(missing_ok=True)

    @classmethod
    def load(cls, path: Path) -> Ledger | None:
        """Read a ledger file, or None when it is unreadable."""
        try:
            raw = json.loads(path.read_text())
            return cls(raw["session"], raw["chapter"], int(raw.get("pid", 0)),
                       float(raw.get("started", 0)), list(raw.get("entries", [])))
        except (OSError, ValueError, KeyError, TypeError):
            return None


def all_ledgers() -> Iterator[Ledger]:
    """Every session ledger on this machine."""
    folder = sessions_dir()
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.json")):
        ledger = Ledger.load(path)
        if ledger is not None:
            yield ledger
