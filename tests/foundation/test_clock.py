"""The injectable clock: a process-wide clock for tests, a per-thread override for replays."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from services import clock


def test_use_clock_moves_time_for_everyone() -> None:
    fake = clock.FrozenClock(datetime(2025, 1, 1, tzinfo=UTC))
    seen: list[datetime] = []
    with clock.use_clock(fake):
        worker = threading.Thread(target=lambda: seen.append(clock.now()))
        worker.start()
        worker.join()
        fake.advance(minutes=5)
        assert clock.now() == datetime(2025, 1, 1, 0, 5, tzinfo=UTC)
    assert seen == [datetime(2025, 1, 1, tzinfo=UTC)]


def test_thread_clock_does_not_leak_into_other_threads() -> None:
    replay_time = datetime(2020, 6, 1, tzinfo=UTC)
    seen: list[datetime] = []
    with clock.thread_clock(lambda: replay_time):
        assert clock.now() == replay_time
        worker = threading.Thread(target=lambda: seen.append(clock.now()))
        worker.start()
        worker.join()
    assert seen[0] != replay_time
    assert clock.now() != replay_time
