"""Injectable time. Deadlines, lockouts and timers read ``now()``; tests move the clock.

All times are timezone-aware UTC; the UI converts to Asia/Shanghai for display.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731
# A per-thread override wins over the process-wide clock: a replay re-running history at its
# recorded times must not change the time that other requests of a threaded worker see.
_local = threading.local()


def now() -> datetime:
    """The current time: this thread's override if any, else the installed clock."""
    override = getattr(_local, "source", None)
    return override() if override is not None else _source()


class FrozenClock:
    """A clock that only moves when told to; used by tests and replays."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2025, 3, 3, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


@contextlib.contextmanager
def use_clock(source: Callable[[], datetime]) -> Iterator[Callable[[], datetime]]:
    """Install ``source`` as the clock for the duration of the block."""
    global _source
    previous = _source
    _source = source
    try:
        yield source
    finally:
        _source = previous


@contextlib.contextmanager
def thread_clock(source: Callable[[], datetime]) -> Iterator[Callable[[], datetime]]:
    """Use ``source`` as the clock in this thread only, for the duration of the block."""
    previous = getattr(_local, "source", None)
    _local.source = source
    try:
        yield source
    finally:
        _local.source = previous


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; treat them as the UTC we stored."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
