"""A fake clock for the client's unit tests: no test waits for real time."""

from __future__ import annotations

EPOCH = 1_780_000_000.0  # the wall clock (Unix seconds) at the clock's start


class FakeClock:
    """``monotonic``/``wall``/``sleep`` sharing one timeline; ``sleep`` only moves time."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._wall_offset = EPOCH - start

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self._wall_offset + self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, seconds
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds
