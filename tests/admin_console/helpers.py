"""Rows the admin console pages act on: timers that failed and wait for a 系统管理员's retry."""

from __future__ import annotations

from typing import Any, TypeVar

from engine.runtime.wait_models import EngineTimer, StartTimer
from services import clock
from services.db import db

TimerRow = TypeVar("TimerRow", EngineTimer, StartTimer)


def add_failed_timer(row_type: type[TimerRow], **fields: Any) -> TimerRow:
    """A timer row (``EngineTimer`` or ``StartTimer``) due now that failed its three attempts;
    committed, as the scheduler leaves it."""
    row = row_type(due_at=clock.now(), status="failed", attempts=3, **fields)
    db.session.add(row)
    db.session.commit()
    return row


def assert_requeued(row: EngineTimer | StartTimer) -> None:
    """After a retry the row is pending again with a fresh count of attempts."""
    db.session.expire_all()
    assert (row.status, row.attempts) == ("pending", 0)
