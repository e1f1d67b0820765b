"""Fakes for chapter 01's unit tests."""

from __future__ import annotations

from pathlib import Path


class FakeLab:
    """Just the part of Lab that makes lesson folders: fresh folders under a test's tmp_path."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def workdir(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True)
        return path
