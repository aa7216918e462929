"""Simulated time: a clock that moves only when told to.

Every simulator object takes a ``clock`` callable (``time.time`` by default). Scenarios and tests
pass a :class:`SimClock` so that JWT times are reproducible and "five minutes later" is an
``advance(300)``, not a sleep.
"""

from __future__ import annotations

#: 2026-01-01T00:00:00Z: where simulated runs start.
EPOCH = 1_767_225_600.0


class SimClock:
    """Stands still until advanced."""

    def __init__(self, start: float = EPOCH) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
