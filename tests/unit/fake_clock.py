"""A fake clock for anything that waits through labkit.base.wait: sleeping moves it, instantly."""

from __future__ import annotations

import pytest

from labkit.base import wait


class FakeClock:
    """Time that passes only when someone sleeps; `sleeps` records every nap."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def install(self, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
        """Make labkit.base.wait read this clock; returns self."""
        monkeypatch.setattr(wait, "clock", self.clock)
        monkeypatch.setattr(wait, "sleep", self.sleep)
        return self
