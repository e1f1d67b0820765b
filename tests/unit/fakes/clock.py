"""The time labkit.base.wait reads and sleeps on, faked (`use_fakes(clock=...)`)."""

from __future__ import annotations


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
