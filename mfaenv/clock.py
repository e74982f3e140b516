"""Time as a parameter: every wait and every comparison with the clock goes through a Clock.

``main`` makes the one real ``Clock`` and hands it down; the tests hand down a fake one,
so nothing in the suite sleeps for real except the few tests that check a real wait.
"""

from __future__ import annotations

import time


class Clock:
    """The wall clock (``now``), a monotonic one for deadlines, and a way to wait."""

    __slots__ = ()

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


SYSTEM = Clock()
